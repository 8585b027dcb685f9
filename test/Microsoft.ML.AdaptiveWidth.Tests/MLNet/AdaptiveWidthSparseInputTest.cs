using Microsoft.ML.AdaptiveWidth.Inference;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Microsoft.ML.Trainers.AdaptiveWidth;

namespace Microsoft.ML.AdaptiveWidth.Tests.MLNet;

/// <summary>A row of a wide sparse feature column, as FeaturizeText gives (issue 17's reduced sparse path).</summary>
public sealed class SparseRow
{
    public const int Width = 6000;

    public bool Label { get; set; }

    [VectorType(Width)]
    public VBuffer<float> Features { get; set; }
}

/// <summary>The same for the issue's real width, 553,889 slots.</summary>
public sealed class VeryWideRow
{
    public const int Width = 553_889;

    public bool Label { get; set; }

    [VectorType(Width)]
    public VBuffer<float> Features { get; set; }
}

/// <summary>
/// Wide sparse inputs (issue 17): read without densifying, trained through the sparse first layer, scored with sparse
/// dot products that equal dense scoring, and saved, truncated and exported to ONNX like any model.
/// </summary>
[TestClass]
public sealed class AdaptiveWidthSparseInputTest
{
    /// <summary>Float sums in another order (sparse axpy against dense dot products): agreement to this relative tolerance.</summary>
    private const double RelativeTolerance = 1e-4;

    /// <summary>
    /// Bag-of-words rows: 10 noise words drawn from 5,600 and 5 class words, each from the row's class vocabulary (200
    /// words) with probability 0.8 and from the other's otherwise, valued 1/√15 (L2-normalised counts, as FeaturizeText).
    /// </summary>
    internal static List<SparseRow> Words(int rows, int seed)
    {
        var random = new Random(seed);
        var list = new List<SparseRow>(rows);
        for (int r = 0; r < rows; r++)
        {
            bool label = random.Next(2) == 1;
            var words = new SortedSet<int>();
            while (words.Count < 10)
            {
                words.Add(400 + random.Next(SparseRow.Width - 400));
            }
            for (int i = 0; i < 5; i++)
            {
                bool own = random.NextDouble() < 0.8;
                words.Add((label == own ? 0 : 200) + random.Next(200));
            }
            float value = 1 / MathF.Sqrt(words.Count);
            list.Add(new SparseRow
            {
                Label = label,
                Features = new VBuffer<float>(SparseRow.Width, words.Count, Enumerable.Repeat(value, words.Count).ToArray(), words.ToArray()),
            });
        }
        return list;
    }

    private static AdaptiveWidthBinaryTrainer.Options Options(int maxEpoch = 12, long maximumInputLayerWeights = 384_000) => new()
    {
        NumberOfLayers = 2,
        MaxEpoch = maxEpoch,
        BatchSize = 64,
        Seed = 1,
        // 6,000 features × 64 = 384,000 weights at most: the first layer is capped at 64 neurons and starts there.
        MaximumInputLayerWeights = maximumInputLayerWeights,
    };

    [TestMethod]
    public void AdaptiveWidthBinaryTrainer_Fit_SparseRowsLearnWithCappedFirstLayer()
    {
        var ml = new MLContext(seed: 1);
        IDataView train = ml.Data.LoadFromEnumerable(Words(1500, seed: 1));
        IDataView test = ml.Data.LoadFromEnumerable(Words(500, seed: 2));

        var model = ml.BinaryClassification.Trainers.AdaptiveWidth(Options()).Fit(train);
        CalibratedBinaryClassificationMetrics metrics = ml.BinaryClassification.Evaluate(model.Transform(test));
        var sdca = ml.BinaryClassification.Evaluate(ml.BinaryClassification.Trainers.SdcaLogisticRegression().Fit(train).Transform(test));

        // The rule is learnable only from the 400 class words; majority guessing gives about 0.5, SDCA about 0.9 (this
        // small set lets the network memorise noise words quickly: docs/text.md).
        Assert.IsGreaterThan(0.75, metrics.Accuracy, $"accuracy {metrics.Accuracy}");
        Assert.IsGreaterThan(sdca.Accuracy - 0.1, metrics.Accuracy, $"accuracy {metrics.Accuracy}, SDCA {sdca.Accuracy}");
        AdaptiveWidthModel network = model.Model.SubModel.Network;
        Assert.AreEqual(SparseRow.Width, network.InputCount);
        Assert.IsLessThanOrEqualTo(64, network.LayerWidths[0], "the first layer's width cap is MaximumInputLayerWeights / features");
        // The default ensemble's eight members share that budget (8 neurons each at most), so the model's first layer
        // holds at most what one network's would.
        Assert.AreEqual(AdaptiveWidthOptionsBase.Defaults.EnsembleSize, network.BlockCount, "every member of the default ensemble");
        Assert.IsLessThanOrEqualTo(384_000L + 8L * 64, network.Layers[0].MultiplyAdds + network.Layers[0].Outputs);
        Assert.IsGreaterThan(64, network.LayerWidths[1] + 1, "later layers keep their own widths");
    }

