using Microsoft.ML.AdaptiveWidth.Inference;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Microsoft.ML.AdaptiveWidth.Training;

/// <summary>
/// The adaptive-width MLP (docs/method.md §1): L adaptive hidden layers h_l = φ(W_l h_{l−1} + b_l) ⊙ p_l, where p_l is
/// the renormalised discretized-exponential importance of rate λ_l = softplus(r_l) over D_l neurons, then a plain
/// linear output layer. D_l = floor(−ln(1−k)/λ_l) + 2 is recomputed before every mini-batch
/// (<see cref="UpdateWidths"/>): layers grow (new neurons drawn from N(0, 1), or with
/// <see cref="TrainingSettings.PreserveFunctionOnGrowth"/> silent: the initialisation's incoming weights, zero outgoing
/// weights and bias) or shrink (the tail is dropped; kept neurons are unchanged).
/// </summary>
/// <remarks>
/// Storage: all parameters live in one flat buffer laid out by <see cref="ParameterLayout"/> at a capacity per
/// layer that grows geometrically (×1.5) and never shrinks, so a width change costs new views, not a reallocation
/// of every parameter. The trainable tensors are leaf views of that buffer, and their gradients are pre-assigned
/// views of one flat gradient buffer that autograd accumulates into in place; the optimizer then updates
/// everything with a few flat ops (<see cref="FlatAdam"/>). Not a TorchSharp <c>Module</c>: parameters change shape
/// between batches, which a module's registered parameters do not support without reallocating.
/// </remarks>
internal sealed class AdaptiveWidthNetwork : IDisposable
{
    private const double CapacityGrowth = 1.5;

    private readonly TrainingSettings _settings;
    private readonly Generator _generator;
    private readonly int _maxWidth;
    // The widest each layer may be: _maxWidth, or less for the first layer of a wide input (MaximumInputLayerWeights).
    private readonly int[] _caps;
    // The first layer's weights when the input is sparse (then the flat buffer holds no first-layer weights).
    private readonly SparseInputLayer? _sparse;
    private readonly double _sparseFanIn;
    private readonly int[] _widths;
    private readonly Tensor?[] _importance;
    private double[] _rates;
    private double[] _rawRates;
    private ParameterLayout _layout;
    private Tensor _parameters;
    private Tensor _gradient;
    private Tensor[] _leaves = [];
    // The feature scales' leaf [inputs × 1] (FeatureScales), or null.
    private Tensor? _scales;
    // Views of the rates' slots in the parameter and gradient buffers, kept so that the per-batch read of r and write
    // of dL/dr go through the data pointer (no op, no allocation).
    private Tensor _rateValues = null!;
    private Tensor _rateGradients = null!;
    // Scalars passed to TorchSharp are held here for the network's lifetime (Training/TorchScalars.cs).
    private readonly ScalarCache _constants = new();
    private readonly ScalarSlot _fill = new();

    /// <param name="inputs">Number of input features.</param>
    /// <param name="outputs">Number of outputs.</param>
    /// <param name="settings">Hyper-parameters.</param>
    /// <param name="generator">The run's random generator.</param>
    /// <param name="sparseFanIn">Null for dense input; for sparse input (<see cref="SparseInputLayer"/>), the mean number of
    /// non-zeros per row, which replaces the feature count as the first layer's fan-in in the initialisation.</param>
    public AdaptiveWidthNetwork(int inputs, int outputs, TrainingSettings settings, Generator generator, double? sparseFanIn = null)
    {
        _settings = settings;
        _generator = generator;
        int layers = settings.NumberOfLayers;
        _maxWidth = settings.WidthCap;
        settings.CheckInputLayer(inputs, "The input");
        _caps = Enumerable.Repeat(_maxWidth, layers).ToArray();
        _caps[0] = settings.InputLayerWidthCap(inputs);
        _widths = Enumerable.Range(0, layers).Select(l => Math.Min(settings.InitialWidth, _caps[l])).ToArray();
        _importance = new Tensor?[layers];
        _rates = _widths.Select(w => w == settings.InitialWidth ? settings.InitialRate : TrainingSettings.RateForWidth(w, settings.Quantile)).ToArray();
        _rawRates = _rates.Select(ExponentialImportance.InverseSoftplus).ToArray();
        if (sparseFanIn is double fanIn)
        {
            _sparse = new SparseInputLayer(inputs, _widths[0], settings.LearningRate);
            _sparseFanIn = Math.Max(1, fanIn);
        }
        _layout = new ParameterLayout(inputs, outputs, _widths, sparseInput: _sparse is not null, linearPath: (settings.LinearPath || settings.LinearBaseline) && _sparse is null,
            featureScales: settings.FeatureScales && _sparse is null);
        _parameters = zeros(_layout.TotalLength).DetachFromDisposeScope();
        _gradient = zeros(_layout.TotalLength).DetachFromDisposeScope();
        Optimizer = new FlatAdam(_layout.TotalLength, settings.LearningRate);
        Initialize();
        RebuildRateViews();
        RebuildLeaves();
    }

