using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.AdaptiveWidth.Training;

/// <summary>
/// Adam over one flat parameter buffer and its flat gradient: a handful of in-place ops per step, whatever the
/// number of layers (docs/training-speed.md: small networks are bound by the number of ops, not by arithmetic).
/// </summary>
/// <remarks>
/// Optimizer state across a width change: the reference resets the moments of every resized tensor. Here the
/// moments of surviving neurons are kept and those of new neurons start at zero (a grown slice behaves like a fresh
/// parameter apart from the shared bias-correction step count). The moments live in the same layout as the
/// parameters, so a change of capacity copies them with the parameters.
/// </remarks>
internal sealed class FlatAdam : IDisposable
{
    private const double Beta1 = 0.9;
    private const double Beta2 = 0.999;
    private const double Epsilon = 1e-8;
    private const double MinimumSecondMoment = 1e-30; // a normal float; see Step

    private double _learningRate;
    private readonly ScalarCache _constants = new();
    private readonly ScalarSlot _epsilon = new();
    private readonly ScalarSlot _stepSize = new();
    private readonly Tensor _firstMomentWeight = tensor(1 - Beta1).DetachFromDisposeScope(); // lerp_ takes a tensor weight
    private long _step;

    public FlatAdam(long length, double learningRate)
    {
        _learningRate = learningRate;
        FirstMoment = zeros(length).DetachFromDisposeScope();
        SecondMoment = zeros(length).DetachFromDisposeScope();
    }

    /// <summary>The step size; the training loop lowers it on validation plateaus.</summary>
    public double LearningRate
    {
        get => _learningRate;
        set => _learningRate = value > 0 && double.IsFinite(value) ? value : throw new ArgumentOutOfRangeException(nameof(value));
    }

    public Tensor FirstMoment { get; private set; }

    public Tensor SecondMoment { get; private set; }

    /// <summary>θ ← θ − lr·m̂/(√v̂ + ε), in place, under no_grad.</summary>
    /// <remarks>
    /// <para>Seven ops: m ← m + (1−β1)(g − m) is one lerp, and the bias corrections c1 = 1−β1ᵗ, c2 = 1−β2ᵗ are folded
    /// into scalars, lr·m̂/(√v̂ + ε) = (lr·√c2/c1)·m/(√v + ε·√c2).</para>
    /// <para>The square root is taken of max(v, 1e-30): MKL's vectorised square root (libtorch's) leaves its fast path
    /// for zeros and subnormals, which v holds wherever gradients are zero (unused capacity of an adaptive layer, dead
    /// units, a frozen rate): it ran 6x slower on zeros and 38x on subnormals. The clamp changes the denominator by
    /// at most 1e-15, against ε·√c2 ≥ 3e-10.</para>
    /// </remarks>
    public void Step(Tensor parameters, Tensor gradient)
    {
        _step++;
        double correction1 = 1 - Math.Pow(Beta1, _step);
        double root2 = Math.Sqrt(1 - Math.Pow(Beta2, _step));
        using var noGrad = no_grad();
        // Every Scalar is held by this object (Training/TorchScalars.cs).
        FirstMoment.lerp_(gradient, _firstMomentWeight);
        SecondMoment.mul_(_constants[Beta2]).addcmul_(gradient, gradient, _constants[1 - Beta2]);
        using Tensor denominator = SecondMoment.clamp_min(_constants[MinimumSecondMoment]);
        denominator.sqrt_().add_(_epsilon.Of(Epsilon * root2), _constants[1]);
        parameters.addcdiv_(FirstMoment, denominator, _stepSize.Of(-_learningRate * root2 / correction1));
    }

    /// <summary>Zeroes the moments of a parameter region (a grown slice). Call inside a dispose scope and no_grad.</summary>
    public void Reset(Func<Tensor, Tensor> region)
    {
        region(FirstMoment).zero_();
        region(SecondMoment).zero_();
    }

    /// <summary>Moves the moments to a new layout: <paramref name="copy"/> copies one buffer into its replacement.</summary>
    public void Relayout(long length, Action<Tensor, Tensor> copy)
    {
        Tensor first = zeros(length).DetachFromDisposeScope();
        Tensor second = zeros(length).DetachFromDisposeScope();
        copy(FirstMoment, first);
        copy(SecondMoment, second);
        FirstMoment.Dispose();
        SecondMoment.Dispose();
        FirstMoment = first;
        SecondMoment = second;
    }

    public void Dispose()
    {
        FirstMoment.Dispose();
        SecondMoment.Dispose();
        _constants.Dispose();
        _firstMomentWeight.Dispose();
        _epsilon.Dispose();
        _stepSize.Dispose();
    }
}