    [TestMethod]
    public void AdaptiveWidthBinaryTrainer_Fit_WideInputTrainsAsManyMembersAsGetFourNeuronsEach()
    {
        var ml = new MLContext(seed: 1);
        IDataView train = ml.Data.LoadFromEnumerable(Words(400, seed: 1));
        // 54,000 weights over 6,000 features: 9 neurons in all, so two members of 4 (the default asks for eight).
        AdaptiveWidthBinaryTrainer.Options options = Options(maxEpoch: 3, maximumInputLayerWeights: 54_000);

        AdaptiveWidthModel network = ml.BinaryClassification.Trainers.AdaptiveWidth(options).Fit(train).Model.SubModel.Network;

        Assert.AreEqual(2, network.BlockCount);
        Assert.IsLessThanOrEqualTo(8, network.LayerWidths[0], "two members of at most 4 first-layer neurons");
    }

    [TestMethod]
    public void AdaptiveWidthModel_ScoreSparse_EqualsDenseScoreAndTheScorer()
    {
        var ml = new MLContext(seed: 1);
        List<SparseRow> rows = Words(300, seed: 3);
        IDataView data = ml.Data.LoadFromEnumerable(rows);
        var model = ml.BinaryClassification.Trainers.AdaptiveWidth(Options(maxEpoch: 3)).Fit(data);
        AdaptiveWidthModel network = model.Model.SubModel.Network;
        float[] scored = MLNetAssert.Floats(model.Transform(data), "Score");

        var dense = new float[SparseRow.Width];
        var expected = new float[1];
        var actual = new float[1];
        for (int r = 0; r < rows.Count; r++)
        {
            rows[r].Features.CopyTo(dense);
            network.Score(dense, expected);
            network.ScoreSparse(rows[r].Features.GetIndices(), rows[r].Features.GetValues(), actual);
            AssertClose(expected[0], actual[0], $"row {r}, ScoreSparse");
            AssertClose(expected[0], scored[r], $"row {r}, the ML.NET scorer");
        }
        Assert.IsTrue(rows.Select((_, r) => scored[r]).Distinct().Count() > 10, "the scores must vary for the comparison to mean something");
    }

    [TestMethod]
    public void AdaptiveWidthBinaryTrainer_SaveLoadTruncate_SparseModelScoresAsBefore()
    {
        var ml = new MLContext(seed: 1);
        List<SparseRow> rows = Words(300, seed: 4);
        IDataView data = ml.Data.LoadFromEnumerable(rows);
        var model = ml.BinaryClassification.Trainers.AdaptiveWidth(Options(maxEpoch: 3)).Fit(data);
        float[] before = MLNetAssert.Floats(model.Transform(data), "Score");

        using var stream = new MemoryStream();
        ml.Model.Save(model, data.Schema, stream);
        stream.Position = 0;
        ITransformer loaded = ml.Model.Load(stream, out _);
        float[] after = MLNetAssert.Floats(loaded.Transform(data), "Score");
        CollectionAssert.AreEqual(before, after, "save then load");

        AdaptiveWidthModel network = model.Model.SubModel.Network;
        int[] half = network.LayerWidths.Select(w => Math.Max(1, w / 2)).ToArray();
        AdaptiveWidthModel truncated = network.Truncate(half);
        var dense = new float[SparseRow.Width];
        var expected = new float[1];
        var actual = new float[1];
        for (int r = 0; r < rows.Count; r++)
        {
            rows[r].Features.CopyTo(dense);
            truncated.Score(dense, expected);
            truncated.ScoreSparse(rows[r].Features.GetIndices(), rows[r].Features.GetValues(), actual);
            AssertClose(expected[0], actual[0], $"row {r}, truncated to [{string.Join(", ", half)}]");
        }
    }