    public FlatAdam Optimizer { get; }

    /// <summary>The optimizer's learning rate, for every parameter (the sparse first layer's included).</summary>
    public double LearningRate
    {
        get => Optimizer.LearningRate;
        set
        {
            Optimizer.LearningRate = value;
            if (_sparse is not null)
            {
                _sparse.LearningRate = value;
            }
        }
    }

    /// <summary>Current width of each hidden layer.</summary>
    public IReadOnlyList<int> Widths => _widths;

    /// <summary>Current capacity of each hidden layer (allocated neurons, ≥ width).</summary>
    public IReadOnlyList<int> Capacities => _layout.Capacities;

    public ParameterLayout Layout => _layout;

    /// <summary>The linear path's skip weight [outputs × inputs] in the standardised input space, as a host copy of
    /// <paramref name="snapshot"/>'s values; null without a linear path.</summary>
    public static float[]? SkipWeights(NetworkSnapshot snapshot)
        => snapshot.Layout.Skip is ParameterBlock skip ? snapshot.Values.AsSpan(checked((int)skip.Offset), checked((int)skip.Length)).ToArray() : null;

    /// <summary>The flat parameter buffer (weights and biases, then the raw rates).</summary>
    public Tensor Parameters => _parameters;

    /// <summary>The flat gradient buffer, same layout.</summary>
    public Tensor Gradient => _gradient;

    /// <summary>Number of times the flat buffers were reallocated because a layer outgrew its capacity.</summary>
    public int Reallocations { get; private set; }

    /// <summary>The current rates λ_l = softplus(r_l), read from the buffer (a host read-back).</summary>
    public double[] Rates() => RawRates().Select(ExponentialImportance.Softplus).ToArray();

    private double[] RawRates()
    {
        var raw = new double[_widths.Length];
        var values = _rateValues.data<float>();
        for (int l = 0; l < raw.Length; l++)
        {
            raw[l] = values[l];
        }
        return raw;
    }

    private void RebuildRateViews()
    {
        _rateValues?.Dispose();
        _rateGradients?.Dispose();
        _rateValues = _parameters.narrow(0, _layout.Rates.Offset, _widths.Length).DetachFromDisposeScope();
        _rateGradients = _gradient.narrow(0, _layout.Rates.Offset, _widths.Length).DetachFromDisposeScope();
    }

    /// <summary>
    /// Applies the rate bound (λ &lt; b resets r to softplus⁻¹(b)) and resizes every layer to its quantile width.
    /// Returns true when a width changed. Call before every mini-batch, outside the batch's dispose scope.
    /// </summary>
    public bool UpdateWidths()
    {
        if (!_settings.AdaptWidth)
        {
            return false;
        }
        double[] raw = RawRates();
        double[] rates = raw.Select(ExponentialImportance.Softplus).ToArray();
        var target = new int[_widths.Length];
        for (int l = 0; l < rates.Length; l++)
        {
            if (LowerBound(l) is double bound && rates[l] < bound)
            {
                using var scope = NewDisposeScope();
                using var noGrad = no_grad();
                raw[l] = ExponentialImportance.InverseSoftplus(bound);
                _parameters.narrow(0, _layout.Rates.Offset + l, 1).fill_(_fill.Of(raw[l]));
                rates[l] = bound;
            }
            // A rate can only reach the supported maximum width when no bound is set: clamp so that memory stays bounded.
            target[l] = Math.Clamp(ExponentialImportance.Width(Math.Max(rates[l], 1e-30), _settings.Quantile), 2, _caps[l]);
        }
        _rates = rates;
        _rawRates = raw;
        DisposeImportance();
        if (target.AsSpan().SequenceEqual(_widths))
        {
            return false;
        }
        Resize(target);
        return true;
    }

