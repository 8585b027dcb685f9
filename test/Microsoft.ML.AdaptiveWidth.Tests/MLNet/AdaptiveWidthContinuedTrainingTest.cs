using Microsoft.ML.Data;
using Microsoft.ML.Trainers.AdaptiveWidth;

namespace Microsoft.ML.AdaptiveWidth.Tests.MLNet;

/// <summary>
/// Continued training, <c>Fit(trainData, modelParameters)</c> (issue 16): the network starts as exactly the given model
/// (widths, weights; standardisation and target scale re-folded for the new data), then trains on.
/// </summary>
[TestClass]
public sealed class AdaptiveWidthContinuedTrainingTest
{
    [TestMethod]
    public void AdaptiveWidthRegressionTrainer_FitFromModel_StartsFromTheSameFunctionAndWidths()
    {
        var ml = new MLContext(seed: 1);
        IDataView first = ml.Data.LoadFromEnumerable(MLNetTestData.Linear(300, seed: 1));
        // Other rows with other feature and target statistics: the start must still be the model's function.
        IDataView second = ml.Data.LoadFromEnumerable(MLNetTestData.Linear(300, seed: 2).Select(r => new RegressionRow
        {
            Label = 3 * r.Label + 10, Features = r.Features.Select((v, j) => v * (j + 1) + j).ToArray(),
        }));
        var options = MLNetTestData.Fast(new AdaptiveWidthRegressionTrainer.Options { NumberOfLayers = 2 });
        var trained = ml.Regression.Trainers.AdaptiveWidth(options).Fit(first);

        // One epoch at a negligible learning rate: what comes back is the starting network.
        var still = MLNetTestData.Fast(new AdaptiveWidthRegressionTrainer.Options { MaxEpoch = 1, LearningRate = 1e-12, EarlyStoppingPatience = 0 });
        var continued = ml.Regression.Trainers.AdaptiveWidth(still).Fit(second, trained.Model);

        CollectionAssert.AreEqual(trained.Model.LayerWidths.ToArray(), continued.Model.LayerWidths.ToArray());
        float[] expected = MLNetAssert.Floats(trained.Transform(second), "Score");
        float[] actual = MLNetAssert.Floats(continued.Transform(second), "Score");
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.AreEqual(expected[i], actual[i], 1e-3 * (1 + Math.Abs(expected[i])), $"row {i}");
        }
    }

    [TestMethod]
    public void AdaptiveWidthBinaryTrainer_FitFromModel_KeepsLearningOnNewData()
    {
        var ml = new MLContext(seed: 1);
        IDataView first = ml.Data.LoadFromEnumerable(MLNetTestData.Blobs(60, seed: 1));
        IDataView more = ml.Data.LoadFromEnumerable(MLNetTestData.Blobs(600, seed: 2));
        IDataView test = ml.Data.LoadFromEnumerable(MLNetTestData.Blobs(400, seed: 3));
        // A barely trained start: no linear baseline, which would already separate the blobs before the first epoch.
        var brief = MLNetTestData.Fast(new AdaptiveWidthBinaryTrainer.Options { MaxEpoch = 1, LearningRate = 1e-4, LinearBaseline = false });
        var start = ml.BinaryClassification.Trainers.AdaptiveWidth(brief).Fit(first);

        var continued = ml.BinaryClassification.Trainers.AdaptiveWidth(MLNetTestData.Fast(new AdaptiveWidthBinaryTrainer.Options()))
            .Fit(more, start.Model.SubModel);

        double before = ml.BinaryClassification.Evaluate(start.Transform(test)).LogLoss;
        double after = ml.BinaryClassification.Evaluate(continued.Transform(test)).LogLoss;
        Assert.IsLessThan(before * 0.5, after, $"log-loss {before:F4} -> {after:F4}");
        Assert.IsNotEmpty(continued.Model.SubModel.TrainingHistory);
    }

    [TestMethod]
    public void AdaptiveWidthMulticlassTrainer_FitFromModelWithOtherFeatures_ThrowsNamingTheArgument()
    {
        var ml = new MLContext(seed: 1);
        IDataView all = ml.Data.LoadFromEnumerable(MLNetTestData.Mixture(150, seed: 1));
        var prepare = ml.Transforms.Conversion.MapValueToKey("Label");
        IDataView three = ml.Transforms.Concatenate("Features", "F1", "F2", "F3").Append(prepare).Fit(all).Transform(all);
        IDataView two = ml.Transforms.Concatenate("Features", "F1", "F2").Append(prepare).Fit(all).Transform(all);
        var trainer = ml.MulticlassClassification.Trainers.AdaptiveWidth(MLNetTestData.Fast(new AdaptiveWidthMulticlassTrainer.Options()));
        var model = trainer.Fit(three);

        var error = Assert.Throws<ArgumentException>(() => trainer.Fit(two, model.Model));

        Assert.AreEqual("modelParameters", error.ParamName);
        StringAssert.Contains(error.Message, "Features");
    }
}
