using System.Diagnostics;
using Microsoft.ML.AdaptiveWidth.Training;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Microsoft.ML.AdaptiveWidth.Benchmarks;

/// <summary>Microseconds (thread CPU time, fastest of ten blocks) of the pieces of one training step of a given shape (for finding overheads).</summary>
internal static class StepCostStudy
{
    /// <param name="repetitions">Timed calls per piece.</param>
    /// <param name="features">Inputs.</param>
    /// <param name="width">Initial width of every hidden layer.</param>
    /// <param name="layers">Hidden layers.</param>
    /// <param name="outputs">1: binary cross-entropy; more: multiclass cross-entropy.</param>
    /// <param name="adaptive">False: λ frozen and no importance (a plain MLP through the same network class).</param>
    public static IEnumerable<string> Run(int repetitions, int features = 2, int width = 232, int layers = 1, int outputs = 1, bool adaptive = true)
    {
        TorchRuntime.Initialize(1);
        var settings = new TrainingSettings
        {
            NumberOfLayers = layers,
            InitialWidth = width,
            MaximumWidth = null,
            AdaptWidth = adaptive,
            UseImportance = adaptive,
        };
        NetworkTask task = outputs == 1 ? NetworkTask.BinaryClassification : NetworkTask.MulticlassClassification;
        using var generator = new Generator(1);
        using var network = new AdaptiveWidthNetwork(features, outputs, settings, generator);
        var objective = new WidthObjective(task, settings, 20000);
        using var x = randn(128, features);
        using var y = outputs == 1 ? rand(128).gt(0.5).to_type(ScalarType.Float32) : randint(outputs, [128]);

        double Time(Action action)
        {
            for (int i = 0; i < 20; i++)
            {
                action();
            }
            // Thread CPU time rather than wall time (on a shared machine, waiting for a core is not our cost), and the
            // fastest of ten blocks, since interference from other processes only ever adds time.
            double best = double.PositiveInfinity;
            int block = Math.Max(1, repetitions / 10);
            for (int b = 0; b < 10; b++)
            {
                double start = CpuClock.Milliseconds();
                for (int i = 0; i < block; i++)
                {
                    action();
                }
                best = Math.Min(best, (CpuClock.Milliseconds() - start) * 1000 / block);
            }
            return best;
        }

        void Step()
        {
            network.UpdateWidths();
            using var scope = NewDisposeScope();
            network.Gradient.zero_();
            Tensor loss = objective.DataLoss(network.Forward(x), y, null);
            loss.backward();
            network.AccumulateRateGradients(objective.RatePriorGradient);
            objective.AddWeightPriorGradient(network.Parameters, network.Gradient, network.Layout.ThetaLength);
            network.Optimizer.Step(network.Parameters, network.Gradient);
        }

        // The whole step again, each segment timed inside the same loop (wall time; the split is what matters).
        var segments = new double[7];
        void Segmented()
        {
            long t0 = Stopwatch.GetTimestamp();
            network.UpdateWidths();
            using var scope = NewDisposeScope();
            network.Gradient.zero_();
            long t1 = Stopwatch.GetTimestamp();
            Tensor output = network.Forward(x);
            long t2 = Stopwatch.GetTimestamp();
            Tensor loss = objective.DataLoss(output, y, null);
            long t3 = Stopwatch.GetTimestamp();
            loss.backward();
            long t4 = Stopwatch.GetTimestamp();
            network.AccumulateRateGradients(objective.RatePriorGradient);
            objective.AddWeightPriorGradient(network.Parameters, network.Gradient, network.Layout.ThetaLength);
            long t5 = Stopwatch.GetTimestamp();
            network.Optimizer.Step(network.Parameters, network.Gradient);
            long t6 = Stopwatch.GetTimestamp();
            segments[0] += t1 - t0;
            segments[1] += t2 - t1;
            segments[2] += t3 - t2;
            segments[3] += t4 - t3;
            segments[4] += t5 - t4;
            segments[5] += t6 - t5;
            segments[6]++;
        }

        int w0 = network.Widths[0];
        bool grow = true;
        yield return $"Shape {features}-{string.Join("-", network.Widths)}-{outputs}, {(adaptive ? "adaptive" : "fixed (plain)")}, batch 128, {network.Layout.TotalLength:N0} parameters (flat)";
        yield return "";
        yield return "| piece | µs |";
        yield return "|---|---|";
        yield return $"| whole step: update widths, zero, forward+loss+backward, rate gradients, weight prior, Adam | {Time(Step):F1} |";
        Time(Segmented);
        double Us(int i) => segments[i] / segments[6] / Stopwatch.Frequency * 1e6;
        yield return $"| segments of the whole step (wall): widths+zero {Us(0):F1}, forward {Us(1):F1}, loss {Us(2):F1}, backward {Us(3):F1}, rate+prior gradients {Us(4):F1}, Adam {Us(5):F1} | {Enumerable.Range(0, 6).Sum(Us):F1} |";
        yield return $"| forward (no grad) | {Time(() => { using var s = NewDisposeScope(); using var g = no_grad(); network.Forward(x); }):F1} |";
        yield return $"| forward+loss+backward | {Time(() => { using var s = NewDisposeScope(); objective.DataLoss(network.Forward(x), y, null).backward(); }):F1} |";
        yield return $"| forward+loss+backward after an in-place update of the flat buffer | {Time(() => { using (no_grad()) { network.Parameters.add_(0f); } using var s = NewDisposeScope(); objective.DataLoss(network.Forward(x), y, null).backward(); }):F1} |";
        yield return $"| zero + forward+loss+backward | {Time(() => { network.Gradient.zero_(); using var s = NewDisposeScope(); objective.DataLoss(network.Forward(x), y, null).backward(); }):F1} |";
        yield return $"| update widths + importance upload | {Time(() => { network.UpdateWidths(); if (adaptive) { network.Importance(0); } }):F1} |";
        yield return $"| accumulate rate gradients | {Time(() => network.AccumulateRateGradients(objective.RatePriorGradient)):F1} |";
        yield return $"| zero gradient | {Time(() => network.Gradient.zero_()):F1} |";
        yield return $"| Adam step | {Time(() => network.Optimizer.Step(network.Parameters, network.Gradient)):F1} |";
        yield return $"| weight prior gradient | {Time(() => objective.AddWeightPriorGradient(network.Parameters, network.Gradient, network.Layout.ThetaLength)):F1} |";
        yield return $"| read rates (host) | {Time(() => network.Rates()):F1} |";
        if (layers == 1)
        {
            yield return $"| resize by ±1 | {Time(() => { network.Resize([grow ? w0 + 1 : w0]); grow = !grow; }):F1} |";
            using var w1 = randn(w0, features).requires_grad_(true);
            using var b1 = randn(w0).requires_grad_(true);
            using var w2 = randn(outputs, w0).requires_grad_(true);
            using var b2 = randn(outputs).requires_grad_(true);
            yield return $"| plain {features}-{w0}-{outputs} MLP forward+loss+backward (own contiguous leaves) | {Time(() => { using var s = NewDisposeScope(); Tensor h = F.relu6(F.linear(x, w1, b1)); objective.DataLoss(F.linear(h, w2, b2), y, null).backward(); }):F1} |";
            using var w = randn(features, w0);
            using var h128 = randn(128, w0);
            yield return $"| one matmul 128x{features} @ {features}x{w0} | {Time(() => { using var s = NewDisposeScope(); x.matmul(w); }):F1} |";
            yield return $"| relu6 on 128x{w0} | {Time(() => { using var s = NewDisposeScope(); F.relu6(h128); }):F1} |";
        }
    }
}
