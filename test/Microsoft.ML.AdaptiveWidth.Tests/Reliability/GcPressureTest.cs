using Microsoft.ML.AdaptiveWidth.Tests.MLNet;
using Microsoft.ML.Trainers.AdaptiveWidth;

namespace Microsoft.ML.AdaptiveWidth.Tests.Reliability;

/// <summary>
/// Training under garbage-collection pressure (issue 13): TorchSharp frees a native Scalar or Tensor in its finalizer,
/// so an object created implicitly for one call can be freed while libtorch still reads it. Another thread forces full
/// collections and finalizers in a loop while every task trains, in memory and streaming, with compression; before the
/// fix most such fits died with ExternalException ("Unknown scalar type"). The long soak is the benchmark program's
/// `gc-soak` study.
/// </summary>
[TestClass]
public sealed class GcPressureTest
{
    [TestMethod]
    [Timeout(240_000, CooperativeCancellation = true)]
    public void GcPressure_EveryTaskAndDataModeWithCompression_TrainsWithoutNativeFailures()
    {
        var failures = new List<string>();
        int fits = 0;
        using (GcPressure.Start())
        {
            for (int round = 0; round < 2; round++)
            {
                foreach (TrainingDataMode mode in new[] { TrainingDataMode.InMemory, TrainingDataMode.Streaming })
                {
                    foreach (string task in new[] { "binary", "multiclass", "regression" })
                    {
                        fits++;
                        try
                        {
                            double quality = GcPressure.Fit(task, mode, seed: 10 * round + fits, compress: true);
                            if (!(quality > 0.8))
                            {
                                failures.Add($"{task} {mode}: quality {quality:F3}");
                            }
                        }
                        catch (Exception e)
                        {
                            failures.Add($"{task} {mode}: {e.GetType().Name}: {e.Message.Split('\n')[0]}");
                        }
                    }
                }
            }
        }
        Assert.AreEqual(0, failures.Count, $"{failures.Count} of {fits} fits failed under GC pressure:\n{string.Join("\n", failures)}");
    }
}

/// <summary>A background thread that loops full blocking collections and waits for finalizers until disposed.</summary>
internal sealed class GcPressure : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Thread _thread;

    private GcPressure()
    {
        _thread = new Thread(() =>
        {
            while (!_stop.IsCancellationRequested)
            {
                GC.Collect(2, GCCollectionMode.Forced, blocking: true);
                GC.WaitForPendingFinalizers();
                Collections++;
            }
        })
        { IsBackground = true, Name = "GC pressure" };
        _thread.Start();
    }

    public long Collections { get; private set; }

    public static GcPressure Start() => new();

    /// <summary>
    /// One small fit through the ML.NET trainer; returns accuracy (classification) or R² (regression) on the training
    /// rows, so a fit that completes with corrupted parameters is caught too.
    /// </summary>
    public static double Fit(string task, TrainingDataMode mode, int seed, bool compress, int rows = 3000, int maxEpoch = 20)
    {
        var ml = new MLContext(seed: seed);
        T Options<T>(T options) where T : AdaptiveWidthOptionsBase
        {
            // Default width; two members rather than the default eight, so that parallel member training and the merge run
            // under the pressure at a quarter of the default's cost (the suite's time budget).
            options.EnsembleSize = 2;
            options.MaxEpoch = maxEpoch;
            options.BatchSize = 32;
            options.DataMode = mode;
            options.ShuffleBufferRows = 256;
            options.CompressionTolerance = compress ? 1.0 : null;
            return options;
        }
        switch (task)
        {
            case "binary":
            {
                IDataView data = ml.Data.LoadFromEnumerable(MLNetTestData.Blobs(rows, seed));
                var model = ml.BinaryClassification.Trainers.AdaptiveWidth(Options(new AdaptiveWidthBinaryTrainer.Options())).Fit(data);
                return ml.BinaryClassification.Evaluate(model.Transform(data)).Accuracy;
            }
            case "multiclass":
            {
                IDataView all = ml.Data.LoadFromEnumerable(MLNetTestData.Mixture(rows, seed));
                IDataView data = ml.Transforms.Concatenate("Features", "F1", "F2", "F3")
                    .Append(ml.Transforms.Conversion.MapValueToKey("Label")).Fit(all).Transform(all);
                var model = ml.MulticlassClassification.Trainers.AdaptiveWidth(Options(new AdaptiveWidthMulticlassTrainer.Options())).Fit(data);
                return ml.MulticlassClassification.Evaluate(model.Transform(data)).MicroAccuracy;
            }
            default:
            {
                IDataView data = ml.Data.LoadFromEnumerable(MLNetTestData.Linear(rows, seed));
                var model = ml.Regression.Trainers.AdaptiveWidth(Options(new AdaptiveWidthRegressionTrainer.Options())).Fit(data);
                return ml.Regression.Evaluate(model.Transform(data)).RSquared;
            }
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _thread.Join();
        _stop.Dispose();
    }
}
