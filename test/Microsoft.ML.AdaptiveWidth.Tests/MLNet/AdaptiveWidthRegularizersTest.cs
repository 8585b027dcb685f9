using Microsoft.ML.Data;
using Microsoft.ML.Trainers.AdaptiveWidth;

namespace Microsoft.ML.AdaptiveWidth.Tests.MLNet;

/// <summary>The <c>Dropout</c>, <c>FeatureScales</c> and <c>LabelSmoothing</c> options through the ML.NET trainers: they change training only.</summary>
[TestClass]
public sealed class AdaptiveWidthRegularizersTest
{
    private static float[] Scores(Action<AdaptiveWidthRegressionTrainer.Options> configure, out ITransformer model, out IDataView test)
    {
        var ml = new MLContext(seed: 1);
        IDataView train = ml.Data.LoadFromEnumerable(MLNetTestData.Linear(400, seed: 1));
        test = ml.Data.LoadFromEnumerable(MLNetTestData.Linear(200, seed: 2));
        AdaptiveWidthRegressionTrainer.Options options = MLNetTestData.Fast(new AdaptiveWidthRegressionTrainer.Options());
        options.MaxEpoch = 6;
        configure(options);
        model = ml.Regression.Trainers.AdaptiveWidth(options).Fit(train);
        return model.Transform(test).GetColumn<float>("Score").ToArray();
    }

    [TestMethod]
    [DataRow("Dropout")]
    [DataRow("FeatureScales")]
    public void Regularizer_ChangesTraining_IsDeterministic_AndScoresAfterSaveAndLoad(string option)
    {
        Action<AdaptiveWidthRegressionTrainer.Options> on = option == "Dropout" ? o => o.Dropout = 0.3 : o => o.FeatureScales = true;
        float[] plain = Scores(_ => { }, out _, out _);
        float[] first = Scores(on, out ITransformer model, out IDataView test);
        float[] second = Scores(on, out _, out _);

        CollectionAssert.AreEqual(first, second, "the same seed must train the same model");
        Assert.IsTrue(first.Zip(plain).Any(p => Math.Abs(p.First - p.Second) > 1e-4), $"{option} did not change the trained model");
        var ml = new MLContext(seed: 1);
        double rSquared = ml.Regression.Evaluate(model.Transform(test)).RSquared;
        Assert.IsGreaterThan(0.9, rSquared, $"with {option}: R² = {rSquared} on a linear target");
        using var stream = new MemoryStream();
        ml.Model.Save(model, test.Schema, stream);
        stream.Position = 0;
        CollectionAssert.AreEqual(first, ml.Model.Load(stream, out _).Transform(test).GetColumn<float>("Score").ToArray());
    }

    [TestMethod]
    public void LabelSmoothing_ChangesABinaryClassifiersTraining_KeepsItAccurate_AndDoesNotTouchRegression()
    {
        float[] BinaryScores(double smoothing, out double accuracy)
        {
            var ml = new MLContext(seed: 1);
            IDataView train = ml.Data.LoadFromEnumerable(MLNetTestData.Blobs(400, seed: 1));
            IDataView test = ml.Data.LoadFromEnumerable(MLNetTestData.Blobs(200, seed: 2));
            AdaptiveWidthBinaryTrainer.Options options = MLNetTestData.Fast(new AdaptiveWidthBinaryTrainer.Options());
            options.LabelSmoothing = smoothing;
            IDataView scored = ml.BinaryClassification.Trainers.AdaptiveWidth(options).Fit(train).Transform(test);
            accuracy = ml.BinaryClassification.Evaluate(scored).Accuracy;
            return scored.GetColumn<float>("Score").ToArray();
        }

        Assert.AreEqual(0.05, new AdaptiveWidthBinaryTrainer.Options().LabelSmoothing, "the ML.NET default");
        float[] plain = BinaryScores(0, out double plainAccuracy);
        float[] smoothed = BinaryScores(0.1, out double smoothedAccuracy);
        CollectionAssert.AreEqual(smoothed, BinaryScores(0.1, out _), "the same seed must train the same model");
        Assert.IsTrue(smoothed.Zip(plain).Any(p => Math.Abs(p.First - p.Second) > 1e-4), "LabelSmoothing did not change the trained classifier");
        // Smoothed targets keep the logits away from ±∞: the largest score shrinks, the accuracy stays.
        Assert.IsLessThan(plain.Max(Math.Abs), smoothed.Max(Math.Abs));
        Assert.IsGreaterThan(plainAccuracy - 0.02, smoothedAccuracy);

        float[] regression = Scores(o => o.LabelSmoothing = 0, out _, out _);
        CollectionAssert.AreEqual(regression, Scores(o => o.LabelSmoothing = 0.3, out _, out _), "regression ignores LabelSmoothing");
    }
}
