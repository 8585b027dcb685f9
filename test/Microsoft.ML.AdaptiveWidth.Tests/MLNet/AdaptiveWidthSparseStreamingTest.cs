using System.Collections;
using Microsoft.ML.AdaptiveWidth.Inference;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.AdaptiveWidth;

namespace Microsoft.ML.AdaptiveWidth.Tests.MLNet;

/// <summary>
/// Wide sparse inputs at scale (issue 17): streamed once per epoch through a shuffle buffer of non-zeros (Streaming, and
/// Auto above InMemoryLimitMegabytes), compressed against validation rows scored sparsely, and continued from a trained
/// model with the first layer loaded into the sparse layer.
/// </summary>
[TestClass]
public sealed class AdaptiveWidthSparseStreamingTest
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

    /// <summary>The sparse tests' options (a first layer capped at 64 neurons), one network unless asked.</summary>
    private static AdaptiveWidthBinaryTrainer.Options Options(TrainingDataMode mode, int maxEpoch = 6, int ensemble = 1) => new()
    {
        NumberOfLayers = 2,
        MaxEpoch = maxEpoch,
        BatchSize = 64,
        Seed = 1,
        MaximumInputLayerWeights = 384_000,
        EnsembleSize = ensemble,
        DataMode = mode,
        ShuffleBufferRows = 256,
    };

    private static double Accuracy(MLContext ml, ITransformer model, IDataView data)
        => ml.BinaryClassification.Evaluate(model.Transform(data)).Accuracy;

    [TestMethod]
    public void AdaptiveWidthBinaryTrainer_FitStreaming_SparseRowsLearnReadOncePerEpochAndRepeatForASeed()
    {
        var ml = new MLContext(seed: 1);
        var rows = new CountingRows<SparseRow>(AdaptiveWidthSparseInputTest.Words(1500, seed: 1));
        IDataView train = ml.Data.LoadFromEnumerable(rows);
        IDataView test = ml.Data.LoadFromEnumerable(AdaptiveWidthSparseInputTest.Words(500, seed: 2));
        List<string> log = Messages(ml);
        AdaptiveWidthBinaryTrainer.Options options = Options(TrainingDataMode.Streaming);

        var model = ml.BinaryClassification.Trainers.AdaptiveWidth(options).Fit(train);

        int epochs = model.Model.SubModel.TrainingHistory.Count;
        // A scan of the training rows and one of the held-out rows, then per epoch a training and a validation pass, and
        // one more pass over the held-out rows for the temperature: the rows are never read into memory (that would be one
        // pass in all).
        Assert.AreEqual(2 + 2 * epochs + 1, rows.Passes);
        Assert.IsTrue(log.Any(m => m.Contains("shuffle buffer of 256 rows held as their non-zeros")), string.Join("\n", log.Where(m => m.Contains("tream"))));
        Assert.IsTrue(log.Any(m => m.StartsWith("Held out", StringComparison.Ordinal) && m.Contains("not stratified")));
        // Majority guessing gives about 0.5; the in-memory sparse test asks for 0.75 as well.
        double accuracy = Accuracy(ml, model, test);
        Assert.IsGreaterThan(0.75, accuracy, $"accuracy {accuracy}");
        Assert.AreEqual(SparseRow.Width, model.Model.SubModel.Network.InputCount);

        // The same seed trains the same network: the shuffle buffer's draws come from the trainer's generator.
        var again = new MLContext(seed: 1).BinaryClassification.Trainers.AdaptiveWidth(Options(TrainingDataMode.Streaming)).Fit(train);
        float[] expected = MLNetAssert.Floats(model.Transform(test), "Score");
        float[] actual = MLNetAssert.Floats(again.Transform(test), "Score");
        CollectionAssert.AreEqual(expected, actual, "equal seeds, equal scores");
    }

    [TestMethod]
    public void AdaptiveWidthBinaryTrainer_FitAuto_StreamsSparseRowsOnlyAboveTheInMemoryLimit()
    {
        var ml = new MLContext(seed: 1);
        // 9,000 rows of about 15 non-zeros: 9,000 × (15 × 8 + 16) bytes = 1.2 MB as sparse rows (dense: 216 MB).
        var rows = new CountingRows<SparseRow>(AdaptiveWidthSparseInputTest.Words(9000, seed: 3));
        IDataView train = ml.Data.LoadFromEnumerable(rows);
        AdaptiveWidthBinaryTrainer.Options options = Options(TrainingDataMode.Auto, maxEpoch: 1);
        options.BatchSize = 512;

        ml.BinaryClassification.Trainers.AdaptiveWidth(options).Fit(train);
        Assert.AreEqual(1, rows.Passes, "under the default 512 MB limit the sparse rows are read into memory once");
        rows.Passes = 0;

        options.InMemoryLimitMegabytes = 1;
        List<string> log = Messages(ml);
        ml.BinaryClassification.Trainers.AdaptiveWidth(options).Fit(train);
        // The in-memory read stops at the limit, then: two scans, a training and a validation pass for the one epoch, and
        // a pass over the held-out rows for the temperature.
        Assert.AreEqual(1 + 2 + 2 + 1, rows.Passes);
        Assert.IsTrue(log.Any(m => m.Contains("streaming them instead of reading them into memory") && m.Contains("'Features'")), "the switch is logged");
    }

    [TestMethod]
    [DataRow(TrainingDataMode.InMemory)]
    [DataRow(TrainingDataMode.Streaming)]
    public void AdaptiveWidthBinaryTrainer_FitWithCompressionTolerance_CompressesSparseRowsWithinTheTolerance(TrainingDataMode mode)
    {
        var ml = new MLContext(seed: 1);
        IDataView train = ml.Data.LoadFromEnumerable(AdaptiveWidthSparseInputTest.Words(1200, seed: 4));
        IDataView validation = ml.Data.LoadFromEnumerable(AdaptiveWidthSparseInputTest.Words(400, seed: 5));
        const double Tolerance = 2;
        AdaptiveWidthBinaryTrainer.Options Make(double? tolerance)
        {
            // Two members in memory, so the compressed model is an averaged ensemble as by default.
            AdaptiveWidthBinaryTrainer.Options o = Options(mode, maxEpoch: 5, ensemble: mode == TrainingDataMode.InMemory ? 2 : 1);
            o.CompressionTolerance = tolerance;
            return o;
        }

        var compressed = ml.BinaryClassification.Trainers.AdaptiveWidth(Make(Tolerance)).Fit(train, validation);
        // The same seed without compression: the network the search started from.
        var full = new MLContext(seed: 1).BinaryClassification.Trainers.AdaptiveWidth(Make(null)).Fit(train, validation);

        CompressionResult result = compressed.Model.SubModel.Compression!;
        Assert.IsNotNull(result);
        int[] fullWidths = full.Model.SubModel.Network.LayerWidths.ToArray();
        int[] widths = compressed.Model.SubModel.Network.LayerWidths.ToArray();
        CollectionAssert.AreEqual(fullWidths, result.Curve[0].Widths.ToArray(), "the search starts from the trained network");
        CollectionAssert.AreEqual(result.Widths.ToArray(), widths);
        for (int l = 0; l < widths.Length; l++)
        {
            Assert.IsLessThanOrEqualTo(fullWidths[l], widths[l], $"layer {l}");
        }
        Assert.IsGreaterThan(1, result.Evaluations, "the search measured candidates");
        // The metrics the search computed sparsely are the scorer's accuracies on the validation rows.
        Assert.AreEqual(100 * Accuracy(ml, full, validation), result.FullMetric, 1e-9);
        Assert.AreEqual(100 * Accuracy(ml, compressed, validation), result.Metric, 1e-9);
        Assert.IsGreaterThan(60, result.FullMetric, "a network that learned");
        Assert.IsLessThanOrEqualTo(Tolerance + 1e-9, result.FullMetric - result.Metric);
    }

    [TestMethod]
    public void AdaptiveWidthCompressionExtensions_Compress_MeasuresSparseRowsByAuc()
    {
        var ml = new MLContext(seed: 1);
        IDataView train = ml.Data.LoadFromEnumerable(AdaptiveWidthSparseInputTest.Words(800, seed: 14));
        IDataView validation = ml.Data.LoadFromEnumerable(AdaptiveWidthSparseInputTest.Words(300, seed: 15));
        var model = ml.BinaryClassification.Trainers.AdaptiveWidth(Options(TrainingDataMode.Auto, maxEpoch: 3)).Fit(train);

        var compressed = model.Compress(validation, tolerance: 1, metric: QualityMetric.AreaUnderRocCurve);

        // The search read the sparse rows sparsely and measured what ML.NET's evaluator measures.
        double auc = ml.BinaryClassification.Evaluate(model.Transform(validation)).AreaUnderRocCurve;
        Assert.AreEqual(100 * auc, compressed.Result.FullMetric, 1e-6);
        double compressedAuc = ml.BinaryClassification.Evaluate(compressed.Transformer.Transform(validation)).AreaUnderRocCurve;
        Assert.AreEqual(100 * compressedAuc, compressed.Result.Metric, 1e-6);
        Assert.IsLessThanOrEqualTo(1 + 1e-9, compressed.Result.FullMetric - compressed.Result.Metric);
        Assert.IsLessThanOrEqualTo(model.Model.SubModel.Network.MultiplyAdds, compressed.Transformer.Model.SubModel.Network.MultiplyAdds);
    }

    [TestMethod]
    [DataRow(TrainingDataMode.InMemory)]
    [DataRow(TrainingDataMode.Streaming)]
    public void AdaptiveWidthBinaryTrainer_FitFromSparseModel_StartsFromTheSameFunction(TrainingDataMode mode)
    {
        var ml = new MLContext(seed: 1);
        IDataView first = ml.Data.LoadFromEnumerable(AdaptiveWidthSparseInputTest.Words(600, seed: 6));
        IDataView second = ml.Data.LoadFromEnumerable(AdaptiveWidthSparseInputTest.Words(600, seed: 7));
        // An ensemble of four: the merged first layer is up to four members' neurons under one budget.
        AdaptiveWidthBinaryTrainer.Options options = Options(TrainingDataMode.Auto, maxEpoch: 4, ensemble: 4);
        var trained = ml.BinaryClassification.Trainers.AdaptiveWidth(options).Fit(first);

        // One epoch at a negligible learning rate: what comes back is the starting network.
        AdaptiveWidthBinaryTrainer.Options still = Options(mode, maxEpoch: 1);
        still.LearningRate = 1e-12;
        still.EarlyStoppingPatience = 0;
        var continued = ml.BinaryClassification.Trainers.AdaptiveWidth(still).Fit(second, trained.Model.SubModel);

        CollectionAssert.AreEqual(trained.Model.SubModel.Network.LayerWidths.ToArray(), continued.Model.SubModel.Network.LayerWidths.ToArray());
        float[] expected = MLNetAssert.Floats(trained.Transform(second), "Score");
        float[] actual = MLNetAssert.Floats(continued.Transform(second), "Score");
        Assert.IsTrue(expected.Distinct().Count() > 10, "the scores must vary for the comparison to mean something");
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.AreEqual(expected[i], actual[i], 1e-3 * (1 + Math.Abs(expected[i])), $"row {i}");
        }
    }

    [TestMethod]
    public void AdaptiveWidthBinaryTrainer_FitFromSparseModel_KeepsLearning()
    {
        var ml = new MLContext(seed: 1);
        IDataView first = ml.Data.LoadFromEnumerable(AdaptiveWidthSparseInputTest.Words(200, seed: 8));
        IDataView more = ml.Data.LoadFromEnumerable(AdaptiveWidthSparseInputTest.Words(1200, seed: 9));
        IDataView test = ml.Data.LoadFromEnumerable(AdaptiveWidthSparseInputTest.Words(500, seed: 10));
        AdaptiveWidthBinaryTrainer.Options brief = Options(TrainingDataMode.Auto, maxEpoch: 1);
        brief.LearningRate = 1e-5;
        var start = ml.BinaryClassification.Trainers.AdaptiveWidth(brief).Fit(first);

        var continued = ml.BinaryClassification.Trainers.AdaptiveWidth(Options(TrainingDataMode.Auto)).Fit(more, start.Model.SubModel);

        double before = Accuracy(ml, start, test);
        double after = Accuracy(ml, continued, test);
        Assert.IsLessThan(0.65, before, $"accuracy {before:F4} -> {after:F4}");
        Assert.IsGreaterThan(0.75, after, $"accuracy {before:F4} -> {after:F4}");
    }

    [TestMethod]
    public void AdaptiveWidthBinaryTrainer_FitFromSparseModelWiderThanTheBudget_NamesTheOption()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = ml.Data.LoadFromEnumerable(AdaptiveWidthSparseInputTest.Words(200, seed: 11));
        var trained = ml.BinaryClassification.Trainers.AdaptiveWidth(Options(TrainingDataMode.Auto, maxEpoch: 1)).Fit(data);
        int width = trained.Model.SubModel.Network.LayerWidths[0];
        AdaptiveWidthBinaryTrainer.Options smaller = Options(TrainingDataMode.Auto, maxEpoch: 1);
        smaller.MaximumInputLayerWeights = (long)(width - 1) * SparseRow.Width;

        ArgumentException e = Assert.ThrowsExactly<ArgumentException>(
            () => ml.BinaryClassification.Trainers.AdaptiveWidth(smaller).Fit(data, trained.Model.SubModel));

        StringAssert.Contains(e.Message, nameof(AdaptiveWidthOptionsBase.MaximumInputLayerWeights));
        StringAssert.Contains(e.Message, $"{width} first-layer neurons");
    }

    [TestMethod]
    [DataRow("empty")]
    [DataRow("one class")]
    [DataRow("no row left")]
    public void AdaptiveWidthBinaryTrainer_FitStreaming_BadSparseDataNamesTheProblem(string problem)
    {
        var ml = new MLContext(seed: 1);
        List<SparseRow> rows = problem switch
        {
            "empty" => [],
            "one class" => AdaptiveWidthSparseInputTest.Words(50, seed: 12).Select(r => { r.Label = true; return r; }).ToList(),
            _ => AdaptiveWidthSparseInputTest.Words(1, seed: 13),
        };
        AdaptiveWidthBinaryTrainer.Options options = Options(TrainingDataMode.Streaming);
        options.ValidationFraction = problem == "no row left" ? 0.99 : options.ValidationFraction;

        ArgumentException e = Assert.ThrowsExactly<ArgumentException>(
            () => ml.BinaryClassification.Trainers.AdaptiveWidth(options).Fit(ml.Data.LoadFromEnumerable(rows)));

        StringAssert.Contains(e.Message, problem switch
        {
            "empty" => "The training data is empty",
            "one class" => "'Label'",
            _ => nameof(AdaptiveWidthOptionsBase.ValidationFraction),
        });
    }
}
