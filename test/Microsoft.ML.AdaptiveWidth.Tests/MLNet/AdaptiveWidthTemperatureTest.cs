using Microsoft.ML.Data;
using Microsoft.ML.Trainers.AdaptiveWidth;

namespace Microsoft.ML.AdaptiveWidth.Tests.MLNet;

/// <summary>The <c>TemperatureScaling</c> option (docs/method.md §5.16): a temperature on the logits, fitted on the held-out rows.</summary>
[TestClass]
public sealed class AdaptiveWidthTemperatureTest
{
    /// <summary>
    /// Checks that the scaled binary model's logits are the plain one's times one factor (1/T) on every test row whose
    /// plain logit exceeds <paramref name="smallestScore"/> (more than <paramref name="rows"/> of them), and that the
    /// predicted labels are the same; returns the factor.
    /// </summary>
    private static double OneFactorSameLabels(ITransformer plain, ITransformer scaled, IDataView test, double smallestScore, int rows)
    {
        float[] before = plain.Transform(test).GetColumn<float>("Score").ToArray();
        float[] after = scaled.Transform(test).GetColumn<float>("Score").ToArray();
        double[] ratios = before.Zip(after, (b, a) => (double)a / b).Where((_, i) => Math.Abs(before[i]) > smallestScore).ToArray();
        Assert.IsGreaterThan(rows, ratios.Length);
        Assert.AreEqual(ratios.Min(), ratios.Max(), 1e-3 * ratios.Max(), "one factor for all rows");
        CollectionAssert.AreEqual(
            plain.Transform(test).GetColumn<bool>("PredictedLabel").ToArray(), scaled.Transform(test).GetColumn<bool>("PredictedLabel").ToArray());
        return ratios[0];
    }

    [TestMethod]
    [DataRow(TrainingDataMode.InMemory)]
    [DataRow(TrainingDataMode.Streaming)]
    public void Binary_SameClassesAndRanking_SharperProbabilities_AndLowerLogLossOnEasyData(TrainingDataMode mode)
    {
        var ml = new MLContext(seed: 1);
        IDataView train = ml.Data.LoadFromEnumerable(MLNetTestData.Blobs(400, seed: 1));
        IDataView test = ml.Data.LoadFromEnumerable(MLNetTestData.Blobs(400, seed: 2));
        AdaptiveWidthBinaryTrainer.Options options = MLNetTestData.Fast(new AdaptiveWidthBinaryTrainer.Options { DataMode = mode });
        options.TemperatureScaling = false;
        var plain = ml.BinaryClassification.Trainers.AdaptiveWidth(options).Fit(train);
        options.TemperatureScaling = true;
        var scaled = ml.BinaryClassification.Trainers.AdaptiveWidth(options).Fit(train);

        double factor = OneFactorSameLabels(plain, scaled, test, smallestScore: 0.5, rows: 100);
        Assert.IsTrue(factor >= 0.5 - 1e-6 && factor <= 2 + 1e-6, $"1/T = {factor}");
        // Nearly separable blobs under label smoothing: the held-out rows ask for sharper probabilities (T < 1).
        Assert.IsGreaterThan(1.0, factor, "T below 1 on easy data");
        CalibratedBinaryClassificationMetrics p = ml.BinaryClassification.Evaluate(plain.Transform(test));
        CalibratedBinaryClassificationMetrics s = ml.BinaryClassification.Evaluate(scaled.Transform(test));
        Assert.AreEqual(p.Accuracy, s.Accuracy);
        Assert.AreEqual(p.AreaUnderRocCurve, s.AreaUnderRocCurve, 1e-9);
        Assert.IsLessThan(p.LogLoss, s.LogLoss, $"log-loss {s.LogLoss} against {p.LogLoss} without the temperature");
    }

