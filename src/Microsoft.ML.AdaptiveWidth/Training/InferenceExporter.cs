using Microsoft.ML.AdaptiveWidth.Inference;

namespace Microsoft.ML.AdaptiveWidth.Training;

/// <summary>
/// The only bridge from training to inference: turns a network snapshot into a TorchSharp-free
/// <see cref="AdaptiveWidthModel"/>, folding each hidden layer's importance into the next layer's weight columns
/// (W'_{l+1} = W_{l+1}·diag(p_l)), so scoring is a plain chain of dense layers and truncation is a prefix.
/// </summary>
internal static class InferenceExporter
{
    /// <param name="snapshot">The state to export.</param>
    /// <param name="settings">The settings it was trained with (activation, quantile, importance on or off).</param>
    /// <param name="targetScale">Regression: the output is multiplied by this (the target's standard deviation).</param>
    /// <param name="targetShift">Regression: then this is added (the target's mean).</param>
    /// <param name="standardization">The input standardisation the network was trained behind, folded into the first layer; null for none.</param>
    public static AdaptiveWidthModel Export(NetworkSnapshot snapshot, TrainingSettings settings, double targetScale = 1, double targetShift = 0,
        InputStandardization? standardization = null)
    {
        ParameterLayout layout = snapshot.Layout;
        int[] widths = snapshot.Widths;
        float[] values = snapshot.Values;
        int layers = widths.Length;

        // importance: what multiplied the activations in training (p, or p/‖p‖), folded into the next layer;
        // reported: the distribution p itself, which the model keeps for reporting and truncation by neuron.
        var importance = new float[layers][];
        var reported = new float[layers][];
        for (int l = 0; l < layers; l++)
        {
            if (settings.UseImportance)
            {
                double rate = ExponentialImportance.Softplus(values[layout.Rates.Offset + l]);
                importance[l] = ExponentialImportance.Scaled(rate, widths[l], settings.NormalizeImportance).Select(p => (float)p).ToArray();
                reported[l] = ExponentialImportance.Probabilities(rate, widths[l]).Select(p => (float)p).ToArray();
            }
            else
            {
                importance[l] = Enumerable.Repeat(1f, widths[l]).ToArray();
                reported[l] = importance[l];
            }
        }

        var dense = new DenseLayer[layers + 1];
        int inputs = layout.Inputs;
        for (int l = 0; l < layers; l++)
        {
            ParameterBlock block = layout.Weights[l];
            var weights = new float[checked(widths[l] * inputs)];
            if (l == 0 && snapshot.SparseInputWeights is float[] transposed)
            {
                // A sparse input's first layer was trained as Wᵀ [inputs × width].
                for (int j = 0; j < inputs; j++)
                {
                    for (int i = 0; i < widths[0]; i++)
                    {
                        weights[(long)i * inputs + j] = transposed[(long)j * widths[0] + i];
                    }
                }
            }
            else
            {
                // The first layer takes the feature scales (if any) into its columns, a later one the importance.
                float[]? columnScale = l > 0 ? importance[l - 1]
                    : layout.Scales is ParameterBlock scales ? values.AsSpan(checked((int)scales.Offset), inputs).ToArray() : null;
                for (int i = 0; i < widths[l]; i++)
                {
                    for (int j = 0; j < inputs; j++)
                    {
                        float folded = columnScale?[j] ?? 1f;
                        weights[(long)i * inputs + j] = values[block.Offset + (long)i * block.CapacityColumns + j] * folded;
                    }
                }
            }
            var bias = values.AsSpan((int)layout.Biases[l].Offset, widths[l]).ToArray();
            if (l == 0 && standardization is not null)
            {
                FoldStandardization(weights, bias, inputs, standardization);
            }
            dense[l] = new DenseLayer(inputs, widths[l], weights, bias, settings.Activation);
            inputs = widths[l];
        }

        int outputs = layout.Outputs;
        ParameterBlock output = layout.OutputWeight; // [outputs × C_L]
        var outputWeights = new float[outputs * inputs];
        for (int o = 0; o < outputs; o++)
        {
            for (int j = 0; j < inputs; j++)
            {
                double w = values[output.Offset + (long)o * output.CapacityColumns + j] * (double)importance[layers - 1][j];
                outputWeights[o * inputs + j] = (float)(w * targetScale);
            }
        }
        var outputBias = new float[outputs];
        for (int o = 0; o < outputs; o++)
        {
            outputBias[o] = (float)(values[layout.OutputBias.Offset + o] * targetScale + targetShift);
        }
        dense[layers] = new DenseLayer(inputs, outputs, outputWeights, outputBias, ActivationKind.Identity);
        return new AdaptiveWidthModel(dense, reported);
    }

    /// <summary>
    /// The linear path as a <see cref="LinearTerm"/> over the raw features: the skip weight L (standardised inputs,
    /// standardised target) becomes t·L·diag(1/s) with bias −t·L·(m/s), for the target scale t and the standardisation
    /// (m, s); the range of L·x̃ on the training rows moves with it.
    /// </summary>
    public static LinearTerm ExportLinearPath(float[] skip, (double[] Low, double[] High) range, double targetScale, InputStandardization standardization)
    {
        int inputs = standardization.Mean.Length;
        int outputs = skip.Length / inputs;
        var weights = new float[skip.Length];
        var bias = new float[outputs];
        var low = new double[outputs];
        var high = new double[outputs];
        for (int k = 0; k < outputs; k++)
        {
            double shift = 0;
            for (int j = 0; j < inputs; j++)
            {
                double w = skip[(long)k * inputs + j] / (double)standardization.Scale[j];
                weights[(long)k * inputs + j] = (float)(targetScale * w);
                shift += w * standardization.Mean[j];
            }
            bias[k] = (float)(-targetScale * shift);
            low[k] = targetScale * (range.Low[k] + shift);
            high[k] = targetScale * (range.High[k] + shift);
        }
        return new LinearTerm(inputs, weights, bias, low, high);
    }

    /// <summary>W·((x − m)/s) + b = (W·diag(1/s))·x + (b − W·diag(1/s)·m), computed in double.</summary>
    private static void FoldStandardization(float[] weights, float[] bias, int inputs, InputStandardization standardization)
    {
        for (int i = 0; i < bias.Length; i++)
        {
            double shift = 0;
            for (int j = 0; j < inputs; j++)
            {
                double folded = weights[(long)i * inputs + j] / (double)standardization.Scale[j];
                weights[(long)i * inputs + j] = (float)folded;
                shift += folded * standardization.Mean[j];
            }
            bias[i] = (float)(bias[i] - shift);
        }
    }
}
