namespace Microsoft.ML.AdaptiveWidth.Inference;

/// <summary>
/// The width arithmetic of truncation, on plain arrays: how many of each hidden layer's first (most important) neurons
/// to keep for a fraction, a cap or a compute budget, and what a network of given widths costs per row. The trainers'
/// <c>TruncationBudget</c> and <c>MaxUnitsPerLayer</c> options use the same functions at the end of training.
/// </summary>
public static class Truncation
{
    /// <summary>
    /// Multiply-adds to score one row of a network with <paramref name="inputs"/> features, hidden layers of
    /// <paramref name="widths"/> and <paramref name="outputs"/> outputs: inputs·D₁ + Σ D_l·D_{l+1} + D_L·outputs.
    /// </summary>
    public static long MultiplyAdds(int inputs, IReadOnlyList<int> widths, int outputs)
    {
        ArgumentNullException.ThrowIfNull(widths);
        long total = 0;
        long previous = inputs;
        foreach (int w in widths)
        {
            total += previous * w;
            previous = w;
        }
        return total + previous * outputs;
    }

    /// <summary>max(1, ⌈<paramref name="fraction"/> × D_l⌉) for each layer width D_l.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="fraction"/> is not in (0, 1].</exception>
    public static int[] WidthsForFraction(IReadOnlyList<int> widths, double fraction)
    {
        ArgumentNullException.ThrowIfNull(widths);
        if (!(fraction > 0 && fraction <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "The fraction of each layer to keep must be in (0, 1].");
        }
        var kept = new int[widths.Count];
        for (int l = 0; l < kept.Length; l++)
        {
            // The small tolerance keeps 0.5 × 10 at 5 despite rounding in the product.
            kept[l] = Math.Clamp((int)Math.Ceiling(fraction * widths[l] - 1e-9), 1, widths[l]);
        }
        return kept;
    }

    /// <summary>min(D_l, <paramref name="maxUnitsPerLayer"/>) for each layer width D_l.</summary>
    /// <param name="widths">The layer widths.</param>
    /// <param name="maxUnitsPerLayer">The cap, at least 1.</param>
    /// <param name="allowAboveWidth">Whether a cap above every layer's width is accepted (and changes nothing). The
    /// trainers' <c>MaxUnitsPerLayer</c> is set before the widths are learned, so it allows it; a cap given for a
    /// trained model does not, because it would silently do nothing.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxUnitsPerLayer"/> is below 1, or above every width when
    /// <paramref name="allowAboveWidth"/> is false.</exception>
    public static int[] WidthsForMaxUnits(IReadOnlyList<int> widths, int maxUnitsPerLayer, bool allowAboveWidth)
    {
        ArgumentNullException.ThrowIfNull(widths);
        if (maxUnitsPerLayer < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(maxUnitsPerLayer), maxUnitsPerLayer, "The cap on units per layer must be at least 1.");
        }
        if (!allowAboveWidth && widths.Count > 0 && maxUnitsPerLayer > widths.Max())
        {
            throw new ArgumentOutOfRangeException(nameof(maxUnitsPerLayer), maxUnitsPerLayer,
                $"The cap on units per layer is above every layer's width (at most {widths.Max()}), so it would keep every neuron.");
        }
        return widths.Select(w => Math.Min(w, maxUnitsPerLayer)).ToArray();
    }

    /// <summary>
    /// The widest truncation that costs at most <paramref name="multiplyAddsPerRow"/> per row while keeping the layers'
    /// proportions. Keeping ⌈s·D_l⌉ of every layer is nondecreasing in s, and so is its cost; the kept widths only
    /// change at s = k/D_l, so the search is a binary search over those Σ D_l fractions, evaluating the cost
    /// O(log Σ D_l) times. Proportions hold up to the rounding up of each layer; some of the budget may stay unused
    /// (filling it layer by layer would skew the proportions).
    /// </summary>
    /// <param name="inputs">Number of input features.</param>
    /// <param name="widths">The hidden layer widths D_l.</param>
    /// <param name="outputs">Number of outputs.</param>
    /// <param name="multiplyAddsPerRow">The budget per row; at or above the full cost it keeps every neuron.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="multiplyAddsPerRow"/> is not positive, or below the cost
    /// of the network with one neuron per layer.</exception>
    public static int[] WidthsForMultiplyAdds(int inputs, IReadOnlyList<int> widths, int outputs, long multiplyAddsPerRow)
    {
        ArgumentNullException.ThrowIfNull(widths);
        return WidthsForMultiplyAdds(widths, w => MultiplyAdds(inputs, w, outputs), multiplyAddsPerRow);
    }

    /// <summary>
    /// <see cref="WidthsForMultiplyAdds(int, IReadOnlyList{int}, int, long)"/> with any cost that grows with the widths:
    /// for an averaged ensemble, the truncated model's own count (its members' blocks), not every stored weight.
    /// </summary>
    internal static int[] WidthsForMultiplyAdds(IReadOnlyList<int> widths, Func<IReadOnlyList<int>, long> cost, long multiplyAddsPerRow)
    {
        if (multiplyAddsPerRow < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(multiplyAddsPerRow), multiplyAddsPerRow, "The budget of multiply-adds per row must be positive.");
        }
        if (multiplyAddsPerRow >= cost(widths))
        {
            return widths.ToArray();
        }
        long smallest = cost(widths.Select(_ => 1).ToArray());
        if (multiplyAddsPerRow < smallest)
        {
            throw new ArgumentOutOfRangeException(nameof(multiplyAddsPerRow), multiplyAddsPerRow,
                $"The budget of multiply-adds per row is below {smallest}, the cost of keeping one neuron per layer.");
        }

        // Candidate fractions k/D_l, as (k, D_l), sorted by value; distinct fractions with D ≤ 65,536 differ by more
        // than 2e-10, far above double rounding.
        var candidates = new List<(int K, int D)>();
        foreach (int d in widths.Distinct())
        {
            for (int k = 1; k <= d; k++)
            {
                candidates.Add((k, d));
            }
        }
        candidates.Sort((a, b) => ((double)a.K / a.D).CompareTo((double)b.K / b.D));

        // The first candidate (the smallest fraction) keeps one neuron per layer, which fits; find the last that fits.
        int lo = 0, hi = candidates.Count - 1;
        while (lo < hi)
        {
            int mid = lo + (hi - lo + 1) / 2;
            if (cost(At(widths, candidates[mid])) <= multiplyAddsPerRow)
            {
                lo = mid;
            }
            else
            {
                hi = mid - 1;
            }
        }
        return At(widths, candidates[lo]);
    }

    /// <summary>⌈(k/d)·D_l⌉ of every layer, in integers.</summary>
    private static int[] At(IReadOnlyList<int> widths, (int K, int D) fraction)
        => widths.Select(w => (int)Math.Max(1, ((long)fraction.K * w + fraction.D - 1) / fraction.D)).ToArray();
}
