using Microsoft.ML.AdaptiveWidth.Inference;
using Microsoft.ML.AdaptiveWidth.Tests.Infrastructure;

namespace Microsoft.ML.AdaptiveWidth.Tests.Inference;

[TestClass]
public sealed class ModelAveragingTest
{
    private static AdaptiveWidthModel[] Members(Random random, int inputs, int outputs, params int[][] widths) =>
        widths.Select(w => RandomModels.Model(random, inputs, w, outputs)).ToArray();

    [TestMethod]
    [DataRow(1)]
    [DataRow(2)]
    [DataRow(3)]
    public void Average_ScoresTheMeanOfTheMembersRawOutputs(int hiddenLayers)
    {
        var random = new Random(5);
        int[][] widths = [.. new[] { 7, 12, 4 }.Select(w => Enumerable.Range(0, hiddenLayers).Select(l => w + 3 * l).ToArray())];
        AdaptiveWidthModel[] members = Members(random, 6, 3, widths);
        AdaptiveWidthModel merged = ModelAveraging.Average(members);

        CollectionAssert.AreEqual(Enumerable.Range(0, hiddenLayers).Select(l => widths.Sum(w => w[l])).ToArray(), merged.LayerWidths.ToArray());
        for (int row = 0; row < 20; row++)
        {
            float[] x = RandomModels.Values(random, 6, 2f);
            float[] expected = new float[3];
            foreach (AdaptiveWidthModel m in members)
            {
                float[] y = RandomModels.Score(m, x);
                for (int k = 0; k < 3; k++)
                {
                    expected[k] += y[k] / members.Length;
                }
            }
            float[] actual = RandomModels.Score(merged, x);
            for (int k = 0; k < 3; k++)
            {
                Assert.AreEqual(expected[k], actual[k], 1e-4, $"row {row}, output {k}");
            }
        }
    }

    [TestMethod]
    public void Average_OrdersNeuronsByTheMixtureImportance_AndKeepsEachMembersOrder()
    {
        var random = new Random(6);
        AdaptiveWidthModel[] members = Members(random, 4, 2, [5, 5], [9, 3]);
        AdaptiveWidthModel merged = ModelAveraging.Average(members);
        for (int l = 0; l < 2; l++)
        {
            float[] p = merged.Importance(l).ToArray();
            for (int j = 1; j < p.Length; j++)
            {
                Assert.IsTrue(p[j] <= p[j - 1], $"layer {l}: importance must not increase ({p[j - 1]} then {p[j]})");
            }
            double expected = members.Sum(m => m.Importance(l).ToArray().Sum()) / members.Length;
            Assert.AreEqual(expected, p.Sum(), 1e-5, "the mixture keeps each member's share");
        }
    }

    [TestMethod]
    public void MergedTwoLayerModel_IsScoredBlockByBlock_WithTheDenseResult_AlsoAfterTruncation()
    {
        var random = new Random(7);
        AdaptiveWidthModel merged = ModelAveraging.Average(Members(random, 5, 4, [8, 6], [10, 4], [6, 9]));
        Assert.AreEqual(3, merged.BlockCount, "three members are three independent chains");
        AdaptiveWidthModel truncated = merged.Truncate([12, 10]);
        Assert.AreEqual(3, truncated.BlockCount, "a prefix of the merged order keeps every member");
        foreach (AdaptiveWidthModel model in new[] { merged, truncated })
        {
            for (int row = 0; row < 10; row++)
            {
                float[] x = RandomModels.Values(random, 5, 2f);
                float[] blockwise = RandomModels.Score(model, x);
                var gradient = new float[5];
                for (int k = 0; k < 4; k++)
                {
                    // InputGradient's forward pass runs the dense layers as stored.
                    float dense = model.InputGradient(x, k, gradient);
                    Assert.AreEqual(dense, blockwise[k], 1e-4, $"row {row}, output {k}");
                }
            }
        }
    }

    [TestMethod]
    public void MergedModel_WithNeuronsCutOffByZeroWeights_IsStillScoredChainByChain_WithTheDenseResult()
    {
        // A neuron whose outgoing weights are all 0 (a new neuron that never fired in training) and one whose incoming
        // weights are all 0 form components that miss a layer; they used to send the whole model to the dense path
        // (every zero weight between the members multiplied: 4 to 5 times the single-row latency on the suite).
        var random = new Random(12);
        AdaptiveWidthModel merged = ModelAveraging.Average(Members(random, 5, 3, [8, 6], [10, 4], [6, 9]));
        DenseLayer[] layers = merged.Layers.ToArray();
        float[] middle = layers[1].Weights.ToArray();
        float[] output = layers[2].Weights.ToArray();
        int last1 = layers[0].Outputs - 1, last2 = layers[1].Outputs - 1;
        for (int o = 0; o < layers[1].Outputs; o++)
        {
            middle[o * layers[1].Inputs + last1] = 0f; // layer 1's last neuron reaches nothing
        }
        middle.AsSpan(last2 * layers[1].Inputs, layers[1].Inputs).Clear(); // layer 2's last neuron hears nothing: φ(bias)
        layers[1] = new DenseLayer(layers[1].Inputs, layers[1].Outputs, middle, layers[1].Bias.ToArray(), layers[1].Activation);
        var model = new AdaptiveWidthModel(layers, Enumerable.Range(0, 2).Select(l => merged.Importance(l).ToArray()).ToArray());

        Assert.AreEqual(3, model.BlockCount, "the cut-off neurons join a chain; the three members stay apart");
        Assert.AreNotEqual(0f, output[last2], "the constant neuron still reaches the output");
        var gradient = new float[5];
        for (int row = 0; row < 10; row++)
        {
            float[] x = RandomModels.Values(random, 5, 2f);
            float[] blockwise = RandomModels.Score(model, x);
            for (int k = 0; k < 3; k++)
            {
                float dense = model.InputGradient(x, k, gradient);
                Assert.AreEqual(dense, blockwise[k], 1e-4, $"row {row}, output {k}");
            }
        }
    }

