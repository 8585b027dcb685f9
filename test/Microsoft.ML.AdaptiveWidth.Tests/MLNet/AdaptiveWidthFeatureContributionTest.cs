using Microsoft.ML.AdaptiveWidth.Inference;
using Microsoft.ML.AdaptiveWidth.Tests.Infrastructure;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.AdaptiveWidth;

namespace Microsoft.ML.AdaptiveWidth.Tests.MLNet;

/// <summary>A row with six features, of which the label depends on the first two only.</summary>
public sealed class SixFeatureRow
{
    public float Label { get; set; }

    [VectorType(6)]
    public float[] Features { get; set; } = [];
}

/// <summary>
/// Feature contributions (issue 16 §3): the managed input gradient against finite differences, ML.NET's
/// CalculateFeatureContribution transform on binary and regression models (also after save and load), the multiclass
/// model's per-class contributions, and a task whose informative features are known.
/// </summary>
[TestClass]
public sealed class AdaptiveWidthFeatureContributionTest
{
    [TestMethod]
    [DataRow(ActivationKind.ReLU6, new int[0], 1)]
    [DataRow(ActivationKind.ReLU6, new[] { 9 }, 1)]
    [DataRow(ActivationKind.ReLU6, new[] { 11, 6 }, 3)]
    [DataRow(ActivationKind.ReLU, new[] { 8, 5 }, 1)]
    [DataRow(ActivationKind.LeakyReLU, new[] { 7, 7, 4 }, 2)]
    public void AdaptiveWidthModel_InputGradient_MatchesCentralFiniteDifferences(ActivationKind activation, int[] widths, int outputs)
    {
        var random = new Random(16 + widths.Length);
        const int Inputs = 5;
        const double H = 1e-5;
        int checkedEntries = 0;
        for (int m = 0; m < 4; m++)
        {
            AdaptiveWidthModel model = RandomModels.Model(random, Inputs, widths, outputs, activation);
            for (int row = 0; row < 10; row++)
            {
                float[] x = RandomModels.Values(random, Inputs, 2f);
                for (int k = 0; k < outputs; k++)
                {
                    var gradient = new float[Inputs];
                    float value = model.InputGradient(x, k, gradient);
                    Assert.AreEqual(RandomModels.Score(model, x)[k], value, "the returned value is the score");
                    for (int i = 0; i < Inputs; i++)
                    {
                        double[] plus = x.Select(v => (double)v).ToArray();
                        double[] minus = (double[])plus.Clone();
                        plus[i] += H;
                        minus[i] -= H;
                        double numeric = (Forward(model, plus)[k] - Forward(model, minus)[k]) / (2 * H);
                        // Exact up to float32 rounding of the weights' products, unless a neuron's kink lies within ±H.
                        Assert.AreEqual(numeric, gradient[i], 1e-4 * (1 + Math.Abs(numeric)),
                            $"model {m}, row {row}, output {k}, feature {i}");
                        checkedEntries++;
                    }
                }
            }
        }
        Assert.AreEqual(4 * 10 * outputs * Inputs, checkedEntries);
    }

    [TestMethod]
    public void AdaptiveWidthModel_InputGradient_NaNFeatureGivesNaNAndBadArgumentsThrow()
    {
        AdaptiveWidthModel model = RandomModels.Model(new Random(3), 4, [6], 2);
        var gradient = new float[4];

        model.InputGradient([1f, float.NaN, 0f, 2f], 1, gradient);

        Assert.IsTrue(gradient.All(float.IsNaN), string.Join(", ", gradient));
        Assert.Throws<ArgumentException>(() => model.InputGradient(new float[3], 0, gradient));
        Assert.Throws<ArgumentException>(() => model.InputGradient(new float[4], 0, new float[5]));
        Assert.Throws<ArgumentOutOfRangeException>(() => model.InputGradient(new float[4], 2, gradient));
    }

