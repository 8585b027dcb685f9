using System.Diagnostics;
using Microsoft.ML.AdaptiveWidth.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.AdaptiveWidth.Benchmarks;

/// <summary>Microseconds of the pieces of one adaptive training step (for finding overheads).</summary>
internal static class StepCostStudy
{
    public static IEnumerable<string> Run(int repetitions)
    {
        TorchRuntime.Initialize(1);
        var settings = new TrainingSettings();
        using var generator = new Generator(1);
        using var network = new AdaptiveWidthNetwork(2, 1, settings, generator);
        var objective = new WidthObjective(NetworkTask.BinaryClassification, settings, 1000);
        using var x = randn(128, 2);
        using var y = rand(128).gt(0.5).to_type(ScalarType.Float32);

        double Time(Action action)
        {
            for (int i = 0; i < 20; i++)
            {
                action();
            }
            // Process CPU time rather than wall time: on a shared machine, waiting for a core is not our cost.
            TimeSpan start = Process.GetCurrentProcess().TotalProcessorTime;
            for (int i = 0; i < repetitions; i++)
            {
                action();
            }
            return (Process.GetCurrentProcess().TotalProcessorTime - start).TotalMilliseconds * 1000 / repetitions;
        }

        void Step()
        {
            using var scope = NewDisposeScope();
            network.Gradient.zero_();
            Tensor loss = objective.DataLoss(network.Forward(x), y, null);
            loss.backward();
            network.AccumulateRateGradients(objective);
            objective.AddWeightPriorGradient(network.Parameters, network.Gradient, network.Layout.ThetaLength);
            network.Optimizer.Step(network.Parameters, network.Gradient);
        }

        int width = network.Widths[0];
        bool grow = true;
        yield return "| piece | µs |";
        yield return "|---|---|";
        yield return $"| read rates (host) | {Time(() => network.Rates()):F1} |";
        yield return $"| resize by ±1 | {Time(() => { network.Resize([grow ? width + 1 : width]); grow = !grow; }):F1} |";
        yield return $"| forward+backward+Adam step | {Time(Step):F1} |";
        yield return $"| forward (no grad) | {Time(() => { using var s = NewDisposeScope(); using var g = no_grad(); network.Forward(x); }):F1} |";
        yield return $"| forward+loss+backward | {Time(() => { using var s = NewDisposeScope(); objective.DataLoss(network.Forward(x), y, null).backward(); }):F1} |";
        yield return $"| update widths + importance upload | {Time(() => { network.UpdateWidths(); network.Importance(0); }):F1} |";
        yield return $"| forward+loss+backward after an in-place base update | {Time(() => { using (no_grad()) { network.Parameters.add_(0f); } using var s = NewDisposeScope(); objective.DataLoss(network.Forward(x), y, null).backward(); }):F1} |";
        yield return $"| accumulate rate gradients | {Time(() => network.AccumulateRateGradients(objective)):F1} |";
        yield return $"| zero gradient | {Time(() => network.Gradient.zero_()):F1} |";
        yield return $"| Adam step | {Time(() => network.Optimizer.Step(network.Parameters, network.Gradient)):F1} |";
        yield return $"| weight prior gradient | {Time(() => objective.AddWeightPriorGradient(network.Parameters, network.Gradient, network.Layout.ThetaLength)):F1} |";
        using var w1 = randn(232, 2).requires_grad_(true);
        using var b1 = randn(232).requires_grad_(true);
        using var w2 = randn(232, 1).requires_grad_(true);
        using var b2 = randn(1).requires_grad_(true);
        yield return $"| plain 2-232-1 MLP forward+loss+backward (own leaves) | {Time(() => { using var s = NewDisposeScope(); Tensor h = TorchSharp.torch.nn.functional.relu6(TorchSharp.torch.nn.functional.linear(x, w1, b1)); objective.DataLoss(b2.addmm(h, w2), y, null).backward(); }):F1} |";
        yield return $"| one matmul 128x2 @ 2x232 | {Time(() => { using var s = NewDisposeScope(); using var w = randn(2, 232); x.matmul(w); }):F1} |";
    }
}
