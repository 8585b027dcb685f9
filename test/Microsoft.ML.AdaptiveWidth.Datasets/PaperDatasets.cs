namespace Microsoft.ML.AdaptiveWidth.Datasets;

/// <summary>
/// The paper's synthetic two-class data sets, regenerated bit-exactly from NumPy's legacy global generator seeded
/// with 0 (the paper's generators, reimplemented bit-exactly). Class 0 comes first, then class 1, unshuffled; apply <see cref="Splits.PaperSplit"/>
/// afterwards.
/// </summary>
public static class PaperDatasets
{
    private const double Sigma = 0.3;
    private static readonly string[] XY = ["x", "y"];

    /// <summary>DoubleMoon: two interleaved half circles, 2500 points per class, radius 10, noise 0.3 (5000 x 2).</summary>
    public static Dataset DoubleMoon() => ToDataset("DoubleMoon", DoubleMoonValues());

    /// <summary>Spiral: two interleaved spirals of two turns, 2500 points per class, noise 0.3 (5000 x 2).</summary>
    public static Dataset Spiral() => ToDataset("Spiral", SpiralValues(2500, 1));

    /// <summary>
    /// SpiralHard: two interleaved spirals of four turns in the same radius, 5000 points per class, coordinates divided by 2
    /// so the effective noise is 0.15 (10000 x 2).
    /// </summary>
    public static Dataset SpiralHard() => ToDataset("SpiralHard", SpiralValues(5000, 2));

    /// <summary>DoubleMoon's row-major float64 coordinates before the float32 cast (class 0 rows, then class 1).</summary>
    internal static double[] DoubleMoonValues()
    {
        const int n = 2500;
        const double r = 10;
        var rng = new NumPyLegacyRandom(0);
        double[] a1 = Scale(rng.Rand(n), Math.PI);
        double[] e1 = rng.Randn(n);
        double[] e2 = rng.Randn(n);
        double[] a2 = Scale(rng.Rand(n), Math.PI);
        double[] e3 = rng.Randn(n);
        double[] e4 = rng.Randn(n);

        var xy = new double[4 * n];
        for (int i = 0; i < n; i++)
        {
            xy[2 * i] = (r * Math.Cos(a1[i])) - (r / 2) + (Sigma * e1[i]);
            xy[(2 * i) + 1] = (r * Math.Sin(a1[i])) + (Sigma * e2[i]);
        }

        for (int i = 0; i < n; i++)
        {
            int row = n + i;
            xy[2 * row] = -((r * Math.Cos(a2[i])) + (Sigma * e3[i])) + (r / 2);
            xy[(2 * row) + 1] = -((r * Math.Sin(a2[i])) + (Sigma * e4[i])) + (r / 2);
        }

        return xy;
    }

    /// <summary>Spiral's row-major float64 coordinates before the float32 cast (class 0 rows, then class 1).</summary>
    /// <param name="n">Points per class.</param>
    /// <param name="repetition">Turn multiplier R; all coordinates are divided by it at the end.</param>
    internal static double[] SpiralValues(int n, int repetition)
    {
        var rng = new NumPyLegacyRandom(0);
        var xy = new double[4 * n];
        for (int cls = 0; cls < 2; cls++)
        {
            double[] u = rng.Rand(n);
            double[] ex = rng.Randn(n);
            double[] ey = rng.Randn(n);
            double sign = cls == 0 ? 1 : -1;
            for (int i = 0; i < n; i++)
            {
                double t = Math.Sqrt(u[i]) * repetition * 4 * Math.PI;
                int row = (cls * n) + i;

                // Class 1 is the negation of class 0's formula with its own draws; negation is exact in IEEE arithmetic.
                xy[2 * row] = sign * ((-t * Math.Cos(t)) + (Sigma * ex[i])) / repetition;
                xy[(2 * row) + 1] = sign * ((t * Math.Sin(t)) + (Sigma * ey[i])) / repetition;
            }
        }

        return xy;
    }

    private static double[] Scale(double[] values, double factor)
    {
        for (int i = 0; i < values.Length; i++)
        {
            values[i] *= factor;
        }

        return values;
    }

    private static Dataset ToDataset(string name, double[] xy)
    {
        int rows = xy.Length / 2;
        var features = new float[xy.Length];
        for (int i = 0; i < xy.Length; i++)
        {
            features[i] = (float)xy[i];
        }

        var labels = new float[rows];
        labels.AsSpan(rows / 2).Fill(1f);
        return new Dataset(name, features, 2, labels, 2, XY);
    }
}
