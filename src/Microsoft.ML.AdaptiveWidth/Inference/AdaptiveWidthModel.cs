using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Microsoft.ML.AdaptiveWidth.Inference;

/// <summary>
/// A trained adaptive-width network as plain arrays: a chain of dense layers (the hidden layers, then a linear
/// output layer) with each hidden layer's importance already folded into the next layer's weights. Immutable and
/// thread-safe; needs neither TorchSharp nor ML.NET. Outputs are raw: logits for classification (one logit for
/// binary), the predicted value for regression.
/// </summary>
public sealed class AdaptiveWidthModel
{
    private readonly DenseLayer[] _layers;
    private readonly float[][] _importance;
    private readonly int _maxWidth;
    private readonly int _hiddenNeurons;

    // Independent chains of hidden neurons (an averaged ensemble, docs/method.md §5.10): their first layers stacked into one
    // layer, scored at once, then the rest of each chain one after the other, so that the zero weights between them cost
    // nothing; null for an ordinary network.
    private readonly BlockPlan? _blocks;
    private readonly InputCodes? _codes;

    // Binned codes (InputCodes.Bins > 1): the layer that the scorer feeds first, with a column per code for the sum of the
    // bins below it, so that a coded feature costs two columns (its bin and the full bins below) instead of one per bin;
    // null otherwise.
    private readonly DenseLayer? _binnedFirst;

    /// <summary>Creates a model from its layers and the importance vector of each hidden layer.</summary>
    /// <param name="layers">Hidden layers then the output layer; each layer's inputs equal the previous layer's outputs.</param>
    /// <param name="importance">One vector per hidden layer, as long as that layer's width (kept for reporting;
    /// already folded into the weights).</param>
    /// <exception cref="ArgumentException">The layers do not chain, the output layer is not linear, or an
    /// importance vector does not match its layer.</exception>
    public AdaptiveWidthModel(IReadOnlyList<DenseLayer> layers, IReadOnlyList<float[]> importance)
        : this(layers, importance, null, findBlocks: true)
    {
    }

    /// <summary>Creates a model whose first layer takes the features followed by their quantile <paramref name="codes"/>.</summary>
    /// <param name="layers">As for the other constructor; the first layer takes <see cref="InputCodes.FeatureCount"/> +
    /// <see cref="InputCodes.CodeCount"/> inputs.</param>
    /// <param name="importance">One importance vector per hidden layer.</param>
    /// <param name="codes">The codes, or null for none.</param>
    /// <exception cref="ArgumentException">The layers do not chain, or the first layer's inputs do not match the codes.</exception>
    public AdaptiveWidthModel(IReadOnlyList<DenseLayer> layers, IReadOnlyList<float[]> importance, InputCodes? codes)
        : this(layers, importance, codes, findBlocks: true)
    {
    }

    private AdaptiveWidthModel(IReadOnlyList<DenseLayer> layers, IReadOnlyList<float[]> importance, InputCodes? codes, bool findBlocks)
    {
        ArgumentNullException.ThrowIfNull(layers);
        ArgumentNullException.ThrowIfNull(importance);
        if (layers.Count < 1)
        {
            throw new ArgumentException("A model needs at least an output layer.", nameof(layers));
        }
        if (importance.Count != layers.Count - 1)
        {
            throw new ArgumentException($"Expected {layers.Count - 1} importance vectors (one per hidden layer), got {importance.Count}.", nameof(importance));
        }
        for (int l = 1; l < layers.Count; l++)
        {
            if (layers[l].Inputs != layers[l - 1].Outputs)
            {
                throw new ArgumentException($"Layer {l} takes {layers[l].Inputs} inputs but layer {l - 1} gives {layers[l - 1].Outputs}.", nameof(layers));
            }
        }
        if (layers[^1].Activation != ActivationKind.Identity)
        {
            throw new ArgumentException("The output layer must be linear (ActivationKind.Identity).", nameof(layers));
        }
        for (int l = 0; l < importance.Count; l++)
        {
            if (importance[l] is null || importance[l].Length != layers[l].Outputs)
            {
                throw new ArgumentException($"Importance vector {l} must have {layers[l].Outputs} entries.", nameof(importance));
            }
        }

        if (codes is not null && layers[0].Inputs != codes.FeatureCount + codes.CodeCount)
        {
            throw new ArgumentException(
                $"The first layer takes {layers[0].Inputs} inputs; {codes.FeatureCount} features and {codes.CodeCount} codes make {codes.FeatureCount + codes.CodeCount}.", nameof(codes));
        }

        _codes = codes;
        _layers = layers.ToArray();
        _importance = importance.Select(p => (float[])p.Clone()).ToArray();
        _maxWidth = _layers.Max(layer => layer.Outputs);
        _hiddenNeurons = _layers.Take(_layers.Length - 1).Sum(layer => layer.Outputs);
        _blocks = findBlocks ? FindBlocks() : null;
        _binnedFirst = codes is { Bins: > 1 } ? codes.BinnedLayer(_blocks?.First ?? _layers[0]) : null;
    }

