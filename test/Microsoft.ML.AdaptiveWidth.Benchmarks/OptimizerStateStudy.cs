using Microsoft.ML.AdaptiveWidth.Datasets;
using Microsoft.ML.AdaptiveWidth.Inference;
using Microsoft.ML.AdaptiveWidth.Training;

namespace Microsoft.ML.AdaptiveWidth.Benchmarks;

/// <summary>
/// Does keeping the Adam moments of surviving neurons across a width change (our default) hurt, compared with the
/// reference's reset of every resized tensor's state? Same data, seeds and settings; only that switch differs.
/// </summary>
internal static class OptimizerStateStudy
{
    public static IEnumerable<string> Run(int seeds, bool quick)
    {
        var cases = new (string Name, Dataset Data, TrainingSettings Settings)[]
        {
            ("DoubleMoon", PaperDatasets.DoubleMoon(), new TrainingSettings { InitialWidth = TrainingDefaults.PaperInitialWidth, LearningRate = 0.1, BatchSize = 32, MaxEpoch = quick ? 2 : 15, EarlyStoppingPatience = 0 }),
            ("Spiral", PaperDatasets.Spiral(), new TrainingSettings { InitialWidth = TrainingDefaults.PaperInitialWidth, LearningRate = 0.05, WeightPriorScale = 10, MaxEpoch = quick ? 2 : 150, EarlyStoppingPatience = 0 }),
        };
        yield return "| data set | optimizer state on resize | test accuracy mean (min–max) | final width mean (min–max) | seeds |";
        yield return "|---|---|---|---|---|";
        foreach (var (name, data, settings) in cases)
        {
            var (train, validation, test) = Splits.PaperSplit(data);
            foreach (bool reset in new[] { false, true })
            {
                var accuracies = new List<double>();
                var widths = new List<double>();
                for (int seed = 0; seed < seeds; seed++)
                {
                    TrainingResult result = AdaptiveWidthNetworkTrainer.Train(NetworkTask.BinaryClassification, 2,
                        new TrainingData(train.Features, 2, train.Labels), new TrainingData(validation.Features, 2, validation.Labels),
                        settings with { Seed = seed, ResetOptimizerStateOnResize = reset });
                    accuracies.Add(Accuracy(result.Model, test));
                    widths.Add(result.History[^1].Widths[0]);
                }
                yield return $"| {name} | {(reset ? "reset resized tensors (reference)" : "keep survivors' moments (default)")} | " +
                    $"{accuracies.Average():P2} ({accuracies.Min():P2}–{accuracies.Max():P2}) | {widths.Average():F1} ({widths.Min()}–{widths.Max()}) | {seeds} |";
            }
        }
    }

    private static double Accuracy(AdaptiveWidthModel model, Dataset d)
    {
        var output = new float[1];
        int correct = 0;
        for (int i = 0; i < d.RowCount; i++)
        {
            model.Score(d.Row(i), output);
            correct += (output[0] > 0 ? 1 : 0) == (int)d.Labels[i] ? 1 : 0;
        }
        return (double)correct / d.RowCount;
    }
}
