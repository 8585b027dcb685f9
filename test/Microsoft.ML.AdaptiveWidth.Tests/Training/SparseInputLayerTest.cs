using Microsoft.ML.AdaptiveWidth.Inference;
using Microsoft.ML.AdaptiveWidth.Training;
using Microsoft.ML.AdaptiveWidth.Tests.Infrastructure;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.AdaptiveWidth.Tests.Training;

/// <summary>The sparse first layer (issue 17): its training forward pass, its step and its export agree with dense scoring.</summary>
[TestClass]
public sealed class SparseInputLayerTest
{
    private const int Features = 5000;

    private static TrainingData Rows(int rows, int seed, int from = 0, int to = Features)
    {
        var random = new Random(seed);
        var starts = new List<long> { 0 };
        var indices = new List<int>();
        var values = new List<float>();
        var labels = new float[rows];
        for (int r = 0; r < rows; r++)
        {
            int[] idx = Enumerable.Range(0, 30).Select(_ => random.Next(from, to)).Distinct().Order().ToArray();
            indices.AddRange(idx);
            values.AddRange(idx.Select(_ => (float)(random.NextDouble() * 2 - 1)));
            starts.Add(indices.Count);
            labels[r] = idx.Count(i => i < (from + to) / 2) > idx.Length / 2 ? 1 : 0;
        }
        return new TrainingData(new SparseRows(Features, starts.ToArray(), indices.ToArray(), values.ToArray()), labels);
    }

    /// <summary>One training step on all of <paramref name="data"/> as one batch.</summary>
    private static void TrainOneBatch(AdaptiveWidthNetwork sut, TrainingData data, TrainingSettings settings)
    {
        using var objective = new WidthObjective(NetworkTask.BinaryClassification, settings, data.RowCount);
        using var source = new SparseBatchSource(data, NetworkTask.BinaryClassification, 0, 1, InputStandardization.Identity(Features));
        using var scope = NewDisposeScope();
        using BatchPass pass = source.StartPass(batchSize: data.RowCount, shuffle: null);
        Assert.IsTrue(pass.MoveNext());
        Batch batch = pass.Current();
        sut.Gradient.zero_();
        objective.DataLoss(sut.Forward(batch, train: true), batch.Labels, batch.Weights).backward();
        sut.Optimizer.Step(sut.Parameters, sut.Gradient);
        sut.StepSparseInput(objective.WeightDecay);
    }

    private static float[] Evaluate(AdaptiveWidthNetwork sut, TrainingData data)
    {
        using var source = new SparseBatchSource(data, NetworkTask.BinaryClassification, 0, 1, InputStandardization.Identity(Features));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using BatchPass pass = source.StartPass(batchSize: data.RowCount, shuffle: null);
        Assert.IsTrue(pass.MoveNext());
        return sut.Forward(pass.Current(), train: false).contiguous().data<float>().ToArray();
    }

    [TestMethod]
    [DataRow(1)]
    [DataRow(2)]
    public void SparseInputLayer_ForwardAndExport_ScoreAsTheExportedModelSparseAndDense(int layers)
    {
        TorchRuntime.Initialize(1);
        var settings = new TrainingSettings { NumberOfLayers = layers, InitialWidth = 24, MaximumInputLayerWeights = Features * 16L };
        TrainingData data = Rows(100, seed: 1);
        using var sut = new AdaptiveWidthNetwork(Features, 1, settings, new Generator(1), sparseFanIn: 30);
        Assert.AreEqual(16, sut.Widths[0], "the first layer starts at its cap, MaximumInputLayerWeights / features");
        // Trained on the rows first: evaluation and export read the rows of features no training batch used as 0.
        TrainOneBatch(sut, data, settings);

        float[] expected = Evaluate(sut, data);
        Assert.IsGreaterThan(10, expected.Distinct().Count(), "the rows' features carry weights");
        AdaptiveWidthModel model = InferenceExporter.Export(sut.Snapshot(), settings);

        SparseRows rows = data.Sparse!;
        var dense = new float[Features];
        var output = new float[1];
        var sparse = new float[1];
        for (int r = 0; r < rows.RowCount; r++)
        {
            Array.Clear(dense);
            rows.CopyDense(r, 1, dense);
            model.Score(dense, output);
            model.ScoreSparse(rows.RowIndices(r), rows.RowValues(r), sparse);
            FloatAssert.AreClose([expected[r]], output, FloatAssert.ExportTolerance);
            FloatAssert.AreClose(output, sparse, FloatAssert.ExportTolerance);
        }
    }

