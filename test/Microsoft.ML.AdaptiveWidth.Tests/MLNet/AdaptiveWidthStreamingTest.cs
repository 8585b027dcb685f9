using System.Collections;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;
using Microsoft.ML.Trainers.AdaptiveWidth;

namespace Microsoft.ML.AdaptiveWidth.Tests.MLNet;

/// <summary>
/// The trainers' streaming path: <see cref="TrainingDataMode.Streaming"/> reads the IDataView once per epoch (plus a
/// scan), Auto streams only above InMemoryLimitMegabytes, the hold-out is a stable per-row split, and the three tasks
/// reach the accuracy of the in-memory path.
/// </summary>
[TestClass]
public sealed class AdaptiveWidthStreamingTest
{
    /// <summary>Rows that count how often they are enumerated (one enumeration = one cursor pass).</summary>
    private sealed class CountingRows<T>(List<T> rows) : IEnumerable<T>
    {
        public int Passes { get; set; }

        public IEnumerator<T> GetEnumerator()
        {
            Passes++;
            return rows.GetEnumerator();
        }

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }

    private static List<string> Messages(MLContext ml)
    {
        var messages = new List<string>();
        ml.Log += (_, e) =>
        {
            lock (messages)
            {
                messages.Add(e.RawMessage);
            }
        };
        return messages;
    }

    [TestMethod]
    public void AdaptiveWidthBinaryTrainer_FitStreaming_ReadsOncePerEpochAndSeparatesBlobs()
    {
        var ml = new MLContext(seed: 1);
        var rows = new CountingRows<BinaryRow>(MLNetTestData.Blobs(2000, seed: 1));
        IDataView train = ml.Data.LoadFromEnumerable(rows);
        IDataView test = ml.Data.LoadFromEnumerable(MLNetTestData.Blobs(500, seed: 2));
        List<string> log = Messages(ml);
        var options = MLNetTestData.Fast(new AdaptiveWidthBinaryTrainer.Options { DataMode = TrainingDataMode.Streaming, ShuffleBufferRows = 300 });
        options.MaxEpoch = 6;
        options.EnsembleSize = 2;

        var model = ml.BinaryClassification.Trainers.AdaptiveWidth(options).Fit(train);

        // The members' epochs one after the other.
        int epochs = model.Model.SubModel.TrainingHistory.Count;
        // Per member, a scan of the training rows and one of its held-out rows, then per epoch a training pass and a
        // validation pass, and a last pass over its held-out rows for the temperature.
        Assert.AreEqual(2 * 2 + 2 * epochs + 2, rows.Passes);
        Assert.IsTrue(log.Any(m => m.Contains("Streaming") && m.Contains("shuffle buffer of 300 rows")), string.Join("\n", log.Where(m => m.Contains("tream"))));
        string[] heldOut = log.Where(m => m.StartsWith("Held out", StringComparison.Ordinal)).ToArray();
        Assert.HasCount(2, heldOut, "each member holds out its own rows");
        Assert.IsTrue(heldOut.All(h => h.Contains("not stratified", StringComparison.Ordinal)));
        Assert.AreNotEqual(heldOut[0], heldOut[1], "the members' hash draws differ (other rows, so other counts)");
        CalibratedBinaryClassificationMetrics metrics = ml.BinaryClassification.Evaluate(model.Transform(test));
        Assert.IsGreaterThan(0.95, metrics.Accuracy);
    }

    [TestMethod]
    public void AdaptiveWidthBinaryTrainer_FitStreamingWithValidationData_StreamsBothAndHoldsNothingOut()
    {
        var ml = new MLContext(seed: 1);
        var trainRows = new CountingRows<BinaryRow>(MLNetTestData.Blobs(1000, seed: 1));
        var validationRows = new CountingRows<BinaryRow>(MLNetTestData.Blobs(300, seed: 2));
        List<string> log = Messages(ml);
        var options = MLNetTestData.Fast(new AdaptiveWidthBinaryTrainer.Options { DataMode = TrainingDataMode.Streaming });
        options.MaxEpoch = 4;

        var model = ml.BinaryClassification.Trainers.AdaptiveWidth(options)
            .Fit(ml.Data.LoadFromEnumerable(trainRows), ml.Data.LoadFromEnumerable(validationRows));

        int epochs = model.Model.SubModel.TrainingHistory.Count;
        int members = options.EnsembleSize;
        Assert.AreEqual(members + epochs, trainRows.Passes, "per member a scan, then one pass per epoch");
        Assert.AreEqual(members + epochs + members, validationRows.Passes, "per member a scan, then one evaluation per epoch, then one for the temperature");
        Assert.IsFalse(log.Any(m => m.StartsWith("Held out", StringComparison.Ordinal)), "nothing is held out when validation data is given");
        Assert.IsTrue(log.Any(m => m.Contains("Streaming 1000 training rows")), "all 1,000 rows train");
    }

