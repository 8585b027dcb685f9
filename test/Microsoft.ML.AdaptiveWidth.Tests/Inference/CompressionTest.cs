using Microsoft.ML.AdaptiveWidth.Inference;
using Microsoft.ML.AdaptiveWidth.Tests.Infrastructure;

namespace Microsoft.ML.AdaptiveWidth.Tests.Inference;

[TestClass]
public sealed class CompressionTest
{
    [TestMethod]
    [DataRow(new[] { 40 }, 3.0)]
    [DataRow(new[] { 40 }, 0.0)]
    [DataRow(new[] { 30, 20 }, 5.0)]
    [DataRow(new[] { 16, 24, 8 }, 2.0)]
    public void Compression_Compress_Accuracy_RespectsTheToleranceOnTheRowsGiven(int[] widths, double tolerance)
    {
        var random = new Random(widths.Length);
        AdaptiveWidthModel model = RandomModels.Model(random, inputs: 5, widths, outputs: 3);
        LabeledRows rows = LabelledByNoisyModel(model, random, count: 300);

        CompressionResult result = Compression.Compress(model, rows, tolerance);

        double full = rows.Evaluate(model);
        double compressed = rows.Evaluate(result.Model);
        Assert.AreEqual(full, result.FullMetric);
        Assert.AreEqual(compressed, result.Metric);
        Assert.IsLessThanOrEqualTo(tolerance + 1e-9, full - compressed, "accuracy points lost");
        CollectionAssert.AreEqual(result.Widths.ToArray(), result.Model.LayerWidths.ToArray());
        Assert.IsTrue(result.Curve.Any(p => p.Widths.SequenceEqual(result.Widths) && p.WithinTolerance), "the choice was measured");
        Assert.AreEqual(result.Curve.Count, result.Evaluations);
    }

    [TestMethod]
    public void Compression_Compress_OneLayer_BisectsToTheSmallestWidthWithinTolerance()
    {
        var random = new Random(7);
        AdaptiveWidthModel model = RandomModels.Model(random, inputs: 4, [64], outputs: 2);
        LabeledRows rows = LabelledByNoisyModel(model, random, count: 200);

        CompressionResult result = Compression.Compress(model, rows, 4);

        int k = result.Widths[0];
        if (k > 1)
        {
            Assert.IsFalse(result.Curve.Single(p => p.Widths[0] == k - 1).WithinTolerance, "one neuron fewer breaks the tolerance");
        }
        Assert.IsLessThanOrEqualTo(Math.Ceiling(Math.Log2(64)) + 1, result.Evaluations, "binary search cost");
    }

    [TestMethod]
    public void Compression_Compress_Rmse_AddsAtMostTheTolerancePercent()
    {
        var random = new Random(8);
        AdaptiveWidthModel model = RandomModels.Model(random, inputs: 3, [24, 12], outputs: 1);
        var features = RandomModels.Values(random, 200 * 3, 2f);
        var labels = new float[200];
        var output = new float[1];
        for (int r = 0; r < labels.Length; r++)
        {
            model.Score(features.AsSpan(r * 3, 3), output);
            labels[r] = output[0] + 0.3f * (2 * random.NextSingle() - 1);
        }
        var rows = new LabeledRows(features, 3, labels, QualityMetric.Rmse);

        CompressionResult result = Compression.Compress(model, rows, 10);

        Assert.IsLessThanOrEqualTo(result.FullMetric * 1.1 + 1e-12, rows.Evaluate(result.Model));
        Assert.IsLessThanOrEqualTo(model.MultiplyAdds, result.Model.MultiplyAdds);
    }

    [TestMethod]
    [DataRow(-0.1)]
    [DataRow(double.NaN)]
    [DataRow(double.PositiveInfinity)]
    public void Compression_Compress_BadTolerance_ThrowsNamingTolerance(double tolerance)
    {
        var random = new Random(9);
        AdaptiveWidthModel model = RandomModels.Model(random, inputs: 2, [4], outputs: 2);
        var rows = new LabeledRows(new float[4], 2, [0, 1], QualityMetric.Accuracy);

        Assert.AreEqual("tolerance", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Compression.Compress(model, rows, tolerance)).ParamName);
    }

    [TestMethod]
    public void TruncationReport_Create_MeasuresOrderedAndRandomAtEachFractionAndWritesCsv()
    {
        var random = new Random(10);
        AdaptiveWidthModel model = RandomModels.Model(random, inputs: 4, [20, 10], outputs: 3);
        LabeledRows rows = LabelledByNoisyModel(model, random, count: 100);

        IReadOnlyList<TruncationReportRow> report = TruncationReport.Create(model, rows, [1, 0.5, 0.1], randomDraws: 3, seed: 1);

        Assert.HasCount(3, report);
        Assert.AreEqual(rows.Evaluate(model), report[0].OrderedMetric);
        Assert.AreEqual(report[0].OrderedMetric, report[0].RandomMetricMean, 1e-9, "keeping every neuron, in any order, is the model");
        CollectionAssert.AreEqual(new[] { 10, 5 }, report[1].Widths.ToArray());
        Assert.AreEqual(model.Truncate([10, 5]).MultiplyAdds, report[1].MultiplyAdds);
        string[] csv = TruncationReport.ToCsv(report).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.AreEqual("fraction,widths,multiply_adds,ordered,random_mean,random_std", csv[0]);
        Assert.StartsWith("0.5,10-5,", csv[2]);
    }

    [TestMethod]
    public void AdaptiveWidthModel_KeepNeurons_Prefix_EqualsTruncate()
    {
        var random = new Random(11);
        AdaptiveWidthModel model = RandomModels.Model(random, inputs: 4, [9, 7], outputs: 2);
        float[] features = RandomModels.Values(random, 4);

        AdaptiveWidthModel kept = model.KeepNeurons([[0, 1, 2], [0, 1, 2, 3]]);

        FloatAssert.BitIdentical(RandomModels.Score(model.Truncate([3, 4]), features), RandomModels.Score(kept, features), "prefix");
    }

    /// <summary>Labels are the model's own predictions with 10% of them replaced at random, so the full model is not perfect.</summary>
    private static LabeledRows LabelledByNoisyModel(AdaptiveWidthModel model, Random random, int count)
    {
        float[] features = RandomModels.Values(random, count * model.InputCount, 2f);
        var labels = new float[count];
        var output = new float[model.OutputCount];
        for (int r = 0; r < count; r++)
        {
            model.Score(features.AsSpan(r * model.InputCount, model.InputCount), output);
            int predicted = output.AsSpan().IndexOf(output.Max());
            labels[r] = random.NextDouble() < 0.1 ? random.Next(model.OutputCount) : predicted;
        }
        return new LabeledRows(features, model.InputCount, labels, QualityMetric.Accuracy);
    }
}
