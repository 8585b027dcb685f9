using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.AdaptiveWidth.Training;

/// <summary>The two ways the sparse first layer's product X·W_local is computed.</summary>
internal enum SparseProduct
{
    /// <summary>A COO sparse tensor [B × U] times the gathered rows (libtorch's sparse × dense matmul).</summary>
    SparseMatmul,

    /// <summary>index_select of each non-zero's row, scaled by its value, index_add into the batch rows.</summary>
    GatherScatter,
}

/// <summary>One mini-batch of sparse rows, re-indexed to the features it uses (docs/method.md, "Sparse inputs").</summary>
/// <param name="Coordinates">int64 [2 × nnz]: the row in the batch and the local feature (a position in <paramref name="Features"/>) of each non-zero.</param>
/// <param name="Values">float [nnz]: the standardised values.</param>
/// <param name="Features">int64 [U]: the distinct features of the batch, as indices into the input.</param>
internal sealed record SparseBatch(Tensor Coordinates, Tensor Values, Tensor Features);

/// <summary>
/// The first layer's weights for a sparse input, kept outside the flat parameter buffer as Wᵀ [features × capacity]
/// (a feature's weights are one contiguous row) with its own Adam moments. A mini-batch touches only the features its
/// rows use: they are gathered into a small leaf [U × width], the batch's first-layer pre-activations are the sparse
/// product X·W_localᵀ (libtorch's sparse × dense matmul, autograd to the leaf), and after backward the gathered rows
/// take a lazy Adam step (moments of features absent from the batch are not decayed) and are written back. The cost of
/// a step is proportional to the batch's distinct features × width, not to the vocabulary.
/// A feature no training batch has used yet (an n-gram that occurs only in held-out rows) still holds its random
/// initial weights: evaluation and the snapshot read its row as 0, as the dense path's standardisation maps a feature
/// constant on the training rows to 0 (docs/method.md §5.9), so it cannot move a held-out loss or a score.
/// </summary>
internal sealed class SparseInputLayer : IDisposable
{
    private const double Beta1 = 0.9;
    private const double Beta2 = 0.999;
    private const double Epsilon = 1e-8;
    private const double MinimumSecondMoment = 1e-30; // as FlatAdam: keeps MKL's square root on its fast path

    private double _learningRate;
    private readonly ScalarCache _constants = new();
    private readonly ScalarSlot _epsilon = new();
    private readonly ScalarSlot _stepSize = new();
    private readonly ScalarSlot _decay = new();
    private readonly Tensor _firstMomentWeight = tensor(1 - Beta1).DetachFromDisposeScope();
    private readonly Tensor _trained;
    private Tensor _table;
    private Tensor _first;
    private Tensor _second;
    private Tensor? _local;
    private Tensor? _localFeatures;
    private long _step;

    /// <summary>How the batch's product is computed; the sparse study compares them (docs/text.md). Default: libtorch's sparse matmul.</summary>
    internal static SparseProduct Product { get; set; } = SparseProduct.SparseMatmul;

    public SparseInputLayer(int features, int capacity, double learningRate)
    {
        Features = features;
        Capacity = capacity;
        _learningRate = learningRate;
        _table = zeros(features, capacity).DetachFromDisposeScope();
        _first = zeros(features, capacity).DetachFromDisposeScope();
        _second = zeros(features, capacity).DetachFromDisposeScope();
        _trained = zeros(features, 1).DetachFromDisposeScope();
    }

    /// <summary>The lazy Adam step size; follows the flat optimizer's (the training loop's schedule).</summary>
    public double LearningRate
    {
        get => _learningRate;
        set => _learningRate = value > 0 && double.IsFinite(value) ? value : throw new ArgumentOutOfRangeException(nameof(value));
    }

    /// <summary>Number of input features (rows of Wᵀ).</summary>
    public int Features { get; }

    /// <summary>Allocated neurons (columns of Wᵀ).</summary>
    public int Capacity { get; private set; }

    /// <summary>Draws the weights of neurons [<paramref name="from"/>, <paramref name="to"/>) from N(0, sd²) and zeroes their moments.</summary>
    public void Fill(int from, int to, double sd, Generator generator)
    {
        if (to <= from)
        {
            return;
        }
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        _table.narrow(1, from, to - from).normal_(0, sd, generator);
        _first.narrow(1, from, to - from).zero_();
        _second.narrow(1, from, to - from).zero_();
    }

    /// <summary>
    /// Continued training: sets Wᵀ's first <paramref name="width"/> columns to <paramref name="transposed"/> ([features ×
    /// width] row-major) and zeroes their moments (the optimizer state restarts, as the flat buffer's does).
    /// </summary>
    public void Load(float[] transposed, int width)
    {
        if (width > Capacity || transposed.LongLength != (long)Features * width)
        {
            throw new ArgumentException($"Expected {Features} × {width} weights within a capacity of {Capacity}; got {transposed.LongLength}.", nameof(transposed));
        }
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        _table.narrow(1, 0, width).copy_(tensor(transposed, [Features, width]));
        _first.narrow(1, 0, width).zero_();
        _second.narrow(1, 0, width).zero_();
        // Every row of a model trained before is a trained row (a zero row stays zero).
        _trained.fill_(_constants[1]);
    }