    [TestMethod]
    public void SparseInputLayer_Step_MovesOnlyTheBatchFeatures()
    {
        TorchRuntime.Initialize(1);
        var settings = new TrainingSettings { NumberOfLayers = 1, InitialWidth = 8, AdaptWidth = false };
        TrainingData data = Rows(20, seed: 2);
        using var sut = new AdaptiveWidthNetwork(Features, 1, settings, new Generator(1), sparseFanIn: 30);
        // A first step trains every feature of the 20 rows (the snapshot shows untrained rows as 0); the second, on the
        // first 5 rows, may move only theirs.
        TrainOneBatch(sut, data, settings);
        float[] before = sut.Snapshot().SparseInputWeights!;
        SparseRows all = data.Sparse!;
        var first = new TrainingData(all.Subset([0, 1, 2, 3, 4]), data.Labels[..5]);
        TrainOneBatch(sut, first, settings);
        float[] after = sut.Snapshot().SparseInputWeights!;

        var used = new HashSet<int>(first.Sparse!.Indices);
        int width = sut.Widths[0];
        int moved = 0;
        for (int j = 0; j < Features; j++)
        {
            bool changed = Enumerable.Range(0, width).Any(i => before[j * width + i] != after[j * width + i]);
            if (!used.Contains(j))
            {
                Assert.IsFalse(changed, $"feature {j} is in no row of the batch but its weights moved");
            }
            moved += changed ? 1 : 0;
        }
        Assert.IsGreaterThan(used.Count / 2, moved, $"{moved} of the {used.Count} features in the batch moved");
    }

    [TestMethod]
    public void SparseInputLayer_FeatureNoTrainingBatchUsed_ReadsAsZeroInEvaluationAndExport()
    {
        // An n-gram that occurs only in held-out rows keeps its random initial weights; evaluation (the held-out loss)
        // and the exported model read them as 0, as the dense path ignores a feature constant on the training rows.
        TorchRuntime.Initialize(1);
        var settings = new TrainingSettings { NumberOfLayers = 2, InitialWidth = 8, AdaptWidth = false };
        using var sut = new AdaptiveWidthNetwork(Features, 1, settings, new Generator(1), sparseFanIn: 30);
        TrainOneBatch(sut, Rows(40, seed: 3, from: 0, to: Features / 2), settings);
        TrainingData unseen = Rows(30, seed: 4, from: Features / 2, to: Features);

        float[] outputs = Evaluate(sut, unseen);
        float[] weights = sut.Snapshot().SparseInputWeights!;
        AdaptiveWidthModel model = InferenceExporter.Export(sut.Snapshot(), settings);

        Assert.AreEqual(1, outputs.Distinct().Count(), "rows of unseen features only: the same output, the biases' alone");
        var empty = new float[1];
        model.ScoreSparse([], [], empty);
        FloatAssert.AreClose([outputs[0]], empty, FloatAssert.ExportTolerance);
        int width = sut.Widths[0];
        Assert.IsTrue(weights.AsSpan(Features / 2 * width).ToArray().All(w => w == 0), "unseen features export zero weights");
        Assert.IsTrue(weights.AsSpan(0, Features / 2 * width).ToArray().Any(w => w != 0), "trained features keep theirs");
    }
}
