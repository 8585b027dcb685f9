using Microsoft.ML.AdaptiveWidth.Inference;

namespace Microsoft.ML.AdaptiveWidth.Tests.Infrastructure;

/// <summary>
/// The scalar, double-precision oracle for the inference kernels: the textbook loops, written from the definition
/// <c>y = φ(W·x + b)</c> and reading the weights by index, so that it shares no code path with the SIMD kernels,
/// the transposed layout or <see cref="DenseLayer.Slice"/>. Besides the values it returns a rigorous bound on the
/// error a float32 evaluation may make (see <see cref="FloatAssert"/>).
/// </summary>
internal static class ScalarReference
{
    /// <summary>The reference output of one layer, restricted to its first <paramref name="outputs"/> outputs
    /// and first <paramref name="inputs"/> inputs (the whole layer when both are its sizes).</summary>
    public static Reference Forward(DenseLayer layer, Reference input, int inputs, int outputs)
    {
        var values = new double[outputs];
        var bounds = new double[outputs];
        for (int o = 0; o < outputs; o++)
        {
            double sum = layer.Bias[o];
            double magnitude = Math.Abs(layer.Bias[o]);
            double propagated = 0;
            for (int i = 0; i < inputs; i++)
            {
                double w = layer.Weight(o, i);
                sum += w * input.Values[i];
                // The float kernel sees its own (rounded) input, which may differ by the input's error bound.
                magnitude += Math.Abs(w) * (Math.Abs(input.Values[i]) + input.ErrorBounds[i]);
                propagated += Math.Abs(w) * input.ErrorBounds[i];
            }
            values[o] = Activate(sum, layer.Activation);
            // n products and n additions in any order (SIMD lanes, FMA or not) err by at most γ(n+1)·Σ|terms|
            // (Higham, Accuracy and Stability of Numerical Algorithms, 2nd ed., §3.1, eq. 3.5); one more rounding
            // for the activation's own multiply (LeakyReLU). Every activation is 1-Lipschitz and |φ(z)| ≤ |z|,
            // so the input's error passes through at most scaled by |W|.
            bounds[o] = propagated + FloatAssert.Gamma(inputs + 2) * magnitude;
        }
        return new Reference(values, bounds);
    }

    /// <summary>The reference output of a whole model, each hidden layer cut to its first <c>widths[l]</c> neurons
    /// (all of them when <paramref name="widths"/> is null).</summary>
    public static Reference Score(AdaptiveWidthModel model, ReadOnlySpan<float> features, IReadOnlyList<int>? widths = null)
    {
        Reference current = Reference.Exact(features);
        int inputs = model.InputCount;
        for (int l = 0; l < model.Layers.Count; l++)
        {
            DenseLayer layer = model.Layers[l];
            int outputs = widths is not null && l < widths.Count ? widths[l] : layer.Outputs;
            current = Forward(layer, current, inputs, outputs);
            inputs = outputs;
        }
        return current;
    }

    /// <summary>φ(z) from the definitions in <see cref="ActivationKind"/>.</summary>
    public static double Activate(double z, ActivationKind activation) => activation switch
    {
        ActivationKind.ReLU6 => double.IsNaN(z) ? z : Math.Min(Math.Max(z, 0), 6),
        ActivationKind.ReLU => double.IsNaN(z) ? z : Math.Max(z, 0),
        ActivationKind.LeakyReLU => z >= 0 ? z : 0.01 * z,
        ActivationKind.Identity => z,
        _ => throw new ArgumentOutOfRangeException(nameof(activation), activation, null),
    };
}

/// <summary>Reference values and, for each, a bound on the error of a float32 evaluation.</summary>
internal sealed record Reference(double[] Values, double[] ErrorBounds)
{
    /// <summary>Inputs given as float are exact: their error bound is 0.</summary>
    public static Reference Exact(ReadOnlySpan<float> values)
    {
        var v = new double[values.Length];
        for (int i = 0; i < v.Length; i++)
        {
            v[i] = values[i];
        }
        return new Reference(v, new double[v.Length]);
    }
}