    /// <summary>The lower bound on layer <paramref name="layer"/>'s rate: the one of its width cap when that is below <see cref="TrainingSettings.MaximumWidth"/>.</summary>
    private double? LowerBound(int layer)
        => _caps[layer] < _maxWidth ? TrainingSettings.RateForWidth(_caps[layer], _settings.Quantile) : _settings.RateLowerBound;

    /// <summary>True when the first layer's weights are a <see cref="SparseInputLayer"/>.</summary>
    public bool SparseInput => _sparse is not null;

    /// <summary>Sets the widths directly (growing or shrinking as <see cref="UpdateWidths"/> would).</summary>
    public void Resize(IReadOnlyList<int> target)
    {
        if (target.Count != _widths.Length || target.Any(w => w < 1 || w > ExponentialImportance.MaxSupportedWidth))
        {
            throw new ArgumentOutOfRangeException(nameof(target));
        }
        int[] old = _widths.ToArray();
        if (Enumerable.Range(0, target.Count).Any(l => target[l] > _layout.Capacities[l]))
        {
            Reallocate(Enumerable.Range(0, target.Count)
                .Select(l => target[l] <= _layout.Capacities[l] ? _layout.Capacities[l]
                    : Math.Min(Math.Max(target[l], (int)Math.Ceiling(_layout.Capacities[l] * CapacityGrowth)), Math.Max(_caps[l], target[l])))
                .ToArray());
        }

        for (int l = 0; l < target.Count; l++)
        {
            _widths[l] = target[l];
        }
        DisposeImportance();
        GrowNewRegions(old, _widths);
        if (_settings.ResetOptimizerStateOnResize)
        {
            ResetMomentsOfResizedLayers(old, _widths);
        }
        RebuildLeaves();
    }

    /// <summary>
    /// Forward pass over a batch [B × inputs]: raw outputs [B × outputs] (a transposed view, not contiguous). Uses the
    /// current leaves, so autograd reaches the flat gradient.
    /// </summary>
    /// <remarks>
    /// Computed feature-major, h_l = φ(b_l + W_l·h_{l−1}) ⊙ p_l with h as [width × B] and b_l, p_l as columns, rather
    /// than as h·Wᵀ + b: with each weight the row-major first factor, autograd's products are W·h, dZ·hᵀ and Wᵀ·dZ
    /// whatever the capacity stride of the weight view, and each bias gradient sums along contiguous rows. MKL's sgemm
    /// ran the row-major orientations h·Wᵀ and hᵀ·dZ 3–7x slower when one side is the 10 outputs, and the column sum
    /// of the bias gradient took as long as a product (step-cost and training-speed studies).
    /// </remarks>
    public Tensor Forward(Tensor batch) => Forward(batch, null, 0, train: false);

    /// <summary>
    /// Forward pass over a mini-batch, dense or sparse. A sparse batch's first layer is the <see cref="SparseInputLayer"/>'s
    /// product; with <paramref name="train"/> its gathered weights are kept for <see cref="StepSparseInput"/>.
    /// </summary>
    public Tensor Forward(Batch batch, bool train)
    {
        if ((batch.Sparse is null) != (_sparse is null))
        {
            throw new InvalidOperationException(_sparse is null ? "A sparse batch for a dense-input network." : "A dense batch for a sparse-input network.");
        }
        return Forward(batch.Features, batch.Sparse, batch.Length, train);
    }

