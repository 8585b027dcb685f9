using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Microsoft.ML.AdaptiveWidth.Inference;

/// <summary>
/// One immutable fully connected layer of a trained network: <c>y = φ(W·x + b)</c>, with <c>W</c> given
/// row-major as [<see cref="Outputs"/> × <see cref="Inputs"/>]. In a layer fed by an adaptive layer, the
/// incoming neurons' importance is already folded into the columns of <c>W</c>.
/// </summary>
public sealed class DenseLayer
{
    private readonly AlignedFloats _weights;
    private readonly float[] _bias;

    // Kernel layout, chosen once: with at least a vector of outputs (or fewer inputs than outputs), y = b + Σ_i x_i·Wᵀ[i],
    // accumulated in registers a block of outputs at a time; otherwise (an output layer, a wide input layer)
    // y_j = b_j + W[j]·x, one dot product per output. Wᵀ's rows are padded with zeros to _stride, a whole number of
    // vectors once there is a vector of outputs, so the last, partial block of outputs is a vector like the others
    // (a layer of 35 or 203 neurons has no scalar tail); _paddedBias is the bias padded the same way.
    private readonly AlignedFloats? _transposed;
    private readonly AlignedFloats _paddedBias;
    private readonly int _stride;

    // The same transposed layout, built on the first sparse forward pass of a layer with many inputs (a wide first
    // layer): a non-zero input then reads one contiguous row of Wᵀ instead of one value from each of Outputs rows.
    private AlignedFloats? _columns;

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
        _weights = new AlignedFloats(weights);
        _bias = bias.ToArray();
        _stride = outputs >= Vector256<float>.Count ? (outputs + Vector256<float>.Count - 1) & ~(Vector256<float>.Count - 1) : outputs;
        _paddedBias = new AlignedFloats(_stride);
        _bias.CopyTo(_paddedBias.Span);
        if (inputs < outputs || (outputs >= Vector256<float>.Count && inputs <= MaximumTransposedInputs))
        {
            _transposed = Transpose();
        }
    }

    // Layers with at least a vector of outputs use the transposed, register-blocked kernel, except wide input layers (text),
    // whose transposed copy would double a large model's memory (their sparse rows build it on first use).
    private const int MaximumTransposedInputs = 4096;

    /// <summary>Number of inputs.</summary>
    public int Inputs { get; }

    /// <summary>Number of outputs (the layer's width).</summary>
    public int Outputs { get; }

    /// <summary>The nonlinearity.</summary>
    public ActivationKind Activation { get; }

    /// <summary>Row-major weights, [<see cref="Outputs"/> × <see cref="Inputs"/>].</summary>
    public ReadOnlySpan<float> Weights => _weights.Span;

    /// <summary>Biases, one per output.</summary>
    public ReadOnlySpan<float> Bias => _bias;

    /// <summary>Multiply-adds per row.</summary>
    public long MultiplyAdds => (long)Inputs * Outputs;

    /// <summary>The weight from input <paramref name="input"/> to output <paramref name="output"/>.</summary>
    public float Weight(int output, int input) => _weights.Span[output * Inputs + input];

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
            _weights.Span.Slice(o * Inputs, inputs).CopyTo(weights.AsSpan(o * inputs, inputs));
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
                weights[o * inputs.Count + i] = _weights.Span[outputs[o] * Inputs + inputs[i]];
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
        Affine(source, y);
        Activate(y, Activation);
    }

    /// <summary>
    /// <c>y = W·x + b</c>, without the activation or <see cref="Forward"/>'s checks: for the scorer's chains of an averaged
    /// ensemble, whose spans the model sizes (x exactly <see cref="Inputs"/> long, y exactly <see cref="Outputs"/>, not
    /// overlapping), and which apply the activation once to the whole layer.
    /// </summary>
    internal void Affine(ReadOnlySpan<float> source, Span<float> y)
    {
        if (_transposed is not null)
        {
            Accumulate(_transposed, new DenseRows(source), y);
        }
        else
        {
            int o = 0;
            if (Fused && Inputs >= Vector256<float>.Count)
            {
                // Four rows per pass over x: a quarter of the loads of x, four independent accumulators.
                for (; o + 4 <= Outputs; o += 4)
                {
                    FourDots(_weights, o, Inputs, source, _bias, y);
                }
            }
            for (; o < Outputs; o++)
            {
                y[o] = TensorPrimitives.Dot(_weights.Span.Slice(o * Inputs, Inputs), source) + _bias[o];
            }
        }
    }

    // The blocked kernels below need 256-bit vectors with fused multiply-add (x64 with AVX2 and FMA); elsewhere every row
    // goes through TensorPrimitives, which is what they replace.
    private static readonly bool Fused = Vector256.IsHardwareAccelerated && Fma.IsSupported;

    /// <summary>y[o..o+4) = W[o..o+4)·x + b[o..o+4), W row-major with <paramref name="inputs"/> columns.</summary>
    /// <remarks>Compiled fully optimised at first use (no tiering), so a service's first predictions are as fast as later ones.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void FourDots(AlignedFloats weights, int o, int inputs, ReadOnlySpan<float> x, float[] bias, Span<float> y)
    {
        ref float w = ref weights.Start;
        ref float xr = ref MemoryMarshal.GetReference(x);
        nuint r0 = (nuint)o * (nuint)inputs, r1 = r0 + (nuint)inputs, r2 = r1 + (nuint)inputs, r3 = r2 + (nuint)inputs;
        Vector256<float> a0 = Vector256<float>.Zero, a1 = a0, a2 = a0, a3 = a0;
        int vectorized = inputs & ~(Vector256<float>.Count - 1);
        for (int i = 0; i < vectorized; i += Vector256<float>.Count)
        {
            Vector256<float> xv = Vector256.LoadUnsafe(ref xr, (nuint)i);
            a0 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref w, r0 + (nuint)i), xv, a0);
            a1 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref w, r1 + (nuint)i), xv, a1);
            a2 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref w, r2 + (nuint)i), xv, a2);
            a3 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref w, r3 + (nuint)i), xv, a3);
        }
        float s0 = Vector256.Sum(a0), s1 = Vector256.Sum(a1), s2 = Vector256.Sum(a2), s3 = Vector256.Sum(a3);
        for (int i = vectorized; i < inputs; i++)
        {
            float xi = x[i];
            s0 += Unsafe(ref w, r0, i) * xi;
            s1 += Unsafe(ref w, r1, i) * xi;
            s2 += Unsafe(ref w, r2, i) * xi;
            s3 += Unsafe(ref w, r3, i) * xi;
        }
        y[o] = s0 + bias[o];
        y[o + 1] = s1 + bias[o + 1];
        y[o + 2] = s2 + bias[o + 2];
        y[o + 3] = s3 + bias[o + 3];
    }

    /// <summary>
    /// y = b + Σ_k rows.Value(k)·Wᵀ[rows.Row(k)], Wᵀ laid out with <see cref="_stride"/> columns: with 256-bit FMA, eight,
    /// four, then one vector of outputs at a time in registers, so each weight is read once and y written once; the last,
    /// partial vector reads the zero padding and stores only the real outputs. The same kernels serve a dense row (every
    /// input) and a sparse one (its non-zeros), through a struct the JIT specialises.
    /// </summary>
    private void Accumulate<TRows>(AlignedFloats transposed, TRows rows, Span<float> y) where TRows : struct, IRows, allows ref struct
    {
        int j = 0;
        if (Fused && Outputs >= Vector256<float>.Count)
        {
            for (; j + 8 * Vector256<float>.Count <= Outputs; j += 8 * Vector256<float>.Count)
            {
                EightColumnsBlock(transposed, _paddedBias, j, _stride, rows, y);
            }
            if (j + 4 * Vector256<float>.Count <= Outputs)
            {
                FourColumnsBlock(transposed, _paddedBias, j, _stride, rows, y);
                j += 4 * Vector256<float>.Count;
            }
            for (; j < Outputs; j += Vector256<float>.Count)
            {
                Vector256<float> block = OneColumnsBlock(transposed, _paddedBias, j, _stride, rows);
                if (j + Vector256<float>.Count <= Outputs)
                {
                    block.StoreUnsafe(ref MemoryMarshal.GetReference(y), (nuint)j);
                }
                else
                {
                    for (int lane = 0; j + lane < Outputs; lane++)
                    {
                        y[j + lane] = block.GetElement(lane);
                    }
                }
            }
            return;
        }
        _bias.CopyTo(y);
        for (int k = 0; k < rows.Count; k++)
        {
            TensorPrimitives.MultiplyAdd(transposed.Span.Slice((int)rows.Row(k) * _stride, Outputs), rows.Value(k), y, y);
        }
    }

    /// <summary>The inputs a transposed kernel sums over: <see cref="Count"/> rows of Wᵀ, each with its input's value.</summary>
    private interface IRows
    {
        int Count { get; }

        nuint Row(int k);

        float Value(int k);
    }

    /// <summary>Every input of a dense row.</summary>
    private readonly ref struct DenseRows(ReadOnlySpan<float> x) : IRows
    {
        private readonly ReadOnlySpan<float> _x = x;

        public int Count => _x.Length;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public nuint Row(int k) => (nuint)k;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float Value(int k) => _x[k];
    }

    /// <summary>The non-zeros of a sparse row (indices already checked).</summary>
    private readonly ref struct SparseRows(ReadOnlySpan<int> indices, ReadOnlySpan<float> values) : IRows
    {
        private readonly ReadOnlySpan<int> _indices = indices;
        private readonly ReadOnlySpan<float> _values = values;

        public int Count => _indices.Length;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public nuint Row(int k) => (nuint)_indices[k];

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public float Value(int k) => _values[k];
    }

    /// <summary>y[j..j+64) = b[j..j+64) + Σ_k value_k·Wᵀ[row_k, j..j+64), Wᵀ row-major with <paramref name="stride"/> columns.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void EightColumnsBlock<TRows>(AlignedFloats transposed, AlignedFloats bias, int j, int stride, TRows rows, Span<float> y) where TRows : struct, IRows, allows ref struct
    {
        ref float t = ref transposed.Start;
        ref float b = ref bias.Start;
        int n = Vector256<float>.Count;
        nuint o = (nuint)j;
        Vector256<float> a0 = Vector256.LoadUnsafe(ref b, o), a1 = Vector256.LoadUnsafe(ref b, o + (nuint)n),
            a2 = Vector256.LoadUnsafe(ref b, o + (nuint)(2 * n)), a3 = Vector256.LoadUnsafe(ref b, o + (nuint)(3 * n)),
            a4 = Vector256.LoadUnsafe(ref b, o + (nuint)(4 * n)), a5 = Vector256.LoadUnsafe(ref b, o + (nuint)(5 * n)),
            a6 = Vector256.LoadUnsafe(ref b, o + (nuint)(6 * n)), a7 = Vector256.LoadUnsafe(ref b, o + (nuint)(7 * n));
        for (int k = 0; k < rows.Count; k++)
        {
            Vector256<float> xv = Vector256.Create(rows.Value(k));
            nuint r = rows.Row(k) * (nuint)stride + o;
            a0 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref t, r), xv, a0);
            a1 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref t, r + (nuint)n), xv, a1);
            a2 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref t, r + (nuint)(2 * n)), xv, a2);
            a3 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref t, r + (nuint)(3 * n)), xv, a3);
            a4 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref t, r + (nuint)(4 * n)), xv, a4);
            a5 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref t, r + (nuint)(5 * n)), xv, a5);
            a6 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref t, r + (nuint)(6 * n)), xv, a6);
            a7 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref t, r + (nuint)(7 * n)), xv, a7);
        }
        ref float yr = ref MemoryMarshal.GetReference(y);
        a0.StoreUnsafe(ref yr, o);
        a1.StoreUnsafe(ref yr, o + (nuint)n);
        a2.StoreUnsafe(ref yr, o + (nuint)(2 * n));
        a3.StoreUnsafe(ref yr, o + (nuint)(3 * n));
        a4.StoreUnsafe(ref yr, o + (nuint)(4 * n));
        a5.StoreUnsafe(ref yr, o + (nuint)(5 * n));
        a6.StoreUnsafe(ref yr, o + (nuint)(6 * n));
        a7.StoreUnsafe(ref yr, o + (nuint)(7 * n));
    }

    /// <summary>y[j..j+32) = b[j..j+32) + Σ_k value_k·Wᵀ[row_k, j..j+32).</summary>
    /// <remarks>The same loop as <see cref="EightColumnsBlock"/> with half the accumulators, written out (a loop over an
    /// array of vectors would not stay in registers), over two rows at a time into two sets of accumulators: four chains
    /// of dependent multiply-adds would leave half the FMA throughput idle (a hidden layer of 32-40 neurons).</remarks>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void FourColumnsBlock<TRows>(AlignedFloats transposed, AlignedFloats bias, int j, int stride, TRows rows, Span<float> y) where TRows : struct, IRows, allows ref struct
    {
        ref float t = ref transposed.Start;
        ref float b = ref bias.Start;
        int n = Vector256<float>.Count;
        nuint o = (nuint)j;
        Vector256<float> a0 = Vector256.LoadUnsafe(ref b, o), a1 = Vector256.LoadUnsafe(ref b, o + (nuint)n),
            a2 = Vector256.LoadUnsafe(ref b, o + (nuint)(2 * n)), a3 = Vector256.LoadUnsafe(ref b, o + (nuint)(3 * n));
        Vector256<float> c0 = Vector256<float>.Zero, c1 = c0, c2 = c0, c3 = c0;
        int k = 0;
        for (; k + 2 <= rows.Count; k += 2)
        {
            Vector256<float> xv = Vector256.Create(rows.Value(k)), xw = Vector256.Create(rows.Value(k + 1));
            nuint r = rows.Row(k) * (nuint)stride + o, q = rows.Row(k + 1) * (nuint)stride + o;
            a0 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref t, r), xv, a0);
            a1 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref t, r + (nuint)n), xv, a1);
            a2 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref t, r + (nuint)(2 * n)), xv, a2);
            a3 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref t, r + (nuint)(3 * n)), xv, a3);
            c0 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref t, q), xw, c0);
            c1 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref t, q + (nuint)n), xw, c1);
            c2 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref t, q + (nuint)(2 * n)), xw, c2);
            c3 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref t, q + (nuint)(3 * n)), xw, c3);
        }
        if (k < rows.Count)
        {
            Vector256<float> xv = Vector256.Create(rows.Value(k));
            nuint r = rows.Row(k) * (nuint)stride + o;
            a0 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref t, r), xv, a0);
            a1 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref t, r + (nuint)n), xv, a1);
            a2 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref t, r + (nuint)(2 * n)), xv, a2);
            a3 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref t, r + (nuint)(3 * n)), xv, a3);
        }
        ref float yr = ref MemoryMarshal.GetReference(y);
        (a0 + c0).StoreUnsafe(ref yr, o);
        (a1 + c1).StoreUnsafe(ref yr, o + (nuint)n);
        (a2 + c2).StoreUnsafe(ref yr, o + (nuint)(2 * n));
        (a3 + c3).StoreUnsafe(ref yr, o + (nuint)(3 * n));
    }

    /// <summary>b[j..j+8) + Σ_k value_k·Wᵀ[row_k, j..j+8), with four independent accumulators over the rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static Vector256<float> OneColumnsBlock<TRows>(AlignedFloats transposed, AlignedFloats bias, int j, int stride, TRows rows) where TRows : struct, IRows, allows ref struct
    {
        ref float t = ref transposed.Start;
        nuint o = (nuint)j, s = (nuint)stride;
        Vector256<float> a0 = Vector256.LoadUnsafe(ref bias.Start, o), a1 = Vector256<float>.Zero, a2 = a1, a3 = a1;
        int k = 0;
        for (; k + 4 <= rows.Count; k += 4)
        {
            a0 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref t, rows.Row(k) * s + o), Vector256.Create(rows.Value(k)), a0);
            a1 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref t, rows.Row(k + 1) * s + o), Vector256.Create(rows.Value(k + 1)), a1);
            a2 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref t, rows.Row(k + 2) * s + o), Vector256.Create(rows.Value(k + 2)), a2);
            a3 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref t, rows.Row(k + 3) * s + o), Vector256.Create(rows.Value(k + 3)), a3);
        }
        for (; k < rows.Count; k++)
        {
            a0 = Fma.MultiplyAdd(Vector256.LoadUnsafe(ref t, rows.Row(k) * s + o), Vector256.Create(rows.Value(k)), a0);
        }
        return (a0 + a1) + (a2 + a3);
    }

    private static float Unsafe(ref float start, nuint row, int column) => System.Runtime.CompilerServices.Unsafe.Add(ref start, row + (nuint)column);

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
        foreach (int i in indices)
        {
            if ((uint)i >= (uint)Inputs)
            {
                throw new ArgumentException($"Index {i} is outside the layer's {Inputs} inputs.", nameof(indices));
            }
        }
        AlignedFloats columns = _transposed ?? LazyInitializer.EnsureInitialized(ref _columns, Transpose);
        Span<float> y = destination[..Outputs];
        Accumulate(columns, new SparseRows(indices, values), y);
        Activate(y, Activation);
    }

    private AlignedFloats Transpose()
    {
        var columns = new AlignedFloats(checked(Inputs * _stride));
        Span<float> t = columns.Span;
        ReadOnlySpan<float> w = _weights.Span;
        for (int o = 0; o < Outputs; o++)
        {
            for (int i = 0; i < Inputs; i++)
            {
                t[i * _stride + o] = w[o * Inputs + i];
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
