using Microsoft.ML.AdaptiveWidth.Datasets;

namespace Microsoft.ML.AdaptiveWidth.Tests.Infrastructure;

/// <summary>Check values computed by NumPy with the paper's generators.</summary>
[TestClass]
public sealed class PaperDatasetsTest
{
    // The check values are printed with 8 decimals, so a float64 value can differ from its printed form by 5e-9;
    // cross-platform sin/cos/log may add an ulp or two, far below that.
    private const double Float64Tolerance = 1e-8;

    // The public data sets hold float32 values: the cast moves a value by at most 2^-24 (6e-8) relative, and the printed
    // check value is off by at most 5e-9 absolute (under 6e-9 relative here, since every |value| > 0.8); 1.2e-7 covers both.
    private const double Float32RelativeTolerance = 1.2e-7;

    // The documented column sums are of the float64 values before the cast. Summing the float32 values instead adds
    // each value's rounding error (at most |x|·2^-24, about 1e-6 for |x| ≤ 16): the observed difference is 3e-5 at most
    // (the errors largely cancel), the worst case over 10,000 points would be about 5e-3. 1e-3 absolute sits between
    // the two and still catches any wrong or missing point (each moves a sum by far more).
    private const double Float32SumTolerance = 1e-3;

    public static IEnumerable<object[]> Cases =>
    [
        ["DoubleMoon", 5000, new[] { -6.65684681, 9.69209293, 4.15531022, -5.33528339, 14.24249726, 1.17539872, -403.03641965, 12383.98691378 }],
        ["Spiral", 5000, new[] { 9.11820121, 0.88105411, -5.6767893, -6.70697259, 8.73771626, 7.44215354, -133.97563865, 43.06886142 }],
        ["SpiralHard", 10000, new[] { -9.2759922, -2.08695741, 6.3452063, -1.0329373, 11.14075661, 5.40726988, 652.24029517, 338.90687067 }],
    ];

    [TestMethod]
    [DynamicData(nameof(Cases))]
    public void PaperDatasets_Generate_Float64ValuesMatchNumPy(string name, int rows, double[] expected)
    {
        double[] xy = name switch
        {
            "DoubleMoon" => PaperDatasets.DoubleMoonValues(),
            "Spiral" => PaperDatasets.SpiralValues(2500, 1),
            _ => PaperDatasets.SpiralValues(5000, 2),
        };

        Assert.HasCount(2 * rows, xy);
        double[] actual = [xy[0], xy[1], xy[rows], xy[rows + 1], xy[^2], xy[^1], SumColumn(xy, 0), SumColumn(xy, 1)];
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.AreEqual(expected[i], actual[i], Float64Tolerance, $"{name} check value {i}");
        }
    }

    [TestMethod]
    public void PaperDatasets_DoubleMoon_SecondPointMatchesNumPy()
    {
        double[] xy = PaperDatasets.DoubleMoonValues();
        Assert.AreEqual(-11.08524292, xy[2], Float64Tolerance);
        Assert.AreEqual(7.98168606, xy[3], Float64Tolerance);
    }

    [TestMethod]
    [DynamicData(nameof(Cases))]
    public void PaperDatasets_Generate_Float32DatasetMatchesCheckValues(string name, int rows, double[] expected)
    {
        Dataset d = name switch
        {
            "DoubleMoon" => PaperDatasets.DoubleMoon(),
            "Spiral" => PaperDatasets.Spiral(),
            _ => PaperDatasets.SpiralHard(),
        };

        Assert.AreEqual(name, d.Name);
        Assert.AreEqual(rows, d.RowCount);
        Assert.AreEqual(2, d.FeatureCount);
        Assert.AreEqual(2, d.ClassCount);
        float[] f = d.Features;
        float[] points = [f[0], f[1], f[2 * (rows / 2)], f[(2 * (rows / 2)) + 1], f[^2], f[^1]];
        for (int i = 0; i < points.Length; i++)
        {
            Assert.AreEqual(expected[i], points[i], Math.Abs(expected[i]) * Float32RelativeTolerance, $"{name} point value {i}");
        }

        double[] asDouble = Array.ConvertAll(f, v => (double)v);
        Assert.AreEqual(expected[6], SumColumn(asDouble, 0), Float32SumTolerance, $"{name} x sum");
        Assert.AreEqual(expected[7], SumColumn(asDouble, 1), Float32SumTolerance, $"{name} y sum");
    }

    [TestMethod]
    [DynamicData(nameof(Cases))]
    public void PaperDatasets_Generate_ClassZeroFirstThenClassOne(string name, int rows, double[] expected)
    {
        _ = expected;
        Dataset d = name switch
        {
            "DoubleMoon" => PaperDatasets.DoubleMoon(),
            "Spiral" => PaperDatasets.Spiral(),
            _ => PaperDatasets.SpiralHard(),
        };

        for (int i = 0; i < rows; i++)
        {
            Assert.AreEqual(i < rows / 2 ? 0f : 1f, d.Labels[i], $"{name} row {i}");
        }
    }

    private static double SumColumn(double[] xy, int column)
    {
        double sum = 0;
        for (int i = column; i < xy.Length; i += 2)
        {
            sum += xy[i];
        }

        return sum;
    }
}
