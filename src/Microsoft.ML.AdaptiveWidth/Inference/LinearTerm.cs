namespace Microsoft.ML.AdaptiveWidth.Inference;

/// <summary>
/// A linear term beside the network (the linear path, docs/method.md §5.12): output k gains z_k + Bias_k with
/// z_k = Σ_j Weights[k, j]·x_j over the raw features, and z_k stayed within [Low_k, High_k] on the training rows.
/// <see cref="Embed"/> writes it into a network as one hidden neuron per output and layer, so a model with a linear
/// path is an ordinary chain of dense layers: saved, loaded, scored, exported to ONNX, explained and truncated as any.
/// </summary>
/// <remarks>
/// The neurons compute the term exactly while z_k stays within twice the training range around its centre, through
/// any of the hidden activations: with centre c = (Low + High)/2, half-range h = (High − Low)/2 and scale s = 2h/3, the
/// first neuron is u = φ((z − c)/s + 3), which is (z − c)/s + 3 ∈ [0, 6] for |z − c| ≤ 3s = 2h (φ is the identity
/// on [0, 6] for ReLU6, ReLU and LeakyReLU); every later layer passes u on with weight 1 (φ(u) = u); the output adds
/// s·(u − 3) + c. Beyond twice the training range the term saturates (ReLU6) instead of extrapolating without bound.
/// </remarks>
internal sealed class LinearTerm
{
    /// <param name="inputs">Number of features.</param>
    /// <param name="weights">[outputs × inputs] row-major.</param>
    /// <param name="bias">Per output, added to the output bias.</param>
    /// <param name="low">Per output, the smallest z seen on the training rows.</param>
    /// <param name="high">Per output, the largest z seen on the training rows.</param>
    public LinearTerm(int inputs, float[] weights, float[] bias, double[] low, double[] high)
    {
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(bias);
        ArgumentNullException.ThrowIfNull(low);
        ArgumentNullException.ThrowIfNull(high);
        if (inputs < 1 || bias.Length < 1 || weights.Length != (long)inputs * bias.Length || low.Length != bias.Length || high.Length != bias.Length)
        {
            throw new ArgumentException($"A linear term over {inputs} inputs and {bias.Length} outputs needs {(long)inputs * bias.Length} weights and a range per output.");
        }
        for (int k = 0; k < low.Length; k++)
        {
            if (!(low[k] <= high[k]) || !double.IsFinite(low[k]) || !double.IsFinite(high[k]))
            {
                throw new ArgumentException($"Output {k}'s range [{low[k]}, {high[k]}] is not a finite interval.", nameof(low));
            }
        }
        Inputs = inputs;
        Weights = weights;
        Bias = bias;
        Low = low;
        High = high;
    }

    public int Inputs { get; }

    public int Outputs => Bias.Length;

    public float[] Weights { get; }

    public float[] Bias { get; }

    public double[] Low { get; }

    public double[] High { get; }

    /// <summary>The mean of several terms (the linear path of an ensemble): weights and biases averaged, and a range that holds
    /// the mean's z wherever every member's z is within its own range.</summary>
    public static LinearTerm Average(IReadOnlyList<LinearTerm> terms)
    {
        ArgumentNullException.ThrowIfNull(terms);
        if (terms.Count == 0 || terms.Any(t => t.Inputs != terms[0].Inputs || t.Outputs != terms[0].Outputs))
        {
            throw new ArgumentException("Averaging needs at least one term, all of the same shape.", nameof(terms));
        }
        int n = terms.Count;
        var weights = new float[terms[0].Weights.Length];
        var bias = new float[terms[0].Outputs];
        var low = new double[bias.Length];
        var high = new double[bias.Length];
        for (int i = 0; i < weights.Length; i++)
        {
            double sum = 0;
            foreach (LinearTerm t in terms)
            {
                sum += t.Weights[i];
            }
            weights[i] = (float)(sum / n);
        }
        for (int k = 0; k < bias.Length; k++)
        {
            bias[k] = (float)(terms.Sum(t => (double)t.Bias[k]) / n);
            low[k] = terms.Sum(t => t.Low[k]) / n;
            high[k] = terms.Sum(t => t.High[k]) / n;
        }
        return new LinearTerm(terms[0].Inputs, weights, bias, low, high);
    }

