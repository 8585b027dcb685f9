using Microsoft.ML.AdaptiveWidth.Datasets;
using Microsoft.ML.AdaptiveWidth.Training;
using static TorchSharp.torch;

namespace Microsoft.ML.AdaptiveWidth.Tests.Training;

/// <summary>
/// Streaming training in the core: the scan's statistics, the shuffle buffer (every row exactly once per pass, in an
/// order that depends on the buffer), accuracy and determinism against the in-memory path, and a source that changes.
/// </summary>
[TestClass]
public sealed class StreamingTrainingTest
{
    /// <summary>Rows from arrays, read in blocks of at most <paramref name="block"/> rows; counts its passes.</summary>
    internal sealed class ArrayRowSource(float[] features, int featureCount, float[] labels, float[]? weights = null, int block = 37) : ITrainingRowSource
    {
        private readonly float[] _features = features;
        private readonly float[] _labels = labels;
        private readonly float[]? _weights = weights;
        private readonly int _block = block;

        public int FeatureCount { get; } = featureCount;

        public int Passes { get; private set; }

        /// <summary>Rows dropped from the end from the given pass on (to model data that changes between passes).</summary>
        public (int FromPass, int Rows)? Shrink { get; set; }

        public ITrainingRowReader OpenReader() => new Reader(this, ++Passes);

        private sealed class Reader(ArrayRowSource owner, int pass) : ITrainingRowReader
        {
            private int _next;

            public int ReadRows(Span<float> x, Span<float> y, Span<float> w)
            {
                int f = owner.FeatureCount;
                int total = owner._labels.Length - (owner.Shrink is { } s && pass >= s.FromPass ? s.Rows : 0);
                int n = Math.Min(Math.Min(owner._block, y.Length), total - _next);
                owner._features.AsSpan(_next * f, n * f).CopyTo(x);
                owner._labels.AsSpan(_next, n).CopyTo(y);
                owner._weights?.AsSpan(_next, n).CopyTo(w);
                _next += n;
                return n;
            }

            public void Dispose()
            {
            }
        }
    }

    [TestMethod]
    public void StreamingTrainingData_Scan_CountsRowsAndComputesLabelStatistics()
    {
        float[] labels = [1, 2, 2, 5, 7];
        var source = new ArrayRowSource(new float[10], 2, labels, [1, 1, 2, 1, 1], block: 2);

        StreamingTrainingData scanned = StreamingTrainingData.Scan(source);

        Assert.AreEqual(5, scanned.RowCount);
        Assert.AreEqual(labels.Average(v => (double)v), scanned.LabelMean, 1e-12);
        Assert.AreEqual(labels.Average(v => (v - 3.4) * (v - 3.4)), scanned.LabelVariance, 1e-9);
        Assert.AreEqual(1.2, scanned.WeightMean, 1e-12);
        Assert.IsTrue(scanned.HasWeights);
        CollectionAssert.AreEqual(new float[] { 1, 2, 5, 7 }, scanned.DistinctLabels!.ToArray());
        Assert.AreEqual(1, source.Passes);
    }

    [TestMethod]
    public void StreamingTrainingData_Scan_RejectsNonFiniteFeatureWithRowAndEmptySource()
    {
        var features = new float[] { 0, 0, 0, float.NaN };
        var ex = Assert.ThrowsExactly<ArgumentException>(() => StreamingTrainingData.Scan(new ArrayRowSource(features, 2, [0, 1])));
        StringAssert.Contains(ex.Message, "Feature 1 of row 1");
        ex = Assert.ThrowsExactly<ArgumentException>(() => StreamingTrainingData.Scan(new ArrayRowSource([], 2, [])));
        StringAssert.Contains(ex.Message, "empty");
    }