    [TestMethod]
    [DataRow(TrainingDataMode.InMemory)]
    [DataRow(TrainingDataMode.Streaming)]
    public void SparseRows_AreScoredThroughTheirNonZeros_WithTheSamePredictions(TrainingDataMode mode)
    {
        // FeaturizeText-like rows: the held-out rows are sparse too, and the temperature is fitted on their non-zeros.
        var ml = new MLContext(seed: 1);
        IDataView train = ml.Data.LoadFromEnumerable(AdaptiveWidthSparseInputTest.Words(600, seed: 1));
        IDataView test = ml.Data.LoadFromEnumerable(AdaptiveWidthSparseInputTest.Words(200, seed: 2));
        var options = new AdaptiveWidthBinaryTrainer.Options { MaxEpoch = 4, BatchSize = 64, Seed = 1, EnsembleSize = 2, MaximumInputLayerWeights = 384_000, TemperatureScaling = false, DataMode = mode };
        var plain = ml.BinaryClassification.Trainers.AdaptiveWidth(options).Fit(train);
        options.TemperatureScaling = true;
        var scaled = ml.BinaryClassification.Trainers.AdaptiveWidth(options).Fit(train);

        OneFactorSameLabels(plain, scaled, test, smallestScore: 0.1, rows: 50);
    }

    [TestMethod]
    public void Multiclass_SamePredictions_AndLowerLogLoss_RegressionUnchanged()
    {
        var ml = new MLContext(seed: 1);
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label").Append(ml.Transforms.Concatenate("Features", "F1", "F2", "F3"));
        IDataView train = ml.Data.LoadFromEnumerable(MLNetTestData.Mixture(300, seed: 1));
        IDataView test = ml.Data.LoadFromEnumerable(MLNetTestData.Mixture(300, seed: 2));
        AdaptiveWidthMulticlassTrainer.Options options = MLNetTestData.Fast(new AdaptiveWidthMulticlassTrainer.Options());
        options.TemperatureScaling = false;
        var plain = pipeline.Append(ml.MulticlassClassification.Trainers.AdaptiveWidth(options)).Fit(train);
        options.TemperatureScaling = true;
        var scaled = pipeline.Append(ml.MulticlassClassification.Trainers.AdaptiveWidth(options)).Fit(train);
        MulticlassClassificationMetrics p = ml.MulticlassClassification.Evaluate(plain.Transform(test));
        MulticlassClassificationMetrics s = ml.MulticlassClassification.Evaluate(scaled.Transform(test));
        CollectionAssert.AreEqual(
            plain.Transform(test).GetColumn<uint>("PredictedLabel").ToArray(), scaled.Transform(test).GetColumn<uint>("PredictedLabel").ToArray());
        Assert.AreEqual(p.MicroAccuracy, s.MicroAccuracy);
        Assert.IsLessThan(p.LogLoss, s.LogLoss, $"log-loss {s.LogLoss} against {p.LogLoss} without the temperature");

        // Regression has no logits: the option changes nothing.
        IDataView rows = ml.Data.LoadFromEnumerable(MLNetTestData.Linear(200, seed: 1));
        var regression = MLNetTestData.Fast(new AdaptiveWidthRegressionTrainer.Options());
        regression.TemperatureScaling = false;
        float[] without = ml.Regression.Trainers.AdaptiveWidth(regression).Fit(rows).Transform(rows).GetColumn<float>("Score").ToArray();
        regression.TemperatureScaling = true;
        float[] with = ml.Regression.Trainers.AdaptiveWidth(regression).Fit(rows).Transform(rows).GetColumn<float>("Score").ToArray();
        CollectionAssert.AreEqual(without, with);
    }

    [TestMethod]
    public void WithoutHeldOutRows_TheLogitsStayAsTrained()
    {
        var ml = new MLContext(seed: 1);
        IDataView train = ml.Data.LoadFromEnumerable(MLNetTestData.Blobs(300, seed: 1));
        AdaptiveWidthBinaryTrainer.Options options = MLNetTestData.Fast(new AdaptiveWidthBinaryTrainer.Options { ValidationFraction = 0, EnsembleSize = 2 });
        options.TemperatureScaling = false;
        float[] plain = ml.BinaryClassification.Trainers.AdaptiveWidth(options).Fit(train).Transform(train).GetColumn<float>("Score").ToArray();
        options.TemperatureScaling = true;
        float[] kept = ml.BinaryClassification.Trainers.AdaptiveWidth(options).Fit(train).Transform(train).GetColumn<float>("Score").ToArray();
        CollectionAssert.AreEqual(plain, kept);
    }
}
