using System.Numerics.Tensors;

namespace Microsoft.ML.AdaptiveWidth.Inference;

/// <summary>
/// One immutable fully connected layer of a trained network: <c>y = φ(W·x + b)</c>, with <c>W</c> given
/// row-major as [<see cref="Outputs"/> × <see cref="Inputs"/>]. In a layer fed by an adaptive layer, the
/// incoming neurons' importance is already folded into the columns of <c>W</c>.
/// </summary>
public sealed class DenseLayer
{
    private readonly float[] _weights;
    private readonly float[] _bias;

    // Kernel layout, chosen once: with few inputs, y = b + Σ_i x_i·Wᵀ[i] (one multiply-add over all outputs per
    // input); with many inputs, y_j = b_j + W[j]·x (one dot product per output). Either way the number of vector
    // calls is min(inputs, outputs), which is what a single-row prediction of a small network pays for.
    private readonly float[]? _transposed;

    // The same transposed layout, built on the first sparse forward pass of a layer with many inputs (a wide first
    // layer): a non-zero input then reads one contiguous row of Wᵀ instead of one value from each of Outputs rows.
    private float[]? _columns;

    /// <summary>Creates a layer; the arrays are copied.</summary>
    /// <param name="inputs">Number of inputs (columns of the weight matrix), at least 1.</param>
    /// <param name="outputs">Number of outputs (rows of the weight matrix), at least 1.</param>
    /// <param name="weights">Row-major weights of length <paramref name="outputs"/> × <paramref name="inputs"/>.</param>
    /// <param name="bias">Biases, one per output.</param>
    /// <param name="activation">The nonlinearity applied to <c>W·x + b</c>.</param>
    /// <exception cref="ArgumentException">A size does not match, or a weight or bias is not finite.</exception>
    public DenseLayer(int inputs, int outputs, ReadOnlySpan<float> weights, ReadOnlySpan<float> bias, ActivationKind activation)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(inputs, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(outputs, 1);
        if ((long)inputs * outputs != weights.Length)
        {
            throw new ArgumentException($"Expected {outputs}×{inputs} = {(long)inputs * outputs} weights, got {weights.Length}.", nameof(weights));
        }
        if (bias.Length != outputs)
        {
            throw new ArgumentException($"Expected {outputs} biases, got {bias.Length}.", nameof(bias));
        }
        if (!Enum.IsDefined(activation))
        {
            throw new ArgumentOutOfRangeException(nameof(activation), activation, "Unknown activation.");
        }
        if (!AllFinite(weights))
        {
            throw new ArgumentException("Weights must be finite (no NaN or infinity).", nameof(weights));
        }
        if (!AllFinite(bias))
        {
            throw new ArgumentException("Biases must be finite (no NaN or infinity).", nameof(bias));
        }

        Inputs = inputs;
        Outputs = outputs;
        Activation = activation;
        _weights = weights.ToArray();
        _bias = bias.ToArray();
        if (inputs < outputs)
        {
            _transposed = new float[_weights.Length];
            for (int o = 0; o < outputs; o++)
            {
                for (int i = 0; i < inputs; i++)
                {
                    _transposed[i * outputs + o] = _weights[o * inputs + i];
                }
            }
        }
    }

    /// <summary>Number of inputs.</summary>
    public int Inputs { get; }

    /// <summary>Number of outputs (the layer's width).</summary>
    public int Outputs { get; }

    /// <summary>The nonlinearity.</summary>
    public ActivationKind Activation { get; }

    /// <summary>Row-major weights, [<see cref="Outputs"/> × <see cref="Inputs"/>].</summary>
    public ReadOnlySpan<float> Weights => _weights;

    /// <summary>Biases, one per output.</summary>
    public ReadOnlySpan<float> Bias => _bias;

    /// <summary>Multiply-adds per row.</summary>
    public long MultiplyAdds => (long)Inputs * Outputs;

    /// <summary>The weight from input <paramref name="input"/> to output <paramref name="output"/>.</summary>
    public float Weight(int output, int input) => _weights[output * Inputs + input];

