// The core API without ML.NET (--core): trains an adaptive-width network on the paper's SpiralHard data (generated bit-exactly, no
// download), printing per epoch the loss, the validation accuracy and the learned widths, then the test accuracy.
// Defaults: two adaptive layers, Adam 0.05, σθ = 10, 300 epochs (about 99.9% test accuracy; one adaptive layer, as
// in the paper's Table 1, needs thousands of epochs on SpiralHard).
//
//   dotnet run --project samples/Tabular -c Release -- --core [--data spiralhard|spiral|doublemoon --epochs N --seed S ...]
using System.Diagnostics;
using Microsoft.ML.AdaptiveWidth.Inference;
using Microsoft.ML.AdaptiveWidth.Training;

namespace AdaptiveWidth.Samples.Tabular;

/// <summary>The training core on the paper's synthetic sets, without ML.NET.</summary>
public static class CoreDemo
{
    public static int Run(string[] args)
    {
        string dataName = Argument(args, "--data", "spiralhard");
        int epochs = int.Parse(Argument(args, "--epochs", "300"));
        int seed = int.Parse(Argument(args, "--seed", "0"));
        double sigmaTheta = double.Parse(Argument(args, "--sigma-theta", "10"));
        double lr = double.Parse(Argument(args, "--lr", "0.05"));
        int patience = int.Parse(Argument(args, "--patience", "100"));
        int layers = int.Parse(Argument(args, "--layers", "2"));
        int batch = int.Parse(Argument(args, "--batch", "128"));
        bool standardize = args.Contains("--standardize");
        ActivationKind activation = Enum.Parse<ActivationKind>(Argument(args, "--activation", "ReLU6"), ignoreCase: true);
        double? ratePriorScale = args.Contains("--rate-prior-scale") ? double.Parse(Argument(args, "--rate-prior-scale", "")) : null;
        double ratePriorMean = double.Parse(Argument(args, "--rate-prior-mean", "0.01"));
        double? observations = args.Contains("--n") ? double.Parse(Argument(args, "--n", "")) : null;
        Dataset data = dataName switch
        {
            "spiral" => PaperData.Spiral(),
            "doublemoon" => PaperData.DoubleMoon(),
            "spiralhard" => PaperData.SpiralHard(),
            _ => throw new ArgumentException($"Unknown data set '{dataName}'; use spiralhard, spiral or doublemoon."),
        };
        var (train, validation, test) = Splits.PaperSplit(data);
        if (standardize)
        {
            (train, validation, test) = Standardize(train, validation, test);
        }
        Console.WriteLine($"{data.Name}: {train.RowCount} training, {validation.RowCount} validation, {test.RowCount} test rows");

        var settings = new TrainingSettings { MaxEpoch = epochs, EarlyStoppingPatience = patience, Seed = seed, WeightPriorScale = sigmaTheta, LearningRate = lr, NumberOfLayers = layers, BatchSize = batch,
            AdaptWidth = !args.Contains("--plain"), UseImportance = !args.Contains("--plain"),
            Activation = activation, WidthRegularization = ratePriorScale is double sl ? 1 / sl : 0, RatePriorMean = ratePriorMean, ObservationCount = observations };
        var clock = Stopwatch.StartNew();
        TrainingResult result = AdaptiveWidthNetworkTrainer.Train(
            NetworkTask.BinaryClassification, 2, ToTrainingData(train), ToTrainingData(validation), settings, new ConsoleProgress());
        Console.WriteLine($"Trained in {clock.Elapsed.TotalSeconds:F1} s; best epoch {result.BestEpoch} ({result.Stopped}); learned width {string.Join("-", result.Model.LayerWidths)}");
        Console.WriteLine($"Test accuracy: {Accuracy(result.Model, test):P2}");
        return 0;

        // z-scores with the training set's mean and standard deviation (what NormalizeMeanVariance does in ML.NET).
        static (Dataset, Dataset, Dataset) Standardize(Dataset train, Dataset validation, Dataset test)
        {
            int f = train.FeatureCount;
            var mean = new double[f];
            var std = new double[f];
            for (int j = 0; j < f; j++)
            {
                mean[j] = Enumerable.Range(0, train.RowCount).Average(i => train.Features[i * f + j]);
                std[j] = Math.Sqrt(Enumerable.Range(0, train.RowCount).Average(i => Math.Pow(train.Features[i * f + j] - mean[j], 2))) + 1e-6;
            }
            Dataset Apply(Dataset d) => new(d.Name, d.Features.Select((v, k) => (float)((v - mean[k % f]) / std[k % f])).ToArray(), f, d.Labels, d.ClassNames);
            return (Apply(train), Apply(validation), Apply(test));
        }

        static TrainingData ToTrainingData(Dataset d) => new(d.Features, d.FeatureCount, d.Labels);

        static double Accuracy(AdaptiveWidthModel model, Dataset d)
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

        static string Argument(string[] args, string name, string fallback)
        {
            int at = Array.IndexOf(args, name);
            return at >= 0 && at + 1 < args.Length ? args[at + 1] : fallback;
        }
    }
}

internal sealed class ConsoleProgress : IProgress<EpochRecord>
{
    public void Report(EpochRecord r) => Console.WriteLine(
        $"epoch {r.Epoch,4}  loss {r.TrainingLoss:F4}  validation loss {r.ValidationLoss:F4} accuracy {r.ValidationAccuracy:P1}  width {string.Join("-", r.Widths)}  ({r.Elapsed.TotalMilliseconds:F0} ms)");
}