    private Tensor Forward(Tensor? dense, SparseBatch? sparse, int rows, bool train)
    {
        Tensor h = dense?.t()!;
        if (_scales is not null)
        {
            h = h.mul(_scales);
        }
        int layers = _widths.Length;
        for (int l = 0; l < layers; l++)
        {
            Tensor z = l == 0 && sparse is not null
                ? _sparse!.Forward(sparse, rows, _widths[0], train).t().add(_leaves[1], _constants[1])
                : _leaves[2 * l + 1].addmm(_leaves[2 * l], h);
            h = _settings.Activation switch
            {
                ActivationKind.ReLU6 => F.relu6(z),
                ActivationKind.ReLU => F.relu(z),
                _ => z.leaky_relu(_constants[0.01]), // not F.leaky_relu(z, 0.01): it converts the slope to a temporary Scalar
            };
            if (_settings.UseImportance)
            {
                h = h.mul(Importance(l));
            }
            if (train && _settings.Dropout > 0)
            {
                // Inverted dropout with a mask from the run's generator (F.dropout draws from the global one, which the
                // members training in parallel would share): keep with probability 1 − d, scaled by 1/(1 − d).
                h = h.mul(empty_like(h).bernoulli_(1 - _settings.Dropout, _generator).div_(_constants[1 - _settings.Dropout]));
            }
        }
        Tensor output = _leaves[2 * layers + 1].addmm(_leaves[2 * layers], h);
        if (_layout.LinearPath)
        {
            // The linear path: the skip weight times the (standardised) input, beside the network.
            output = output.addmm(_leaves[2 * layers + 2], dense!.t());
        }
        return output.t();
    }

    /// <summary>
    /// The importance vector p_l of length D_l (docs/method.md §1.2) as a leaf column [D_l × 1] for the current rate (the
    /// forward pass is feature-major). It is computed on
    /// the host in double precision (one op to upload instead of about ten ops forward and ten backward per layer);
    /// when the width is learned, autograd delivers dL/dp_l to it and <see cref="AccumulateRateGradients"/> applies the
    /// analytic chain rule to r_l. Valid until the next <see cref="UpdateWidths"/> or <see cref="Resize"/>.
    /// </summary>
    public Tensor Importance(int layer)
    {
        if (_importance[layer] is null)
        {
            float[] p = ExponentialImportance.Scaled(_rates[layer], _widths[layer], _settings.NormalizeImportance).Select(v => (float)v).ToArray();
            Tensor leaf = tensor(p, [p.Length, 1]).DetachFromDisposeScope();
            if (_settings.AdaptWidth)
            {
                leaf.requires_grad_(true);
            }
            _importance[layer] = leaf;
        }
        return _importance[layer]!;
    }

    /// <summary>
    /// After backward: dL/dr_l = (dL/dλ_l from the data, through p_l, plus <paramref name="ratePriorGradient"/>(λ_l), the
    /// derivative of any prior on the rate) · σ(r_l), written into the rates' slots of the flat gradient, so the
    /// optimizer's flat step moves r with everything else. The network knows nothing of the objective: the training
    /// loop passes the objective's <c>RatePriorGradient</c>.
    /// </summary>
    public void AccumulateRateGradients(Func<double, double> ratePriorGradient)
    {
        if (!_settings.AdaptWidth)
        {
            return;
        }
        var gradients = _rateGradients.data<float>();
        for (int l = 0; l < _widths.Length; l++)
        {
            double dRate = ratePriorGradient(_rates[l]);
            if (_settings.UseImportance && _importance[l]?.grad is Tensor g)
            {
                using (g)
                {
                    dRate += ExponentialImportance.ScaledRateGradient(_rates[l], g.data<float>().ToArray(), _settings.NormalizeImportance);
                }
            }
            gradients[l] = (float)(dRate * ExponentialImportance.SoftplusDerivative(_rawRates[l]));
        }
    }

    private void DisposeImportance()
    {
        for (int l = 0; l < _importance.Length; l++)
        {
            _importance[l]?.Dispose();
            _importance[l] = null;
        }
    }

