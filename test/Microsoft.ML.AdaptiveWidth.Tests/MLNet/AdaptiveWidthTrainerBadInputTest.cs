using Microsoft.ML.Data;
using Microsoft.ML.Trainers.AdaptiveWidth;

namespace Microsoft.ML.AdaptiveWidth.Tests.MLNet;

[TestClass]
public sealed class AdaptiveWidthTrainerBadInputTest
{
    private static AdaptiveWidthBinaryTrainer Binary(MLContext ml, string features = "Features")
    {
        AdaptiveWidthBinaryTrainer.Options options = MLNetTestData.Fast(new AdaptiveWidthBinaryTrainer.Options());
        options.FeatureColumnName = features;
        return ml.BinaryClassification.Trainers.AdaptiveWidth(options);
    }

    [TestMethod]
    public void AdaptiveWidthBinaryTrainer_Fit_FeatureColumnOfUnknownSizeNamesTheColumn()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = ml.Data.LoadFromEnumerable(MLNetTestData.Blobs(50, seed: 1).Select(r => new VariableRow { Label = r.Label, Values = r.Features }));

        Exception error = Assert.Throws<Exception>(() => Binary(ml, "Values").Fit(data));

        StringAssert.Contains(error.Message, "'Values'");
    }

    [TestMethod]
    public void AdaptiveWidthBinaryTrainer_Fit_MissingFeatureColumnNamesTheColumn()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = ml.Data.LoadFromEnumerable(MLNetTestData.Blobs(50, seed: 1));

        Exception error = Assert.Throws<Exception>(() => Binary(ml, "NoSuchColumn").Fit(data));

        StringAssert.Contains(error.Message, "NoSuchColumn");
    }

    [TestMethod]
    public void AdaptiveWidthBinaryTrainer_GetOutputSchema_TextLabelNamesTheColumnAndTheTypes()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = ml.Data.LoadFromEnumerable(MLNetTestData.Blobs(50, seed: 1).Select(r => new TextLabelRow { Label = r.Label ? "yes" : "no", Features = r.Features }));

        Exception error = Assert.Throws<Exception>(() => Binary(ml).GetOutputSchema(MLNetAssert.ShapeOf(data.Schema)));

        StringAssert.Contains(error.Message, "'Label'");
        StringAssert.Contains(error.Message, "Boolean");
    }

    [TestMethod]
    public void AdaptiveWidthMulticlassTrainer_Fit_NonKeyLabelSaysToMapValueToKey()
    {
        var ml = new MLContext(seed: 1);
        IDataView all = ml.Data.LoadFromEnumerable(MLNetTestData.Mixture(60, seed: 1));
        IDataView data = ml.Transforms.Concatenate("Features", "F1", "F2", "F3").Fit(all).Transform(all);
        var trainer = ml.MulticlassClassification.Trainers.AdaptiveWidth(MLNetTestData.Fast(new AdaptiveWidthMulticlassTrainer.Options()));

        Exception error = Assert.Throws<Exception>(() => trainer.Fit(data));

        StringAssert.Contains(error.Message, "'Label'");
        StringAssert.Contains(error.Message, "MapValueToKey");
    }

    [TestMethod]
    public void AdaptiveWidthBinaryTrainer_Fit_EmptyDataSaysSo()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = ml.Data.LoadFromEnumerable(new List<BinaryRow>());

        Exception error = Assert.Throws<Exception>(() => Binary(ml).Fit(data));

        StringAssert.Contains(error.Message, "empty");
    }

    [TestMethod]
    public void AdaptiveWidthBinaryTrainer_Fit_AllRowsUnusableSaysWhy()
    {
        var ml = new MLContext(seed: 1);
        List<BinaryRow> rows = MLNetTestData.Blobs(10, seed: 1);
        rows.ForEach(r => r.Features[0] = float.NaN);

        Exception error = Assert.Throws<Exception>(() => Binary(ml).Fit(ml.Data.LoadFromEnumerable(rows)));

        StringAssert.Contains(error.Message, "no usable row");
    }

    [TestMethod]
    public void AdaptiveWidthBinaryTrainer_Fit_SingleClassNamesTheLabelColumn()
    {
        var ml = new MLContext(seed: 1);
        List<BinaryRow> rows = MLNetTestData.Blobs(40, seed: 1);
        rows.ForEach(r => r.Label = true);

        Exception error = Assert.Throws<Exception>(() => Binary(ml).Fit(ml.Data.LoadFromEnumerable(rows)));

        StringAssert.Contains(error.Message, "single class");
        StringAssert.Contains(error.Message, "'Label'");
    }

    [TestMethod]
    public void AdaptiveWidthBinaryTrainer_Fit_TooFewRowsForAHoldOutTrainsOnEveryRowForMaxEpochAndWarns()
    {
        // Two rows a class: 10% rounds to none held out. ML.NET's trainers train on tiny data, and so does this one, with
        // a warning that names the option, for MaxEpoch epochs (nothing to stop early on).
        var ml = new MLContext(seed: 1);
        List<BinaryRow> rows = MLNetTestData.Blobs(4, seed: 1);
        List<string> warnings = Warnings(ml);
        var epochs = new System.Collections.Concurrent.ConcurrentDictionary<int, int>();
        AdaptiveWidthBinaryTrainer.Options options = MLNetTestData.Fast(new AdaptiveWidthBinaryTrainer.Options());
        options.ProgressCallback = m => epochs.AddOrUpdate(m.Member, 1, (_, n) => n + 1);

        var model = ml.BinaryClassification.Trainers.AdaptiveWidth(options).Fit(ml.Data.LoadFromEnumerable(rows));

        Assert.HasCount(1, warnings, string.Join(" | ", warnings));
        StringAssert.Contains(warnings[0], nameof(AdaptiveWidthOptionsBase.ValidationFraction));
        StringAssert.Contains(warnings[0], "4 usable training rows");
        StringAssert.Contains(warnings[0], nameof(AdaptiveWidthOptionsBase.TemperatureScaling));
        CollectionAssert.AreEquivalent(Enumerable.Range(0, options.EnsembleSize).ToArray(), epochs.Keys.ToArray());
        Assert.IsTrue(epochs.Values.All(n => n == options.MaxEpoch), string.Join(", ", epochs.Values));
        float[] scores = ml.Data.CreateEnumerable<BinaryScore>(model.Transform(ml.Data.LoadFromEnumerable(rows)), reuseRowObject: false)
            .Select(r => r.Score).ToArray();
        Assert.IsTrue(scores.All(float.IsFinite), string.Join(", ", scores));
    }

    [TestMethod]
    public void AdaptiveWidthRegressionTrainer_Fit_TooFewRowsForAHoldOutStillTrains()
    {
        var ml = new MLContext(seed: 1);
        var rows = Enumerable.Range(0, 4).Select(i => new RegressionRow { Label = i, Features = [i, 1 - i, 0.5f * i] }).ToList();
        List<string> warnings = Warnings(ml);

        var model = ml.Regression.Trainers.AdaptiveWidth(MLNetTestData.Fast(new AdaptiveWidthRegressionTrainer.Options())).Fit(ml.Data.LoadFromEnumerable(rows));

        var metrics = ml.Regression.Evaluate(model.Transform(ml.Data.LoadFromEnumerable(rows)));
        Assert.IsTrue(double.IsFinite(metrics.RootMeanSquaredError), metrics.RootMeanSquaredError.ToString());
        // One warning, naming the option; a regressor fits no temperature, so the warning does not mention one.
        Assert.HasCount(1, warnings, string.Join(" | ", warnings));
        StringAssert.Contains(warnings[0], nameof(AdaptiveWidthOptionsBase.ValidationFraction));
        Assert.DoesNotContain(nameof(AdaptiveWidthOptionsBase.TemperatureScaling), warnings[0]);
    }

    [TestMethod]
    public void AdaptiveWidthBinaryTrainer_Fit_TooFewRowsForAHoldOutWithCompressionNamesBothOptions()
    {
        var ml = new MLContext(seed: 1);
        AdaptiveWidthBinaryTrainer.Options options = MLNetTestData.Fast(new AdaptiveWidthBinaryTrainer.Options());
        options.CompressionTolerance = 0.5;

        Exception error = Assert.Throws<Exception>(() =>
            ml.BinaryClassification.Trainers.AdaptiveWidth(options).Fit(ml.Data.LoadFromEnumerable(MLNetTestData.Blobs(4, seed: 1))));

        StringAssert.Contains(error.Message, nameof(AdaptiveWidthOptionsBase.ValidationFraction));
        StringAssert.Contains(error.Message, nameof(AdaptiveWidthOptionsBase.CompressionTolerance));
    }

    [TestMethod]
    public void AdaptiveWidthBinaryTrainer_Fit_CancelledTokenStopsTraining()
    {
        var ml = new MLContext(seed: 1);
        AdaptiveWidthBinaryTrainer.Options options = MLNetTestData.Fast(new AdaptiveWidthBinaryTrainer.Options());
        options.CancellationToken = new CancellationToken(canceled: true);

        Assert.Throws<OperationCanceledException>(() =>
            ml.BinaryClassification.Trainers.AdaptiveWidth(options).Fit(ml.Data.LoadFromEnumerable(MLNetTestData.Blobs(100, seed: 1))));
    }

    /// <summary>Every warning the context logs from now on.</summary>
    private static List<string> Warnings(MLContext ml)
    {
        var warnings = new List<string>();
        ml.Log += (_, e) =>
        {
            if (e.Kind == Microsoft.ML.Runtime.ChannelMessageKind.Warning)
            {
                lock (warnings)
                {
                    warnings.Add(e.Message);
                }
            }
        };
        return warnings;
    }

    private sealed class BinaryScore
    {
        public float Score { get; set; }
    }

    private sealed class RegressionRow
    {
        public float Label { get; set; }

        [VectorType(3)]
        public float[] Features { get; set; } = [];
    }

    private sealed class VariableRow
    {
        public bool Label { get; set; }

        public float[] Values { get; set; } = [];
    }

    private sealed class TextLabelRow
    {
        public string Label { get; set; } = "";

        [VectorType(4)]
        public float[] Features { get; set; } = [];
    }
}
