using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.AdaptiveWidth.Inference;
using Microsoft.ML.AdaptiveWidth.Training;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.AdaptiveWidth;

namespace AdaptiveWidth.Samples.Tabular;

/// <summary>One trainer's results on one data set.</summary>
public sealed record TrainerResult(string Trainer, double Metric, double TrainSeconds, string Widths, long ZipBytes, double MicrosecondsPerPrediction);

/// <summary>Our model's story on one data set: history, truncation curve, compression.</summary>
public sealed record AdaptiveStory(string DataSet, TaskKind Task, IReadOnlyList<EpochRecord> History,
    IReadOnlyList<(double KeptFraction, long MultiplyAdds, double Metric)> TruncationCurve, string CompressedWidths,
    long FullMultiplyAdds, long CompressedMultiplyAdds, double CompressedMetric);

/// <summary>What <see cref="Showcase.Run"/> returns: the table, our model's story, and our whole fitted pipeline.</summary>
/// <param name="Model">Featurization, then the trainer's part (so <c>LastTransformer</c> of this chain is the part a
/// <see cref="ModelInput"/> goes into).</param>
public sealed record ShowcaseRun(List<TrainerResult> Results, AdaptiveStory Story, TransformerChain<ITransformer> Model,
    int TrainRows, int TestRows, int FeatureCount);

/// <summary>Trains every trainer on a data set, measures it, and tells our model's story.</summary>
public sealed class Showcase(MLContext mlContext, int maxEpoch, int latencyRows, Action<string> say)
{
    /// <summary>The metric's name per task: accuracy for classification, RMSE for regression.</summary>
    public static string MetricName(TaskKind task) => task == TaskKind.Regression ? "RMSE" : "accuracy";

    public ShowcaseRun Run(TabularData data)
    {
        // The featurization is fitted once on the training rows; every trainer gets the same features.
        say($"{data.Name}: featurizing...");
        ITransformer featurizer = data.Featurizer.Fit(data.Train);
        IDataView trainView = mlContext.Data.Cache(featurizer.Transform(data.Train));
        IDataView testView = mlContext.Data.Cache(featurizer.Transform(data.Test));
        int featureCount = ((VectorDataViewType)trainView.Schema["Features"].Type).Size;
        var latencyInputs = testView.GetColumn<float[]>("Features").Take(200).Select(x => new ModelInput { Features = x }).ToArray();
        var results = new List<TrainerResult>();
        AdaptiveWidthFit? ours = null;
        foreach (string trainer in Pipelines.Trainers)
        {
            say($"{data.Name}: training {trainer}...");
            var clock = Stopwatch.StartNew();
            ITransformer model;
            if (trainer == "AdaptiveWidth")
            {
                ours = Pipelines.FitAdaptiveWidth(mlContext, data.Task, trainView, data.NormalizeFeatures, options =>
                {
                    options.MaxEpoch = maxEpoch;
                    options.ProgressCallback = m => say(Progress(data.Name, m));
                    data.Tune?.Invoke(options);
                });
                model = ours.Model;
            }
            else
            {
                model = Pipelines.BuildPipeline(mlContext, data.Task, trainer, maxEpoch, data.NormalizeFeatures).Fit(trainView);
            }
            double seconds = clock.Elapsed.TotalSeconds;
            double metric = Metric(data.Task, model.Transform(testView));
            string widths = trainer == "AdaptiveWidth" ? string.Join("-", ours!.LayerWidths) : "";
            long zipBytes = ZipSize(new TransformerChain<ITransformer>(featurizer, model), data.Train.Schema);
            results.Add(new TrainerResult(trainer, metric, seconds, widths, zipBytes, Latency(data.Task, model, latencyInputs, featureCount)));
        }
        return new ShowcaseRun(results, Story(data.Name, data.Task, ours!, testView), new TransformerChain<ITransformer>(featurizer, ours!.Model),
            Count(trainView), Count(testView), featureCount);
    }

    /// <summary>One line of live progress from the trainer's <c>ProgressCallback</c>: no parsing of <c>MLContext.Log</c>.</summary>
    public static string Progress(string dataSet, AdaptiveWidthEpochMetrics m)
    {
        // Widths first, the most telling part, so that a narrow terminal still shows them.
        string validation = double.IsNaN(m.ValidationLoss) ? "" : $", validation loss {m.ValidationLoss:G3}"
            + (double.IsNaN(m.ValidationAccuracy) ? "" : $" accuracy {m.ValidationAccuracy:P1}");
        string member = m.EnsembleSize > 1 ? $" (member {m.Member + 1} of {m.EnsembleSize})" : "";
        return $"{dataSet}{member}: epoch {m.Epoch}/{m.MaxEpoch}, widths [{string.Join(", ", m.Widths)}], loss {m.TrainingLoss:G3}{validation}, {m.Elapsed.TotalSeconds:F0} s";
    }

    /// <summary>Test accuracy for classification, RMSE for regression.</summary>
    public double Metric(TaskKind task, IDataView scored) => task switch
    {
        TaskKind.Binary => mlContext.BinaryClassification.Evaluate(scored).Accuracy,
        TaskKind.Multiclass => mlContext.MulticlassClassification.Evaluate(scored, labelColumnName: "Label").MicroAccuracy,
        _ => mlContext.Regression.Evaluate(scored).RootMeanSquaredError,
    };