    [TestMethod]
    public void MergedModel_WideRowsMostlyZero_AreScoredAsTheDenseLayers()
    {
        // 40 inputs: rows with at least half zeros (one-hot columns) take the sparse first-layer kernel; three hidden layers
        // so that two are scored chain by chain; widths of 64 and more take the widest register blocks.
        var random = new Random(11);
        AdaptiveWidthModel merged = ModelAveraging.Average(Members(random, 40, 3, [30, 20, 12], [40, 9, 16], [25, 33, 8]));
        Assert.AreEqual(3, merged.BlockCount);
        var gradient = new float[40];
        for (int row = 0; row < 30; row++)
        {
            float[] x = RandomModels.Values(random, 40, 2f);
            double zeros = row % 3 == 0 ? 0 : row % 3 == 1 ? 0.6 : 1;
            for (int i = 0; i < x.Length; i++)
            {
                x[i] = random.NextDouble() < zeros ? 0f : x[i];
            }
            float[] scored = RandomModels.Score(merged, x);
            for (int k = 0; k < 3; k++)
            {
                float dense = merged.InputGradient(x, k, gradient);
                Assert.AreEqual(dense, scored[k], 1e-4 * Math.Max(1, Math.Abs(dense)), $"row {row} ({zeros:P0} zeros), output {k}");
            }
        }
        float[] nan = new float[40];
        nan[7] = float.NaN;
        Assert.IsTrue(RandomModels.Score(merged, nan).All(float.IsNaN), "a NaN in a mostly zero row still gives NaN everywhere");
    }

    [TestMethod]
    public void MergedModel_CountsItsMembersMultiplyAdds_AndAComputeBudgetTruncatesByThatCount()
    {
        var random = new Random(10);
        AdaptiveWidthModel[] members = Members(random, 5, 3, [8, 6], [10, 4], [6, 9]);
        AdaptiveWidthModel merged = ModelAveraging.Average(members);

        Assert.AreEqual(members.Sum(m => m.MultiplyAdds), merged.MultiplyAdds, "the zero weights between members are not counted");
        Assert.IsLessThan(merged.Layers.Sum(l => l.MultiplyAdds), merged.MultiplyAdds);
        CollectionAssert.AreEqual(merged.LayerWidths.ToArray(), merged.Truncate(TruncationTarget.MultiplyAdds(merged.MultiplyAdds)).LayerWidths.ToArray(),
            "a budget of the model's own cost keeps every neuron");
        long half = merged.MultiplyAdds / 2;
        AdaptiveWidthModel truncated = merged.Truncate(TruncationTarget.MultiplyAdds(half));
        Assert.IsLessThanOrEqualTo(half, truncated.MultiplyAdds);
        Assert.IsLessThan(merged.LayerWidths[0], truncated.LayerWidths[0]);
    }

    [TestMethod]
    public void OrdinaryNetwork_IsOneBlock_AndASingleMemberIsReturnedAsIs()
    {
        var random = new Random(8);
        AdaptiveWidthModel single = RandomModels.Model(random, 5, [6, 6, 6], 2);
        Assert.AreEqual(1, single.BlockCount);
        Assert.AreSame(single, ModelAveraging.Average([single]));
    }

    [TestMethod]
    public void Average_RejectsMembersOfDifferentShapes()
    {
        var random = new Random(9);
        AdaptiveWidthModel a = RandomModels.Model(random, 5, [6, 6], 2);
        Assert.ThrowsExactly<ArgumentException>(() => ModelAveraging.Average([a, RandomModels.Model(random, 4, [6, 6], 2)]));
        Assert.ThrowsExactly<ArgumentException>(() => ModelAveraging.Average([a, RandomModels.Model(random, 5, [6], 2)]));
        Assert.ThrowsExactly<ArgumentException>(() => ModelAveraging.Average([a, RandomModels.Model(random, 5, [6, 6], 3)]));
        Assert.ThrowsExactly<ArgumentException>(() => ModelAveraging.Average([a, RandomModels.Model(random, 5, [6, 6], 2, ActivationKind.ReLU)]));
        Assert.ThrowsExactly<ArgumentException>(() => ModelAveraging.Average([]));
    }
}
