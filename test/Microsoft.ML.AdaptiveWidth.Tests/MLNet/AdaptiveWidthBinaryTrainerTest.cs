using Microsoft.ML.Calibrators;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.AdaptiveWidth;

namespace Microsoft.ML.AdaptiveWidth.Tests.MLNet;

[TestClass]
public sealed class AdaptiveWidthBinaryTrainerTest
{
    private static AdaptiveWidthBinaryTrainer Trainer(MLContext ml)
        => ml.BinaryClassification.Trainers.AdaptiveWidth(MLNetTestData.Fast(new AdaptiveWidthBinaryTrainer.Options()));

    [TestMethod]
    public void AdaptiveWidthBinaryTrainer_GetOutputSchema_EqualsTransformedSchema()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = ml.Data.LoadFromEnumerable(MLNetTestData.Blobs(200, seed: 1));
        AdaptiveWidthBinaryTrainer trainer = Trainer(ml);

        SchemaShape promised = trainer.GetOutputSchema(MLNetAssert.ShapeOf(data.Schema));
        IDataView scored = trainer.Fit(data).Transform(data);

        MLNetAssert.SchemaMatches(promised, scored.Schema);
        Assert.IsNotNull(scored.Schema.GetColumnOrNull("Probability"));
    }

    [TestMethod]
    public void AdaptiveWidthBinaryTrainer_Fit_SeparatesBlobsOnHeldOutData()
    {
        var ml = new MLContext(seed: 1);
        IDataView train = ml.Data.LoadFromEnumerable(MLNetTestData.Blobs(300, seed: 1));
        IDataView test = ml.Data.LoadFromEnumerable(MLNetTestData.Blobs(200, seed: 2));

        var model = Trainer(ml).Fit(train);
        CalibratedBinaryClassificationMetrics metrics = ml.BinaryClassification.Evaluate(model.Transform(test));

        Assert.IsGreaterThan(0.9, metrics.Accuracy);
        Assert.IsGreaterThan(0.95, metrics.AreaUnderRocCurve);
        AdaptiveWidthBinaryModelParameters parameters = model.Model.SubModel;
        Assert.AreEqual(4, parameters.FeatureCount);
        Assert.IsNotEmpty(parameters.TrainingHistory);
        Assert.HasCount(1, parameters.LayerWidths);
        Assert.AreEqual(parameters.LayerWidths[0], parameters.Importance(0).Length);
    }

    [TestMethod]
    public void AdaptiveWidthBinaryTrainer_Transform_ProbabilityIsSigmoidOfScore()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = ml.Data.LoadFromEnumerable(MLNetTestData.Blobs(200, seed: 3));
        IDataView scored = Trainer(ml).Fit(data).Transform(data);

        float[] score = MLNetAssert.Floats(scored, "Score");
        float[] probability = MLNetAssert.Floats(scored, "Probability");
        bool[] predicted = scored.GetColumn<bool>("PredictedLabel").ToArray();
        for (int i = 0; i < score.Length; i++)
        {
            Assert.AreEqual(1 / (1 + Math.Exp(-score[i])), probability[i], 1e-6, $"row {i}");
            Assert.AreEqual(score[i] > 0, predicted[i], $"row {i}");
        }
    }

    [TestMethod]
    public void AdaptiveWidthBinaryTrainer_CrossValidateAndTrainTestSplit_Run()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = ml.Data.LoadFromEnumerable(MLNetTestData.Blobs(300, seed: 4));

        var folds = ml.BinaryClassification.CrossValidate(data, Trainer(ml), numberOfFolds: 3);
        DataOperationsCatalog.TrainTestData split = ml.Data.TrainTestSplit(data, testFraction: 0.3, seed: 1);
        var metrics = ml.BinaryClassification.Evaluate(Trainer(ml).Fit(split.TrainSet).Transform(split.TestSet));

        Assert.HasCount(3, folds);
        Assert.IsTrue(folds.All(f => f.Metrics.Accuracy > 0.8), string.Join(", ", folds.Select(f => f.Metrics.Accuracy)));
        Assert.IsGreaterThan(0.8, metrics.Accuracy);
    }

    [TestMethod]
    public void AdaptiveWidthBinaryTrainer_PermutationFeatureImportance_GivesOneEntryPerFeature()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = ml.Data.LoadFromEnumerable(MLNetTestData.Blobs(200, seed: 5));
        var model = Trainer(ml).Fit(data);

        var importance = ml.BinaryClassification.PermutationFeatureImportance(model, data, permutationCount: 1);

        Assert.HasCount(4, importance);
        // Every feature carries signal: shuffling one must not clearly improve the AUC, and together they matter.
        string means = string.Join(", ", importance.Select(m => m.AreaUnderRocCurve.Mean));
        Assert.IsTrue(importance.All(m => m.AreaUnderRocCurve.Mean <= 0.01), means);
        Assert.IsLessThan(0, importance.Sum(m => m.AreaUnderRocCurve.Mean), means);
    }

    [TestMethod]
    public void AdaptiveWidthBinaryTrainer_PredictionEngine_EqualsBatchTransform()
    {
        var ml = new MLContext(seed: 1);
        List<BinaryRow> rows = MLNetTestData.Blobs(100, seed: 6);
        IDataView data = ml.Data.LoadFromEnumerable(rows);
        var model = Trainer(ml).Fit(data);
        float[] batch = MLNetAssert.Floats(model.Transform(data), "Score");

        using var engine = ml.Model.CreatePredictionEngine<BinaryRow, BinaryPrediction>(model);
        float[] single = rows.Select(r => engine.Predict(r).Score).ToArray();

        MLNetAssert.BitIdentical(batch, single, "Score");
    }

    [TestMethod]
    public void AdaptiveWidthBinaryTrainer_FitWithValidationData_TrainsAndLogsEpochs()
    {
        var ml = new MLContext(seed: 1);
        var log = new List<string>();
        ml.Log += (_, e) => { lock (log) { log.Add(e.Message); } };
        IDataView train = ml.Data.LoadFromEnumerable(MLNetTestData.Blobs(200, seed: 7));
        IDataView validation = ml.Data.LoadFromEnumerable(MLNetTestData.Blobs(100, seed: 8));

        var model = Trainer(ml).Fit(train, validation);

        Assert.IsNotEmpty(model.Model.SubModel.TrainingHistory);
        Assert.IsTrue(log.Any(m => m.Contains("Epoch 1:", StringComparison.Ordinal)), "the first epoch is logged");
        Assert.IsFalse(log.Any(m => m.Contains("Held out", StringComparison.Ordinal)), "no hold-out when validation data is given");
    }

    [TestMethod]
    public void AdaptiveWidthBinaryTrainer_Fit_SkipsRowsWithNaNFeaturesAndLogsTheCount()
    {
        var ml = new MLContext(seed: 1);
        var log = new List<string>();
        ml.Log += (_, e) => { lock (log) { log.Add(e.Message); } };
        List<BinaryRow> rows = MLNetTestData.Blobs(200, seed: 9);
        rows[3].Features[1] = float.NaN;
        rows[7].Features[0] = float.PositiveInfinity;

        Trainer(ml).Fit(ml.Data.LoadFromEnumerable(rows));

        Assert.IsTrue(log.Any(m => m.Contains("Skipped 2 of 200 training rows", StringComparison.Ordinal)), string.Join("\n", log.Where(m => m.Contains("Skipped"))));
    }

    [TestMethod]
    public void AdaptiveWidthBinaryTrainer_Fit_AcceptsSingleLabels()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = ml.Data.LoadFromEnumerable(MLNetTestData.Blobs(200, seed: 10));
        IDataView singleLabels = ml.Transforms.Conversion.ConvertType("Label", outputKind: DataKind.Single).Fit(data).Transform(data);

        var model = Trainer(ml).Fit(singleLabels);

        Assert.IsGreaterThan(0.9, ml.BinaryClassification.Evaluate(model.Transform(data)).Accuracy);
    }

    private sealed class BinaryPrediction
    {
        public float Score { get; set; }

        public float Probability { get; set; }

        public bool PredictedLabel { get; set; }
    }
}