    [TestMethod]
    public void AdaptiveWidthBinaryTrainer_FitAuto_StreamsOnlyAboveTheInMemoryLimit()
    {
        var ml = new MLContext(seed: 1);
        // 70,000 rows × 4 features × 4 bytes = 1.07 MB.
        var rows = new CountingRows<BinaryRow>(MLNetTestData.Blobs(70_000, seed: 3));
        IDataView train = ml.Data.LoadFromEnumerable(rows);
        var options = MLNetTestData.Fast(new AdaptiveWidthBinaryTrainer.Options());
        options.MaxEpoch = 1;
        options.BatchSize = 512;
        options.EnsembleSize = 1;

        ml.BinaryClassification.Trainers.AdaptiveWidth(options).Fit(train);
        Assert.AreEqual(1, rows.Passes, "under the default 512 MB limit the rows are read into memory once");
        rows.Passes = 0;

        options.InMemoryLimitMegabytes = 1;
        List<string> log = Messages(ml);
        ml.BinaryClassification.Trainers.AdaptiveWidth(options).Fit(train);
        // The in-memory read stops at the limit, then: two scans, two passes for the one epoch and one over the held-out
        // rows for the temperature.
        Assert.AreEqual(1 + 2 + 2 + 1, rows.Passes);
        Assert.IsTrue(log.Any(m => m.Contains("streaming it instead of reading it into memory")), "the switch is logged");
    }

    [TestMethod]
    public void AdaptiveWidthBinaryTrainer_FitAuto_CountsTheQuantileCodesInTheInMemoryLimit()
    {
        var ml = new MLContext(seed: 1);
        // 20,000 rows × 4 features × 4 bytes = 0.31 MB; with the up to 8 codes a feature the model would add, 2.7 MB.
        var rows = new CountingRows<BinaryRow>(MLNetTestData.Blobs(20_000, seed: 3));
        IDataView train = ml.Data.LoadFromEnumerable(rows);
        var options = MLNetTestData.Fast(new AdaptiveWidthBinaryTrainer.Options { InMemoryLimitMegabytes = 1, QuantileCodes = false });
        options.MaxEpoch = 1;
        options.BatchSize = 512;
        options.EnsembleSize = 1;
        List<string> log = Messages(ml);

        var plain = ml.BinaryClassification.Trainers.AdaptiveWidth(options).Fit(train);
        Assert.AreEqual(1, rows.Passes, "without codes the raw features fit under 1 MB and are read into memory once");
        Assert.IsNull(plain.Model.SubModel.Network.Codes);
        rows.Passes = 0;

        options.QuantileCodes = true;
        var coded = ml.BinaryClassification.Trainers.AdaptiveWidth(options).Fit(train);
        Assert.AreEqual(1 + 2 + 2 + 1, rows.Passes, "with codes the rows would take 2.7 MB: the in-memory read stops at the limit, then they stream");
        Assert.IsTrue(log.Any(m => m.Contains("streaming it instead of reading it into memory") && m.Contains("quantile codes")), "the switch and its reason are logged");
        Assert.IsNull(coded.Model.SubModel.Network.Codes, "streamed rows get no codes");

        options.QuantileCodeBins = 1;
        rows.Passes = 0;
        var oneBin = ml.BinaryClassification.Trainers.AdaptiveWidth(options).Fit(train);
        Assert.AreEqual(1, rows.Passes, "one code a feature (0.61 MB) fits: read into memory once");
        Assert.AreEqual(4, oneBin.Model.SubModel.Network.Codes!.CodeCount);
    }