    /// <summary>Row i has feature value i; returns the feature values in the order one shuffled pass delivers them.</summary>
    private static float[] OnePass(int rows, int bufferRows, int batchSize, int seed)
    {
        TorchRuntime.Initialize(1);
        float[] values = Enumerable.Range(0, rows).Select(i => (float)i).ToArray();
        StreamingTrainingData data = StreamingTrainingData.Scan(new ArrayRowSource(values, 1, values.Select(v => v % 2).ToArray()));
        using var source = new StreamingBatchSource(data, NetworkTask.BinaryClassification, 0, 1, bufferRows, InputStandardization.Identity(1));
        using var generator = new Generator((ulong)seed);
        using var scope = NewDisposeScope();
        var order = new List<float>();
        using BatchPass pass = source.StartPass(batchSize, generator);
        while (pass.MoveNext())
        {
            Batch batch = pass.Current();
            Assert.IsLessThanOrEqualTo(batchSize, batch.Length);
            float[] x = batch.Features!.data<float>().ToArray();
            float[] y = batch.Labels.data<float>().ToArray();
            for (int i = 0; i < batch.Length; i++)
            {
                Assert.AreEqual(x[i] % 2, y[i], "a row's label travels with its features");
            }
            order.AddRange(x);
        }
        return order.ToArray();
    }

    [TestMethod]
    public void StreamingBatchSource_Pass_DeliversEveryRowOnceShuffledWithinTheBuffer()
    {
        float[] order = OnePass(rows: 1000, bufferRows: 50, batchSize: 32, seed: 1);

        CollectionAssert.AreEquivalent(Enumerable.Range(0, 1000).Select(i => (float)i).ToArray(), order);
        Assert.IsTrue(order.Take(100).Zip(Enumerable.Range(0, 100)).Count(p => p.First != p.Second) > 50, "the order is shuffled");
        // Row r can only leave the buffer once it has been read, by which time r − 50 rows have left: it moves at most
        // 50 positions earlier (it may move arbitrarily later).
        for (int position = 0; position < order.Length; position++)
        {
            Assert.IsLessThanOrEqualTo(position + 50, (int)order[position], $"row {order[position]} at {position}");
        }
        CollectionAssert.AreNotEqual(order, OnePass(1000, 50, 32, seed: 2), "another seed, another order");
        CollectionAssert.AreEqual(order, OnePass(1000, 50, 32, seed: 1), "the same seed, the same order");
    }

    [TestMethod]
    public void StreamingBatchSource_Pass_BufferOfOneKeepsOrderAndFullBufferShufflesGlobally()
    {
        CollectionAssert.AreEqual(Enumerable.Range(0, 200).Select(i => (float)i).ToArray(), OnePass(200, 1, 16, seed: 1));
        float[] full = OnePass(200, 200, 16, seed: 1);
        // With the whole set in the buffer the first batch draws from all of it.
        Assert.IsTrue(full.Take(16).Any(v => v >= 100), string.Join(",", full.Take(16)));
    }

    private static (TrainingData Train, TrainingData Validation, Dataset Test) Moons()
    {
        var (train, validation, test) = Splits.PaperSplit(PaperDatasets.DoubleMoon());
        return (new TrainingData(train.Features, 2, train.Labels), new TrainingData(validation.Features, 2, validation.Labels), test);
    }

    private static StreamingTrainingData Streamed(TrainingData data) => StreamingTrainingData.Scan(new ArrayRowSource(data.Features, 2, data.Labels));

    private static readonly TrainingSettings MoonSettings = new() { LearningRate = 0.1, BatchSize = 32, MaxEpoch = 8, EarlyStoppingPatience = 0, Seed = 1 };