    /// <summary>
    /// A first-layer weight on raw features taken back behind the standardisation: W·s. A feature constant on the new
    /// training rows (s = +∞) reaches the network as 0, so its weight is 0 (the model's weight times its constant value
    /// is kept in the bias, through the mean), not ∞ · W.
    /// </summary>
    private static double Unfold(double folded, float scale) => float.IsPositiveInfinity(scale) ? 0 : folded * scale;

    /// <summary>
    /// Continued training: starts from a trained model. Widths are the model's, each rate the one whose width is exactly
    /// that (−ln(1−k)/(D − 1.5)), and the weights are unfolded from the exported layers so that this network computes the
    /// model's function exactly behind the new <paramref name="standardization"/> and target scale: the first layer
    /// takes W·diag(s) and b + W·m, a layer after an adaptive one W·diag(1/p̂) for the importance p̂ of the new rate, and
    /// the output layer also undoes the target's scale and mean.
    /// </summary>
    /// <exception cref="ArgumentException">The model does not fit this network's inputs, outputs, layers or width cap.</exception>
    public void Load(AdaptiveWidthModel model, InputStandardization standardization, double targetMean, double targetScale)
    {
        ArgumentNullException.ThrowIfNull(model);
        int layers = _widths.Length;
        if (model.InputCount != _layout.Inputs || model.OutputCount != _layout.Outputs || model.HiddenLayerCount != layers)
        {
            throw new ArgumentException(
                $"The model to continue from has {model.InputCount} inputs, {model.HiddenLayerCount} hidden layers and {model.OutputCount} outputs; " +
                $"this training has {_layout.Inputs}, {layers} and {_layout.Outputs}.", nameof(model));
        }
        int[] widths = model.LayerWidths.ToArray();
        if (widths.Any(w => w < 2 || w > _maxWidth))
        {
            throw new ArgumentException(
                $"The model to continue from has widths [{string.Join(", ", widths)}]; continued training needs widths from 2 to {_maxWidth} (MaximumWidth).",
                nameof(model));
        }
        if (widths[0] > _caps[0])
        {
            throw new ArgumentException(
                $"The model to continue from has {widths[0]} first-layer neurons over {_layout.Inputs:N0} features; this training allows at most " +
                $"{_caps[0]} ({nameof(TrainingSettings.MaximumInputLayerWeights)} = {_settings.MaximumInputLayerWeights:N0}): raise " +
                $"{nameof(TrainingSettings.MaximumInputLayerWeights)} to at least {(long)widths[0] * _layout.Inputs:N0}.", nameof(model));
        }
        Resize(widths);
        double[][] importance = new double[layers][];
        for (int l = 0; l < layers; l++)
        {
            _rates[l] = TrainingSettings.RateForWidth(widths[l], _settings.Quantile);
            _rawRates[l] = ExponentialImportance.InverseSoftplus(_rates[l]);
            importance[l] = _settings.UseImportance
                ? ExponentialImportance.Scaled(_rates[l], widths[l], _settings.NormalizeImportance)
                : Enumerable.Repeat(1.0, widths[l]).ToArray();
        }
        DisposeImportance();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var rateValues = _rateValues.data<float>();
        for (int l = 0; l < layers; l++)
        {
            rateValues[l] = (float)_rawRates[l];
        }
        var weights = _layout.ActiveWeights(_widths).ToArray();
        var biases = _layout.ActiveBiases(_widths).ToArray();
        for (int l = 0; l <= layers; l++)
        {
            DenseLayer dense = model.Layers[l];
            int rows = dense.Outputs, columns = dense.Inputs;
            if (l == 0 && _sparse is not null)
            {
                // A sparse input's first layer trains as Wᵀ [features × width] outside the flat buffer; sparse rows are not
                // standardised (the identity map), but the fold is the dense one all the same.
                var transposed = new float[(long)columns * rows];
                var firstBias = new float[rows];
                for (int i = 0; i < rows; i++)
                {
                    double shift = 0;
                    for (int j = 0; j < columns; j++)
                    {
                        double folded = dense.Weight(i, j);
                        transposed[(long)j * rows + i] = (float)Unfold(folded, standardization.Scale[j]);
                        shift += folded * standardization.Mean[j];
                    }
                    firstBias[i] = (float)(dense.Bias[i] + shift);
                }
                _sparse.Load(transposed, rows);
                View(_parameters, biases[0].Block, rows, 1).copy_(tensor(firstBias, [rows, 1]));
                continue;
            }
            var w = new float[rows * columns];
            var b = new float[rows];
            for (int i = 0; i < rows; i++)
            {
                double shift = 0;
                for (int j = 0; j < columns; j++)
                {
                    double folded = dense.Weight(i, j);
                    double unfolded = l == 0 ? Unfold(folded, standardization.Scale[j]) : folded / importance[l - 1][j];
                    if (l == 0)
                    {
                        shift += folded * standardization.Mean[j];
                    }
                    w[i * columns + j] = (float)(l == layers ? unfolded / targetScale : unfolded);
                }
                double bias = dense.Bias[i] + shift;
                b[i] = (float)(l == layers ? (bias - targetMean) / targetScale : bias);
            }
            View(_parameters, weights[l].Block, rows, columns).copy_(tensor(w, [rows, columns]));
            View(_parameters, biases[l].Block, rows, 1).copy_(tensor(b, [rows, 1]));
        }
    }

