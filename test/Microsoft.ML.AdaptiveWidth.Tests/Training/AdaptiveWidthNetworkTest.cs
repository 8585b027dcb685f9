using Microsoft.ML.AdaptiveWidth.Inference;
using Microsoft.ML.AdaptiveWidth.Training;
using Microsoft.ML.AdaptiveWidth.Tests.Infrastructure;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.AdaptiveWidth.Tests.Training;

[TestClass]
public sealed class AdaptiveWidthNetworkTest
{
    private static AdaptiveWidthNetwork Create(int inputs, int outputs, TrainingSettings settings, int seed = 1)
    {
        TorchRuntime.Initialize(1);
        return new AdaptiveWidthNetwork(inputs, outputs, settings, new Generator((ulong)seed));
    }

    private static float[] Forward(AdaptiveWidthNetwork sut, float[] x, int inputs)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        return sut.Forward(tensor(x, new long[] { x.Length / inputs, inputs })).data<float>().ToArray();
    }

    private static float[] RandomRows(int rows, int inputs, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, rows * inputs).Select(_ => (float)(random.NextDouble() * 4 - 2)).ToArray();
    }

    private static float[] ScoreAll(AdaptiveWidthModel model, float[] x)
    {
        var result = new List<float>();
        var output = new float[model.OutputCount];
        for (int i = 0; i < x.Length / model.InputCount; i++)
        {
            model.Score(x.AsSpan(i * model.InputCount, model.InputCount), output);
            result.AddRange(output);
        }
        return result.ToArray();
    }

    [TestMethod]
    [DataRow(1)]
    [DataRow(2)]
    [DataRow(3)]
    public void AdaptiveWidthNetwork_Export_ScoresLikeTheTorchForward(int layers)
    {
        var settings = new TrainingSettings { NumberOfLayers = layers, InitialWidth = 48 };
        using var sut = Create(3, 4, settings);
        float[] x = RandomRows(50, 3, 2);

        float[] expected = Forward(sut, x, 3);
        AdaptiveWidthModel model = InferenceExporter.Export(sut.Snapshot(), settings);
        float[] actual = ScoreAll(model, x);

        FloatAssert.AreClose(expected, actual, FloatAssert.ExportTolerance);
    }

    [TestMethod]
    public void InferenceExporter_InputStandardization_IsFoldedIntoTheFirstLayer()
    {
        // Rows on very different scales; the exported model scores raw rows as the network scores standardised ones.
        var settings = new TrainingSettings { NumberOfLayers = 2, InitialWidth = 25 };
        using var sut = Create(3, 2, settings);
        float[] raw = RandomRows(40, 3, 9).Select((v, i) => v * (i % 3 == 0 ? 1000f : i % 3 == 1 ? 0.01f : 1f) + (i % 3 == 0 ? 5000f : 0f)).ToArray();
        InputStandardization standardization = InputStandardization.Of(new TrainingData(raw, 3, new float[40]));
        float[] standardized = (float[])raw.Clone();
        for (int r = 0; r < 40; r++)
        {
            standardization.Apply(standardized.AsSpan(r * 3, 3));
        }

        float[] expected = ScoreAll(InferenceExporter.Export(sut.Snapshot(), settings), standardized);
        float[] actual = ScoreAll(InferenceExporter.Export(sut.Snapshot(), settings, standardization: standardization), raw);

        Assert.AreEqual(0, standardized.Average(), 0.05, "standardised features are centred");
        FloatAssert.AreClose(expected, actual, 1e-4);
    }

    [TestMethod]
    public void Load_FeatureConstantOnTheNewRows_ComputesTheModelsFunctionWithoutNaN()
    {
        // Continued training unfolds the model's first layer behind the new rows' standardisation; a feature constant on
        // them has scale +∞ (it reaches the network as 0), so its weight goes into the bias through the mean, not into ∞ · W.
        var settings = new TrainingSettings { NumberOfLayers = 2, InitialWidth = 25 };
        using var trained = Create(3, 2, settings);
        AdaptiveWidthModel model = InferenceExporter.Export(trained.Snapshot(), settings);
        float[] raw = RandomRows(40, 3, 9);
        for (int r = 0; r < 40; r++)
        {
            raw[r * 3 + 1] = 4f;
        }
        InputStandardization standardization = InputStandardization.Of(new TrainingData(raw, 3, new float[40]));
        Assert.IsTrue(float.IsPositiveInfinity(standardization.Scale[1]));
        float[] standardized = (float[])raw.Clone();
        for (int r = 0; r < 40; r++)
        {
            standardization.Apply(standardized.AsSpan(r * 3, 3));
        }

        using var sut = Create(3, 2, settings, seed: 2);
        sut.Load(model, standardization, 0, 1);
        float[] actual = Forward(sut, standardized, 3);

        Assert.IsFalse(actual.Any(float.IsNaN), "no NaN from an infinite scale");
        FloatAssert.AreClose(ScoreAll(model, raw), actual, 1e-4);
        float[] exported = ScoreAll(InferenceExporter.Export(sut.Snapshot(), settings, standardization: standardization), raw);
        FloatAssert.AreClose(ScoreAll(model, raw), exported, 1e-4);
    }

    [TestMethod]
    [DataRow(1)]
    [DataRow(2)]
    public void AdaptiveWidthNetwork_Resize_ShrinkKeepsTheFunctionOfTheKeptPrefix(int layers)
    {
        // Shrinking drops the tail and leaves kept neurons untouched; the importance is renormalised over the new width,
        // so compare against the pre-shrink weights evaluated at the new width's importance.
        var settings = new TrainingSettings { NumberOfLayers = layers, InitialWidth = 48, AdaptWidth = false };
        using var sut = Create(3, 2, settings);
        NetworkSnapshot before = sut.Snapshot();
        int[] kept = sut.Widths.Select(w => w / 2).ToArray();

        sut.Resize(kept);

        NetworkSnapshot after = sut.Snapshot();
        float[] x = RandomRows(20, 3, 4);
        float[] expected = ScoreAll(InferenceExporter.Export(before with { Widths = kept }, settings), x);
        FloatAssert.AreClose(expected, Forward(sut, x, 3), FloatAssert.ExportTolerance);
        FloatAssert.AreClose(expected, ScoreAll(InferenceExporter.Export(after, settings), x), 0);
    }

    [TestMethod]
    public void AdaptiveWidthNetwork_Resize_GrowingAddsNeuronsWithBoundedEffect()
    {
        // New neurons are drawn from N(0, 1) but enter with the smallest importances, so the output moves little.
        var settings = new TrainingSettings { NumberOfLayers = 1, InitialWidth = 48, AdaptWidth = false, NormalizeImportance = false };
        using var sut = Create(2, 1, settings);
        float[] x = RandomRows(200, 2, 6);
        float[] before = Forward(sut, x, 2);
        int width = sut.Widths[0];
        double[] pBefore = ExponentialImportance.Probabilities(settings.InitialRate, width);

        sut.Resize([width + 10]);
        float[] after = Forward(sut, x, 2);

        Assert.AreEqual(width + 10, sut.Widths[0]);
        // Same weights for the old neurons; the importance over the new width shifts by the renormalisation only.
        double[] pAfter = ExponentialImportance.Probabilities(settings.InitialRate, width + 10);
        double newMass = pAfter.Skip(width).Sum();
        double spread = before.Select(Math.Abs).Max();
        for (int i = 0; i < x.Length / 2; i++)
        {
            // |Δ| ≤ (renormalisation of the old part) + (new neurons: mass × |w_out| × max activation 6), |w| ≤ 6σ
            double bound = spread * Math.Abs(1 - pAfter[0] / pBefore[0]) + newMass * 6 * 6 * 10 + 1e-4;
            Assert.IsTrue(Math.Abs(after[i] - before[i]) <= bound, $"row {i}: {before[i]} -> {after[i]}, bound {bound}");
        }
        Assert.IsTrue(newMass < 0.05, $"new neurons carry {newMass} of the importance");
    }

    [TestMethod]
    [DataRow(true)]
    [DataRow(false)]
    public void AdaptiveWidthNetwork_Resize_PreservingTheFunction_NewNeuronsStartSilent_WithTheInitialisationsIncomingScale(bool preserve)
    {
        // One hidden layer of rescaled importance (the default): y = W_out·(p̂ ⊙ a) + b. With zero outgoing weights for the
        // new neurons, growing only rescales the old neurons' p̂ by one common factor c, so y' − b = c·(y − b) exactly;
        // the paper's N(0, 1) draw (preserve = false) breaks that relation.
        var settings = new TrainingSettings { NumberOfLayers = 1, InitialWidth = 32, AdaptWidth = false, PreserveFunctionOnGrowth = preserve };
        const int inputs = 20;
        using var sut = Create(inputs, 3, settings);
        float[] x = RandomRows(100, inputs, 8);
        float[] before = Forward(sut, x, inputs);
        int width = sut.Widths[0];

        sut.Resize([width + 16]);
        float[] after = Forward(sut, x, inputs);

        NetworkSnapshot snapshot = sut.Snapshot();
        AdaptiveWidthModel exported = InferenceExporter.Export(snapshot, settings);
        float[] bias = exported.Layers[^1].Bias.ToArray();
        double c = ExponentialImportance.Scaled(settings.InitialRate, width + 16, true)[0] / ExponentialImportance.Scaled(settings.InitialRate, width, true)[0];
        double worst = 0;
        for (int i = 0; i < after.Length; i++)
        {
            double expected = bias[i % 3] + c * (before[i] - bias[i % 3]);
            worst = Math.Max(worst, Math.Abs(after[i] - expected) / Math.Max(1, Math.Abs(expected)));
        }
        if (!preserve)
        {
            Assert.IsGreaterThan(0.05, worst, "the paper's N(0, 1) neurons move the output");
            return;
        }
        Assert.IsLessThan(1e-4, worst, "new neurons with zero outgoing weights leave the function as it was, up to the common rescaling");

        // Their incoming weights have the first layer's Kaiming scale, √(2/fan-in), and their biases and outgoing weights are 0.
        ParameterBlock first = snapshot.Layout.Weights[0], output = snapshot.Layout.OutputWeight;
        var incoming = new List<double>();
        for (int o = width; o < width + 16; o++)
        {
            for (int j = 0; j < inputs; j++)
            {
                incoming.Add(snapshot.Values[first.Offset + o * first.CapacityColumns + j]);
            }
            Assert.AreEqual(0f, snapshot.Values[snapshot.Layout.Biases[0].Offset + o], $"bias of new neuron {o}");
            for (int k = 0; k < 3; k++)
            {
                Assert.AreEqual(0f, snapshot.Values[output.Offset + k * output.CapacityColumns + o], $"outgoing weight of new neuron {o} to output {k}");
            }
        }
        double sd = Math.Sqrt(incoming.Average(w => w * w));
        Assert.AreEqual(Math.Sqrt(2.0 / inputs), sd, 0.2 * Math.Sqrt(2.0 / inputs), "the initialisation's scale, not N(0, 1)");
    }

    [TestMethod]
    public void AdaptiveWidthNetwork_Resize_BeyondCapacityReallocatesAndKeepsValues()
    {
        var settings = new TrainingSettings { NumberOfLayers = 2, InitialWidth = 25, AdaptWidth = false };
        using var sut = Create(2, 3, settings);
        NetworkSnapshot before = sut.Snapshot();
        int width = sut.Widths[0];

        sut.Resize([width * 3, width]);
        sut.Resize([width, width]);

        Assert.AreEqual(1, sut.Reallocations);
        Assert.IsTrue(sut.Capacities[0] >= width * 3);
        float[] x = RandomRows(10, 2, 8);
        FloatAssert.AreClose(ScoreAll(InferenceExporter.Export(before, settings), x),
            ScoreAll(InferenceExporter.Export(sut.Snapshot(), settings), x), 0);
    }

    [TestMethod]
    public void AdaptiveWidthNetwork_FeatureScales_StartAtOne_AreOutsideThePrior_AndFoldIntoTheExport()
    {
        var settings = new TrainingSettings { NumberOfLayers = 2, InitialWidth = 25, FeatureScales = true };
        using var sut = Create(3, 2, settings);
        ParameterBlock scales = sut.Layout.Scales!.Value;
        Assert.AreEqual(3, scales.CapacityRows);
        Assert.IsTrue(scales.Offset >= sut.Layout.ThetaLength, "the weight prior (θ) must not pull the scales toward 0");
        float[] x = RandomRows(30, 3, 4);
        using (var plain = Create(3, 2, settings with { FeatureScales = false }))
        {
            // Same seed, scales at 1: the same function as the network without them.
            FloatAssert.AreClose(Forward(plain, x, 3), Forward(sut, x, 3), 0);
        }

        using (no_grad())
        {
            sut.Parameters.narrow(0, scales.Offset, 3).copy_(tensor(new[] { 2.5f, 0f, -0.5f }));
        }
        float[] scaled = Forward(sut, x, 3);
        FloatAssert.AreClose(scaled, ScoreAll(InferenceExporter.Export(sut.Snapshot(), settings), x), FloatAssert.ExportTolerance);
        // A feature scaled to 0 no longer matters, in the network and in the exported model.
        float[] moved = (float[])x.Clone();
        for (int r = 0; r < 30; r++)
        {
            moved[r * 3 + 1] += 7;
        }
        FloatAssert.AreClose(scaled, Forward(sut, moved, 3), 0);

        // Growing past the capacity reallocates the buffer and keeps the scales.
        sut.Resize([sut.Widths[0] * 3, sut.Widths[1]]);
        sut.Resize([25, 25]);
        Assert.AreEqual(1, sut.Reallocations);
        FloatAssert.AreClose(scaled, Forward(sut, x, 3), 0);
    }

    [TestMethod]
    public void AdaptiveWidthNetwork_Initialize_RescaledVarianceIsTwoOverSumOfSquaredImportance()
    {
        // Theorem 3.1: a layer fed by an adaptive layer has Var[w] = 2/Σp²; for λ = 0.01 (D = 232) std ≈ 18.1. (With the
        // default normalised importance p̂ = p·√D/‖p‖, Σp̂² = D and the same rule gives Kaiming's 2/D: see the next test.)
        var settings = new TrainingSettings { NumberOfLayers = 1, InitialWidth = 232, NormalizeImportance = false };
        using var sut = Create(4, 64, settings);
        NetworkSnapshot snapshot = sut.Snapshot();
        ParameterBlock output = snapshot.Layout.OutputWeight;
        float[] weights = snapshot.Values.AsSpan((int)output.Offset, 232 * 64).ToArray();
        double expectedVariance = 2 / ExponentialImportance.Probabilities(settings.InitialRate, 232).Sum(p => p * p);

        double variance = weights.Average(w => (double)w * w);

        Assert.AreEqual(18.1, Math.Sqrt(expectedVariance), 0.1);
        // 14,848 draws: the sample variance is within a few percent (4 standard errors ≈ 4.6%).
        Assert.AreEqual(expectedVariance, variance, expectedVariance * 0.05);
        float[] first = snapshot.Values.AsSpan((int)snapshot.Layout.Weights[0].Offset, 232 * 4).ToArray();
        Assert.AreEqual(2.0 / 4, first.Average(w => (double)w * w), 0.5 * 0.12, "first layer: Kaiming, Var = 2/fan_in");
    }

    [TestMethod]
    public void AdaptiveWidthNetwork_Initialize_NormalizedImportanceHasMeanSquareOneAndKaimingVariance()
    {
        var settings = new TrainingSettings { NumberOfLayers = 1, InitialWidth = 232 };
        using var sut = Create(4, 64, settings);
        NetworkSnapshot snapshot = sut.Snapshot();
        ParameterBlock output = snapshot.Layout.OutputWeight;
        float[] weights = snapshot.Values.AsSpan((int)output.Offset, 232 * 64).ToArray();
        float[] p = sut.Importance(0).data<float>().ToArray();

        Assert.AreEqual(1.0, p.Average(v => (double)v * v), 1e-5, "mean square of p̂ = 1");
        CollectionAssert.AreEqual(p.OrderByDescending(v => v).ToArray(), p, "still decreasing with the index");
        Assert.AreEqual(2.0 / 232, weights.Average(w => (double)w * w), 2.0 / 232 * 0.05, "Kaiming: 2/D");
    }

    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public void AdaptiveWidthNetwork_Resize_KeepsOrResetsTheSurvivorsAdamMoments(bool reset)
    {
        var settings = new TrainingSettings { NumberOfLayers = 1, InitialWidth = 25, AdaptWidth = false, ResetOptimizerStateOnResize = reset };
        using var sut = Create(2, 1, settings);
        sut.Optimizer.FirstMoment.fill_(1f);
        int width = sut.Widths[0];

        sut.Resize([width + 3]);

        float[] moments = sut.Optimizer.FirstMoment.data<float>().ToArray();
        ParameterBlock weights = sut.Layout.Weights[0];
        Assert.AreEqual(reset ? 0f : 1f, moments[weights.Offset], "a surviving neuron's moment");
        Assert.AreEqual(0f, moments[weights.Offset + (long)width * weights.CapacityColumns], "a new neuron's moment starts at zero");
        Assert.AreEqual(1f, moments[sut.Layout.Rates.Offset], "the rates' moments are never reset");
    }
}