    [TestMethod]
    public void AdaptiveWidthBinaryTrainer_ContinueACodedModelOverTheLimit_ThrowsNamingBothWays()
    {
        var ml = new MLContext(seed: 1);
        var options = MLNetTestData.Fast(new AdaptiveWidthBinaryTrainer.Options { QuantileCodeBins = 8 });
        options.MaxEpoch = 1;
        options.EnsembleSize = 1;
        var start = ml.BinaryClassification.Trainers.AdaptiveWidth(options).Fit(ml.Data.LoadFromEnumerable(MLNetTestData.Blobs(3000, seed: 1)));
        Assert.AreEqual(32, start.Model.SubModel.Network.Codes!.CodeCount, "8 codes for each of the 4 features");

        // 20,000 rows × (4 features + the model's 32 codes) × 4 bytes = 2.7 MB: over a 1 MB limit, though the raw features fit.
        options.InMemoryLimitMegabytes = 1;
        var error = Assert.Throws<ArgumentException>(() => ml.BinaryClassification.Trainers.AdaptiveWidth(options)
            .Fit(ml.Data.LoadFromEnumerable(MLNetTestData.Blobs(20_000, seed: 2)), start.Model.SubModel));

        Assert.AreEqual("modelParameters", error.ParamName);
        StringAssert.Contains(error.Message, "DataMode = InMemory");
        StringAssert.Contains(error.Message, "raise InMemoryLimitMegabytes");
    }

    [TestMethod]
    public void InMemoryColumns_CountsTheMostCodesTheModelCanGet()
    {
        var options = new AdaptiveWidthBinaryTrainer.Options();
        Assert.AreEqual(32 + 8 * 32, AdaptiveWidthTrainingDriver.InMemoryColumns(options, 32, initial: null), "8 automatic bins a feature");
        Assert.AreEqual(100 + 512, AdaptiveWidthTrainingDriver.InMemoryColumns(options, 100, initial: null), "at most 512 automatic codes");
        Assert.AreEqual(784 + 784, AdaptiveWidthTrainingDriver.InMemoryColumns(options, 784, initial: null), "one code a feature beyond 512");
        options.QuantileCodeBins = 3;
        Assert.AreEqual(10 + 30, AdaptiveWidthTrainingDriver.InMemoryColumns(options, 10, initial: null));
        options.QuantileCodes = false;
        Assert.AreEqual(10, AdaptiveWidthTrainingDriver.InMemoryColumns(options, 10, initial: null));
        // The automatic rule itself stays within the bound for any row count.
        foreach (int features in new[] { 1, 7, 64, 65, 300, 513, 2000 })
        {
            foreach (long rowCount in new long[] { 10, 300, 2048, 100_000 })
            {
                long codes = (long)features * AdaptiveWidthTrainingDriver.AutomaticCodeBins(rowCount, features);
                Assert.IsLessThanOrEqualTo(AdaptiveWidthTrainingDriver.InMemoryColumns(new AdaptiveWidthBinaryTrainer.Options(), features, null) - features, codes,
                    $"{features} features, {rowCount} rows");
            }
        }
    }

