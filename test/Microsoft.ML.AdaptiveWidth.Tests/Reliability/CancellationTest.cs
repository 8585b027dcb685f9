using System.Diagnostics;
using Microsoft.ML.AdaptiveWidth.Tests.MLNet;
using Microsoft.ML.AdaptiveWidth.Training;
using Microsoft.ML.Trainers.AdaptiveWidth;

namespace Microsoft.ML.AdaptiveWidth.Tests.Reliability;

/// <summary>
/// Training stops within one mini-batch of cancellation: the token (and, through ML.NET, MLContext.CancelExecution) is
/// checked before every mini-batch, so after the cancel at most the batch already running completes. Fit then throws
/// OperationCanceledException and returns no model; nothing is written anywhere. (MLNet/AdaptiveWidthTrainerBadInputTest
/// and Training/TrainingInputValidationTest check a token cancelled before training starts.)
/// </summary>
[TestClass]
public sealed class CancellationTest
{
    public TestContext TestContext { get; set; } = null!;

    private static TrainingData Data(int rows)
    {
        var random = new Random(9);
        float[] x = Enumerable.Range(0, rows * 4).Select(_ => (float)random.NextDouble()).ToArray();
        float[] y = Enumerable.Range(0, rows).Select(i => (float)(i % 2)).ToArray();
        return new TrainingData(x, 4, y);
    }

    [TestMethod]
    public void Cancellation_FromInsideABatch_NoFurtherBatchStarts()
    {
        using var cts = new CancellationTokenSource();
        int batches = 0;
        var settings = new TrainingSettings { InitialWidth = 25, BatchSize = 8, MaxEpoch = 50, Seed = 1 };

        Assert.ThrowsExactly<OperationCanceledException>(() => AdaptiveWidthNetworkTrainer.Train(NetworkTask.BinaryClassification, 2, Data(400), null, settings, null, cts.Token,
            beforeBatch: () =>
            {
                if (++batches == 77)
                {
                    cts.Cancel();
                }
            }));

        Assert.AreEqual(77, batches, "no mini-batch started after the one that cancelled");
    }

    [TestMethod]
    public void Cancellation_FromAnotherThreadMidEpoch_AtMostTheRunningBatchCompletes()
    {
        using var cts = new CancellationTokenSource();
        int batches = 0;
        int atCancel = -1;
        using var started = new ManualResetEventSlim();
        var settings = new TrainingSettings { InitialWidth = 48, BatchSize = 4, MaxEpoch = 1000, Seed = 2 };
        var clock = new Stopwatch();
        Task training = Task.Run(() => AdaptiveWidthNetworkTrainer.Train(NetworkTask.BinaryClassification, 2, Data(2000), null, settings, null, cts.Token,
            beforeBatch: () =>
            {
                if (Interlocked.Increment(ref batches) == 200)
                {
                    started.Set();
                }
            }));

        Assert.IsTrue(started.Wait(TimeSpan.FromSeconds(60)), "training did not start");
        Thread.Sleep(50);
        clock.Start();
        atCancel = Volatile.Read(ref batches);
        cts.Cancel();
        AggregateException error = Assert.Throws<AggregateException>(() => training.Wait(TimeSpan.FromSeconds(60)));
        clock.Stop();

        Assert.IsInstanceOfType<OperationCanceledException>(error.InnerException);
        int after = batches - atCancel;
        TestContext.WriteLine($"batches started after the cancel: {after}; cancel to exception: {clock.Elapsed.TotalMilliseconds:F1} ms");
        Assert.IsLessThanOrEqualTo(1, after, "at most one batch (the one racing with the cancel) may start after it");
    }

    [TestMethod]
    public void Cancellation_MLContextCancelExecution_StopsFitWithinABatch()
    {
        var ml = new MLContext(seed: 1);
        AdaptiveWidthBinaryTrainer.Options options = MLNetTestData.Fast(new AdaptiveWidthBinaryTrainer.Options());
        options.MaxEpoch = 100_000;
        options.EarlyStoppingPatience = 0;
        options.BatchSize = 4;
        var clock = new Stopwatch();
        // The first epoch's progress line is always logged: cancel the context there, from the log handler.
        ml.Log += (_, e) =>
        {
            if (e.Message.Contains("Epoch 1:", StringComparison.Ordinal) && !clock.IsRunning)
            {
                clock.Start();
                // ML.NET 5.0 keeps CancelExecution on the context's environment behind a non-public interface (ICancelable).
                object env = typeof(MLContext).GetField("_env", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!.GetValue(ml)!;
                env.GetType().GetInterfaces().Single(i => i.Name == "ICancelable").GetMethod("CancelExecution")!.Invoke(env, null);
            }
        };
        ITransformer? model = null;

        Exception error = Assert.Throws<Exception>(() => model = ml.BinaryClassification.Trainers.AdaptiveWidth(options)
            .Fit(ml.Data.LoadFromEnumerable(MLNetTestData.Blobs(4000, seed: 1))));
        TestContext.WriteLine(error.ToString());
        Assert.IsInstanceOfType<OperationCanceledException>(error);

        clock.Stop();
        Assert.IsNull(model);
        TestContext.WriteLine($"CancelExecution to exception: {clock.Elapsed.TotalMilliseconds:F1} ms (an epoch is 900 batches)");
        Assert.IsLessThan(5_000, clock.Elapsed.TotalMilliseconds, "stopped within the epoch, not after 100,000 of them");
    }
}
