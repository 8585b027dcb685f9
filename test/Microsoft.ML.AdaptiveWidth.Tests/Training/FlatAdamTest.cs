using Microsoft.ML.AdaptiveWidth.Training;
using static TorchSharp.torch;

namespace Microsoft.ML.AdaptiveWidth.Tests.Training;

/// <summary>The flat optimizer against Adam as torch.optim.Adam documents it, computed in double precision.</summary>
[TestClass]
public sealed class FlatAdamTest
{
    /// <summary>
    /// Absolute tolerance on the parameters after <see cref="Steps"/> steps of at most lr each: float32 rounding of
    /// the moments and of the update is about 1e-7 of each step's size, far below this; a misplaced bias correction
    /// or ε changes some coordinate by a sizeable fraction of lr (the tiny-gradient coordinates make ε matter).
    /// </summary>
    private const double Tolerance = 1e-5;

    private const int Steps = 25;

    [TestMethod]
    public void FlatAdam_Step_MatchesTheAdamFormula()
    {
        TorchRuntime.Initialize(1);
        const double lr = 0.01, beta1 = 0.9, beta2 = 0.999, epsilon = 1e-8;
        var random = new Random(11);
        int n = 40;
        double[] theta = Enumerable.Range(0, n).Select(_ => random.NextDouble() * 2 - 1).ToArray();
        double[] m = new double[n], v = new double[n];
        using var parameters = tensor(theta.Select(t => (float)t).ToArray());
        using var gradient = zeros(n);
        using var sut = new FlatAdam(n, lr);

        for (int t = 1; t <= Steps; t++)
        {
            // Gradients from 1e-9 (where ε dominates the denominator) to 10, with both signs.
            float[] g = Enumerable.Range(0, n).Select(i => (float)((random.NextDouble() * 2 - 1) * Math.Pow(10, i % 11 - 9))).ToArray();
            gradient.copy_(tensor(g));
            sut.Step(parameters, gradient);
            for (int i = 0; i < n; i++)
            {
                m[i] = beta1 * m[i] + (1 - beta1) * g[i];
                v[i] = beta2 * v[i] + (1 - beta2) * g[i] * (double)g[i];
                double mHat = m[i] / (1 - Math.Pow(beta1, t));
                double vHat = v[i] / (1 - Math.Pow(beta2, t));
                theta[i] -= lr * mHat / (Math.Sqrt(vHat) + epsilon);
            }
        }

        float[] actual = parameters.data<float>().ToArray();
        for (int i = 0; i < n; i++)
        {
            Assert.AreEqual(theta[i], actual[i], Tolerance, $"parameter {i}");
        }
    }
}