    [TestMethod]
    public void AdaptiveWidthTrainers_FitStreaming_ReachInMemoryQualityOnRegressionAndMulticlass()
    {
        var ml = new MLContext(seed: 1);
        IDataView train = ml.Data.LoadFromEnumerable(MLNetTestData.Linear(1500, seed: 1));
        IDataView test = ml.Data.LoadFromEnumerable(MLNetTestData.Linear(500, seed: 2));
        double Rmse(TrainingDataMode mode)
        {
            var options = MLNetTestData.Fast(new AdaptiveWidthRegressionTrainer.Options { DataMode = mode, ShuffleBufferRows = 200 });
            options.MaxEpoch = 30;
            return ml.Regression.Evaluate(ml.Regression.Trainers.AdaptiveWidth(options).Fit(train).Transform(test)).RootMeanSquaredError;
        }
        double inMemory = Rmse(TrainingDataMode.InMemory), streamed = Rmse(TrainingDataMode.Streaming);
        Assert.IsLessThan(0.25, streamed, $"streaming RMSE {streamed:F3}, in memory {inMemory:F3} (target σ ≈ 1.3)");
        Assert.IsLessThan(2 * inMemory + 0.05, streamed, $"streaming RMSE {streamed:F3}, in memory {inMemory:F3}");

        IDataView all = ml.Data.LoadFromEnumerable(MLNetTestData.Mixture(900, seed: 4));
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.Transforms.Concatenate("Features", "F1", "F2", "F3"))
            .Append(ml.MulticlassClassification.Trainers.AdaptiveWidth(MLNetTestData.Fast(new AdaptiveWidthMulticlassTrainer.Options
            {
                DataMode = TrainingDataMode.Streaming, ShuffleBufferRows = 100,
            })));
        var split = ml.Data.TrainTestSplit(all, 0.3, seed: 1);
        MulticlassClassificationMetrics metrics = ml.MulticlassClassification.Evaluate(pipeline.Fit(split.TrainSet).Transform(split.TestSet));
        Assert.IsGreaterThan(0.95, metrics.MicroAccuracy);
    }

    [TestMethod]
    public void AdaptiveWidthBinaryTrainer_FitStreaming_CompressesAgainstTheHeldOutRows()
    {
        var ml = new MLContext(seed: 1);
        IDataView train = ml.Data.LoadFromEnumerable(MLNetTestData.Blobs(1000, seed: 5));
        var options = MLNetTestData.Fast(new AdaptiveWidthBinaryTrainer.Options { DataMode = TrainingDataMode.Streaming, CompressionTolerance = 1 });

        AdaptiveWidthBinaryModelParameters model = ml.BinaryClassification.Trainers.AdaptiveWidth(options).Fit(train).Model.SubModel;

        Assert.IsNotNull(model.Compression);
        Assert.IsGreaterThanOrEqualTo(model.Compression.FullMetric - 1 - 1e-9, model.Compression.Metric, "at most 1 accuracy point lost");
        Assert.IsGreaterThan(1, model.Compression.Evaluations, "the search measured candidates on the validation rows");
    }

    [TestMethod]
    public void HoldOut_Keeps_SplitsEveryRowToExactlyOneSideNearTheFraction()
    {
        var validation = new DataViewReader.HoldOut(0.2, Seed: 7, Validation: true);
        var train = validation with { Validation = false };
        int held = 0;
        for (long row = 0; row < 100_000; row++)
        {
            Assert.AreNotEqual(validation.Keeps(row), train.Keeps(row), $"row {row}");
            held += validation.Keeps(row) ? 1 : 0;
        }
        Assert.AreEqual(20_000, held, 600);
        var other = new DataViewReader.HoldOut(0.2, Seed: 8, Validation: true);
        Assert.IsTrue(Enumerable.Range(0, 1000).Any(i => other.Keeps(i) != validation.Keeps(i)), "the seed changes the split");
    }

    [TestMethod]
    public void AdaptiveWidthBinaryTrainer_FitStreaming_BadDataGetsTheInMemoryMessages()
    {
        var ml = new MLContext(seed: 1);
        var options = MLNetTestData.Fast(new AdaptiveWidthBinaryTrainer.Options { DataMode = TrainingDataMode.Streaming });
        IDataView nan = ml.Data.LoadFromEnumerable(MLNetTestData.Blobs(50, seed: 1).Select(r => new BinaryRow { Label = r.Label, Features = [float.NaN, 0, 0, 0] }));
        var ex = Assert.ThrowsExactly<ArgumentException>(() => ml.BinaryClassification.Trainers.AdaptiveWidth(options).Fit(nan));
        StringAssert.Contains(ex.Message, "no usable row");
        StringAssert.Contains(ex.Message, "'Features'");

        IDataView single = ml.Data.LoadFromEnumerable(MLNetTestData.Blobs(50, seed: 1).Select(r => new BinaryRow { Label = true, Features = r.Features }));
        ex = Assert.ThrowsExactly<ArgumentException>(() => ml.BinaryClassification.Trainers.AdaptiveWidth(options).Fit(single));
        StringAssert.Contains(ex.Message, "single class");

        IDataView empty = ml.Data.LoadFromEnumerable(new List<BinaryRow>());
        ex = Assert.ThrowsExactly<ArgumentException>(() => ml.BinaryClassification.Trainers.AdaptiveWidth(options).Fit(empty));
        StringAssert.Contains(ex.Message, "empty");
    }

    [TestMethod]
    public void AdaptiveWidthOptions_Validate_NamesTheStreamingOptions()
    {
        var ml = new MLContext(seed: 1);
        var ex = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() =>
            ml.BinaryClassification.Trainers.AdaptiveWidth(new AdaptiveWidthBinaryTrainer.Options { ShuffleBufferRows = 0 }));
        StringAssert.Contains(ex.Message, "ShuffleBufferRows");
        ex = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() =>
            ml.BinaryClassification.Trainers.AdaptiveWidth(new AdaptiveWidthBinaryTrainer.Options { InMemoryLimitMegabytes = 0 }));
        StringAssert.Contains(ex.Message, "InMemoryLimitMegabytes");
        ex = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() =>
            ml.BinaryClassification.Trainers.AdaptiveWidth(new AdaptiveWidthBinaryTrainer.Options { DataMode = (TrainingDataMode)7 }));
        StringAssert.Contains(ex.Message, "DataMode");
    }
}
