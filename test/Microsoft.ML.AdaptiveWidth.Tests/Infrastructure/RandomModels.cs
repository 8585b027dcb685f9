using Microsoft.ML.AdaptiveWidth.Inference;

namespace Microsoft.ML.AdaptiveWidth.Tests.Infrastructure;

/// <summary>Random layers, models and rows from a seeded <see cref="Random"/>; values are in [-1, 1).</summary>
internal static class RandomModels
{
    public static float[] Values(Random random, int count, float scale = 1f)
    {
        var values = new float[count];
        for (int i = 0; i < count; i++)
        {
            values[i] = scale * (2f * random.NextSingle() - 1f);
        }
        return values;
    }

    public static DenseLayer Layer(Random random, int inputs, int outputs, ActivationKind activation) =>
        // Weights scaled by 1/√inputs (as an initialiser would), so that pre-activations span ReLU6's both kinks.
        new(inputs, outputs, Values(random, inputs * outputs, 4f / MathF.Sqrt(inputs)), Values(random, outputs), activation);

    /// <summary>A model with the given hidden widths, each with a decreasing importance vector, and a linear head.</summary>
    public static AdaptiveWidthModel Model(Random random, int inputs, IReadOnlyList<int> widths, int outputs,
        ActivationKind activation = ActivationKind.ReLU6)
    {
        var layers = new List<DenseLayer>();
        var importance = new List<float[]>();
        int previous = inputs;
        foreach (int width in widths)
        {
            layers.Add(Layer(random, previous, width, activation));
            importance.Add(Enumerable.Range(0, width).Select(k => MathF.Exp(-0.1f * k)).ToArray());
            previous = width;
        }
        layers.Add(Layer(random, previous, outputs, ActivationKind.Identity));
        return new AdaptiveWidthModel(layers, importance);
    }

    public static float[] Score(AdaptiveWidthModel model, ReadOnlySpan<float> features)
    {
        var output = new float[model.OutputCount];
        model.Score(features, output);
        return output;
    }
}