    /// <summary>Number of independent chains of hidden neurons the scorer runs separately (1 for an ordinary network).</summary>
    internal int BlockCount => _blocks?.Chains ?? 1;

    /// <summary>
    /// An averaged ensemble's independent chains, laid out chain by chain: <paramref name="First"/> is the first hidden
    /// layer with its neurons reordered so that each chain's are contiguous; <paramref name="Middle"/>[l][c] is chain c's
    /// part of hidden layer l + 1 (its own neurons, from its own neurons of the layer before); <paramref name="Output"/> is
    /// the output layer, its inputs reordered the same way. <paramref name="Offsets"/>[l][c] is where chain c's neurons of
    /// hidden layer l start.
    /// </summary>
    private sealed record BlockPlan(DenseLayer First, DenseLayer[][] Middle, int[][] Offsets, DenseLayer Output)
    {
        public long MultiplyAdds => First.MultiplyAdds + Middle.Sum(layer => layer.Sum(chain => chain.MultiplyAdds)) + Output.MultiplyAdds;

        public int Chains => Offsets[0].Length;
    }

    /// <summary>
    /// With two or more hidden layers, the connected components of the hidden neurons (linked by non-zero weights between
    /// consecutive hidden layers), laid out as a <see cref="BlockPlan"/>; null when there is one component that reaches
    /// every hidden layer, or too many to pay. Components that miss a layer are laid out with the first whole one.
    /// </summary>
    private BlockPlan? FindBlocks()
    {
        int hidden = _layers.Length - 1;
        if (hidden < 2)
        {
            return null;
        }
        var offsets = new int[hidden + 1];
        for (int l = 0; l < hidden; l++)
        {
            offsets[l + 1] = offsets[l] + _layers[l].Outputs;
        }
        int[] parent = Enumerable.Range(0, offsets[hidden]).ToArray();
        int Root(int x)
        {
            while (parent[x] != x)
            {
                parent[x] = parent[parent[x]];
                x = parent[x];
            }
            return x;
        }
        for (int l = 1; l < hidden; l++)
        {
            DenseLayer layer = _layers[l];
            ReadOnlySpan<float> w = layer.Weights;
            for (int o = 0; o < layer.Outputs; o++)
            {
                ReadOnlySpan<float> row = w.Slice(o * layer.Inputs, layer.Inputs);
                for (int i = 0; i < row.Length; i++)
                {
                    if (row[i] != 0f)
                    {
                        int a = Root(offsets[l - 1] + i), b = Root(offsets[l] + o);
                        if (a != b)
                        {
                            parent[Math.Max(a, b)] = Math.Min(a, b);
                        }
                    }
                }
            }
        }
        // Components in order of their first neuron; each must reach every hidden layer.
        var members = new Dictionary<int, List<int>[]>();
        var order = new List<int>();
        for (int l = 0; l < hidden; l++)
        {
            for (int j = 0; j < _layers[l].Outputs; j++)
            {
                int root = Root(offsets[l] + j);
                if (!members.TryGetValue(root, out List<int>[]? lists))
                {
                    lists = Enumerable.Range(0, hidden).Select(_ => new List<int>()).ToArray();
                    members[root] = lists;
                    order.Add(root);
                }
                lists[l].Add(j);
            }
        }
        // A component that misses a layer has no non-zero weight to any other component (for example a neuron whose
        // outgoing weights are all 0): it joins the first whole chain, whose layers then compute its zero weights too.
        List<int> partial = order.Where(root => members[root].Any(list => list.Count == 0)).ToList();
        order.RemoveAll(partial.Contains);
        const int MaxBlocks = 64;
        if (order.Count < 2 || order.Count > MaxBlocks)
        {
            return null;
        }
        foreach (int root in partial)
        {
            for (int l = 0; l < hidden; l++)
            {
                members[order[0]][l].AddRange(members[root][l]);
            }
        }
        foreach (List<int> list in members[order[0]])
        {
            list.Sort();
        }
        int[] all = Enumerable.Range(0, NetworkInputCount).ToArray();
        var chainOffsets = new int[hidden][];
        var rows = new List<int>[hidden];
        for (int l = 0; l < hidden; l++)
        {
            chainOffsets[l] = new int[order.Count];
            rows[l] = [];
            foreach ((int root, int c) in order.Select((root, c) => (root, c)))
            {
                chainOffsets[l][c] = rows[l].Count;
                rows[l].AddRange(members[root][l]);
            }
        }
        var middle = new DenseLayer[hidden - 1][];
        for (int l = 1; l < hidden; l++)
        {
            middle[l - 1] = order.Select(root => _layers[l].Select(members[root][l - 1], members[root][l])).ToArray();
        }
        DenseLayer output = _layers[^1].Select(rows[hidden - 1], Enumerable.Range(0, OutputCount).ToArray());
        return new BlockPlan(_layers[0].Select(all, rows[0]), middle, chainOffsets, output);
    }

