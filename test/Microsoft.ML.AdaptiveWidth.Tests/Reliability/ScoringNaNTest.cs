using Microsoft.ML.AdaptiveWidth.Tests.MLNet;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.AdaptiveWidth;

namespace Microsoft.ML.AdaptiveWidth.Tests.Reliability;

/// <summary>
/// NaN in, NaN out: a NaN feature gives a NaN Score (and Probability) through ML.NET's Transform and PredictionEngine
/// for every task, never a finite number that looks like a real prediction. (Inference/DenseLayer documents why; ONNX
/// export is not built, so there is no ONNX behaviour to compare.) An infinite feature is not promised anything beyond
/// "no exception".
/// </summary>
[TestClass]
public sealed class ScoringNaNTest
{
    [TestMethod]
    public void ScoringNaN_BinaryTransformAndEngine_GiveNaNScoreAndProbability()
    {
        var ml = new MLContext(seed: 1);
        var model = ml.BinaryClassification.Trainers.AdaptiveWidth(MLNetTestData.Fast(new AdaptiveWidthBinaryTrainer.Options()))
            .Fit(ml.Data.LoadFromEnumerable(MLNetTestData.Blobs(100, seed: 1)));
        var row = new BinaryRow { Features = [0.5f, float.NaN, 0.5f, 0.5f] };

        IDataView scored = model.Transform(ml.Data.LoadFromEnumerable([row]));
        var engine = ml.Model.CreatePredictionEngine<BinaryRow, BinaryPrediction>(model);
        BinaryPrediction p = engine.Predict(row);

        Assert.IsTrue(float.IsNaN(MLNetAssert.Floats(scored, "Score")[0]));
        Assert.IsTrue(float.IsNaN(MLNetAssert.Floats(scored, "Probability")[0]));
        Assert.IsTrue(float.IsNaN(p.Score) && float.IsNaN(p.Probability), $"{p.Score} {p.Probability}");
    }

    [TestMethod]
    public void ScoringNaN_MulticlassAndRegression_GiveNaNScores()
    {
        var ml = new MLContext(seed: 1);
        IDataView all = ml.Data.LoadFromEnumerable(MLNetTestData.Mixture(90, seed: 2));
        IDataView data = ml.Transforms.Concatenate("Features", "F1", "F2", "F3").Append(ml.Transforms.Conversion.MapValueToKey("Label")).Fit(all).Transform(all);
        var multiclass = ml.MulticlassClassification.Trainers.AdaptiveWidth(MLNetTestData.Fast(new AdaptiveWidthMulticlassTrainer.Options())).Fit(data);
        var regression = ml.Regression.Trainers.AdaptiveWidth(MLNetTestData.Fast(new AdaptiveWidthRegressionTrainer.Options()))
            .Fit(ml.Data.LoadFromEnumerable(MLNetTestData.Linear(100, seed: 3)));
        var nanRow = new RegressionRow { Features = [float.NaN, 0, 0] };

        float[] classScores = ml.Model.CreatePredictionEngine<RegressionRow, VectorPrediction>(multiclass).Predict(nanRow).Score;
        float value = ml.Model.CreatePredictionEngine<RegressionRow, ScalarPrediction>(regression).Predict(nanRow).Score;

        Assert.IsTrue(classScores.Length == 3 && classScores.All(float.IsNaN), string.Join(" ", classScores));
        Assert.IsTrue(float.IsNaN(value), $"{value}");
    }

    private sealed class BinaryPrediction
    {
        public float Score { get; set; }

        public float Probability { get; set; }
    }

    private sealed class VectorPrediction
    {
        public float[] Score { get; set; } = [];
    }

    private sealed class ScalarPrediction
    {
        public float Score { get; set; }
    }
}
