namespace Microsoft.ML.AdaptiveWidth.Benchmarks;

/// <summary>Median and range of repeated measurements.</summary>
internal readonly record struct Stats(double Median, double Min, double Max, int Count)
{
    public static Stats Of(IEnumerable<double> values)
    {
        double[] sorted = values.Order().ToArray();
        return sorted.Length == 0 ? new Stats(double.NaN, double.NaN, double.NaN, 0) : new Stats(MedianOfSorted(sorted), sorted[0], sorted[^1], sorted.Length);
    }

    public static double MedianOf(IEnumerable<double> values) => MedianOfSorted(values.Order().ToArray());

    private static double MedianOfSorted(double[] sorted) =>
        sorted.Length == 0 ? double.NaN
        : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2]
        : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;

    /// <summary>"median (min–max)" with the given format.</summary>
    public string Format(string format) =>
        Count <= 1 ? Median.ToString(format) : $"{Median.ToString(format)} ({Min.ToString(format)}–{Max.ToString(format)})";
}
