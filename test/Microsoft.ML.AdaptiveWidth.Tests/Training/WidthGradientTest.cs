using Microsoft.ML.AdaptiveWidth.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.AdaptiveWidth.Tests.Training;

/// <summary>Finite-difference checks: autograd must reach the flat gradient buffer through the leaf views.</summary>
[TestClass]
public sealed class WidthGradientTest
{
    private const double GradientTolerance = 2e-2; // relative, float32 central differences with step 1e-2

    [TestMethod]
    [DataRow(1)]
    [DataRow(2)]
    public void AdaptiveWidthNetwork_Gradient_MatchesFiniteDifferences(int layers)
    {
        TorchRuntime.Initialize(1);
        var settings = new TrainingSettings { NumberOfLayers = layers, InitialWidth = 13, Activation = Microsoft.ML.AdaptiveWidth.Inference.ActivationKind.LeakyReLU };
        using var sut = new AdaptiveWidthNetwork(3, 2, settings, new Generator(3));
        var objective = new WidthObjective(NetworkTask.MulticlassClassification, settings, 100);
        var random = new Random(5);
        float[] x = Enumerable.Range(0, 8 * 3).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        long[] y = Enumerable.Range(0, 8).Select(i => (long)(i % 2)).ToArray();
        using var features = tensor(x, new long[] { 8, 3 });
        using var labels = tensor(y);

        double Loss()
        {
            sut.UpdateWidths(); // re-reads the rates (the perturbation does not change the widths at λ = 0.2)
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            return objective.DataLoss(sut.Forward(features), labels, null).ToDouble();
        }

        sut.Gradient.zero_();
        using (var scope = NewDisposeScope())
        {
            objective.DataLoss(sut.Forward(features), labels, null).backward();
        }
        sut.AccumulateRateGradients(objective.RatePriorGradient);
        float[] analytic = sut.Gradient.data<float>().ToArray();
        Assert.IsTrue(analytic.Any(g => g != 0), "no gradient reached the flat buffer");

        // Check the rates and a sample of weights spread over the buffer's active parts.
        var checkedIndices = new List<long>();
        for (int l = 0; l < layers; l++)
        {
            checkedIndices.Add(sut.Layout.Rates.Offset + l);
        }
        foreach (var (block, rows, columns) in sut.Layout.ActiveWeights(sut.Widths))
        {
            checkedIndices.Add(block.Offset);
            checkedIndices.Add(block.Offset + (long)(rows - 1) * block.CapacityColumns + columns - 1);
        }
        foreach (long index in checkedIndices)
        {
            const float step = 2e-3f;
            float original = sut.Parameters[index].ToSingle();
            sut.Parameters[index] = original + step;
            double plus = Loss();
            sut.Parameters[index] = original - step;
            double minus = Loss();
            sut.Parameters[index] = original;
            double numeric = (plus - minus) / (2 * step);
            double scale = Math.Max(1e-2, Math.Max(Math.Abs(numeric), Math.Abs(analytic[index])));
            Assert.IsTrue(Math.Abs(numeric - analytic[index]) <= GradientTolerance * scale,
                $"parameter {index}: autograd {analytic[index]}, finite difference {numeric}");
        }
    }
}