    [TestMethod]
    public void AdaptiveWidthNetworkTrainer_TrainStreaming_LearnsDoubleMoonAsInMemoryDoesAndRepeatsBitForBit()
    {
        var (train, validation, test) = Moons();

        TrainingResult inMemory = AdaptiveWidthNetworkTrainer.Train(NetworkTask.BinaryClassification, 2, train, validation, MoonSettings);
        TrainingResult streamed = AdaptiveWidthNetworkTrainer.Train(NetworkTask.BinaryClassification, 2, Streamed(train), Streamed(validation), MoonSettings,
            shuffleBufferRows: 256);
        TrainingResult again = AdaptiveWidthNetworkTrainer.Train(NetworkTask.BinaryClassification, 2, Streamed(train), Streamed(validation), MoonSettings,
            shuffleBufferRows: 256);

        double a = PaperDatasetsTrainingTest.Accuracy(inMemory.Model, test), s = PaperDatasetsTrainingTest.Accuracy(streamed.Model, test);
        Assert.IsGreaterThanOrEqualTo(0.97, s, $"streaming {s:P2}, in memory {a:P2}");
        Assert.IsLessThan(0.02, Math.Abs(a - s), $"streaming {s:P2}, in memory {a:P2}");
        Assert.AreEqual(MoonSettings.MaxEpoch, streamed.History.Count);
        Assert.IsFalse(double.IsNaN(streamed.History[^1].ValidationLoss), "the streamed validation set is evaluated");
        CollectionAssert.AreEqual(streamed.Model.LayerWidths.ToArray(), again.Model.LayerWidths.ToArray());
        var x = new float[2];
        var o1 = new float[1];
        var o2 = new float[1];
        for (int i = 0; i < test.RowCount; i++)
        {
            streamed.Model.Score(test.Row(i), o1);
            again.Model.Score(test.Row(i), o2);
            Assert.AreEqual(o1[0], o2[0], $"row {i}: the same seed must give the same model");
        }
    }

    [TestMethod]
    public void AdaptiveWidthNetworkTrainer_TrainStreaming_RegressionScoresInOriginalUnits()
    {
        var random = new Random(4);
        int n = 2000;
        float[] x = Enumerable.Range(0, n * 2).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        float[] y = Enumerable.Range(0, n).Select(i => 1000 + 300 * x[2 * i] - 200 * x[2 * i + 1]).ToArray();
        var settings = new TrainingSettings { MaxEpoch = 30, EarlyStoppingPatience = 0, Seed = 2, InitialWidth = 25 };

        TrainingResult result = AdaptiveWidthNetworkTrainer.Train(NetworkTask.Regression, 0,
            StreamingTrainingData.Scan(new ArrayRowSource(x, 2, y)), null, settings, shuffleBufferRows: 500);

        var output = new float[1];
        double squared = 0;
        for (int i = 0; i < n; i++)
        {
            result.Model.Score(x.AsSpan(2 * i, 2), output);
            squared += (output[0] - y[i]) * (output[0] - y[i]);
        }
        double rmse = Math.Sqrt(squared / n);
        // The target's standard deviation is about 208; a useful model is far below it.
        Assert.IsLessThan(30, rmse, $"RMSE {rmse:F1}");
    }

    [TestMethod]
    public void AdaptiveWidthNetworkTrainer_TrainStreaming_SourceThatChangesBetweenPassesFailsClearly()
    {
        var (train, _, _) = Moons();
        var source = new ArrayRowSource(train.Features, 2, train.Labels) { Shrink = (FromPass: 3, Rows: 10) };
        StreamingTrainingData scanned = StreamingTrainingData.Scan(source);

        var ex = Assert.ThrowsExactly<InvalidOperationException>(() => AdaptiveWidthNetworkTrainer.Train(NetworkTask.BinaryClassification, 2,
            scanned, null, MoonSettings with { MaxEpoch = 3 }, shuffleBufferRows: 64));
        StringAssert.Contains(ex.Message, "changed between passes");
    }

    [TestMethod]
    public void AdaptiveWidthNetworkTrainer_TrainStreaming_ChecksLabelsAndBuffer()
    {
        var source = new ArrayRowSource(new float[8], 2, [0, 1, 2, 1]);
        StreamingTrainingData scanned = StreamingTrainingData.Scan(source);
        var ex = Assert.ThrowsExactly<ArgumentException>(() =>
            AdaptiveWidthNetworkTrainer.Train(NetworkTask.BinaryClassification, 2, scanned, null, MoonSettings, 16));
        StringAssert.Contains(ex.Message, "0 or 1");
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() =>
            AdaptiveWidthNetworkTrainer.Train(NetworkTask.MulticlassClassification, 3, scanned, null, MoonSettings, 0));
    }
}
