using Microsoft.ML.AdaptiveWidth.Inference;
using Microsoft.ML.Calibrators;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.AdaptiveWidth;

namespace Microsoft.ML.AdaptiveWidth.Tests.MLNet;

[TestClass]
public sealed class AdaptiveWidthTransformerExtensionsTest
{
    [TestMethod]
    public void AdaptiveWidthTransformerExtensions_TruncateBinary_ScoresAsTheTruncatedNetworkAndSurvivesSaveLoad()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = ml.Data.LoadFromEnumerable(MLNetTestData.Blobs(120, seed: 1));
        var model = ml.BinaryClassification.Trainers.AdaptiveWidth(TwoLayers(new AdaptiveWidthBinaryTrainer.Options())).Fit(data);

        var truncated = model.Truncate(TruncationTarget.Fraction(0.5));

        AdaptiveWidthModel expected = model.Model.SubModel.Network.Truncate(TruncationTarget.Fraction(0.5));
        CollectionAssert.AreEqual(expected.LayerWidths.ToArray(), truncated.Model.SubModel.LayerWidths.ToArray());
        float[] features = MLNetAssert.Vectors(data, "Features")[0];
        var raw = new float[1];
        expected.Score(features, raw);
        Assert.AreEqual(raw[0], MLNetAssert.Floats(truncated.Transform(data), "Score")[0]);
        AssertSurvivesSaveLoad(ml, truncated, data, "Score", "Probability");
        CollectionAssert.AreEqual(
            MLNetAssert.Floats(model.Transform(data), "Score"),
            MLNetAssert.Floats(model.Truncate(TruncationTarget.Fraction(1)).Transform(data), "Score"),
            "truncating to the full width is the identity");
    }

    [TestMethod]
    public void AdaptiveWidthTransformerExtensions_TruncateMulticlass_KeepsTheLabelsAndSurvivesSaveLoad()
    {
        var ml = new MLContext(seed: 1);
        IDataView raw = ml.Data.LoadFromEnumerable(MLNetTestData.Mixture(150, seed: 2));
        IDataView data = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.Transforms.Concatenate("Features", "F1", "F2", "F3")).Fit(raw).Transform(raw);
        var model = ml.MulticlassClassification.Trainers.AdaptiveWidth(TwoLayers(new AdaptiveWidthMulticlassTrainer.Options())).Fit(data);

        var truncated = model.Truncate(TruncationTarget.MaxUnits(model.Model.LayerWidths.Max() / 2));

        Assert.IsLessThanOrEqualTo(model.Model.LayerWidths.Max() / 2, truncated.Model.LayerWidths.Max());
        AssertSurvivesSaveLoad(ml, truncated, data, "Score");
        var labels = ml.Transforms.Conversion.MapKeyToValue("PredictedLabel").Fit(truncated.Transform(data)).Transform(truncated.Transform(data));
        CollectionAssert.IsSubsetOf(labels.GetColumn<string>("PredictedLabel").Distinct().ToArray(), MLNetTestData.ClassNames);
    }

    [TestMethod]
    public void AdaptiveWidthTransformerExtensions_TruncateRegressionToMultiplyAdds_FitsTheBudgetAndTwiceEqualsOnce()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = ml.Data.LoadFromEnumerable(MLNetTestData.Linear(150, seed: 3));
        var model = ml.Regression.Trainers.AdaptiveWidth(TwoLayers(new AdaptiveWidthRegressionTrainer.Options())).Fit(data);
        long budget = model.Model.Network.MultiplyAdds / 3;

        var once = model.Truncate(TruncationTarget.MultiplyAdds(budget));
        var twice = model.Truncate(TruncationTarget.Fraction(0.8)).Truncate(TruncationTarget.Widths(once.Model.LayerWidths));

        Assert.IsLessThanOrEqualTo(budget, once.Model.Network.MultiplyAdds);
        MLNetAssert.BitIdentical(MLNetAssert.Floats(once.Transform(data), "Score"), MLNetAssert.Floats(twice.Transform(data), "Score"), "Score");
        AssertSurvivesSaveLoad(ml, once, data, "Score");
    }

    [TestMethod]
    public void AdaptiveWidthTransformerExtensions_Truncate_InvalidTargets_ThrowNamingTheArgument()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = ml.Data.LoadFromEnumerable(MLNetTestData.Linear(100, seed: 4));
        var model = ml.Regression.Trainers.AdaptiveWidth(MLNetTestData.Fast(new AdaptiveWidthRegressionTrainer.Options())).Fit(data);
        int width = model.Model.LayerWidths[0];

        Assert.AreEqual("maxUnitsPerLayer", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => model.Truncate(TruncationTarget.MaxUnits(width + 1))).ParamName);
        Assert.AreEqual("multiplyAddsPerRow", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => model.Truncate(TruncationTarget.MultiplyAdds(1))).ParamName);
        Assert.AreEqual("fraction", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => model.Model.Truncate(1.5)).ParamName);
        Assert.AreEqual("widths", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => model.Model.Truncate([width + 1])).ParamName);
    }

    [TestMethod]
    public void AdaptiveWidthTrainer_TruncationOptions_AreTheSameOperationAsTruncateAfterTraining()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = ml.Data.LoadFromEnumerable(MLNetTestData.Linear(150, seed: 5));
        var full = ml.Regression.Trainers.AdaptiveWidth(TwoLayers(new AdaptiveWidthRegressionTrainer.Options())).Fit(data);
        var options = TwoLayers(new AdaptiveWidthRegressionTrainer.Options());
        options.TruncationBudget = 0.6;
        options.MaxUnitsPerLayer = 9;
        var cut = ml.Regression.Trainers.AdaptiveWidth(options).Fit(data);

        var after = full.Truncate(TruncationTarget.Fraction(0.6));
        after = after.Truncate(TruncationTarget.Widths(after.Model.LayerWidths.Select(w => Math.Min(w, 9)).ToArray()));

        CollectionAssert.AreEqual(after.Model.LayerWidths.ToArray(), cut.Model.LayerWidths.ToArray());
        MLNetAssert.BitIdentical(MLNetAssert.Floats(after.Transform(data), "Score"), MLNetAssert.Floats(cut.Transform(data), "Score"), "Score");
    }

    [TestMethod]
    public void AdaptiveWidthTrainer_MaxUnitsPerLayerAboveTheLearnedWidth_KeepsTheWidth()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = ml.Data.LoadFromEnumerable(MLNetTestData.Linear(100, seed: 6));
        var options = MLNetTestData.Fast(new AdaptiveWidthRegressionTrainer.Options { MaxUnitsPerLayer = 10_000 });

        var model = ml.Regression.Trainers.AdaptiveWidth(options).Fit(data);
        var reference = ml.Regression.Trainers.AdaptiveWidth(MLNetTestData.Fast(new AdaptiveWidthRegressionTrainer.Options())).Fit(data);

        CollectionAssert.AreEqual(reference.Model.LayerWidths.ToArray(), model.Model.LayerWidths.ToArray());
    }

    private static T TwoLayers<T>(T options) where T : AdaptiveWidthOptionsBase
    {
        MLNetTestData.Fast(options);
        options.NumberOfLayers = 2;
        return options;
    }

    private static void AssertSurvivesSaveLoad(MLContext ml, ITransformer model, IDataView data, params string[] columns)
    {
        using var stream = new MemoryStream();
        ml.Model.Save(model, data.Schema, stream);
        stream.Position = 0;
        ITransformer loaded = new MLContext(seed: 2).Model.Load(stream, out _);
        Assert.AreEqual(model.GetType(), loaded.GetType());
        foreach (string column in columns)
        {
            float[] before = model.Transform(data).Schema[column].Type is VectorDataViewType
                ? MLNetAssert.Vectors(model.Transform(data), column).SelectMany(v => v).ToArray()
                : MLNetAssert.Floats(model.Transform(data), column);
            float[] after = loaded.Transform(data).Schema[column].Type is VectorDataViewType
                ? MLNetAssert.Vectors(loaded.Transform(data), column).SelectMany(v => v).ToArray()
                : MLNetAssert.Floats(loaded.Transform(data), column);
            MLNetAssert.BitIdentical(before, after, column);
        }
    }
}