    /// <summary>Number of input features.</summary>
    public int InputCount => _codes?.FeatureCount ?? _layers[0].Inputs;

    /// <summary>The quantile codes whose values follow the features into the first layer, or null.</summary>
    public InputCodes? Codes => _codes;

    /// <summary>The same network with other input codes (null: none); the first layer must take the codes' features and codes.</summary>
    internal AdaptiveWidthModel WithCodes(InputCodes? codes)
        => new(_layers, _importance, codes);

    /// <summary>The same network with its raw outputs multiplied by <paramref name="factor"/> (the output layer's weights
    /// and biases scaled): a temperature on a classifier's logits (docs/method.md §5.16).</summary>
    internal AdaptiveWidthModel WithOutputScaled(double factor)
    {
        DenseLayer output = _layers[^1];
        float[] weights = output.Weights.ToArray().Select(w => (float)(w * factor)).ToArray();
        float[] bias = output.Bias.ToArray().Select(b => (float)(b * factor)).ToArray();
        DenseLayer[] layers = [.. _layers[..^1], new DenseLayer(output.Inputs, output.Outputs, weights, bias, output.Activation)];
        return new AdaptiveWidthModel(layers, _importance, _codes);
    }

    /// <summary>The first layer's inputs: <see cref="InputCount"/>, plus the codes' count when the model has codes.</summary>
    internal int NetworkInputCount => _layers[0].Inputs;

    /// <summary>Number of raw outputs.</summary>
    public int OutputCount => _layers[^1].Outputs;

    /// <summary>Number of adaptive hidden layers.</summary>
    public int HiddenLayerCount => _layers.Length - 1;

    /// <summary>All layers: the hidden layers, then the output layer.</summary>
    public IReadOnlyList<DenseLayer> Layers => _layers;

    /// <summary>The width (number of neurons) of each hidden layer.</summary>
    public IReadOnlyList<int> LayerWidths => _layers.Take(_layers.Length - 1).Select(l => l.Outputs).ToArray();

    /// <summary>
    /// Multiply-adds needed to score one row: for an averaged ensemble, those of its members' independent blocks (the zero
    /// weights between members are skipped), otherwise every weight.
    /// </summary>
    public long MultiplyAdds => _blocks?.MultiplyAdds ?? _layers.Sum(l => l.MultiplyAdds);

    /// <summary>The importance of each neuron of hidden layer <paramref name="layer"/>, decreasing with the index.</summary>
    public ReadOnlySpan<float> Importance(int layer) => _importance[layer];

