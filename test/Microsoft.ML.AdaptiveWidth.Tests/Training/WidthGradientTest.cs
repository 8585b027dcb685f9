using Microsoft.ML.AdaptiveWidth.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.AdaptiveWidth.Tests.Training;

/// <summary>
/// Finite-difference checks: autograd must reach the flat gradient buffer through the leaf views, and the rates'
/// host-side gradient (data term through the importance, plus the rate prior) must be the objective's derivative.
/// </summary>
[TestClass]
public sealed class WidthGradientTest
{
    private const double GradientTolerance = 2e-2; // relative, float32 central differences with step 2e-3

    [TestMethod]
    [DataRow(1)]
    [DataRow(2)]
    public void AdaptiveWidthNetwork_Gradient_MatchesFiniteDifferences(int layers) => CheckGradient(layers, ratePriorScale: null);

    /// <summary>With the rate prior on (σλ = 0.01, μλ = 0.05 against λ = 0.2, N = 100) its term dominates the rates' gradient.</summary>
    [TestMethod]
    [DataRow(1)]
    [DataRow(2)]
    public void AdaptiveWidthNetwork_GradientWithRatePrior_MatchesFiniteDifferences(int layers) => CheckGradient(layers, ratePriorScale: 0.01);

    [TestMethod]
    [DataRow(0.001)]
    [DataRow(0.01)]
    [DataRow(0.05)]
    [DataRow(0.3)]
    public void WidthObjective_RatePriorGradient_MatchesCentralDifferenceOfRatePriorValue(double rate)
    {
        // Annealed from epoch 2: the prior is off at epoch 1 and on, at a smaller σλ each epoch, from epoch 2.
        var settings = new TrainingSettings { WidthRegularization = 50, RatePriorMean = 0.05, WidthRegularizationStartEpoch = 2, MaxEpoch = 4 };
        using var sut = new WidthObjective(NetworkTask.BinaryClassification, settings, 250);
        sut.StartEpoch(1);
        Assert.IsFalse(sut.HasRatePrior);
        Assert.AreEqual(0, sut.RatePriorGradient(rate));

        for (int epoch = 2; epoch <= 4; epoch++)
        {
            sut.StartEpoch(epoch);
            Assert.IsTrue(sut.HasRatePrior);
            const double step = 1e-7;
            double numeric = (sut.RatePriorValue([rate + step]) - sut.RatePriorValue([rate - step])) / (2 * step);
            double analytic = sut.RatePriorGradient(rate);
            Assert.AreEqual(numeric, analytic, 1e-6 * Math.Max(1, Math.Abs(numeric)), $"epoch {epoch}, σλ {sut.RatePriorScale}");
            // The value sums over layers, so each layer's rate has its own gradient.
            double layered = (sut.RatePriorValue([0.1, rate + step]) - sut.RatePriorValue([0.1, rate - step])) / (2 * step);
            Assert.AreEqual(layered, analytic, 1e-6 * Math.Max(1, Math.Abs(layered)));
        }
    }

    private static void CheckGradient(int layers, double? ratePriorScale)
    {
        TorchRuntime.Initialize(1);
        var settings = new TrainingSettings
        {
            NumberOfLayers = layers, InitialWidth = 13, Activation = Microsoft.ML.AdaptiveWidth.Inference.ActivationKind.LeakyReLU,
            WidthRegularization = ratePriorScale is double sigma ? 1 / sigma : 0,
        };
        using var sut = new AdaptiveWidthNetwork(3, 2, settings, new Generator(3));
        using var objective = new WidthObjective(NetworkTask.MulticlassClassification, settings, 100);
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
            // The rate prior's term (0 when off) is part of the loss whose gradient the rates receive.
            return objective.DataLoss(sut.Forward(features), labels, null).ToDouble() + objective.RatePriorValue(sut.Rates());
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
