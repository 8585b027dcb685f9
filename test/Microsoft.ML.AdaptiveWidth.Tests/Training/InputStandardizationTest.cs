using Microsoft.ML.AdaptiveWidth.Training;

namespace Microsoft.ML.AdaptiveWidth.Tests.Training;

[TestClass]
public sealed class InputStandardizationTest
{
    /// <summary>Columns: a one-hot category in 1 row of 50, the same with three values, a Gaussian, a constant.</summary>
    private static TrainingData Rows(int rows, Func<int, float> rare)
    {
        var random = new Random(3);
        var features = new float[rows * 4];
        for (int r = 0; r < rows; r++)
        {
            features[r * 4] = rare(r);
            features[r * 4 + 1] = r % 50 == 0 ? 1 : r % 50 == 1 ? 0.5f : 0;
            features[r * 4 + 2] = (float)(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));
            features[r * 4 + 3] = 7;
        }
        return new TrainingData(features, 4, new float[rows]);
    }

    [TestMethod]
    public void Of_TwoValuedFeature_IsScaledByAtLeastHalfItsRange_OthersByTheirDeviation()
    {
        TrainingData data = Rows(1000, r => r % 50 == 0 ? 1 : 0);
        InputStandardization sut = InputStandardization.Of(data);

        // The one-hot column: deviation 0.14, floored at half its range; its rare value is then within 2 of the mean.
        Assert.AreEqual(0.5, sut.Scale[0], 1e-6);
        float[] row = data.Features.AsSpan(0, 4).ToArray();
        sut.Apply(row);
        Assert.AreEqual((1 - 0.02) / 0.5, row[0], 1e-5);
        // Three values: the deviation (0.15), above the floor of an eighth of the range.
        double mean = (20 * 1.0 + 20 * 0.5) / 1000;
        double sd = Math.Sqrt((20 * 1.0 + 20 * 0.25) / 1000 - mean * mean);
        Assert.AreEqual(sd, sut.Scale[1], 1e-5);
        Assert.AreEqual(1, sut.Scale[2], 0.1, "a Gaussian keeps its deviation");
        Assert.IsTrue(float.IsPositiveInfinity(sut.Scale[3]), "a constant has scale +∞");
    }

    [TestMethod]
    public void Of_ConstantFeature_MapsEveryValueToZero_AndNaNToNaN()
    {
        InputStandardization sut = InputStandardization.Of(Rows(200, r => 0));

        // Column 0 is all zeros and column 3 all 7 on these rows: any value of them, seen in training or not, becomes 0.
        foreach (float value in new[] { 0f, 7f, 1f, -3f, 45.2f, 1e6f })
        {
            float[] row = [value, 0, 0.3f, value];
            sut.Apply(row);
            Assert.AreEqual(0f, Math.Abs(row[0]), $"all-zero column at {value}");
            Assert.AreEqual(0f, Math.Abs(row[3]), $"constant column at {value}");
            Assert.AreNotEqual(0f, row[2], "a varying column is not zeroed");
        }
        float[] missing = [float.NaN, 0, 0, float.NaN];
        sut.Apply(missing);
        Assert.IsTrue(float.IsNaN(missing[0]) && float.IsNaN(missing[3]), "a missing value stays missing");
    }

    [TestMethod]
    public void Of_NearlyConstantFeature_IsTreatedAsConstant()
    {
        // A deviation of 1e-8 against a magnitude of 1,000: float rounding, not information.
        var features = new float[100];
        for (int r = 0; r < 100; r++)
        {
            features[r] = r % 2 == 0 ? 1000f : BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(1000f) + 1);
        }
        InputStandardization sut = InputStandardization.Of(new TrainingData(features, 1, new float[100]));

        Assert.IsTrue(float.IsPositiveInfinity(sut.Scale[0]));
    }

    [TestMethod]
    public void Of_TwoValuedFeature_AnyAffineMapGivesTheSameStandardisedValues()
    {
        TrainingData unit = Rows(500, r => r % 20 == 3 ? 1 : 0);
        TrainingData moved = Rows(500, r => r % 20 == 3 ? 10 : 30);
        InputStandardization a = InputStandardization.Of(unit), b = InputStandardization.Of(moved);
        for (int r = 0; r < 40; r++)
        {
            float[] x = unit.Features.AsSpan(r * 4, 4).ToArray(), y = moved.Features.AsSpan(r * 4, 4).ToArray();
            a.Apply(x);
            b.Apply(y);
            Assert.AreEqual(x[0], -y[0], 1e-5, $"row {r}");
        }
    }
}
