using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Microsoft.ML.AdaptiveWidth.Inference;

/// <summary>
/// Floats whose first element starts a cache line (64 bytes), for the weights the scoring kernels stream through.
/// </summary>
/// <remarks>
/// A managed array's data is only 8-byte aligned, so a 32-byte vector load crosses a cache line every other time for
/// three in four array addresses, and how fast a layer scores depended on where the allocator had put its weights: a
/// first layer of 112 inputs into 256 neurons took 1.25 µs with its weights on a line boundary and 1.9 µs elsewhere
/// (the same layer re-allocated; stopwatch, this machine). The array is allocated on the pinned object heap, so it
/// never moves and the alignment computed once holds for its lifetime.
/// </remarks>
internal sealed class AlignedFloats
{
    private const int AlignmentBytes = 64;

    private readonly float[] _array;
    private readonly int _origin;

    /// <summary>Zero-filled floats.</summary>
    public AlignedFloats(int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        _array = GC.AllocateArray<float>(length + AlignmentBytes / sizeof(float) - 1, pinned: true);
        long address = Marshal.UnsafeAddrOfPinnedArrayElement(_array, 0).ToInt64();
        _origin = (int)((AlignmentBytes - address % AlignmentBytes) % AlignmentBytes / sizeof(float));
        Length = length;
    }

    /// <summary>A copy of <paramref name="values"/>.</summary>
    public AlignedFloats(ReadOnlySpan<float> values)
        : this(values.Length)
    {
        values.CopyTo(Span);
    }

    public int Length { get; }

    /// <summary>The first element, on a 64-byte boundary.</summary>
    public ref float Start
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_array), _origin);
    }

    public Span<float> Span => _array.AsSpan(_origin, Length);

    /// <summary>The address of <see cref="Start"/> (fixed: the array is pinned).</summary>
    public nint Address => Marshal.UnsafeAddrOfPinnedArrayElement(_array, _origin);
}
