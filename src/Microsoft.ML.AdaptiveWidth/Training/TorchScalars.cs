using TorchSharp;

namespace Microsoft.ML.AdaptiveWidth.Training;

// THE RULE FOR EVERY TORCHSHARP CALL IN THIS LIBRARY (issue 13; docs/reliability.md#training-under-garbage-collection)
//
// TorchSharp's Scalar and Tensor own native objects and free them in their finalizers. A wrapper that nothing
// references any more can be finalized while libtorch is still reading it: TorchSharp passes `scalar.Handle` to the
// native call and does not keep the wrapper alive until the call returns. Under garbage-collection pressure training
// then died in libtorch ("Unknown scalar type", "Expected false to be true") in most fits. So:
// 1. No Scalar created for one call. Never pass a double or int where TorchSharp takes a Scalar (`t.mul_(0.5)`,
//    `t.add_(u, alpha)`, `t.gt(0)` convert implicitly): pass a Scalar held by a field of the object that runs the op,
//    from a ScalarCache (values fixed for the run) or a ScalarSlot (a value that changes between calls).
// 2. No TorchSharp API that creates one inside: e.g. `square()` is `pow(2)`, `add_(Scalar)` is `add_(s, 1)`,
//    `functional.leaky_relu(t, slope)` converts the slope. Use an equivalent that takes a held Scalar or none
//    (`x.mul(x)`, `add_(s, one)`, `t.leaky_relu(slope)`). Reading a number back is `t.item<float>()`, never
//    `t.ToDouble()` or `t.ToInt64()`: those go through a temporary Scalar, and a finalizer that frees it mid-read
//    aborts the process (libtorch throws inside a function that catches nothing).
// 3. No implicit Tensor from a number, and every Tensor an op returns is either held in a variable until after its
//    last use or created inside a dispose scope (the scope holds it).
// Test/Training/TorchSharpLifetimeGuardTest reads the IL of this library and of TorchSharp and fails on a new
// violation of 1 and 2 (only ScalarCache and ScalarSlot may call ToScalar); Reliability/GcPressureTest trains every task
// while another thread forces collections.

/// <summary>Scalars for values fixed during a run, created once and kept alive by their owner (rule 1 above).</summary>
internal sealed class ScalarCache : IDisposable
{
    private readonly Dictionary<double, Scalar> _scalars = [];

    /// <summary>The Scalar for <paramref name="value"/>, alive until this cache is disposed.</summary>
    public Scalar this[double value]
    {
        get
        {
            if (!_scalars.TryGetValue(value, out Scalar? scalar))
            {
                scalar = value.ToScalar();
                _scalars.Add(value, scalar);
            }
            return scalar;
        }
    }

    public void Dispose()
    {
        foreach (Scalar scalar in _scalars.Values)
        {
            scalar.Dispose();
        }
        _scalars.Clear();
    }
}

/// <summary>
/// One Scalar whose value changes between calls (a step size, a batch length), kept alive by its owner (rule 1 above);
/// the previous Scalar is freed when the value changes, which is safe because TorchSharp's calls are synchronous.
/// </summary>
internal sealed class ScalarSlot : IDisposable
{
    private Scalar? _scalar;
    private double _value;

    /// <summary>A Scalar of <paramref name="value"/>, alive until the next call with another value or disposal.</summary>
    public Scalar Of(double value)
    {
        if (_scalar is null || !_value.Equals(value))
        {
            _scalar?.Dispose();
            _scalar = value.ToScalar();
            _value = value;
        }
        return _scalar;
    }

    public void Dispose()
    {
        _scalar?.Dispose();
        _scalar = null;
    }
}
