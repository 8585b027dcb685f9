using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Microsoft.ML.AdaptiveWidth.Training;

/// <summary>
/// The minimised objective of docs/method.md §2, per mini-batch:
/// mean NLL + Σθ²/(2σθ²N) + [Σ_l ln σλ + (λ_l − μλ)²/(2σλ²)]/N.
/// The data term goes through autograd; the weight prior's gradient θ/(σθ²N) is added to the flat gradient directly
/// (one op instead of one per parameter tensor); the rate prior's gradient is added on the host with the rates'.
/// </summary>
internal sealed class WidthObjective : IDisposable
{
    private readonly NetworkTask _task;
    private readonly TrainingSettings _settings;
    private readonly ScalarCache _constants = new(); // Training/TorchScalars.cs

    public WidthObjective(NetworkTask task, TrainingSettings settings, double observationCount)
    {
        _task = task;
        _settings = settings;
        _rateScale = settings.RatePriorScaleAt(1);
        ObservationCount = observationCount;
        WeightDecay = 1.0 / (settings.WeightPriorScale * settings.WeightPriorScale * observationCount);
    }

    /// <summary>N, the number of observations dividing the priors.</summary>
    public double ObservationCount { get; }

    /// <summary>The L2 coefficient 1/(σθ²N) of the weight prior's gradient.</summary>
    public double WeightDecay { get; }

    /// <summary>True when the rate prior is on.</summary>
    public bool HasRatePrior => _rateScale is not null && _settings.AdaptWidth;

    private double? _rateScale;

    /// <summary>Sets σλ for the epoch about to run (the annealing schedule, <see cref="TrainingSettings.RatePriorScaleAt"/>).</summary>
    public void StartEpoch(int epoch) => _rateScale = _settings.RatePriorScaleAt(epoch);

    /// <summary>The σλ in force, null when the rate prior is off.</summary>
    public double? RatePriorScale => _rateScale;

    /// <summary>Mean negative log-likelihood of a batch (weighted mean when weights are given, weights averaging 1).</summary>
    /// <param name="output">Raw outputs [B × outputs].</param>
    /// <param name="target">Float labels [B] (binary, regression) or class indices as int64 [B] (multiclass).</param>
    /// <param name="weight">Example weights [B], or null.</param>
    /// <param name="training">True for the training step, whose loss is label-smoothed (<see cref="TrainingSettings.LabelSmoothing"/>);
    /// false for validation.</param>
    public Tensor DataLoss(Tensor output, Tensor target, Tensor? weight, bool training = false)
    {
        double smoothing = training ? _settings.LabelSmoothing : 0;
        switch (_task)
        {
            case NetworkTask.BinaryClassification:
                return F.binary_cross_entropy_with_logits(output.view(-1),
                    // add(value, alpha) with both cached: add(value) alone would create its alpha of 1 for the call.
                    smoothing > 0 ? target.mul(_constants[1 - smoothing]).add(_constants[smoothing / 2], _constants[1]) : target, weight);
            case NetworkTask.MulticlassClassification:
                return weight is null
                    ? F.cross_entropy(output, target, label_smoothing: smoothing)
                    : F.cross_entropy(output, target, reduction: nn.Reduction.None, label_smoothing: smoothing).mul(weight).mean();
            default:
                // No in-place ops here: autograd keeps these intermediates for the backward pass. d·d rather than
                // square(), which is pow(2) with a temporary Scalar (Training/TorchScalars.cs).
                Tensor difference = output.view(-1).sub(target);
                Tensor squared = difference.mul(difference);
                return (weight is null ? squared.mean() : squared.mul(weight).mean()).mul(_constants[0.5]);
        }
    }

    /// <summary>d/dλ of the rate prior's loss term, (λ − μλ)/(σλ²N); 0 when the prior is off.</summary>
    public double RatePriorGradient(double rate)
    {
        if (!HasRatePrior)
        {
            return 0;
        }
        double scale = _rateScale!.Value;
        return (rate - _settings.RatePriorMean) / (scale * scale * ObservationCount);
    }

    /// <summary>Adds the weight prior's gradient θ/(σθ²N) to the θ part of the flat gradient.</summary>
    public void AddWeightPriorGradient(Tensor parameters, Tensor gradient, long thetaLength)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        gradient.narrow(0, 0, thetaLength).add_(parameters.narrow(0, 0, thetaLength), _constants[WeightDecay]);
    }

    /// <summary>The weight prior Σθ²/(2σθ²N) over the active parameters (for reporting, once an epoch).</summary>
    public double WeightPrior(AdaptiveWidthNetwork network)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        double sum = 0;
        foreach (var (block, rows, columns) in network.Layout.ActiveWeights(network.Widths))
        {
            Tensor view = AdaptiveWidthNetwork.View(network.Parameters, block, rows, columns);
            sum += view.mul(view).sum().item<float>();
        }
        foreach (var (block, rows) in network.Layout.ActiveBiases(network.Widths))
        {
            Tensor view = network.Parameters.narrow(0, block.Offset, rows);
            sum += view.mul(view).sum().item<float>();
        }
        sum += network.SparseInputSquareSum();
        return sum * WeightDecay / 2;
    }

    /// <summary>The rate prior's value (for reporting), 0 when off.</summary>
    public double RatePriorValue(IReadOnlyList<double> rates)
    {
        if (!HasRatePrior)
        {
            return 0;
        }
        double scale = _rateScale!.Value;
        return rates.Sum(r => Math.Log(scale) + (r - _settings.RatePriorMean) * (r - _settings.RatePriorMean) / (2 * scale * scale)) / ObservationCount;
    }

    public void Dispose() => _constants.Dispose();
}
