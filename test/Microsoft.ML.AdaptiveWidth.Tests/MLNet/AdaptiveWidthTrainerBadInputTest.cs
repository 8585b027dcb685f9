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
    public void AdaptiveWidthBinaryTrainer_Fit_TooFewRowsForTheValidationSplitNamesTheOption()
    {
        var ml = new MLContext(seed: 1);
        List<BinaryRow> rows = MLNetTestData.Blobs(4, seed: 1);

        Exception error = Assert.Throws<Exception>(() => Binary(ml).Fit(ml.Data.LoadFromEnumerable(rows)));

        StringAssert.Contains(error.Message, nameof(AdaptiveWidthOptionsBase.ValidationFraction));
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