    /// <summary>Scores one row: <paramref name="output"/> receives <see cref="OutputCount"/> raw outputs.</summary>
    /// <remarks>Thread-safe, and allocation-free while every layer is at most 8,192 wide (the scratch, two such
    /// layers, is then on the stack; wider layers use a heap buffer per call). A NaN feature gives NaN in every
    /// output (see <see cref="DenseLayer.Forward"/>).</remarks>
    /// <exception cref="ArgumentException">The feature span has the wrong length, or the output span is too short
    /// or overlaps the features.</exception>
    public void Score(ReadOnlySpan<float> features, Span<float> output)
    {
        if (features.Length != InputCount)
        {
            throw new ArgumentException($"Expected {InputCount} features, got {features.Length}.", nameof(features));
        }
        if (output.Length < OutputCount)
        {
            throw new ArgumentException($"The output span must hold {OutputCount} values, got {output.Length}.", nameof(output));
        }
        if (features.Overlaps(output))
        {
            // Only a model without hidden layers would read features after writing outputs, but one rule for all
            // models is simpler to document and to rely on.
            throw new ArgumentException("The output span must not overlap the features.", nameof(output));
        }
        int size = 2 * _maxWidth + (_codes is null || _binnedFirst is not null ? 0 : NetworkInputCount);
        Span<float> scratch = size <= 16_384 ? stackalloc float[size] : new float[size];
        if (_binnedFirst is not null)
        {
            // The features go to the binned first layer, which codes them itself (see ForwardFirst).
            Forward(features, output, scratch);
        }
        else if (_codes is not null)
        {
            Span<float> extended = scratch[^NetworkInputCount..];
            _codes.Apply(features, extended);
            Forward(extended, output, scratch[..^NetworkInputCount]);
        }
        else
        {
            Forward(features, output, scratch);
        }
    }

    /// <summary>
    /// Scores one sparse row, given by the indices and values of its non-zeros (any order; an index may not repeat): the
    /// same outputs as <see cref="Score"/> on the dense row up to float rounding, in time proportional to the non-zeros ×
    /// the first layer's width plus the rest of the network, not to <see cref="InputCount"/>. The first call builds a
    /// transposed copy of the first layer's weights (see <see cref="DenseLayer.ForwardSparse"/>).
    /// </summary>
    /// <exception cref="ArgumentException">Indices and values differ in length, an index is outside [0, InputCount), or the output span is too short.</exception>
    public void ScoreSparse(ReadOnlySpan<int> indices, ReadOnlySpan<float> values, Span<float> output)
    {
        if (output.Length < OutputCount)
        {
            throw new ArgumentException($"The output span must hold {OutputCount} values, got {output.Length}.", nameof(output));
        }
        if (_codes is not null)
        {
            throw new InvalidOperationException("A model with quantile codes scores dense rows only (its codes are of numeric features): use Score.");
        }
        if (_layers.Length == 1)
        {
            _layers[0].ForwardSparse(indices, values, output);
            return;
        }
        Span<float> scratch = _maxWidth <= 8192 ? stackalloc float[2 * _maxWidth] : new float[2 * _maxWidth];
        Span<float> a = scratch[.._maxWidth];
        Span<float> b = scratch[_maxWidth..];
        _layers[0].ForwardSparse(indices, values, a);
        ReadOnlySpan<float> current = a[.._layers[0].Outputs];
        for (int l = 1; l < _layers.Length - 1; l++)
        {
            DenseLayer layer = _layers[l];
            Span<float> next = (l & 1) == 0 ? a : b;
            layer.Forward(current, next);
            current = next[..layer.Outputs];
        }
        _layers[^1].Forward(current, output);
    }

