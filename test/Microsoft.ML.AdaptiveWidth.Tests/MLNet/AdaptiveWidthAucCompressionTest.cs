using Microsoft.ML.AdaptiveWidth.Inference;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.AdaptiveWidth;

namespace Microsoft.ML.AdaptiveWidth.Tests.MLNet;

/// <summary>
/// AUC as the compression metric of binary models: it equals ML.NET's evaluator's AUC, the search keeps it within the
/// tolerance, the trainer option uses it, and metrics a binary model cannot be measured by are refused by name.
/// </summary>
[TestClass]
public sealed class AdaptiveWidthAucCompressionTest
{
    /// <summary>Overlapping blobs (means ±0.3 in four features, σ = 1), so the AUC is well below 100 and ties are rare.</summary>
    private static IDataView Noisy(MLContext ml, int rows, int seed)
    {
        var random = new Random(seed);
        float Normal() => (float)(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));
        return ml.Data.LoadFromEnumerable(Enumerable.Range(0, rows).Select(i =>
        {
            bool label = i % 2 == 0;
            return new BinaryRow { Label = label, Features = Enumerable.Range(0, 4).Select(_ => (label ? 0.3f : -0.3f) + Normal()).ToArray() };
        }).ToList());
    }

    [TestMethod]
    public void TruncationReport_AreaUnderRocCurve_EqualsMLNetEvaluatorOnTheFullModel()
    {
        var ml = new MLContext(seed: 1);
        IDataView train = Noisy(ml, 600, 1), test = Noisy(ml, 400, 2);
        var model = ml.BinaryClassification.Trainers.AdaptiveWidth(MLNetTestData.Fast(new AdaptiveWidthBinaryTrainer.Options())).Fit(train);

        double expected = 100 * ml.BinaryClassification.Evaluate(model.Transform(test)).AreaUnderRocCurve;
        IReadOnlyList<TruncationReportRow> report = model.TruncationReport(test, fractions: [1.0], metric: QualityMetric.AreaUnderRocCurve);

        Assert.IsLessThan(90, expected, "the data overlaps");
        Assert.AreEqual(expected, report[0].OrderedMetric, 1e-4);
    }

    [TestMethod]
    public void Compress_AreaUnderRocCurve_StaysWithinTheToleranceOnTheSearchedRows()
    {
        var ml = new MLContext(seed: 1);
        IDataView train = Noisy(ml, 600, 3), validation = Noisy(ml, 400, 4);
        var model = ml.BinaryClassification.Trainers.AdaptiveWidth(MLNetTestData.Fast(new AdaptiveWidthBinaryTrainer.Options())).Fit(train);

        var compressed = model.Compress(validation, tolerance: 1, metric: QualityMetric.AreaUnderRocCurve);

        double full = 100 * ml.BinaryClassification.Evaluate(model.Transform(validation)).AreaUnderRocCurve;
        double after = 100 * ml.BinaryClassification.Evaluate(compressed.Transformer.Transform(validation)).AreaUnderRocCurve;
        Assert.AreEqual(full, compressed.Result.FullMetric, 1e-4);
        Assert.AreEqual(after, compressed.Result.Metric, 1e-4);
        Assert.IsGreaterThanOrEqualTo(full - 1 - 1e-6, after);
        Assert.IsTrue(compressed.Result.Widths[0] <= model.Model.SubModel.LayerWidths[0]);
    }

    [TestMethod]
    public void AdaptiveWidthBinaryTrainer_CompressionMetricAuc_CompressesByAucAndRejectsRmse()
    {
        var ml = new MLContext(seed: 1);
        var options = MLNetTestData.Fast(new AdaptiveWidthBinaryTrainer.Options { CompressionTolerance = 2, CompressionMetric = QualityMetric.AreaUnderRocCurve });
        AdaptiveWidthBinaryModelParameters model = ml.BinaryClassification.Trainers.AdaptiveWidth(options).Fit(Noisy(ml, 800, 5)).Model.SubModel;

        Assert.IsNotNull(model.Compression);
        Assert.IsGreaterThan(50.0, model.Compression.FullMetric);
        Assert.IsGreaterThanOrEqualTo(model.Compression.FullMetric - 2 - 1e-6, model.Compression.Metric);

        var ex = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.BinaryClassification.Trainers.AdaptiveWidth(
            new AdaptiveWidthBinaryTrainer.Options { CompressionMetric = QualityMetric.Rmse }));
        StringAssert.Contains(ex.Message, "CompressionMetric");
    }

    [TestMethod]
    public void LabeledRows_AreaUnderRocCurve_NeedsBothClasses()
    {
        var ex = Assert.ThrowsExactly<ArgumentException>(() => new LabeledRows([1f, 2f], 1, [1f, 1f], QualityMetric.AreaUnderRocCurve));
        StringAssert.Contains(ex.Message, "both classes");
    }
}
