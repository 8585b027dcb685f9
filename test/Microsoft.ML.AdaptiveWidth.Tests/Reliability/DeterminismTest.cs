using Microsoft.ML.AdaptiveWidth.Inference;
using Microsoft.ML.AdaptiveWidth.Tests.MLNet;
using Microsoft.ML.Trainers.AdaptiveWidth;

namespace Microsoft.ML.AdaptiveWidth.Tests.Reliability;

/// <summary>
/// Same seed, same data: bit-identical weights, importances, widths, training history and predictions, across two
/// runs, across save and load, and across 1 and 2 intra-op threads. (Training/PaperDatasetsTrainingTest checks two
/// runs of the core API; these go through ML.NET.)
/// </summary>
[TestClass]
public sealed class DeterminismTest
{
    public TestContext TestContext { get; set; } = null!;

    private static readonly List<BinaryRow> Rows = MLNetTestData.Blobs(300, seed: 11);

    private static AdaptiveWidthBinaryModelParameters Fit(int threads, int layers = 2, int width = 64, int batch = 32, List<BinaryRow>? rows = null)
    {
        var ml = new MLContext(seed: 5);
        AdaptiveWidthBinaryTrainer.Options options = MLNetTestData.Fast(new AdaptiveWidthBinaryTrainer.Options());
        options.Seed = null; // from the MLContext's seed, as users do
        options.NumberOfThreads = threads;
        options.NumberOfLayers = layers;
        options.InitialWidth = width;
        options.BatchSize = batch;
        return ml.BinaryClassification.Trainers.AdaptiveWidth(options).Fit(ml.Data.LoadFromEnumerable(rows ?? Rows)).Model.SubModel;
    }

    [TestMethod]
    public void Determinism_TwoRunsAndSaveLoad_AreBitIdentical()
    {
        AdaptiveWidthBinaryModelParameters first = Fit(threads: 1);
        AdaptiveWidthBinaryModelParameters second = Fit(threads: 1);

        AssertIdentical(first.Network, second.Network, "two runs");
        CollectionAssert.AreEqual(first.TrainingHistory.Select(r => r.TrainingLoss).ToArray(), second.TrainingHistory.Select(r => r.TrainingLoss).ToArray(), "loss history");
        CollectionAssert.AreEqual(first.TrainingHistory.SelectMany(r => r.Widths).ToArray(), second.TrainingHistory.SelectMany(r => r.Widths).ToArray(), "width history");
        using var stream = new MemoryStream();
        AdaptiveWidthModelFormat.Write(first.Network, stream);
        stream.Position = 0;
        AssertIdentical(first.Network, AdaptiveWidthModelFormat.Read(stream), "save and load");
    }

    [TestMethod]
    public void Determinism_ContextSeed_GivesTheSameModelWhateverElseThePipelineHolds()
    {
        // The other components of a pipeline draw from the MLContext's random numbers; the trainer takes the context's
        // seed instead, so a transform the trainer does not read (a normalized copy of the features) leaves the model
        // bit-identical.
        AdaptiveWidthModel Train(bool extraTransform)
        {
            var ml = new MLContext(seed: 5);
            AdaptiveWidthBinaryTrainer.Options options = MLNetTestData.Fast(new AdaptiveWidthBinaryTrainer.Options());
            options.Seed = null;
            IDataView data = ml.Data.LoadFromEnumerable(Rows);
            if (!extraTransform)
            {
                return ml.BinaryClassification.Trainers.AdaptiveWidth(options).Fit(data).Model.SubModel.Network;
            }
            // Created before the trainer, as a pipeline is written.
            var normalizer = ml.Transforms.NormalizeMinMax("Unused", "Features");
            return normalizer.Append(ml.BinaryClassification.Trainers.AdaptiveWidth(options)).Fit(data).LastTransformer.Model.SubModel.Network;
        }

        AssertIdentical(Train(extraTransform: false), Train(extraTransform: true), "with and without another transform");
    }

    [TestMethod]
    public void Determinism_OneVersusTwoIntraOpThreads_AreBitIdentical()
    {
        try
        {
            AdaptiveWidthBinaryModelParameters one = Fit(threads: 1);
            AdaptiveWidthBinaryModelParameters two = Fit(threads: 2);
            AssertIdentical(one.Network, two.Network, "1 vs 2 threads");

            // The paper's default width (232) and batch (128) on more rows: layers of 232 × 232 weights and batches of
            // 128 × 232 activations, above libtorch's per-op grain size, so the second thread is really used. There some of
            // libtorch's kernels may round differently with two threads (measured: the last bit of a few weights, seed 5);
            // the model must still be the same up to that rounding: same widths, predictions within 1e-4.
            List<BinaryRow> more = MLNetTestData.Blobs(800, seed: 12);
            AdaptiveWidthBinaryModelParameters wideOne = Fit(threads: 1, width: 232, batch: 128, rows: more);
            AdaptiveWidthBinaryModelParameters wideTwo = Fit(threads: 2, width: 232, batch: 128, rows: more);
            CollectionAssert.AreEqual(wideOne.Network.LayerWidths.ToArray(), wideTwo.Network.LayerWidths.ToArray(), "1 vs 2 threads, width 232: widths");
            var a = new float[1];
            var b = new float[1];
            foreach (BinaryRow row in more)
            {
                wideOne.Network.Score(row.Features, a);
                wideTwo.Network.Score(row.Features, b);
                Assert.AreEqual(a[0], b[0], 1e-4 * Math.Max(1, Math.Abs(a[0])), "1 vs 2 threads, width 232, batch 128: prediction");
            }
        }
        finally
        {
            Microsoft.ML.AdaptiveWidth.Training.TorchRuntime.Initialize(1);
        }
    }

    private static void AssertIdentical(AdaptiveWidthModel expected, AdaptiveWidthModel actual, string what)
    {
        CollectionAssert.AreEqual(expected.LayerWidths.ToArray(), actual.LayerWidths.ToArray(), $"{what}: widths");
        for (int l = 0; l < expected.Layers.Count; l++)
        {
            MLNetAssert.BitIdentical(expected.Layers[l].Weights.ToArray(), actual.Layers[l].Weights.ToArray(), $"{what}: layer {l} weights");
            MLNetAssert.BitIdentical(expected.Layers[l].Bias.ToArray(), actual.Layers[l].Bias.ToArray(), $"{what}: layer {l} bias");
        }
        for (int l = 0; l < expected.HiddenLayerCount; l++)
        {
            MLNetAssert.BitIdentical(expected.Importance(l).ToArray(), actual.Importance(l).ToArray(), $"{what}: importance {l}");
        }
        var a = new float[1];
        var b = new float[1];
        foreach (BinaryRow row in Rows)
        {
            expected.Score(row.Features, a);
            actual.Score(row.Features, b);
            MLNetAssert.BitIdentical(a, b, $"{what}: prediction");
        }
    }
}