    private void Forward(ReadOnlySpan<float> features, Span<float> output, Span<float> scratch)
    {
        if (_blocks is not null)
        {
            // The first and output layers at once; each deeper hidden layer chain by chain (the weights between chains are 0).
            Span<float> a = scratch[.._maxWidth];
            Span<float> b = scratch[_maxWidth..(2 * _maxWidth)];
            ForwardFirst(_blocks.First, features, a);
            for (int l = 0; l < _blocks.Middle.Length; l++)
            {
                DenseLayer[] chains = _blocks.Middle[l];
                int[] from = _blocks.Offsets[l], to = _blocks.Offsets[l + 1];
                for (int c = 0; c < chains.Length; c++)
                {
                    chains[c].Affine(a.Slice(from[c], chains[c].Inputs), b.Slice(to[c], chains[c].Outputs));
                }
                // One activation for the whole layer (every chain's part of it has the layer's activation).
                DenseLayer.Activate(b[..(to[^1] + chains[^1].Outputs)], chains[0].Activation);
                Span<float> swap = a;
                a = b;
                b = swap;
            }
            _blocks.Output.Forward(a[.._blocks.Output.Inputs], output);
            return;
        }
        if (_layers.Length == 1)
        {
            ForwardFirst(_layers[0], features, output);
            return;
        }
        Span<float> current = scratch[.._maxWidth];
        Span<float> next = scratch[_maxWidth..(2 * _maxWidth)];
        ForwardFirst(_layers[0], features, current);
        for (int l = 1; l < _layers.Length - 1; l++)
        {
            DenseLayer layer = _layers[l];
            layer.Forward(current[..layer.Inputs], next);
            Span<float> swap = current;
            current = next;
            next = swap;
        }
        _layers[^1].Forward(current[.._layers[^1].Inputs], output);
    }

    /// <summary>
    /// The first layer. A row that is at least a third zeros (one-hot columns, blank pixels and their codes) goes through
    /// the layer's sparse kernel, the same register-blocked kernel over the non-zero inputs only, so it reads only their
    /// weights; the result is the same up to float rounding.
    /// </summary>
    private void ForwardFirst(DenseLayer layer, ReadOnlySpan<float> x, Span<float> y)
    {
        if (_binnedFirst is not null)
        {
            // x is the features alone: their non-zeros and two columns per coded feature (InputCodes.GatherBinned).
            int most = _codes!.FeatureCount + 2 * _codes.CodedFeatureCount;
            Span<int> gathered = most <= 4096 ? stackalloc int[most] : new int[most];
            Span<float> weights = most <= 4096 ? stackalloc float[most] : new float[most];
            int count = _codes.GatherBinned(x, gathered, weights);
            _binnedFirst.ForwardSparse(gathered[..count], weights[..count], y);
            return;
        }
        int inputs = x.Length;
        if (inputs >= SparseFirstLayerMinimumInputs && inputs <= SparseFirstLayerMaximumInputs)
        {
            int nonZeros = CountNonZeros(x);
            if (nonZeros * 3 <= inputs * 2)
            {
                // Gathered without a branch: every input is written at k, which moves on only past a non-zero (zeros
                // scattered among the inputs would mispredict a branch on every other one); one spare slot takes the
                // writes after the last non-zero.
                Span<int> indices = stackalloc int[nonZeros + 1];
                Span<float> values = stackalloc float[nonZeros + 1];
                for (int i = 0, k = 0; i < inputs; i++)
                {
                    float v = x[i];
                    indices[k] = i;
                    values[k] = v;
                    k += v != 0f ? 1 : 0;
                }
                layer.ForwardSparse(indices[..nonZeros], values[..nonZeros], y);
                return;
            }
        }
        layer.Forward(x, y);
    }

    // The sparse first-layer kernel does per non-zero what the dense one does per input, but reads the rows of weights
    // out of order, after a pass that gathers the non-zeros. Measured on a layer of 1,568 inputs into 200 neurons (best of
    // 15 x 2,000 calls): dense 21-22 µs whatever the zeros; sparse 23-26 µs with none, 16-18 with 30% zeros, 12-13 with
    // half, 2.5 with 90%. It is not tried on rows too short to matter or too long for the index buffer on the stack (wide
    // rows are scored with ScoreSparse).
    private const int SparseFirstLayerMinimumInputs = 32;
    private const int SparseFirstLayerMaximumInputs = 4096;