    /// <summary>Keeps the first <paramref name="outputs"/> outputs and the first <paramref name="inputs"/> inputs.</summary>
    public DenseLayer Slice(int inputs, int outputs)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(inputs, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(inputs, Inputs);
        ArgumentOutOfRangeException.ThrowIfLessThan(outputs, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(outputs, Outputs);
        var weights = new float[inputs * outputs];
        for (int o = 0; o < outputs; o++)
        {
            _weights.AsSpan(o * Inputs, inputs).CopyTo(weights.AsSpan(o * inputs, inputs));
        }
        return new DenseLayer(inputs, outputs, weights, _bias.AsSpan(0, outputs), Activation);
    }

    /// <summary>Keeps the given outputs (rows of W) and inputs (columns of W), in the order given.</summary>
    internal DenseLayer Select(IReadOnlyList<int> inputs, IReadOnlyList<int> outputs)
    {
        var weights = new float[inputs.Count * outputs.Count];
        var bias = new float[outputs.Count];
        for (int o = 0; o < outputs.Count; o++)
        {
            bias[o] = _bias[outputs[o]];
            for (int i = 0; i < inputs.Count; i++)
            {
                weights[o * inputs.Count + i] = _weights[outputs[o] * Inputs + inputs[i]];
            }
        }
        return new DenseLayer(inputs.Count, outputs.Count, weights, bias, Activation);
    }

    /// <summary>Computes <c>destination[j] = φ(b_j + Σ_i W[j, i]·source[i])</c> for the first <see cref="Outputs"/>
    /// entries of <paramref name="destination"/>; the rest is left unchanged.</summary>
    /// <remarks>
    /// A NaN in <paramref name="source"/> gives NaN in every output, whatever the activation: the weights are finite,
    /// so every output's sum has a NaN term, and every activation passes NaN through (ReLU6 and ReLU do not clamp it
    /// to a bound). A missing feature therefore never turns silently into a finite score. Sums are evaluated in
    /// float32 in an order that depends on the layout and the hardware's vector width, so results may differ
    /// between machines in the last bits.
    /// </remarks>
    /// <exception cref="ArgumentException"><paramref name="source"/> does not have <see cref="Inputs"/> values;
    /// <paramref name="destination"/> is shorter than <see cref="Outputs"/> or overlaps <paramref name="source"/>
    /// (in place is not supported: outputs are written before every input has been read).</exception>
    public void Forward(ReadOnlySpan<float> source, Span<float> destination)
    {
        if (source.Length != Inputs)
        {
            throw new ArgumentException($"Expected {Inputs} inputs, got {source.Length}.", nameof(source));
        }
        if (destination.Length < Outputs)
        {
            throw new ArgumentException($"Destination must hold {Outputs} values, got {destination.Length}.", nameof(destination));
        }
        if (source.Overlaps(destination[..Outputs]))
        {
            throw new ArgumentException("Destination must not overlap the source (in place is not supported).", nameof(destination));
        }
        Span<float> y = destination[..Outputs];
        if (_transposed is not null)
        {
            _bias.CopyTo(y);
            for (int i = 0; i < Inputs; i++)
            {
                TensorPrimitives.MultiplyAdd(_transposed.AsSpan(i * Outputs, Outputs), source[i], y, y);
            }
        }
        else
        {
            for (int o = 0; o < Outputs; o++)
            {
                y[o] = TensorPrimitives.Dot(_weights.AsSpan(o * Inputs, Inputs), source) + _bias[o];
            }
        }
        Activate(y, Activation);
    }

    /// <summary>
    /// The same as <see cref="Forward"/> for a sparse source: <c>destination[j] = φ(b_j + Σ_k W[j, indices[k]]·values[k])</c>,
    /// in time proportional to the non-zeros × <see cref="Outputs"/>, not to <see cref="Inputs"/>. The first call on a
    /// layer with at least as many inputs as outputs builds a transposed copy of the weights (as much memory again as
    /// <see cref="Weights"/>), kept for later calls; thread-safe.
    /// </summary>
    /// <exception cref="ArgumentException">The spans differ in length, an index is outside [0, Inputs), or the destination is too short.</exception>
    public void ForwardSparse(ReadOnlySpan<int> indices, ReadOnlySpan<float> values, Span<float> destination)
    {
        if (indices.Length != values.Length)
        {
            throw new ArgumentException($"Expected one value per index, got {indices.Length} indices and {values.Length} values.", nameof(values));
        }
        if (destination.Length < Outputs)
        {
            throw new ArgumentException($"Destination must hold {Outputs} values, got {destination.Length}.", nameof(destination));
        }
        float[] columns = _transposed ?? LazyInitializer.EnsureInitialized(ref _columns, Transpose);
        Span<float> y = destination[..Outputs];
        _bias.CopyTo(y);
        for (int k = 0; k < indices.Length; k++)
        {
            int i = indices[k];
            if ((uint)i >= (uint)Inputs)
            {
                throw new ArgumentException($"Index {i} is outside the layer's {Inputs} inputs.", nameof(indices));
            }
            TensorPrimitives.MultiplyAdd(columns.AsSpan(i * Outputs, Outputs), values[k], y, y);
        }
        Activate(y, Activation);
    }

    private float[] Transpose()
    {
        var columns = new float[_weights.Length];
        for (int o = 0; o < Outputs; o++)
        {
            for (int i = 0; i < Inputs; i++)
            {
                columns[i * Outputs + o] = _weights[o * Inputs + i];
            }
        }
        return columns;
    }

    internal static void Activate(Span<float> y, ActivationKind activation)
    {
        switch (activation)
        {
            case ActivationKind.ReLU6:
                TensorPrimitives.Clamp(y, 0f, 6f, y);
                break;
            case ActivationKind.ReLU:
                TensorPrimitives.Max(y, 0f, y);
                break;
            case ActivationKind.LeakyReLU:
                for (int i = 0; i < y.Length; i++)
                {
                    y[i] = y[i] >= 0f ? y[i] : 0.01f * y[i];
                }
                break;
        }
    }

    private static bool AllFinite(ReadOnlySpan<float> values)
    {
        foreach (float v in values)
        {
            if (!float.IsFinite(v))
            {
                return false;
            }
        }
        return true;
    }
}