    /// <summary>Zeroes every moment (the optimizer-state reset on a width change, when asked for).</summary>
    public void ResetMoments()
    {
        using var noGrad = no_grad();
        _first.zero_();
        _second.zero_();
    }

    /// <summary>Grows the capacity to <paramref name="capacity"/>, keeping every weight and moment.</summary>
    public void Reserve(int capacity)
    {
        if (capacity <= Capacity)
        {
            return;
        }
        Tensor Grow(Tensor old)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            Tensor grown = zeros(Features, capacity).DetachFromDisposeScope();
            grown.narrow(1, 0, Capacity).copy_(old);
            old.Dispose();
            return grown;
        }
        _table = Grow(_table);
        _first = Grow(_first);
        _second = Grow(_second);
        Capacity = capacity;
    }

    /// <summary>
    /// The batch's first-layer pre-activations without bias, [B × <paramref name="width"/>] = X·W_localᵀ, from the
    /// gathered rows; when <paramref name="train"/>, the gathered rows are a leaf whose gradient <see cref="Step"/> uses.
    /// </summary>
    public Tensor Forward(SparseBatch batch, int rows, int width, bool train)
    {
        DisposeLocal();
        Tensor local;
        using (no_grad())
        {
            local = _table.narrow(1, 0, width).index_select(0, batch.Features).DetachFromDisposeScope();
            if (!train)
            {
                // Rows no training batch has used yet read as 0 (see the class remarks).
                using Tensor trained = _trained.index_select(0, batch.Features);
                local.mul_(trained);
            }
        }
        if (train)
        {
            local.requires_grad_(true);
            _local = local;
            _localFeatures = batch.Features.alias().DetachFromDisposeScope();
        }
        Tensor product;
        if (Product == SparseProduct.GatherScatter)
        {
            // Σ_k v_k·W_local[c_k] into row r_k: one gather of nnz × width, a scale and a scatter-add.
            Tensor gathered = local.index_select(0, batch.Coordinates.select(0, 1));
            Tensor scaled = gathered.mul(batch.Values.unsqueeze(1));
            product = zeros(rows, width).index_add(0, batch.Coordinates.select(0, 0), scaled, _constants[1]);
        }
        else
        {
            long distinct = batch.Features.shape[0];
            Tensor x = sparse_coo_tensor(batch.Coordinates, batch.Values, [rows, distinct]);
            product = x.mm(local);
        }
        if (!train)
        {
            local.Dispose();
        }
        return product;
    }

    /// <summary>
    /// One lazy Adam step on the rows gathered by the last training <see cref="Forward"/>, with the weight prior's
    /// gradient <paramref name="weightDecay"/>·θ on those rows; the step count advances as the flat optimizer's does.
    /// </summary>
    public void Step(int width, double weightDecay)
    {
        _step++;
        if (_local is null || _local.grad is not Tensor g)
        {
            return;
        }
        double correction1 = 1 - Math.Pow(Beta1, _step);
        double root2 = Math.Sqrt(1 - Math.Pow(Beta2, _step));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        Tensor features = _localFeatures!;
        g.add_(_local, _decay.Of(weightDecay));
        Tensor m = _first.narrow(1, 0, width).index_select(0, features);
        Tensor v = _second.narrow(1, 0, width).index_select(0, features);
        m.lerp_(g, _firstMomentWeight);
        v.mul_(_constants[Beta2]).addcmul_(g, g, _constants[1 - Beta2]);
        Tensor denominator = v.clamp_min(_constants[MinimumSecondMoment]);
        denominator.sqrt_().add_(_epsilon.Of(Epsilon * root2), _constants[1]);
        _local.addcdiv_(m, denominator, _stepSize.Of(-_learningRate * root2 / correction1));
        _table.narrow(1, 0, width).index_copy_(0, features, _local);
        _first.narrow(1, 0, width).index_copy_(0, features, m);
        _second.narrow(1, 0, width).index_copy_(0, features, v);
        _trained.index_fill_(0, features, _constants[1]);
        g.Dispose();
        DisposeLocal();
    }

    /// <summary>Σθ² over the first <paramref name="width"/> neurons (for the reported weight prior).</summary>
    public double SquareSum(int width)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        Tensor view = _table.narrow(1, 0, width);
        return view.mul(view).sum().item<float>();
    }

    /// <summary>A host copy of Wᵀ's first <paramref name="width"/> columns, [features × width] row-major; the rows of
    /// features no training batch has used are 0.</summary>
    public float[] Snapshot(int width)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using Tensor active = _table.narrow(1, 0, width).mul(_trained);
        return active.data<float>().ToArray();
    }

    private void DisposeLocal()
    {
        _local?.Dispose();
        _local = null;
        _localFeatures?.Dispose();
        _localFeatures = null;
    }

    public void Dispose()
    {
        DisposeLocal();
        _table.Dispose();
        _first.Dispose();
        _second.Dispose();
        _trained.Dispose();
        _constants.Dispose();
        _epsilon.Dispose();
        _stepSize.Dispose();
        _decay.Dispose();
        _firstMomentWeight.Dispose();
    }
}