    private static int CountNonZeros(ReadOnlySpan<float> x)
    {
        int count = 0, i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            ref float start = ref MemoryMarshal.GetReference(x);
            for (; i + Vector256<float>.Count <= x.Length; i += Vector256<float>.Count)
            {
                Vector256<float> zero = Vector256.Equals(Vector256.LoadUnsafe(ref start, (nuint)i), Vector256<float>.Zero);
                count += Vector256<float>.Count - BitOperations.PopCount(zero.ExtractMostSignificantBits());
            }
        }
        for (; i < x.Length; i++)
        {
            count += x[i] != 0f ? 1 : 0;
        }
        return count;
    }

    /// <summary>
    /// The gradient of raw output <paramref name="output"/> with respect to each feature at the row
    /// <paramref name="features"/>, by one forward and one backward pass through the dense layers (managed code, no
    /// TorchSharp). Multiplied by the features, it is the gradient × input attribution that the ML.NET model parameters
    /// give as feature contributions.
    /// </summary>
    /// <param name="features">One row, <see cref="InputCount"/> values.</param>
    /// <param name="output">The raw output to differentiate, in [0, <see cref="OutputCount"/>).</param>
    /// <param name="gradient">Receives <see cref="InputCount"/> partial derivatives.</param>
    /// <returns>The raw output's value at the row (what <see cref="Score"/> gives for it).</returns>
    /// <remarks>
    /// The activations are piecewise linear, so the gradient is exact wherever no hidden neuron sits on a kink; at a kink
    /// it takes the one-sided derivative PyTorch takes (ReLU6: 1 strictly inside (0, 6), else 0; ReLU: 1 above 0, else 0;
    /// LeakyReLU: 1 above 0, else 0.01). A NaN feature gives NaN in every entry of the gradient, as in the score. Thread-safe;
    /// allocation-free while the scratch (every hidden neuron, plus twice the widest layer) is at most 8,192 floats.
    /// </remarks>
    /// <exception cref="ArgumentException">A span has the wrong length or <paramref name="gradient"/> overlaps the features.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="output"/> is out of range.</exception>
    public float InputGradient(ReadOnlySpan<float> features, int output, Span<float> gradient)
    {
        if (features.Length != InputCount)
        {
            throw new ArgumentException($"Expected {InputCount} features, got {features.Length}.", nameof(features));
        }
        ArgumentOutOfRangeException.ThrowIfNegative(output);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(output, OutputCount);
        if (gradient.Length != InputCount)
        {
            throw new ArgumentException($"The gradient span must hold {InputCount} values, got {gradient.Length}.", nameof(gradient));
        }
        if (features.Overlaps(gradient))
        {
            throw new ArgumentException("The gradient span must not overlap the features.", nameof(gradient));
        }
        int size = GradientScratchSize;
        Span<float> scratch = size <= 8192 ? stackalloc float[size] : new float[size];
        Span<float> outputs = OutputCount <= 256 ? stackalloc float[OutputCount] : new float[OutputCount];
        if (_codes is null)
        {
            ForwardKeepingActivations(features, outputs, scratch);
            BackwardFrom(output, gradient, scratch, float.IsNaN(outputs[output]));
            return outputs[output];
        }
        // Through the codes: the gradient with respect to the features and their codes, then the chain rule.
        Span<float> extended = scratch.Slice(NetworkScratchSize, NetworkInputCount);
        Span<float> extendedGradient = scratch.Slice(NetworkScratchSize + NetworkInputCount, NetworkInputCount);
        _codes.Apply(features, extended);
        ForwardKeepingActivations(extended, outputs, scratch[..NetworkScratchSize]);
        BackwardFrom(output, extendedGradient, scratch[..NetworkScratchSize], float.IsNaN(outputs[output]));
        _codes.FoldGradient(features, extendedGradient, gradient);
        return outputs[output];
    }

    /// <summary>
    /// The gradient of every raw output with respect to the features, row-major [<see cref="OutputCount"/> ×
    /// <see cref="InputCount"/>], with one forward pass and one backward pass per output; <paramref name="outputs"/>
    /// receives the raw outputs. Same conventions as <see cref="InputGradient"/>.
    /// </summary>
    internal void InputGradients(ReadOnlySpan<float> features, Span<float> outputs, Span<float> gradients, Span<float> scratch)
    {
        if (_codes is null)
        {
            ForwardKeepingActivations(features, outputs, scratch);
            for (int k = 0; k < OutputCount; k++)
            {
                BackwardFrom(k, gradients.Slice(k * InputCount, InputCount), scratch, float.IsNaN(outputs[k]));
            }
            return;
        }
        Span<float> extended = scratch.Slice(NetworkScratchSize, NetworkInputCount);
        Span<float> extendedGradient = scratch.Slice(NetworkScratchSize + NetworkInputCount, NetworkInputCount);
        _codes.Apply(features, extended);
        ForwardKeepingActivations(extended, outputs, scratch[..NetworkScratchSize]);
        for (int k = 0; k < OutputCount; k++)
        {
            BackwardFrom(k, extendedGradient, scratch[..NetworkScratchSize], float.IsNaN(outputs[k]));
            _codes.FoldGradient(features, extendedGradient, gradients.Slice(k * InputCount, InputCount));
        }
    }

    /// <summary>Floats of scratch <see cref="InputGradients"/> needs: every hidden activation and two backward buffers,
    /// then, with codes, the features and codes and their gradient.</summary>
    internal int GradientScratchSize => NetworkScratchSize + (_codes is null ? 0 : 2 * NetworkInputCount);

    private int NetworkScratchSize => _hiddenNeurons + 2 * _maxWidth;

    /// <summary>Scores the row, keeping each hidden layer's activated output, one layer after the other, in <paramref name="scratch"/>.</summary>
    private void ForwardKeepingActivations(ReadOnlySpan<float> features, Span<float> outputs, Span<float> scratch)
    {
        ReadOnlySpan<float> current = features;
        int offset = 0;
        for (int l = 0; l < _layers.Length - 1; l++)
        {
            Span<float> a = scratch.Slice(offset, _layers[l].Outputs);
            _layers[l].Forward(current, a);
            current = a;
            offset += a.Length;
        }
        _layers[^1].Forward(current, outputs);
    }

    /// <summary>Back-propagates the unit vector of output <paramref name="output"/> to the features.</summary>
    private void BackwardFrom(int output, Span<float> gradient, Span<float> scratch, bool nan)
    {
        if (nan)
        {
            gradient.Fill(float.NaN);
            return;
        }
        int width = _maxWidth;
        Span<float> back = scratch[^(2 * width)..];
        Span<float> upstream = back[..width];
        Span<float> downstream = back[width..];
        upstream.Clear();
        upstream[output] = 1f;
        int offset = _hiddenNeurons;
        for (int l = _layers.Length - 1; l >= 0; l--)
        {
            DenseLayer layer = _layers[l];
            Span<float> g = l == 0 ? gradient : downstream[..layer.Inputs];
            g.Clear();
            ReadOnlySpan<float> weights = layer.Weights;
            for (int o = 0; o < layer.Outputs; o++)
            {
                float go = upstream[o];
                if (go != 0f)
                {
                    TensorPrimitives.MultiplyAdd(weights.Slice(o * layer.Inputs, layer.Inputs), go, g, g);
                }
            }
            if (l == 0)
            {
                break;
            }
            // g is the gradient with respect to hidden layer l-1's activated output; through its activation to its
            // pre-activation, using the activated value (each activation's derivative is a function of it).
            DenseLayer below = _layers[l - 1];
            offset -= below.Outputs;
            ReadOnlySpan<float> a = scratch.Slice(offset, below.Outputs);
            for (int j = 0; j < g.Length; j++)
            {
                g[j] *= Derivative(a[j], below.Activation);
            }
            Span<float> swap = upstream;
            upstream = downstream;
            downstream = swap;
        }
    }

    /// <summary>φ'(z) from the activated value y = φ(z), with PyTorch's one-sided choice at the kinks.</summary>
    private static float Derivative(float y, ActivationKind activation) => activation switch
    {
        // y in (0, 6) exactly when z is; at z ≤ 0 or z ≥ 6 the clamp is flat.
        ActivationKind.ReLU6 => y > 0f && y < 6f ? 1f : 0f,
        ActivationKind.ReLU => y > 0f ? 1f : 0f,
        // y has z's sign (and y = 0 only at z = 0, where PyTorch takes the negative slope).
        ActivationKind.LeakyReLU => y > 0f ? 1f : 0.01f,
        _ => 1f,
    };

    /// <summary>
    /// Keeps an arbitrary subset of each hidden layer's neurons (not necessarily a prefix) with the weights they have:
    /// the baseline that ordered truncation is compared with (random removal in the paper).
    /// </summary>
    /// <param name="neurons">For each hidden layer, the distinct neuron indices to keep, at least one, in increasing order.</param>
    /// <exception cref="ArgumentException">The count of layers, an index, or the order is wrong.</exception>
    public AdaptiveWidthModel KeepNeurons(IReadOnlyList<IReadOnlyList<int>> neurons)
    {
        ArgumentNullException.ThrowIfNull(neurons);
        if (neurons.Count != HiddenLayerCount)
        {
            throw new ArgumentException($"Expected {HiddenLayerCount} index lists (one per hidden layer), got {neurons.Count}.", nameof(neurons));
        }
        for (int l = 0; l < neurons.Count; l++)
        {
            IReadOnlyList<int> kept = neurons[l] ?? throw new ArgumentException($"The index list of layer {l} is null.", nameof(neurons));
            if (kept.Count == 0 || kept[0] < 0 || kept[^1] >= _layers[l].Outputs || kept.Zip(kept.Skip(1)).Any(p => p.First >= p.Second))
            {
                throw new ArgumentException($"The indices of layer {l} must be increasing, distinct, and in [0, {_layers[l].Outputs}).", nameof(neurons));
            }
        }
        var layers = new DenseLayer[_layers.Length];
        IReadOnlyList<int> inputs = Enumerable.Range(0, NetworkInputCount).ToArray();
        for (int l = 0; l < _layers.Length; l++)
        {
            IReadOnlyList<int> outputs = l < neurons.Count ? neurons[l] : Enumerable.Range(0, OutputCount).ToArray();
            layers[l] = _layers[l].Select(inputs, outputs);
            inputs = outputs;
        }
        var importance = new float[neurons.Count][];
        for (int l = 0; l < neurons.Count; l++)
        {
            importance[l] = neurons[l].Select(i => _importance[l][i]).ToArray();
        }
        return new AdaptiveWidthModel(layers, importance, _codes);
    }

    /// <summary>
    /// Keeps the first (most important) neurons of each hidden layer, as many as <paramref name="target"/> says (a
    /// fraction, a cap, a compute budget or explicit widths), with the weights they have. Returns a new model.
    /// </summary>
    /// <param name="target">How small the network should be.</param>
    /// <exception cref="ArgumentOutOfRangeException">The target does not fit this model (see <see cref="TruncationTarget.Resolve"/>).</exception>
    public AdaptiveWidthModel Truncate(TruncationTarget target)
    {
        ArgumentNullException.ThrowIfNull(target);
        return Truncate(target.Resolve(this));
    }

    /// <summary>
    /// Keeps the first <c>widths[l]</c> neurons of each hidden layer (the most important ones) with the weights they
    /// have: nothing is renormalised or retrained. Returns a new model; this one is unchanged.
    /// </summary>
    /// <param name="widths">One width per hidden layer, each in [1, current width].</param>
    /// <exception cref="ArgumentException">The count of widths or a width is out of range.</exception>
    public AdaptiveWidthModel Truncate(IReadOnlyList<int> widths)
    {
        ArgumentNullException.ThrowIfNull(widths);
        if (widths.Count != HiddenLayerCount)
        {
            throw new ArgumentException($"Expected {HiddenLayerCount} widths (one per hidden layer), got {widths.Count}.", nameof(widths));
        }
        for (int l = 0; l < widths.Count; l++)
        {
            if (widths[l] < 1 || widths[l] > _layers[l].Outputs)
            {
                throw new ArgumentOutOfRangeException(nameof(widths), widths[l],
                    $"Width of hidden layer {l} must be in [1, {_layers[l].Outputs}].");
            }
        }

        var layers = new DenseLayer[_layers.Length];
        int inputs = NetworkInputCount;
        for (int l = 0; l < _layers.Length; l++)
        {
            int outputs = l < widths.Count ? widths[l] : OutputCount;
            layers[l] = inputs == _layers[l].Inputs && outputs == _layers[l].Outputs ? _layers[l] : _layers[l].Slice(inputs, outputs);
            inputs = outputs;
        }
        var importance = new float[widths.Count][];
        for (int l = 0; l < widths.Count; l++)
        {
            importance[l] = _importance[l].AsSpan(0, widths[l]).ToArray();
        }
        return new AdaptiveWidthModel(layers, importance, _codes);
    }
}
