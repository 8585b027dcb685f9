using Microsoft.ML.AdaptiveWidth.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.AdaptiveWidth.Tests.Training;

[TestClass]
public sealed class InMemoryBatchSourceTest
{
    [TestMethod]
    [DataRow(NetworkTask.BinaryClassification, false)]
    [DataRow(NetworkTask.MulticlassClassification, true)]
    [DataRow(NetworkTask.Regression, true)]
    public void StartPass_GatheredPerBatch_GivesTheBatchesOfTheShuffledCopy(NetworkTask task, bool weighted)
    {
        // Large data is gathered batch by batch instead of copied whole in shuffled order; training must see exactly the
        // same batches either way, so that the size of the data never changes what a seed trains.
        TorchRuntime.Initialize(1);
        const int rows = 1000, features = 5;
        var random = new Random(4);
        float[] x = Enumerable.Range(0, rows * features).Select(_ => (float)random.NextDouble()).ToArray();
        float[] y = Enumerable.Range(0, rows).Select(i => task == NetworkTask.Regression ? (float)random.NextDouble() : i % 3 % (task == NetworkTask.BinaryClassification ? 2 : 3)).ToArray();
        float[]? w = weighted ? Enumerable.Range(0, rows).Select(_ => (float)(0.5 + random.NextDouble())).ToArray() : null;
        var data = new TrainingData(x, features, y, w);
        InputStandardization standardization = InputStandardization.Of(data);
        using var copied = new InMemoryBatchSource(data, task, 0, 1, standardization);
        using var gathered = new InMemoryBatchSource(data, task, 0, 1, standardization, maximumShuffledCopyBytes: 0);
        using var scope = NewDisposeScope();
        Assert.AreEqual((rows + 63) / 64, AssertSameBatches(copied, gathered, 64, seed: 7));
        // And the pass is shuffled: the first batch is not the first 64 rows.
        using BatchPass ordered = gathered.StartPass(64, shuffle: null);
        using var third = new Generator(7);
        using BatchPass shuffled = gathered.StartPass(64, third);
        Assert.IsTrue(ordered.MoveNext() && shuffled.MoveNext());
        Assert.IsFalse(Same(ordered.Current().Features!, shuffled.Current().Features!));
    }

    [TestMethod]
    public void InMemoryBatchSource_FromARowView_GivesTheBatchesOfACopyWithoutCopyingTheRowsInManagedMemory()
    {
        // An ensemble member's training rows are a view of the shared data set (ValidationSplit): its batch source reads them
        // straight into libtorch's memory, and the view never makes a managed copy of them (90% of the data a member).
        TorchRuntime.Initialize(1);
        const int rows = 500, features = 4;
        var random = new Random(5);
        var all = new TrainingData(Enumerable.Range(0, rows * features).Select(_ => (float)random.NextDouble()).ToArray(), features,
            Enumerable.Range(0, rows).Select(i => (float)(i % 2)).ToArray(), Enumerable.Range(0, rows).Select(_ => (float)random.NextDouble()).ToArray());
        int[] picked = Enumerable.Range(0, rows).Where(i => i % 7 != 3).Reverse().ToArray();
        var view = new TrainingData(all, picked);
        var copy = new TrainingData(picked.SelectMany(r => all.Features.Skip(r * features).Take(features)).ToArray(), features,
            picked.Select(r => all.Labels[r]).ToArray(), picked.Select(r => all.Weights![r]).ToArray());
        Assert.IsTrue(view.Labels.SequenceEqual(copy.Labels) && view.Weights!.SequenceEqual(copy.Weights!));
        InputStandardization standardization = InputStandardization.Of(view);
        CollectionAssert.AreEqual(InputStandardization.Of(copy).Mean, standardization.Mean);
        CollectionAssert.AreEqual(InputStandardization.Of(copy).Scale, standardization.Scale);
        using var fromView = new InMemoryBatchSource(view, NetworkTask.BinaryClassification, 0, 1, standardization);
        Assert.IsFalse(view.IsMaterialized, "the batch source copied the view's rows into a managed array");
        using var fromCopy = new InMemoryBatchSource(copy, NetworkTask.BinaryClassification, 0, 1, standardization);
        using var scope = NewDisposeScope();
        AssertSameBatches(fromView, fromCopy, 32, seed: 3);
        // Asked for its features, the view gathers them: the same array as the copy.
        CollectionAssert.AreEqual(copy.Features, view.Features);
        Assert.IsTrue(view.IsMaterialized);
    }

    /// <summary>Asserts that two sources give the same shuffled batches for the same seed; returns the number of batches.</summary>
    private static int AssertSameBatches(BatchSource first, BatchSource second, int batchSize, ulong seed)
    {
        using var one = new Generator(seed);
        using var two = new Generator(seed);
        using BatchPass a = first.StartPass(batchSize, one);
        using BatchPass b = second.StartPass(batchSize, two);
        int batches = 0;
        while (a.MoveNext())
        {
            Assert.IsTrue(b.MoveNext(), $"the second pass ended after {batches} batches");
            Batch p = a.Current(), q = b.Current();
            Assert.AreEqual(p.Length, q.Length);
            Assert.IsTrue(Same(p.Features!, q.Features!), $"features of batch {batches}");
            Assert.IsTrue(Same(p.Labels, q.Labels), $"labels of batch {batches}");
            Assert.AreEqual(p.Weights is null, q.Weights is null);
            if (p.Weights is not null)
            {
                Assert.IsTrue(Same(p.Weights, q.Weights!), $"weights of batch {batches}");
            }
            batches++;
        }
        Assert.IsFalse(b.MoveNext(), "the second pass has more batches");
        return batches;
    }

    private static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();
}
