namespace Microsoft.ML.AdaptiveWidth.Inference;

/// <summary>
/// How small a truncated network should be: a fraction of each layer's width, a cap on the neurons of every layer, a
/// compute budget in multiply-adds per row, or explicit widths. <see cref="Resolve"/> turns it into one width per
/// hidden layer; <see cref="AdaptiveWidthModel.Truncate(TruncationTarget)"/> keeps that many of each layer's first
/// (most important) neurons. Arguments are checked when the target is created, except what depends on the model (a
/// cap above every layer, a budget below the smallest network), which <see cref="Resolve"/> checks.
/// </summary>
public sealed class TruncationTarget
{
    private readonly Kind _kind;
    private readonly double _fraction;
    private readonly int _maxUnits;
    private readonly long _multiplyAdds;
    private readonly int[]? _widths;

    private enum Kind
    {
        Fraction,
        MaxUnits,
        MultiplyAdds,
        Widths,
    }

    private TruncationTarget(Kind kind, double fraction = 1, int maxUnits = 0, long multiplyAdds = 0, int[]? widths = null)
    {
        _kind = kind;
        _fraction = fraction;
        _maxUnits = maxUnits;
        _multiplyAdds = multiplyAdds;
        _widths = widths;
    }

    /// <summary>Keeps ⌈<paramref name="fraction"/> × D_l⌉ neurons (at least 1) of every hidden layer l of width D_l.</summary>
    /// <param name="fraction">In (0, 1]; 1 keeps every neuron.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="fraction"/> is not in (0, 1].</exception>
    public static TruncationTarget Fraction(double fraction)
    {
        if (!(fraction > 0 && fraction <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "The fraction of each layer to keep must be in (0, 1].");
        }
        return new TruncationTarget(Kind.Fraction, fraction: fraction);
    }

    /// <summary>
    /// Keeps min(D_l, <paramref name="maxUnitsPerLayer"/>) neurons of every hidden layer. A cap above the widest layer
    /// would change nothing, so <see cref="Resolve"/> rejects it; a cap between the layers' widths cuts the wider ones.
    /// </summary>
    /// <param name="maxUnitsPerLayer">At least 1, and at most the widest layer's width.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxUnitsPerLayer"/> is below 1.</exception>
    public static TruncationTarget MaxUnits(int maxUnitsPerLayer)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxUnitsPerLayer, 1);
        return new TruncationTarget(Kind.MaxUnits, maxUnits: maxUnitsPerLayer);
    }

    /// <summary>
    /// The widest network that scores a row in at most <paramref name="multiplyAddsPerRow"/> multiply-adds while keeping
    /// the layers' proportions: the largest fraction s for which keeping ⌈s × D_l⌉ neurons of every layer fits
    /// (see <see cref="Truncation.WidthsForMultiplyAdds(int, IReadOnlyList{int}, int, long)"/>; an averaged ensemble counts its
    /// members' blocks, <see cref="AdaptiveWidthModel.MultiplyAdds"/>). A budget at or above the model's cost keeps every neuron.
    /// </summary>
    /// <param name="multiplyAddsPerRow">Positive; at least the cost of the network with one neuron per layer.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="multiplyAddsPerRow"/> is not positive.</exception>
    public static TruncationTarget MultiplyAdds(long multiplyAddsPerRow)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(multiplyAddsPerRow, 1);
        return new TruncationTarget(Kind.MultiplyAdds, multiplyAdds: multiplyAddsPerRow);
    }

    /// <summary>Keeps exactly <c>widths[l]</c> neurons of hidden layer l.</summary>
    /// <param name="widths">One width per hidden layer, each in [1, D_l] (checked by <see cref="Resolve"/>).</param>
    /// <exception cref="ArgumentNullException"><paramref name="widths"/> is null.</exception>
    public static TruncationTarget Widths(IReadOnlyList<int> widths)
    {
        ArgumentNullException.ThrowIfNull(widths);
        return new TruncationTarget(Kind.Widths, widths: widths.ToArray());
    }

    /// <summary>The width to keep of each hidden layer of <paramref name="model"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The target does not fit the model: a cap above every layer's width, a
    /// budget below the cost of one neuron per layer, or widths out of range (the exception names the argument of the
    /// factory method that made the target).</exception>
    public int[] Resolve(AdaptiveWidthModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        IReadOnlyList<int> widths = model.LayerWidths;
        return _kind switch
        {
            Kind.Fraction => Truncation.WidthsForFraction(widths, _fraction),
            Kind.MaxUnits => Truncation.WidthsForMaxUnits(widths, _maxUnits, allowAboveWidth: false),
            Kind.MultiplyAdds => model.BlockCount > 1
                // An averaged ensemble costs what its blocks cost: measure each candidate.
                ? Truncation.WidthsForMultiplyAdds(widths, w => model.Truncate(w).MultiplyAdds, _multiplyAdds)
                : Truncation.WidthsForMultiplyAdds(model.InputCount, widths, model.OutputCount, _multiplyAdds),
            _ => CheckedWidths(widths),
        };
    }

    /// <inheritdoc/>
    public override string ToString() => _kind switch
    {
        Kind.Fraction => $"fraction {_fraction}",
        Kind.MaxUnits => $"at most {_maxUnits} units per layer",
        Kind.MultiplyAdds => $"at most {_multiplyAdds} multiply-adds per row",
        _ => $"widths [{string.Join(", ", _widths!)}]",
    };

    private int[] CheckedWidths(IReadOnlyList<int> widths)
    {
        int[] kept = _widths!;
        if (kept.Length != widths.Count)
        {
            throw new ArgumentOutOfRangeException("widths", kept.Length, $"Expected {widths.Count} widths (one per hidden layer), got {kept.Length}.");
        }
        for (int l = 0; l < kept.Length; l++)
        {
            if (kept[l] < 1 || kept[l] > widths[l])
            {
                throw new ArgumentOutOfRangeException("widths", kept[l], $"Width of hidden layer {l} must be in [1, {widths[l]}].");
            }
        }
        return (int[])kept.Clone();
    }
}
