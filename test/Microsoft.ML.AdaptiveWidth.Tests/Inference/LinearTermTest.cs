using Microsoft.ML.AdaptiveWidth.Inference;
using Microsoft.ML.AdaptiveWidth.Tests.Infrastructure;

namespace Microsoft.ML.AdaptiveWidth.Tests.Inference;

[TestClass]
public sealed class LinearTermTest
{
    /// <summary>A random term whose range is the one of its z over <paramref name="rows"/>.</summary>
    private static LinearTerm Term(Random random, int inputs, int outputs, IReadOnlyList<float[]> rows)
    {
        float[] weights = RandomModels.Values(random, inputs * outputs, 3f);
        float[] bias = RandomModels.Values(random, outputs, 5f);
        var low = new double[outputs];
        var high = new double[outputs];
        for (int k = 0; k < outputs; k++)
        {
            double[] z = rows.Select(x => Z(weights, inputs, k, x)).ToArray();
            (low[k], high[k]) = (z.Min(), z.Max());
        }
        return new LinearTerm(inputs, weights, bias, low, high);
    }

    private static double Z(float[] weights, int inputs, int k, float[] x)
        => Enumerable.Range(0, inputs).Sum(j => (double)weights[k * inputs + j] * x[j]);

    [TestMethod]
    [DataRow(1, ActivationKind.ReLU6)]
    [DataRow(2, ActivationKind.ReLU6)]
    [DataRow(3, ActivationKind.ReLU)]
    [DataRow(2, ActivationKind.LeakyReLU)]
    public void Embed_AddsTheTermExactly_WithinTwiceItsTrainingRange(int hiddenLayers, ActivationKind activation)
    {
        var random = new Random(11);
        const int inputs = 5, outputs = 3;
        AdaptiveWidthModel network = RandomModels.Model(random, inputs, Enumerable.Range(0, hiddenLayers).Select(l => 6 + l).ToArray(), outputs, activation);
        float[][] training = Enumerable.Range(0, 50).Select(_ => RandomModels.Values(random, inputs, 2f)).ToArray();
        LinearTerm term = Term(random, inputs, outputs, training);
        AdaptiveWidthModel embedded = term.Embed(network);

        CollectionAssert.AreEqual(network.LayerWidths.Select(w => w + outputs).ToArray(), embedded.LayerWidths.ToArray(), "one neuron per output and layer");
        // Training rows, and new rows up to 1.9 times as far out (z within twice the range around its centre).
        IEnumerable<float[]> rows = training.Concat(Enumerable.Range(0, 50).Select(_ => RandomModels.Values(random, inputs, 2f).Select(v => v * 1.9f).ToArray()));
        int checkedRows = 0;
        foreach (float[] x in rows)
        {
            bool inside = Enumerable.Range(0, outputs).All(k =>
                Math.Abs(Z(term.Weights, inputs, k, x) - (term.Low[k] + term.High[k]) / 2) <= term.High[k] - term.Low[k]);
            if (!inside)
            {
                continue;
            }
            checkedRows++;
            float[] plain = RandomModels.Score(network, x);
            float[] actual = RandomModels.Score(embedded, x);
            for (int k = 0; k < outputs; k++)
            {
                double expected = plain[k] + Z(term.Weights, inputs, k, x) + term.Bias[k];
                Assert.AreEqual(expected, actual[k], 1e-3 * (1 + Math.Abs(expected)), $"output {k}");
            }
        }
        Assert.IsTrue(checkedRows >= 60, $"only {checkedRows} rows were inside the range");
    }

    [TestMethod]
    public void Embed_Saturates_FarOutsideTheTrainingRange_WithReLU6()
    {
        var random = new Random(12);
        AdaptiveWidthModel network = RandomModels.Model(random, 2, [4, 4], 1);
        var term = new LinearTerm(2, [1f, 0f], [0f], [-1], [1]);
        AdaptiveWidthModel embedded = term.Embed(network);
        float Difference(float x0) => RandomModels.Score(embedded, [x0, 0.5f])[0] - RandomModels.Score(network, [x0, 0.5f])[0];

        Assert.AreEqual(1.5, Difference(1.5f), 1e-4, "inside twice the range: exact");
        Assert.AreEqual(2.0, Difference(10f), 1e-4, "beyond: saturated at twice the range");
        Assert.AreEqual(-2.0, Difference(-10f), 1e-4);
    }

    [TestMethod]
    public void Embed_PutsTheNeuronsFirst_WithTheLayersLargestImportance_SoTruncationKeepsThem()
    {
        var random = new Random(13);
        AdaptiveWidthModel network = RandomModels.Model(random, 4, [8, 6], 2);
        float[][] training = Enumerable.Range(0, 30).Select(_ => RandomModels.Values(random, 4)).ToArray();
        LinearTerm term = Term(random, 4, 2, training);
        AdaptiveWidthModel embedded = term.Embed(network);
        for (int l = 0; l < 2; l++)
        {
            float[] p = embedded.Importance(l).ToArray();
            float top = network.Importance(l).ToArray().Max();
            Assert.AreEqual(top, p[0]);
            Assert.AreEqual(top, p[1]);
            CollectionAssert.AreEqual(network.Importance(l).ToArray(), p[2..]);
        }

        // Keeping only the term's neurons leaves the linear model itself.
        AdaptiveWidthModel linearOnly = embedded.Truncate([2, 2]);
        float[] x = training[3];
        float[] y = RandomModels.Score(linearOnly, x);
        for (int k = 0; k < 2; k++)
        {
            double expected = Z(term.Weights, 4, k, x) + term.Bias[k] + network.Layers[^1].Bias[k];
            Assert.AreEqual(expected, y[k], 1e-3 * (1 + Math.Abs(expected)), $"output {k}");
        }
    }

    [TestMethod]
    public void Average_AddsTheMeanOfTheTerms()
    {
        var random = new Random(14);
        float[][] rows = Enumerable.Range(0, 40).Select(_ => RandomModels.Values(random, 3)).ToArray();
        LinearTerm[] terms = [Term(random, 3, 2, rows), Term(random, 3, 2, rows), Term(random, 3, 2, rows)];
        LinearTerm mean = LinearTerm.Average(terms);
        foreach (float[] x in rows)
        {
            for (int k = 0; k < 2; k++)
            {
                double expected = terms.Average(t => Z(t.Weights, 3, k, x) + t.Bias[k]);
                Assert.AreEqual(expected, Z(mean.Weights, 3, k, x) + mean.Bias[k], 1e-4);
                double z = Z(mean.Weights, 3, k, x);
                Assert.IsTrue(z >= mean.Low[k] - 1e-4 && z <= mean.High[k] + 1e-4, "the mean's z stays in the mean range");
            }
        }
        Assert.ThrowsExactly<ArgumentException>(() => LinearTerm.Average([terms[0], new LinearTerm(2, [1f, 1f], [0f], [0], [1])]));
    }
}
