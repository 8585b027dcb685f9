using Microsoft.ML.AdaptiveWidth.Inference;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.AdaptiveWidth;

namespace Microsoft.ML.AdaptiveWidth.Tests.MLNet;

/// <summary>The <c>QuantileCodes</c> option (docs/method.md §5.13) through the ML.NET trainers.</summary>
[TestClass]
public sealed class AdaptiveWidthQuantileCodesTest
{
    private sealed class Row
    {
        public bool Label { get; set; }

        [VectorType(4)]
        public float[] Features { get; set; } = [];
    }

    /// <summary>A skewed feature whose rank carries the label, a one-hot feature, a constant and a noise feature.</summary>
    private static List<Row> Rows(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ =>
        {
            double u = random.NextDouble();
            float skewed = (float)Math.Exp(8 * u);
            return new Row { Label = u > 0.5 ^ random.NextDouble() < 0.05, Features = [skewed, random.Next(2), 3f, (float)random.NextDouble()] };
        }).ToList();
    }

    private static AdaptiveWidthBinaryTrainer.Options Options()
    {
        AdaptiveWidthBinaryTrainer.Options options = MLNetTestData.Fast(new AdaptiveWidthBinaryTrainer.Options());
        options.QuantileCodes = true;
        options.MaxEpoch = 20;
        return options;
    }

    [TestMethod]
    public void QuantileCodes_CodeTheNumericFeatures_AndSaveLoadAndExplainWithTheModel()
    {
        var ml = new MLContext(seed: 1);
        IDataView train = ml.Data.LoadFromEnumerable(Rows(400, seed: 1));
        IDataView test = ml.Data.LoadFromEnumerable(Rows(300, seed: 2));
        var model = ml.BinaryClassification.Trainers.AdaptiveWidth(Options()).Fit(train);
        InputCodes codes = model.Model.SubModel.Network.Codes!;

        CollectionAssert.AreEqual(new[] { 0, 3 }, codes.Features.ToArray(), "the one-hot and the constant feature are not coded");
        Assert.AreEqual(4, model.Model.SubModel.FeatureCount);
        Assert.IsGreaterThan(0.85, ml.BinaryClassification.Evaluate(model.Transform(test)).Accuracy);

        using var stream = new MemoryStream();
        ml.Model.Save(model, train.Schema, stream);
        stream.Position = 0;
        ITransformer loaded = ml.Model.Load(stream, out _);
        CollectionAssert.AreEqual(MLNetAssert.Floats(model.Transform(test), "Score"), MLNetAssert.Floats(loaded.Transform(test), "Score"));

        // Feature contributions go through the codes to the four features.
        var contributions = ml.Transforms.CalculateFeatureContribution(model, normalize: false).Fit(test).Transform(test);
        float[][] values = MLNetAssert.Vectors(contributions, "FeatureContributions");
        Assert.IsTrue(values.All(v => v.Length == 4 && v.All(float.IsFinite)));
        Assert.IsGreaterThan(values.Average(v => Math.Abs(v[3])), values.Average(v => Math.Abs(v[0])), "the informative feature contributes most");
    }

    [TestMethod]
    public void QuantileCodes_DoNotDependOnAMinMaxNormalizer()
    {
        var ml = new MLContext(seed: 1);
        IDataView train = ml.Data.LoadFromEnumerable(Rows(300, seed: 3));
        var raw = ml.BinaryClassification.Trainers.AdaptiveWidth(Options()).Fit(train);
        var normalized = ml.Transforms.NormalizeMinMax("Features").Fit(train);
        var behind = ml.BinaryClassification.Trainers.AdaptiveWidth(Options()).Fit(normalized.Transform(train));

        // The knots move with the normalizer: the codes of a row are the same on both sides.
        InputCodes a = raw.Model.SubModel.Network.Codes!, b = behind.Model.SubModel.Network.Codes!;
        float[][] rawRows = Rows(50, seed: 4).Select(r => r.Features).ToArray();
        float[][] normalizedRows = MLNetAssert.Vectors(normalized.Transform(ml.Data.LoadFromEnumerable(Rows(50, seed: 4))), "Features");
        for (int i = 0; i < rawRows.Length; i++)
        {
            Assert.AreEqual(a.Code(0, rawRows[i][0]), b.Code(0, normalizedRows[i][0]), 1e-4f, $"row {i}");
        }
    }

    [TestMethod]
    public void QuantileCodeBins_Automatic_GivesOneBinPer256TrainingRows_UpToEight_AndAGivenCountIsKept()
    {
        Assert.AreEqual(1, AdaptiveWidthTrainingDriver.AutomaticCodeBins(100, 4));
        Assert.AreEqual(1, AdaptiveWidthTrainingDriver.AutomaticCodeBins(511, 4));
        Assert.AreEqual(3, AdaptiveWidthTrainingDriver.AutomaticCodeBins(800, 4));
        Assert.AreEqual(8, AdaptiveWidthTrainingDriver.AutomaticCodeBins(2048, 4));
        Assert.AreEqual(8, AdaptiveWidthTrainingDriver.AutomaticCodeBins(10_000_000, 64));
        Assert.AreEqual(5, AdaptiveWidthTrainingDriver.AutomaticCodeBins(10_000_000, 100), "at most 512 codes in all");
        Assert.AreEqual(1, AdaptiveWidthTrainingDriver.AutomaticCodeBins(20_000, 784), "pixels keep one code each");

        var ml = new MLContext(seed: 1);
        IDataView train = ml.Data.LoadFromEnumerable(Rows(800, seed: 7));
        IDataView test = ml.Data.LoadFromEnumerable(Rows(300, seed: 8));
        Assert.AreEqual(0, new AdaptiveWidthBinaryTrainer.Options().QuantileCodeBins, "automatic by default");
        var automatic = ml.BinaryClassification.Trainers.AdaptiveWidth(Options()).Fit(train);
        InputCodes codes = automatic.Model.SubModel.Network.Codes!;
        Assert.AreEqual(3, codes.Bins, "800 training rows (the validation rows included)");
        Assert.AreEqual(2 * 3, codes.CodeCount, "two coded features of three bins");
        Assert.IsGreaterThan(0.85, ml.BinaryClassification.Evaluate(automatic.Transform(test)).Accuracy);

        AdaptiveWidthBinaryTrainer.Options five = Options();
        five.QuantileCodeBins = 5;
        var given = ml.BinaryClassification.Trainers.AdaptiveWidth(five).Fit(train);
        Assert.AreEqual(5, given.Model.SubModel.Network.Codes!.Bins);

        // Saved as format version 3 and loaded in the same scores; contributions go through the bins to the features.
        using var stream = new MemoryStream();
        ml.Model.Save(given, train.Schema, stream);
        stream.Position = 0;
        ITransformer loaded = ml.Model.Load(stream, out _);
        CollectionAssert.AreEqual(MLNetAssert.Floats(given.Transform(test), "Score"), MLNetAssert.Floats(loaded.Transform(test), "Score"));
        float[][] values = MLNetAssert.Vectors(ml.Transforms.CalculateFeatureContribution(given, normalize: false).Fit(test).Transform(test), "FeatureContributions");
        Assert.IsGreaterThan(values.Average(v => Math.Abs(v[3])), values.Average(v => Math.Abs(v[0])), "the informative feature contributes most");
    }

    [TestMethod]
    [DataRow(1)]
    [DataRow(4)]
    public void QuantileCodes_ContinuedTraining_KeepsTheModelsCodes_AndItsFunction(int bins)
    {
        var ml = new MLContext(seed: 1);
        IDataView train = ml.Data.LoadFromEnumerable(Rows(300, seed: 5));
        IDataView more = ml.Data.LoadFromEnumerable(Rows(300, seed: 6));
        AdaptiveWidthBinaryTrainer.Options options = Options();
        options.QuantileCodeBins = bins;
        var first = ml.BinaryClassification.Trainers.AdaptiveWidth(options).Fit(train);
        Assert.AreEqual(bins, first.Model.SubModel.Network.Codes!.Bins);
        AdaptiveWidthBinaryTrainer.Options again = Options();
        again.QuantileCodes = false; // the model's own codes are kept whatever the option says
        again.LearningRate = 1e-12;
        again.MaxEpoch = 1;
        again.EnsembleSize = 1;
        var continued = ml.BinaryClassification.Trainers.AdaptiveWidth(again).Fit(more, first.Model.SubModel);

        Assert.IsTrue(first.Model.SubModel.Network.Codes!.SameAs(continued.Model.SubModel.Network.Codes));
        float[] before = MLNetAssert.Floats(first.Transform(more), "Score");
        float[] after = MLNetAssert.Floats(continued.Transform(more), "Score");
        for (int i = 0; i < before.Length; i++)
        {
            Assert.AreEqual(before[i], after[i], 1e-3 * (1 + Math.Abs(before[i])), $"row {i}");
        }
    }

    [TestMethod]
    public void QuantileCodes_RowsThatWouldOutgrowOneArray_GetFewerBinsOrNoCodes_WithAWarning()
    {
        var ml = new MLContext(seed: 1);
        var messages = new List<string>();
        ml.Log += (_, e) =>
        {
            lock (messages)
            {
                messages.Add(e.RawMessage);
            }
        };
        IDataView data = ml.Data.LoadFromEnumerable(Rows(1000, seed: 1));
        AdaptiveWidthBinaryTrainer.Options options = Options();
        options.MaxEpoch = 2;
        options.QuantileCodeBins = 8;
        // Two coded features: 1,000 rows × (4 features + 2 × 8 codes) = 20,000 values; 10,000 fit 3 bins (4 + 6 columns).
        options.MaximumArrayValues = 10_000;

        InputCodes codes = ml.BinaryClassification.Trainers.AdaptiveWidth(options).Fit(data).Model.SubModel.Network.Codes!;

        Assert.AreEqual(2, codes.CodedFeatureCount);
        Assert.AreEqual(3, codes.Bins);
        Assert.IsTrue(messages.Any(m => m.Contains("get 3 bins a feature instead of 8", StringComparison.Ordinal)), string.Join("\n", messages));

        // One bin a feature needs 1,000 × 6 values: with room for 5,000 the model trains without codes.
        options.MaximumArrayValues = 5_000;
        var plain = ml.BinaryClassification.Trainers.AdaptiveWidth(options).Fit(data);

        Assert.IsNull(plain.Model.SubModel.Network.Codes);
        Assert.IsTrue(messages.Any(m => m.StartsWith("No quantile codes: 1000 rows", StringComparison.Ordinal)), string.Join("\n", messages));
        Assert.IsTrue(double.IsFinite(ml.BinaryClassification.Evaluate(plain.Transform(data)).LogLoss), "it trains and scores");
    }

    [TestMethod]
    public void QuantileCodes_ContinuingACodedModelOnRowsThatOutgrowOneArray_ThrowsNamingTheModel()
    {
        var ml = new MLContext(seed: 1);
        AdaptiveWidthBinaryTrainer.Options options = Options();
        options.MaxEpoch = 2;
        options.QuantileCodeBins = 8;
        var start = ml.BinaryClassification.Trainers.AdaptiveWidth(options).Fit(ml.Data.LoadFromEnumerable(Rows(300, seed: 1)));
        Assert.AreEqual(16, start.Model.SubModel.Network.Codes!.CodeCount);

        // 1,000 rows × (4 features + the model's 16 codes) = 20,000 values.
        options.MaximumArrayValues = 19_999;
        var error = Assert.Throws<ArgumentException>(() => ml.BinaryClassification.Trainers.AdaptiveWidth(options)
            .Fit(ml.Data.LoadFromEnumerable(Rows(1000, seed: 2)), start.Model.SubModel));

        Assert.AreEqual("modelParameters", error.ParamName);
        StringAssert.Contains(error.Message, "1000 rows × (4 features + 16 codes)");
        options.MaximumArrayValues = 20_000;
        Assert.IsNotNull(ml.BinaryClassification.Trainers.AdaptiveWidth(options)
            .Fit(ml.Data.LoadFromEnumerable(Rows(1000, seed: 2)), start.Model.SubModel).Model.SubModel.Network.Codes, "at the limit it fits");
    }
}
