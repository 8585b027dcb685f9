using System.Diagnostics;
using Microsoft.ML.AdaptiveWidth.Training;

namespace Microsoft.ML.AdaptiveWidth.Benchmarks;

/// <summary>
/// Cost of one training epoch of the adaptive network vs a fixed-width network of the same final width through the
/// same code path (λ frozen: <see cref="TrainingSettings.AdaptWidth"/> = false). Target: at most 1.3x per epoch.
/// </summary>
internal static class EpochCostStudy
{
    public static IEnumerable<string> Run(int rows, int epochs)
    {
        // The adaptive run starts at 232 neurons and narrows, so its early epochs are wider than the fixed network;
        // the last third of the epochs, once the width has settled, is the like-for-like comparison.
        yield return $"| problem | rows | final width | adaptive ms/epoch (median wall) | fixed ms/epoch (median wall) | wall ratio | adaptive CPU ms/epoch | fixed CPU ms/epoch | CPU ratio | last third: mean adaptive width | last third: wall ratio |";
        yield return "|---|---|---|---|---|---|---|---|---|---|---|";
        foreach (int features in new[] { 2, 50 })
        {
            TrainingData data = Teacher(rows, features, seed: features);
            var adaptive = new TrainingSettings { MaxEpoch = epochs, EarlyStoppingPatience = 0, Seed = 1 };
            TimeSpan cpu = Process.GetCurrentProcess().TotalProcessorTime;
            TrainingResult a = AdaptiveWidthNetworkTrainer.Train(NetworkTask.BinaryClassification, 2, data, null, adaptive);
            double adaptiveCpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds / epochs;
            int width = a.Model.LayerWidths[0];
            // The rate whose quantile width is the adaptive run's final width.
            double rate = -Math.Log(1 - adaptive.Quantile) / (width - 1.5);
            var fixedSettings = adaptive with { AdaptWidth = false, InitialWidth = ExponentialImportance.Width(rate, 0.9), MaximumWidth = null };
            cpu = Process.GetCurrentProcess().TotalProcessorTime;
            TrainingResult f = AdaptiveWidthNetworkTrainer.Train(NetworkTask.BinaryClassification, 2, data, null, fixedSettings);
            double fixedCpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds / epochs;
            double am = Median(a.History.Skip(1).Select(r => r.Elapsed.TotalMilliseconds));
            double fm = Median(f.History.Skip(1).Select(r => r.Elapsed.TotalMilliseconds));
            int tail = Math.Max(1, epochs / 3);
            double aTail = Median(a.History.TakeLast(tail).Select(r => r.Elapsed.TotalMilliseconds));
            double fTail = Median(f.History.TakeLast(tail).Select(r => r.Elapsed.TotalMilliseconds));
            double tailWidth = a.History.TakeLast(tail).Average(r => r.Widths[0]);
            yield return $"| {features}-D-1 | {rows} | {width} (fixed: {f.Model.LayerWidths[0]}) | {am:F1} | {fm:F1} | {am / fm:F2}x | {adaptiveCpu:F1} | {fixedCpu:F1} | {adaptiveCpu / fixedCpu:F2}x | {tailWidth:F1} | {aTail / fTail:F2}x |";
        }
    }

    /// <summary>Gaussian features labelled by a random two-layer teacher network (a learnable, non-linear task).</summary>
    private static TrainingData Teacher(int rows, int features, int seed)
    {
        var random = new Random(seed);
        double Gaussian() => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
        int hidden = 16;
        double[] w1 = Enumerable.Range(0, hidden * features).Select(_ => Gaussian()).ToArray();
        double[] w2 = Enumerable.Range(0, hidden).Select(_ => Gaussian()).ToArray();
        var x = new float[rows * features];
        var y = new float[rows];
        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < features; j++)
            {
                x[i * features + j] = (float)Gaussian();
            }
            double score = 0;
            for (int h = 0; h < hidden; h++)
            {
                double z = 0;
                for (int j = 0; j < features; j++)
                {
                    z += w1[h * features + j] * x[i * features + j];
                }
                score += w2[h] * Math.Tanh(z);
            }
            y[i] = score > 0 ? 1 : 0;
        }
        return new TrainingData(x, features, y);
    }

    private static double Median(IEnumerable<double> values)
    {
        double[] sorted = values.OrderBy(v => v).ToArray();
        return sorted.Length == 0 ? double.NaN : sorted[sorted.Length / 2];
    }
}