    [TestMethod]
    public void CalculateFeatureContribution_Binary_IsGradientTimesInputOfTheLogitAndSurvivesSaveAndLoad()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = ml.Data.LoadFromEnumerable(MLNetTestData.Blobs(200, seed: 1));
        var model = ml.BinaryClassification.Trainers.AdaptiveWidth(MLNetTestData.Fast(new AdaptiveWidthBinaryTrainer.Options())).Fit(data);

        var contributions = ml.Transforms.CalculateFeatureContribution(model, normalize: false).Fit(model.Transform(data));
        ITransformer chain = model.Append(contributions);
        float[][] actual = MLNetAssert.Vectors(chain.Transform(data), "FeatureContributions");

        AssertGradientTimesInput(model.Model.SubModel.Network, MLNetAssert.Vectors(data, "Features"), actual);
        AssertSameAfterSaveAndLoad(ml, chain, data, actual);
    }

    [TestMethod]
    public void CalculateFeatureContribution_Regression_IsGradientTimesInputAndSurvivesSaveAndLoad()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = ml.Data.LoadFromEnumerable(MLNetTestData.Linear(200, seed: 1));
        var model = ml.Regression.Trainers.AdaptiveWidth(MLNetTestData.Fast(new AdaptiveWidthRegressionTrainer.Options())).Fit(data);

        ITransformer chain = model.Append(ml.Transforms.CalculateFeatureContribution(model, normalize: false).Fit(model.Transform(data)));
        float[][] actual = MLNetAssert.Vectors(chain.Transform(data), "FeatureContributions");

        AssertGradientTimesInput(model.Model.Network, MLNetAssert.Vectors(data, "Features"), actual);
        AssertSameAfterSaveAndLoad(ml, chain, data, actual);
    }

    [TestMethod]
    public void CalculateFeatureContribution_TopAndNormalize_KeepTheLargestScaledAsMLNetDoes()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = ml.Data.LoadFromEnumerable(MLNetTestData.Linear(200, seed: 1));
        var model = ml.Regression.Trainers.AdaptiveWidth(MLNetTestData.Fast(new AdaptiveWidthRegressionTrainer.Options())).Fit(data);

        IDataView scored = model.Transform(data);
        float[][] full = MLNetAssert.Vectors(ml.Transforms.CalculateFeatureContribution(model, normalize: false).Fit(scored).Transform(scored), "FeatureContributions");
        float[][] top = MLNetAssert.Vectors(ml.Transforms.CalculateFeatureContribution(model, numberOfPositiveContributions: 1,
            numberOfNegativeContributions: 0, normalize: true).Fit(scored).Transform(scored), "FeatureContributions");

        for (int r = 0; r < full.Length; r++)
        {
            int largest = Array.IndexOf(full[r], full[r].Max());
            Assert.HasCount(3, top[r]);
            if (full[r][largest] > 0)
            {
                Assert.AreEqual(1f, top[r][largest], 1e-6f, $"row {r}: the largest positive contribution, scaled to 1");
                Assert.AreEqual(1, top[r].Count(v => v != 0), $"row {r}: only the top one is kept");
            }
        }
    }

    [TestMethod]
    public void CalculateFeatureContribution_OnlyTheInformativeFeaturesContribute()
    {
        // y = 2·x0 − 1.5·x1 + x0·x1 + small noise; x2..x5 are noise features the label does not depend on.
        var random = new Random(7);
        List<SixFeatureRow> rows = Enumerable.Range(0, 600).Select(_ =>
        {
            float[] x = Enumerable.Range(0, 6).Select(_ => 2f * random.NextSingle() - 1f).ToArray();
            return new SixFeatureRow { Features = x, Label = 2 * x[0] - 1.5f * x[1] + x[0] * x[1] + 0.05f * (2f * random.NextSingle() - 1f) };
        }).ToList();
        var ml = new MLContext(seed: 1);
        IDataView data = ml.Data.LoadFromEnumerable(rows);
        AdaptiveWidthRegressionTrainer.Options options = MLNetTestData.Fast(new AdaptiveWidthRegressionTrainer.Options());
        options.MaxEpoch = 40;
        var model = ml.Regression.Trainers.AdaptiveWidth(options).Fit(data);

        IDataView scored = model.Transform(data);
        float[][] contributions = MLNetAssert.Vectors(
            ml.Transforms.CalculateFeatureContribution(model, normalize: false).Fit(scored).Transform(scored), "FeatureContributions");

        double[] meanAbs = Enumerable.Range(0, 6).Select(i => contributions.Average(c => (double)Math.Abs(c[i]))).ToArray();
        string report = string.Join(", ", meanAbs.Select(v => v.ToString("G3")));
        double noise = meanAbs.Skip(2).Max();
        Assert.IsGreaterThan(5 * noise, meanAbs[0], report);
        Assert.IsGreaterThan(5 * noise, meanAbs[1], report);
        Assert.IsGreaterThan(meanAbs[1], meanAbs[0], $"x0 has the larger effect: {report}");
    }

    [TestMethod]
    public void MulticlassFeatureContributions_ArePerClassGradientTimesInputOfTheLogits()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = ml.Data.LoadFromEnumerable(MLNetTestData.Mixture(150, seed: 1));
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.Transforms.Concatenate("Features", "F1", "F2", "F3"))
            .Append(ml.MulticlassClassification.Trainers.AdaptiveWidth(MLNetTestData.Fast(new AdaptiveWidthMulticlassTrainer.Options())));
        AdaptiveWidthMulticlassModelParameters model = pipeline.Fit(data).LastTransformer.Model;
        float[] x = [2.5f, 0.2f, -0.3f];

        float[][] contributions = model.FeatureContributions(x);

        Assert.HasCount(3, contributions);
        for (int k = 0; k < 3; k++)
        {
            var gradient = new float[3];
            model.Network.InputGradient(x, k, gradient);
            CollectionAssert.AreEqual(gradient.Select((g, i) => g * x[i]).ToArray(), contributions[k], $"class {k}");
        }
        // The row sits near class 0's centre (3, 0, 0): its first feature speaks for class 0 more than for the others.
        Assert.IsGreaterThan(contributions[1][0], contributions[0][0]);
        Assert.IsGreaterThan(contributions[2][0], contributions[0][0]);
        Assert.Throws<ArgumentException>(() => model.FeatureContributions(new float[2]));
    }

    private static void AssertGradientTimesInput(AdaptiveWidthModel network, float[][] features, float[][] actual)
    {
        Assert.HasCount(features.Length, actual);
        for (int r = 0; r < features.Length; r++)
        {
            var gradient = new float[network.InputCount];
            network.InputGradient(features[r], 0, gradient);
            CollectionAssert.AreEqual(gradient.Select((g, i) => g * features[r][i]).ToArray(), actual[r], $"row {r}");
        }
        Assert.IsTrue(actual.Any(c => c.Any(v => v != 0)), "some contribution is nonzero");
    }

    private static void AssertSameAfterSaveAndLoad(MLContext ml, ITransformer chain, IDataView data, float[][] expected)
    {
        using var stream = new MemoryStream();
        ml.Model.Save(chain, data.Schema, stream);
        stream.Position = 0;
        ITransformer loaded = new MLContext(seed: 2).Model.Load(stream, out _);
        float[][] reloaded = MLNetAssert.Vectors(loaded.Transform(data), "FeatureContributions");
        for (int r = 0; r < expected.Length; r++)
        {
            CollectionAssert.AreEqual(expected[r], reloaded[r], $"row {r} after save and load");
        }
    }

    /// <summary>The model's outputs in double precision, by the scalar oracle (weights read by index), from a double row.</summary>
    private static double[] Forward(AdaptiveWidthModel model, double[] x)
    {
        var current = new Reference(x, new double[x.Length]);
        foreach (DenseLayer layer in model.Layers)
        {
            current = ScalarReference.Forward(layer, current, layer.Inputs, layer.Outputs);
        }
        return current.Values;
    }
}