    /// <summary>A copy of the current state (flat parameters, capacities and widths) for best-epoch restore.</summary>
    public NetworkSnapshot Snapshot()
    {
        float[] values = _parameters.data<float>().ToArray();
        return new NetworkSnapshot(values, _layout, _widths.ToArray(), _sparse?.Snapshot(_widths[0]));
    }

    public void Dispose()
    {
        foreach (Tensor leaf in _leaves)
        {
            leaf.Dispose();
        }
        DisposeImportance();
        _rateValues.Dispose();
        _rateGradients.Dispose();
        _parameters.Dispose();
        _gradient.Dispose();
        Optimizer.Dispose();
        _constants.Dispose();
        _fill.Dispose();
        _sparse?.Dispose();
    }

    /// <summary>After backward: the lazy Adam step of the sparse first layer (no-op for a dense input).</summary>
    public void StepSparseInput(double weightDecay) => _sparse?.Step(_widths[0], weightDecay);

    /// <summary>Σθ² of the sparse first layer's active weights (0 for a dense input, whose weights are in the flat buffer).</summary>
    public double SparseInputSquareSum() => _sparse?.SquareSum(_widths[0]) ?? 0;

    private void Initialize()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        // The first layer of a wide input may start narrower than InitialWidth (at its cap), so rates are per layer.
        for (int l = 0; l < _widths.Length; l++)
        {
            _parameters.narrow(0, _layout.Rates.Offset + l, 1).fill_(_fill.Of(_rawRates[l]));
        }
        if (_layout.Scales is ParameterBlock scales)
        {
            _parameters.narrow(0, scales.Offset, scales.Length).fill_(_constants[1]);
        }

