namespace AdaptiveWidth.Samples.Tabular;

/// <summary>
/// The paper's synthetic two-class data sets, regenerated bit-exactly from NumPy's legacy global generator seeded
/// with 0 (the paper's generators, reimplemented bit-exactly). Class 0 comes first, then class 1, unshuffled; apply <see cref="Splits.PaperSplit"/>
/// afterwards.
/// </summary>
public static class PaperData
{
    private const double Sigma = 0.3;
    private static readonly string[] ClassNames = ["0", "1"];

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
    private static double[] DoubleMoonValues()
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
    private static double[] SpiralValues(int n, int repetition)
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
        return new Dataset(name, features, 2, labels, ClassNames);
    }
}


/// <summary>
/// A bit-exact re-implementation of NumPy's legacy global random generator (<c>np.random.seed</c>,
/// <c>np.random.rand</c>, <c>np.random.randn</c>), enough to regenerate the paper's synthetic data sets:
/// MT19937 seeded with <c>init_genrand</c>, 53-bit uniform doubles from two 32-bit outputs, and normals from the
/// Marsaglia polar method with one cached value.
/// </summary>
/// <remarks>Not thread-safe. Arrays are filled element by element, as NumPy fills them in row-major order.</remarks>
internal sealed class NumPyLegacyRandom
{
    private const int N = 624;
    private const int M = 397;
    private const uint MatrixA = 0x9908b0dfu;
    private const uint UpperMask = 0x80000000u;
    private const uint LowerMask = 0x7fffffffu;

    private readonly uint[] _mt = new uint[N];
    private int _index;
    private bool _hasGauss;
    private double _gauss;

    /// <summary>Creates a generator in the state <c>np.random.seed(seed)</c> leaves.</summary>
    /// <param name="seed">The seed; NumPy accepts 0..2^32-1.</param>
    public NumPyLegacyRandom(uint seed)
    {
        _mt[0] = seed;
        for (int i = 1; i < N; i++)
        {
            // init_genrand: mt[i] = 1812433253 * (mt[i-1] ^ (mt[i-1] >> 30)) + i, modulo 2^32.
            _mt[i] = unchecked((1812433253u * (_mt[i - 1] ^ (_mt[i - 1] >> 30))) + (uint)i);
        }

        _index = N;
    }

    /// <summary>The next tempered 32-bit output of MT19937.</summary>
    public uint NextUInt32()
    {
        if (_index >= N)
        {
            Twist();
        }

        uint y = _mt[_index++];
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c5680u;
        y ^= (y << 15) & 0xefc60000u;
        y ^= y >> 18;
        return y;
    }

    /// <summary>One uniform double in [0, 1) as <c>np.random.rand()</c> draws it: 53 bits from two 32-bit outputs.</summary>
    public double NextDouble()
    {
        uint a = NextUInt32() >> 5;
        uint b = NextUInt32() >> 6;
        return ((a * 67108864.0) + b) / 9007199254740992.0;
    }

    /// <summary>One standard normal as <c>np.random.randn()</c> draws it (Marsaglia polar method with a cache).</summary>
    public double NextGaussian()
    {
        if (_hasGauss)
        {
            _hasGauss = false;
            double cached = _gauss;
            _gauss = 0;
            return cached;
        }

        double x1, x2, r2;
        do
        {
            x1 = (2.0 * NextDouble()) - 1.0;
            x2 = (2.0 * NextDouble()) - 1.0;
            r2 = (x1 * x1) + (x2 * x2);
        }
        while (r2 >= 1.0 || r2 == 0.0);

        double f = Math.Sqrt(-2.0 * Math.Log(r2) / r2);
        _gauss = f * x1;
        _hasGauss = true;
        return f * x2;
    }

    /// <summary><c>np.random.rand(n)</c>: <paramref name="n"/> uniform doubles in [0, 1).</summary>
    /// <param name="n">Number of values.</param>
    public double[] Rand(int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        var values = new double[n];
        for (int i = 0; i < n; i++)
        {
            values[i] = NextDouble();
        }

        return values;
    }

    /// <summary><c>np.random.randn(n)</c>: <paramref name="n"/> standard normals.</summary>
    /// <param name="n">Number of values.</param>
    public double[] Randn(int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        var values = new double[n];
        for (int i = 0; i < n; i++)
        {
            values[i] = NextGaussian();
        }

        return values;
    }

    private void Twist()
    {
        for (int k = 0; k < N; k++)
        {
            uint y = (_mt[k] & UpperMask) | (_mt[(k + 1) % N] & LowerMask);
            _mt[k] = _mt[(k + M) % N] ^ (y >> 1) ^ ((y & 1u) != 0 ? MatrixA : 0u);
        }

        _index = 0;
    }
}
