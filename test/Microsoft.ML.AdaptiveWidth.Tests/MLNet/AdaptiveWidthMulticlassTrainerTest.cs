using Microsoft.ML.Data;
using Microsoft.ML.Trainers.AdaptiveWidth;

namespace Microsoft.ML.AdaptiveWidth.Tests.MLNet;

[TestClass]
public sealed class AdaptiveWidthMulticlassTrainerTest
{
    /// <summary>The Model Builder shape: text label to key, columns into one vector, normalization, trainer, key back to text.</summary>
    private static IEstimator<ITransformer> Pipeline(MLContext ml)
        => ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.Transforms.Concatenate("Features", "F1", "F2", "F3"))
            .Append(ml.Transforms.NormalizeMinMax("Features"))
            .Append(ml.MulticlassClassification.Trainers.AdaptiveWidth(MLNetTestData.Fast(new AdaptiveWidthMulticlassTrainer.Options())))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"));

    [TestMethod]
    public void AdaptiveWidthMulticlassTrainer_ModelBuilderPipeline_ReturnsTheOriginalLabels()
    {
        var ml = new MLContext(seed: 1);
        List<MulticlassRow> rows = MLNetTestData.Mixture(300, seed: 1);
        IDataView data = ml.Data.LoadFromEnumerable(rows);

        IDataView scored = Pipeline(ml).Fit(data).Transform(data);
        string[] predicted = scored.GetColumn<string>("PredictedLabel").ToArray();

        CollectionAssert.IsSubsetOf(predicted.Distinct().ToList(), MLNetTestData.ClassNames);
        double accuracy = predicted.Zip(rows, (p, r) => p == r.Label).Count(ok => ok) / (double)rows.Count;
        Assert.IsGreaterThan(0.9, accuracy);
    }

    [TestMethod]
    public void AdaptiveWidthMulticlassTrainer_Evaluate_ScoresAreProbabilitiesAndAccurate()
    {
        var ml = new MLContext(seed: 1);
        var prepare = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.Transforms.Concatenate("Features", "F1", "F2", "F3"))
            .Append(ml.Transforms.NormalizeMinMax("Features"));
        IDataView all = ml.Data.LoadFromEnumerable(MLNetTestData.Mixture(450, seed: 2));
        IDataView data = prepare.Fit(all).Transform(all);
        DataOperationsCatalog.TrainTestData split = ml.Data.TrainTestSplit(data, testFraction: 0.3, seed: 1);
        var trainer = ml.MulticlassClassification.Trainers.AdaptiveWidth(MLNetTestData.Fast(new AdaptiveWidthMulticlassTrainer.Options()));

        var model = trainer.Fit(split.TrainSet);
        IDataView scored = model.Transform(split.TestSet);
        MulticlassClassificationMetrics metrics = ml.MulticlassClassification.Evaluate(scored);

        Assert.IsGreaterThan(0.9, metrics.MacroAccuracy);
        Assert.AreEqual(3, model.Model.ClassCount);
        foreach (float[] p in MLNetAssert.Vectors(scored, "Score"))
        {
            Assert.AreEqual(1.0, p.Sum(), 1e-5);
            Assert.IsTrue(p.All(v => v >= 0 && v <= 1));
        }
        // The score column carries the class names as slot names, as ML.NET's multiclass trainers give it.
        VBuffer<ReadOnlyMemory<char>> slotNames = default;
        scored.Schema["Score"].GetSlotNames(ref slotNames);
        Assert.HasCount(3, slotNames.DenseValues().ToList());
    }

    [TestMethod]
    public void AdaptiveWidthMulticlassTrainer_GetOutputSchema_EqualsTransformedSchema()
    {
        var ml = new MLContext(seed: 1);
        IDataView all = ml.Data.LoadFromEnumerable(MLNetTestData.Mixture(150, seed: 3));
        IDataView data = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.Transforms.Concatenate("Features", "F1", "F2", "F3")).Fit(all).Transform(all);
        var trainer = ml.MulticlassClassification.Trainers.AdaptiveWidth(MLNetTestData.Fast(new AdaptiveWidthMulticlassTrainer.Options()));

        SchemaShape promised = trainer.GetOutputSchema(MLNetAssert.ShapeOf(data.Schema));
        IDataView scored = trainer.Fit(data).Transform(data);

        MLNetAssert.SchemaMatches(promised, scored.Schema);
    }

    [TestMethod]
    public void AdaptiveWidthMulticlassTrainer_CrossValidateAndPermutationFeatureImportance_Run()
    {
        var ml = new MLContext(seed: 1);
        IDataView all = ml.Data.LoadFromEnumerable(MLNetTestData.Mixture(300, seed: 4));
        IDataView data = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.Transforms.Concatenate("Features", "F1", "F2", "F3"))
            .Append(ml.Transforms.NormalizeMinMax("Features")).Fit(all).Transform(all);
        var trainer = ml.MulticlassClassification.Trainers.AdaptiveWidth(MLNetTestData.Fast(new AdaptiveWidthMulticlassTrainer.Options()));

        var folds = ml.MulticlassClassification.CrossValidate(data, trainer, numberOfFolds: 3);
        var importance = ml.MulticlassClassification.PermutationFeatureImportance(trainer.Fit(data), data, permutationCount: 1);

        Assert.IsTrue(folds.All(f => f.Metrics.MacroAccuracy > 0.8), string.Join(", ", folds.Select(f => f.Metrics.MacroAccuracy)));
        Assert.HasCount(3, importance);
        Assert.IsTrue(importance.All(m => m.MacroAccuracy.Mean < 0), "every coordinate separates one cluster");
    }
}