    private static int Count(IDataView view)
    {
        int rows = 0;
        using DataViewRowCursor cursor = view.GetRowCursor([]);
        while (cursor.MoveNext())
        {
            rows++;
        }
        return rows;
    }

    private static long ZipSize(ITransformer model, DataViewSchema schema)
    {
        using var stream = new MemoryStream();
        new MLContext().Model.Save(model, schema, stream);
        return stream.Length;
    }

    /// <summary>Median µs of one PredictionEngine.Predict (one engine, reused) from the feature vector (the featurization is not
    /// timed) over the first test rows, after a warm-up, median of 3 runs.</summary>
    private double Latency(TaskKind task, ITransformer model, ModelInput[] inputs, int featureCount)
    {
        Func<ModelInput, object> predict = task switch
        {
            TaskKind.Binary => Engine<BinaryOutput>(model, featureCount),
            TaskKind.Multiclass => Engine<MulticlassOutput>(model, featureCount),
            _ => Engine<RegressionOutput>(model, featureCount),
        };
        var medians = new List<double>();
        for (int repetition = 0; repetition < 3; repetition++)
        {
            var times = new double[latencyRows];
            for (int i = 0; i < latencyRows; i++)
            {
                long start = Stopwatch.GetTimestamp();
                predict(inputs[i % inputs.Length]);
                times[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
            }
            Array.Sort(times);
            medians.Add(times[times.Length / 2]);
        }
        medians.Sort();
        return medians[1];
    }

    private Func<ModelInput, object> Engine<TOutput>(ITransformer model, int featureCount) where TOutput : class, new()
    {
        var engine = mlContext.Model.CreatePredictionEngine<ModelInput, TOutput>(model, inputSchemaDefinition: ModelInput.Schema(featureCount));
        // Warm up for a while (not a fixed count): .NET's tiered JIT promotes hot code to optimized code after ~100 ms.
        var input = new ModelInput { Features = new float[featureCount] };
        var warmUp = Stopwatch.StartNew();
        while (warmUp.ElapsedMilliseconds < (latencyRows >= 1000 ? 500 : 50))
        {
            engine.Predict(input);
        }
        return input => engine.Predict(input);
    }

    /// <summary>
    /// Ordered truncation of the trained network (keep the first K neurons of each layer, nothing retrained) on the
    /// test set's normalized features, and the smallest kept fraction whose metric stays within 0.5 points of
    /// accuracy (or 1% RMSE) of the full network.
    /// </summary>
    private static AdaptiveStory Story(string name, TaskKind task, AdaptiveWidthFit ours, IDataView testView)
    {
        var (widths, history, network) = (ours.LayerWidths, ours.History, ours.Network);
        // The features as the network sees them (after the normalizer), and the labels as it learned them.
        float[][] x = ours.NetworkInput.Transform(testView).GetColumn<float[]>("Features").ToArray();
        float[] y = task switch
        {
            TaskKind.Binary => testView.GetColumn<bool>("Label").Select(b => b ? 1f : 0f).ToArray(),
            TaskKind.Multiclass => testView.GetColumn<uint>("Label").Select(key => key - 1f).ToArray(),
            _ => testView.GetColumn<float>("Label").ToArray(),
        };
        double full = ModelMetric(task, network, x, y);
        var curve = new List<(double, long, double)>();
        foreach (double fraction in new[] { 1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05 })
        {
            AdaptiveWidthModel truncated = network.Truncate(widths.Select(w => Math.Max(1, (int)Math.Ceiling(w * fraction))).ToArray());
            curve.Add((fraction, truncated.MultiplyAdds, ModelMetric(task, truncated, x, y)));
        }
        bool WithinTolerance(double metric) => task == TaskKind.Regression ? metric <= full * 1.01 : metric >= full - 0.005;
        var best = curve.Where(c => WithinTolerance(c.Item3)).OrderBy(c => c.Item2).First();
        AdaptiveWidthModel compressed = network.Truncate(widths.Select(w => Math.Max(1, (int)Math.Ceiling(w * best.Item1))).ToArray());
        return new AdaptiveStory(name, task, history, curve, string.Join("-", compressed.LayerWidths),
            network.MultiplyAdds, compressed.MultiplyAdds, best.Item3);
    }

    /// <summary>Accuracy (classification; labels are class indices, binary outputs one logit) or RMSE of a raw network.</summary>
    public static double ModelMetric(TaskKind task, AdaptiveWidthModel network, float[][] x, float[] y)
    {
        var output = new float[network.OutputCount];
        double sum = 0;
        for (int i = 0; i < x.Length; i++)
        {
            network.Score(x[i], output);
            sum += task switch
            {
                TaskKind.Binary => (output[0] > 0 ? 1f : 0f) == y[i] ? 1 : 0,
                TaskKind.Multiclass => Array.IndexOf(output, output.Max()) == (int)y[i] ? 1 : 0,
                _ => (output[0] - y[i]) * (output[0] - y[i]),
            };
        }
        return task == TaskKind.Regression ? Math.Sqrt(sum / x.Length) : sum / x.Length;
    }
}