    /// <summary>
    /// The network plus this term, as one network: one neuron per output prepended to every hidden layer (first, with the
    /// largest importance of its layer, so truncation keeps them), and independent of the other neurons.
    /// </summary>
    /// <exception cref="ArgumentException">The network's inputs or outputs differ from the term's.</exception>
    public AdaptiveWidthModel Embed(AdaptiveWidthModel network)
    {
        ArgumentNullException.ThrowIfNull(network);
        if (network.InputCount != Inputs || network.OutputCount != Outputs)
        {
            throw new ArgumentException(
                $"The linear term maps {Inputs} inputs to {Outputs} outputs; the network {network.InputCount} to {network.OutputCount}.", nameof(network));
        }
        int k = Outputs;
        int hidden = network.HiddenLayerCount;
        if (hidden == 0)
        {
            // No hidden layer to carry it: the output layer takes the term itself.
            DenseLayer only = network.Layers[0];
            var w = only.Weights.ToArray();
            var b = only.Bias.ToArray();
            for (int o = 0; o < k; o++)
            {
                for (int j = 0; j < Inputs; j++)
                {
                    w[o * only.Inputs + j] += Weights[o * Inputs + j];
                }
            }
            for (int o = 0; o < k; o++)
            {
                b[o] += Bias[o];
            }
            return new AdaptiveWidthModel([new DenseLayer(only.Inputs, k, w, b, ActivationKind.Identity)], [], network.Codes);
        }
        var centre = new double[k];
        var scale = new double[k];
        for (int o = 0; o < k; o++)
        {
            centre[o] = (Low[o] + High[o]) / 2;
            double half = (High[o] - Low[o]) / 2;
            scale[o] = half > 0 ? 2 * half / 3 : 1;
        }

        var layers = new DenseLayer[hidden + 1];
        var importance = new float[hidden][];
        for (int l = 0; l <= hidden; l++)
        {
            DenseLayer old = network.Layers[l];
            bool output = l == hidden;
            int extraIn = l == 0 ? 0 : k;
            int extraOut = output ? 0 : k;
            int inputs = old.Inputs + extraIn;
            int outputs = old.Outputs + extraOut;
            var weights = new float[(long)inputs * outputs];
            var bias = new float[outputs];
            for (int o = 0; o < old.Outputs; o++)
            {
                old.Weights.Slice(o * old.Inputs, old.Inputs).CopyTo(weights.AsSpan((int)((long)(o + extraOut) * inputs + extraIn), old.Inputs));
                bias[o + extraOut] = old.Bias[o];
            }
            for (int o = 0; o < k; o++)
            {
                if (output)
                {
                    // Adds s·(u − 3) + c + bias.
                    weights[(long)o * inputs + o] = (float)scale[o];
                    bias[o] = (float)(bias[o] + Bias[o] + centre[o] - 3 * scale[o]);
                }
                else if (l == 0)
                {
                    for (int j = 0; j < Inputs; j++)
                    {
                        weights[(long)o * inputs + j] = (float)(Weights[(long)o * Inputs + j] / scale[o]);
                    }
                    bias[o] = (float)(3 - centre[o] / scale[o]);
                }
                else
                {
                    weights[(long)o * inputs + o] = 1f;
                }
            }
            layers[l] = new DenseLayer(inputs, outputs, weights, bias, old.Activation);
            if (!output)
            {
                ReadOnlySpan<float> p = network.Importance(l);
                float top = p.Length > 0 ? TensorMax(p) : 1f;
                importance[l] = Enumerable.Repeat(top, k).Concat(p.ToArray()).ToArray();
            }
        }
        return new AdaptiveWidthModel(layers, importance, network.Codes);
    }

    private static float TensorMax(ReadOnlySpan<float> values)
    {
        float max = values[0];
        foreach (float v in values)
        {
            max = Math.Max(max, v);
        }
        return max;
    }
}