        if (_sparse is not null)
        {
            _sparse.Fill(0, _widths[0], InitialWeightSd(0, _widths), _generator);
            double sparseBound = 1 / Math.Sqrt(_sparseFanIn);
            View(_parameters, _layout.Biases[0], _widths[0], 1).uniform_(-sparseBound, sparseBound, _generator);
        }
        var weights = _layout.ActiveWeights(_widths).ToArray();
        var biases = _layout.ActiveBiases(_widths).ToArray();
        // The hidden layers and the output layer; the linear path's skip weight (if any) starts at zero.
        for (int l = 0; l <= _widths.Length; l++)
        {
            if (l > 0 || _sparse is null)
            {
                View(_parameters, weights[l].Block, weights[l].Rows, weights[l].Columns).normal_(0, InitialWeightSd(l, _widths), _generator);
                double bound = 1 / Math.Sqrt(l == 0 ? _layout.Inputs : _widths[l - 1]);
                View(_parameters, biases[l].Block, biases[l].Rows, 1).uniform_(-bound, bound, _generator);
            }
        }
    }

    /// <summary>
    /// The initialisation's deviation for the weights into layer <paramref name="layer"/> (the output layer is
    /// <c>widths.Count</c>): Kaiming-normal (gain √2) for the first layer, whose fan-in is a sparse row's mean non-zeros
    /// for a sparse input; Var = 2/Σp² (Theorem 3.1) for a layer fed by an adaptive layer, else 2/fan-in.
    /// </summary>
    private double InitialWeightSd(int layer, IReadOnlyList<int> widths)
    {
        if (layer == 0)
        {
            return Math.Sqrt(2.0 / (_sparse is null ? _layout.Inputs : _sparseFanIn));
        }
        return _settings.UseImportance && _settings.RescaledInitialization
            ? Math.Sqrt(2.0 / ExponentialImportance.Scaled(_rates[layer - 1], widths[layer - 1], _settings.NormalizeImportance).Sum(p => p * p))
            : Math.Sqrt(2.0 / widths[layer - 1]);
    }

    private void GrowNewRegions(int[] oldWidths, int[] newWidths)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var before = _layout.ActiveWeights(oldWidths).ToArray();
        var after = _layout.ActiveWeights(newWidths).ToArray();
        // With PreserveFunctionOnGrowth a new neuron's incoming weights are drawn as the initialisation draws them and its
        // outgoing weights and bias are 0, so the network computes the same function after the growth and the neuron's
        // first step moves its outgoing weights; otherwise all from N(0, 1), the paper's rule. (A linear path's skip
        // weight, after the output weight, never grows.)
        bool silent = _settings.PreserveFunctionOnGrowth;
        for (int i = 0; i < after.Length; i++)
        {
            (ParameterBlock block, int rows, int columns) = after[i];
            (_, int oldRows, int oldColumns) = before[i];
            if (rows > oldRows)
            {
                FillNew(block, oldRows, rows - oldRows, 0, columns, silent ? InitialWeightSd(i, newWidths) : 1);
            }
            if (columns > oldColumns)
            {
                FillNew(block, 0, Math.Min(rows, oldRows), oldColumns, columns - oldColumns, silent ? 0 : 1);
            }
        }
        for (int l = 0; l < newWidths.Length; l++)
        {
            if (newWidths[l] > oldWidths[l])
            {
                FillNew(_layout.Biases[l], oldWidths[l], newWidths[l] - oldWidths[l], 0, 1, silent ? 0 : 1);
            }
        }
        // New first-layer neurons of a sparse input, as FillNew draws them, zero moments.
        _sparse?.Fill(oldWidths[0], newWidths[0], silent ? InitialWeightSd(0, newWidths) : 1, _generator);
    }

    /// <summary>The reference's behaviour: every tensor whose shape changed restarts its optimizer state.</summary>
    private void ResetMomentsOfResizedLayers(int[] oldWidths, int[] newWidths)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        for (int l = 0; l < newWidths.Length; l++)
        {
            if (oldWidths[l] == newWidths[l])
            {
                continue;
            }
            if (l == 0)
            {
                _sparse?.ResetMoments();
            }
            // This layer's weight and bias, and the next layer's weight and bias (whole capacity blocks).
            ParameterBlock next = l + 1 < newWidths.Length ? _layout.Weights[l + 1] : _layout.OutputWeight;
            ParameterBlock nextBias = l + 1 < newWidths.Length ? _layout.Biases[l + 1] : _layout.OutputBias;
            foreach (ParameterBlock block in new[] { _layout.Weights[l], _layout.Biases[l], next, nextBias })
            {
                Optimizer.Reset(flat => flat.narrow(0, block.Offset, block.Length));
            }
        }
    }

    private void FillNew(ParameterBlock block, int row, int rows, int column, int columns, double sd = 1)
    {
        if (rows <= 0 || columns <= 0)
        {
            return;
        }
        long offset = block.Offset + (long)row * block.CapacityColumns + column;
        Tensor Region(Tensor flat) => flat.as_strided([rows, columns], [block.CapacityColumns, 1], offset);
        if (sd == 0)
        {
            Region(_parameters).zero_();
        }
        else
        {
            Region(_parameters).normal_(0, sd, _generator);
        }
        Optimizer.Reset(Region);
    }

    private void Reallocate(int[] capacities)
    {
        var layout = new ParameterLayout(_layout.Inputs, _layout.Outputs, capacities, _layout.SparseInput, _layout.LinearPath, _layout.FeatureScales);
        _sparse?.Reserve(capacities[0]);
        ParameterLayout old = _layout;
        int[] widths = _widths.ToArray();
        // Every active block of a layout, in the same order for the old and the new one.
        (ParameterBlock Block, int Rows, int Columns)[] Blocks(ParameterLayout l)
            => l.ActiveWeights(widths).Concat(l.ActiveBiases(widths).Select(b => (b.Block, b.Rows, Columns: 1)))
                .Append((l.Rates, widths.Length, 1)).Concat(l.Scales is ParameterBlock s ? [(s, s.CapacityRows, 1)] : []).ToArray();
        void Copy(Tensor from, Tensor to)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var source = Blocks(old);
            var target = Blocks(layout);
            for (int i = 0; i < source.Length; i++)
            {
                View(to, target[i].Block, target[i].Rows, target[i].Columns).copy_(View(from, source[i].Block, source[i].Rows, source[i].Columns));
            }
        }

        Tensor parameters = zeros(layout.TotalLength).DetachFromDisposeScope();
        Copy(_parameters, parameters);
        Optimizer.Relayout(layout.TotalLength, Copy);
        _parameters.Dispose();
        _gradient.Dispose();
        _parameters = parameters;
        _gradient = zeros(layout.TotalLength).DetachFromDisposeScope();
        _layout = layout;
        RebuildRateViews();
        Reallocations++;
    }

    private void RebuildLeaves()
    {
        foreach (Tensor leaf in _leaves)
        {
            leaf.Dispose();
        }
        var leaves = new List<Tensor>();
        using (no_grad())
        {
            int layers = _widths.Length;
            var weights = _layout.ActiveWeights(_widths).ToArray();
            var biases = _layout.ActiveBiases(_widths).ToArray();
            for (int l = 0; l <= layers; l++)
            {
                leaves.Add(Leaf(weights[l].Block, weights[l].Rows, weights[l].Columns));
                leaves.Add(Leaf(biases[l].Block, biases[l].Rows, 1));
            }
            if (_layout.Skip is ParameterBlock skip)
            {
                leaves.Add(Leaf(skip, _layout.Outputs, _layout.Inputs));
            }
            if (_layout.Scales is ParameterBlock scales)
            {
                leaves.Add(Leaf(scales, scales.CapacityRows, 1));
            }
            // Biases are columns [rows × 1], so each layer of the feature-major Forward is one addmm. The rates are not
            // leaves: their gradient comes from the importance vectors (AccumulateRateGradients).
        }
        _leaves = leaves.ToArray();
        _scales = _layout.FeatureScales ? _leaves[^1] : null;
    }

    /// <summary>A trainable view [rows × columns] of the parameters whose gradient is the same view of the flat gradient.</summary>
    private Tensor Leaf(ParameterBlock block, int rows, int columns)
    {
        Tensor leaf = View(_parameters, block, rows, columns).DetachFromDisposeScope();
        leaf.requires_grad_(true);
        Tensor gradient = View(_gradient, block, rows, columns);
        leaf.grad = gradient;
        gradient.Dispose(); // the leaf holds its own reference to the gradient view
        return leaf;
    }

    /// <summary>The active top-left [rows × columns] corner of a block: one strided view (one op, no copy).</summary>
    internal static Tensor View(Tensor flat, ParameterBlock block, int rows, int columns)
        => flat.as_strided([rows, columns], [block.CapacityColumns, 1], block.Offset);
}

/// <summary>A host copy of the network's state at one moment: flat values in a layout, and the widths; for a sparse input
/// also the first layer's weights as Wᵀ [features × width] row-major.</summary>
internal sealed record NetworkSnapshot(float[] Values, ParameterLayout Layout, int[] Widths, float[]? SparseInputWeights = null);
