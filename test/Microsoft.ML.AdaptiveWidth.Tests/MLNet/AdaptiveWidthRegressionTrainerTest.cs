using Microsoft.ML.Data;
using Microsoft.ML.Trainers.AdaptiveWidth;

namespace Microsoft.ML.AdaptiveWidth.Tests.MLNet;

[TestClass]
public sealed class AdaptiveWidthRegressionTrainerTest
{
    private static AdaptiveWidthRegressionTrainer Trainer(MLContext ml)
    {
        AdaptiveWidthRegressionTrainer.Options options = MLNetTestData.Fast(new AdaptiveWidthRegressionTrainer.Options());
        options.MaxEpoch = 40;
        return ml.Regression.Trainers.AdaptiveWidth(options);
    }

    [TestMethod]
    public void AdaptiveWidthRegressionTrainer_Fit_LearnsALinearFunction()
    {
        var ml = new MLContext(seed: 1);
        IDataView train = ml.Data.LoadFromEnumerable(MLNetTestData.Linear(400, seed: 1));
        IDataView test = ml.Data.LoadFromEnumerable(MLNetTestData.Linear(200, seed: 2));

        RegressionMetrics metrics = ml.Regression.Evaluate(Trainer(ml).Fit(train).Transform(test));

        Assert.IsGreaterThan(0.5, metrics.RSquared);
    }

    [TestMethod]
    public void AdaptiveWidthRegressionTrainer_GetOutputSchema_EqualsTransformedSchema()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = ml.Data.LoadFromEnumerable(MLNetTestData.Linear(100, seed: 3));
        AdaptiveWidthRegressionTrainer trainer = Trainer(ml);

        SchemaShape promised = trainer.GetOutputSchema(MLNetAssert.ShapeOf(data.Schema));
        IDataView scored = trainer.Fit(data).Transform(data);

        MLNetAssert.SchemaMatches(promised, scored.Schema);
    }

    [TestMethod]
    public void AdaptiveWidthRegressionTrainer_CrossValidateTrainTestSplitAndPermutationFeatureImportance_Run()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = ml.Data.LoadFromEnumerable(MLNetTestData.Linear(300, seed: 4));

        var folds = ml.Regression.CrossValidate(data, Trainer(ml), numberOfFolds: 3);
        DataOperationsCatalog.TrainTestData split = ml.Data.TrainTestSplit(data, testFraction: 0.3, seed: 1);
        var model = Trainer(ml).Fit(split.TrainSet);
        var importance = ml.Regression.PermutationFeatureImportance(model, split.TestSet, permutationCount: 1);

        Assert.HasCount(3, folds);
        Assert.IsTrue(folds.All(f => f.Metrics.RSquared > 0.3), string.Join(", ", folds.Select(f => f.Metrics.RSquared)));
        Assert.HasCount(3, importance);
        // x0 has the largest coefficient (2), x2 the smallest (0.5): shuffling x0 must hurt most.
        Assert.IsGreaterThan(importance[2].RootMeanSquaredError.Mean, importance[0].RootMeanSquaredError.Mean);
    }

    [TestMethod]
    public void AdaptiveWidthRegressionTrainer_Truncate_KeepsTheMostImportantNeuronsOfEachLayer()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = ml.Data.LoadFromEnumerable(MLNetTestData.Linear(200, seed: 5));
        AdaptiveWidthRegressionModelParameters full = Trainer(ml).Fit(data).Model;

        AdaptiveWidthRegressionModelParameters half = full.Truncate(0.5);
        AdaptiveWidthRegressionModelParameters one = full.Truncate([1]);

        Assert.AreEqual((int)Math.Ceiling(full.LayerWidths[0] * 0.5), half.LayerWidths[0]);
        Assert.AreEqual(1, one.LayerWidths[0]);
        CollectionAssert.AreEqual(full.Importance(0)[..1].ToArray(), one.Importance(0).ToArray());
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => full.Truncate([full.LayerWidths[0] + 1]));
    }

    [TestMethod]
    public void AdaptiveWidthRegressionTrainer_TruncationBudget_ShrinksTheShippedModel()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = ml.Data.LoadFromEnumerable(MLNetTestData.Linear(200, seed: 6));
        AdaptiveWidthRegressionTrainer.Options options = MLNetTestData.Fast(new AdaptiveWidthRegressionTrainer.Options());
        AdaptiveWidthRegressionTrainer.Options capped = MLNetTestData.Fast(new AdaptiveWidthRegressionTrainer.Options());
        capped.TruncationBudget = 0.5;
        capped.MaxUnitsPerLayer = 3;

        int full = ml.Regression.Trainers.AdaptiveWidth(options).Fit(data).Model.LayerWidths[0];
        int kept = ml.Regression.Trainers.AdaptiveWidth(capped).Fit(data).Model.LayerWidths[0];

        Assert.AreEqual(Math.Min(3, (int)Math.Ceiling(full * 0.5)), kept);
    }
}
