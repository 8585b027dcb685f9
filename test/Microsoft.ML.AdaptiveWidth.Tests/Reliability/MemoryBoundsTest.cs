using System.Diagnostics;
using Microsoft.ML.AdaptiveWidth.Inference;
using Microsoft.ML.AdaptiveWidth.Tests.MLNet;
using Microsoft.ML.AdaptiveWidth.Training;
using Microsoft.ML.Trainers.AdaptiveWidth;
using TorchSharp;

namespace Microsoft.ML.AdaptiveWidth.Tests.Reliability;

/// <summary>
/// Width never exceeds MaximumWidth, even with the width prior off, an unbounded activation (ReLU) and a high learning
/// rate (Training/TrainingInputValidationTest checks the core API's rate bound for 5 epochs; this goes through ML.NET
/// with the conditions the paper saw widths explode in). And no leaked tensors or memory: live TorchSharp tensors,
/// managed heap and process RSS after 200 epochs equal (within a bound) those after 10.
/// </summary>
[TestClass]
public sealed class MemoryBoundsTest
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void MemoryBounds_ReLUHighRateNoPrior_WidthNeverExceedsMaximumWidth()
    {
        var ml = new MLContext(seed: 1);
        var options = new AdaptiveWidthRegressionTrainer.Options
        {
            Activation = ActivationKind.ReLU, LearningRate = 0.5, WidthRegularization = 0, InitialWidth = 40, MaximumWidth = 48,
            NumberOfLayers = 2, MaxEpoch = 40, BatchSize = 16, EarlyStoppingPatience = 0, ValidationFraction = 0, Seed = 3,
        };
        // A target far from unit scale and unnormalised features push the rates down (widths up).
        IDataView data = ml.Data.LoadFromEnumerable(MLNetTestData.Linear(400, seed: 2).Select(r => new RegressionRow { Features = r.Features.Select(v => v * 30).ToArray(), Label = r.Label * 100 }));

        var model = ml.Regression.Trainers.AdaptiveWidth(options).Fit(data).Model;

        int widest = model.TrainingHistory.SelectMany(r => r.Widths).Max();
        TestContext.WriteLine($"widest layer during training: {widest} (maximum 48)");
        Assert.IsLessThanOrEqualTo(48, widest);
        Assert.IsTrue(model.LayerWidths.All(w => w <= 48));
    }

    [TestMethod]
    public void MemoryBounds_200EpochsVersus10_NoLeakedTensorsOrMemory()
    {
        var random = new Random(5);
        float[] x = Enumerable.Range(0, 128 * 4).Select(_ => (float)random.NextDouble()).ToArray();
        float[] y = Enumerable.Range(0, 128).Select(i => (float)(i % 2)).ToArray();
        var data = new TrainingData(x, 4, y);
        var settings = new TrainingSettings { InitialWidth = 25, BatchSize = 16, MaxEpoch = 200, EarlyStoppingPatience = 0, Seed = 1 };
        var at = new Dictionary<int, (long Tensors, long Managed, long Rss)>();
        var progress = new SynchronousProgress(r =>
        {
            if (r.Epoch is 10 or 100 or 200)
            {
                at[r.Epoch] = Measure();
            }
        });

        AdaptiveWidthNetworkTrainer.Train(NetworkTask.BinaryClassification, 2, data, data, settings, progress);

        (long tensors10, long managed10, long rss10) = at[10];
        (long tensors200, long managed200, long rss200) = at[200];
        TestContext.WriteLine($"after 100 epochs: {at[100].Tensors} live tensors, managed {at[100].Managed} B, RSS {at[100].Rss} B");
        TestContext.WriteLine($"after 10 epochs: {tensors10} live tensors, managed {managed10} B, RSS {rss10} B");
        TestContext.WriteLine($"after 200 epochs: {tensors200} live tensors, managed {managed200} B, RSS {rss200} B");
        Assert.AreEqual(tensors10, tensors200, "live TorchSharp tensors");
        // The training history (one record per epoch) grows by design; GC heap size also moves with the allocation budget.
        Assert.IsLessThan(8L << 20, managed200 - managed10, "managed heap growth");
        Assert.IsLessThan(32L << 20, rss200 - rss10, "resident memory growth");
    }

    private static (long, long, long) Measure()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        using var process = Process.GetCurrentProcess();
        return (DisposeScopeManager.Statistics.ThreadTotalLiveCount, GC.GetGCMemoryInfo().HeapSizeBytes, process.WorkingSet64);
    }

    /// <summary>Progress&lt;T&gt; posts to the thread pool; this reports on the training thread, where the tensors live.</summary>
    private sealed class SynchronousProgress(Action<EpochRecord> report) : IProgress<EpochRecord>
    {
        public void Report(EpochRecord value) => report(value);
    }
}
