namespace Microsoft.ML.Trainers.AdaptiveWidth;

/// <summary>How many neurons of each layer a truncation keeps.</summary>
internal static class WidthBudget
{
    /// <summary>
    /// max(1, ⌈fraction × width⌉) for each layer, then at most <paramref name="maxUnits"/>: the most important neurons
    /// come first, so keeping a prefix keeps the most important ones.
    /// </summary>
    public static int[] Widths(IReadOnlyList<int> widths, double fraction, int? maxUnits)
    {
        if (!(fraction > 0 && fraction <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "The fraction of each layer to keep must be in (0, 1].");
        }
        if (maxUnits is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(maxUnits), maxUnits, "The cap on units per layer must be at least 1.");
        }
        var kept = new int[widths.Count];
        for (int l = 0; l < kept.Length; l++)
        {
            // The small tolerance keeps 0.5 × 10 at 5 despite rounding in the product.
            int w = (int)Math.Ceiling(fraction * widths[l] - 1e-9);
            w = Math.Clamp(w, 1, widths[l]);
            kept[l] = maxUnits is int cap ? Math.Min(w, cap) : w;
        }
        return kept;
    }
}