    [TestMethod]
    public void AdaptiveWidthBinaryTrainer_ConvertToOnnx_SparseModelScoresAsMLNet()
    {
        var ml = new MLContext(seed: 1);
        List<SparseRow> rows = Words(200, seed: 5);
        IDataView data = ml.Data.LoadFromEnumerable(rows);
        var model = ml.BinaryClassification.Trainers.AdaptiveWidth(Options(maxEpoch: 3)).Fit(data);
        float[] expected = MLNetAssert.Floats(model.Transform(data), "Score");

        byte[] bytes;
        using (var stream = new MemoryStream())
        {
            ml.Model.ConvertToOnnx(model, data, stream);
            bytes = stream.ToArray();
        }
        using var session = new InferenceSession(bytes);
        float[] features = rows.SelectMany(r => r.Features.DenseValues()).ToArray();
        var inputs = new List<NamedOnnxValue>();
        foreach (string name in session.InputMetadata.Keys)
        {
            inputs.Add(name == "Features"
                ? NamedOnnxValue.CreateFromTensor(name, new DenseTensor<float>(features, [rows.Count, SparseRow.Width]))
                : NamedOnnxValue.CreateFromTensor(name, new DenseTensor<bool>(rows.Select(r => r.Label).ToArray(), [rows.Count, 1])));
        }
        using IDisposableReadOnlyCollection<DisposableNamedOnnxValue> results = session.Run(inputs);
        float[] actual = results.Single(v => v.Name.StartsWith("Score", StringComparison.Ordinal)).AsTensor<float>().ToArray();
        Assert.HasCount(expected.Length, actual);
        for (int r = 0; r < expected.Length; r++)
        {
            AssertClose(expected[r], actual[r], $"row {r}, ONNX");
        }
    }

    [TestMethod]
    [DataRow(TrainingDataMode.Auto)]
    [DataRow(TrainingDataMode.Streaming)]
    public void AdaptiveWidthBinaryTrainer_Fit_TooWideForTheWeightLimitNamesColumnSizeAndOption(TrainingDataMode mode)
    {
        var ml = new MLContext(seed: 1);
        IDataView data = ml.Data.LoadFromEnumerable(VeryWide(20, seed: 6));
        var options = Options(maximumInputLayerWeights: 1_000_000);
        options.DataMode = mode;

        ArgumentException e = Assert.ThrowsExactly<ArgumentException>(() => ml.BinaryClassification.Trainers.AdaptiveWidth(options).Fit(data));

        StringAssert.Contains(e.Message, "'Features'");
        StringAssert.Contains(e.Message, "553,889");
        StringAssert.Contains(e.Message, nameof(AdaptiveWidthOptionsBase.MaximumInputLayerWeights));
    }

    [TestMethod]
    public void AdaptiveWidthBinaryTrainer_Fit_IssueWidthTrainsWithDefaultsWithoutOverflow()
    {
        // Issue 17: 553,889 inputs × the 4,607-neuron width cap passed int.MaxValue and training threw OverflowException.
        var ml = new MLContext(seed: 1);
        IDataView data = ml.Data.LoadFromEnumerable(VeryWide(200, seed: 7));
        var options = new AdaptiveWidthBinaryTrainer.Options { MaxEpoch = 2, Seed = 1 };

        var model = ml.BinaryClassification.Trainers.AdaptiveWidth(options).Fit(data);

        AdaptiveWidthModel network = model.Model.SubModel.Network;
        Assert.AreEqual(VeryWideRow.Width, network.InputCount);
        Assert.IsLessThanOrEqualTo((int)(TrainingDefaultsLimit / VeryWideRow.Width), network.LayerWidths[0]);
        float[] scores = MLNetAssert.Floats(model.Transform(data), "Score");
        Assert.IsTrue(scores.All(float.IsFinite));
    }

    private const long TrainingDefaultsLimit = AdaptiveWidthOptionsBase.Defaults.MaximumInputLayerWeights;

    private static List<VeryWideRow> VeryWide(int rows, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, rows).Select(r =>
        {
            bool label = r % 2 == 0;
            int[] indices = Enumerable.Range(0, 40).Select(_ => random.Next(VeryWideRow.Width)).Append(label ? 0 : 1).Distinct().Order().ToArray();
            return new VeryWideRow
            {
                Label = label,
                Features = new VBuffer<float>(VeryWideRow.Width, indices.Length, Enumerable.Repeat(0.15f, indices.Length).ToArray(), indices),
            };
        }).ToList();
    }

    private static void AssertClose(float expected, float actual, string what)
    {
        double bound = RelativeTolerance * Math.Max(1, Math.Abs(expected));
        if (!(Math.Abs(expected - actual) <= bound))
        {
            Assert.Fail($"{what}: {actual:R}, expected {expected:R}.");
        }
    }
}
