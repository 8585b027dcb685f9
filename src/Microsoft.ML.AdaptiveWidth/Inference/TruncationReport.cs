using System.Globalization;
using System.Text;

namespace Microsoft.ML.AdaptiveWidth.Inference;

/// <summary>One line of a <see cref="TruncationReport"/>: a kept fraction, measured with ordered and random removal.</summary>
/// <param name="Fraction">The fraction of each layer kept (⌈fraction·D_l⌉ neurons).</param>
/// <param name="Widths">The kept width of each hidden layer.</param>
/// <param name="MultiplyAdds">Multiply-adds per row at these widths (the same for both removals).</param>
/// <param name="OrderedMetric">The metric keeping the first (most important) neurons.</param>
/// <param name="RandomMetricMean">The mean metric over the random draws keeping as many neurons, chosen at random.</param>
/// <param name="RandomMetricStdDev">The standard deviation of the random draws' metric (0 for one draw).</param>
public sealed record TruncationReportRow(
    double Fraction, IReadOnlyList<int> Widths, long MultiplyAdds, double OrderedMetric, double RandomMetricMean, double RandomMetricStdDev);

/// <summary>
/// The metric of a model against its kept width and multiply-adds, for ordered truncation (keep the first neurons) and
/// for random removal of the same number of neurons (the paper's comparison), as data to print, save or plot.
/// </summary>
public static class TruncationReport
{
    /// <summary>The default fractions: 1, 0.95, …, 0.05.</summary>
    public static IReadOnlyList<double> DefaultFractions { get; } = Enumerable.Range(1, 20).Select(i => (21 - i) / 20.0).ToArray();

    /// <summary>Measures <paramref name="model"/> on <paramref name="rows"/> at each fraction.</summary>
    /// <param name="model">The model.</param>
    /// <param name="rows">Labelled rows and the metric (accuracy in percent, or RMSE).</param>
    /// <param name="fractions">Fractions in (0, 1] to measure; null for <see cref="DefaultFractions"/>.</param>
    /// <param name="randomDraws">Random removals per fraction, at least 1. Default 5.</param>
    /// <param name="seed">Seed of the random removals.</param>
    /// <returns>One row per fraction, in the order given. Cost: (1 + <paramref name="randomDraws"/>) evaluations per fraction.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A fraction is not in (0, 1], or <paramref name="randomDraws"/> is below 1.</exception>
    public static IReadOnlyList<TruncationReportRow> Create(AdaptiveWidthModel model, LabeledRows rows,
        IReadOnlyList<double>? fractions = null, int randomDraws = 5, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentOutOfRangeException.ThrowIfLessThan(randomDraws, 1);
        fractions ??= DefaultFractions;
        foreach (double f in fractions)
        {
            _ = Truncation.WidthsForFraction(model.LayerWidths, f); // validates, naming "fraction"
        }

        var random = new Random(seed);
        var report = new List<TruncationReportRow>();
        foreach (double fraction in fractions)
        {
            int[] widths = Truncation.WidthsForFraction(model.LayerWidths, fraction);
            AdaptiveWidthModel ordered = model.Truncate(widths);
            double[] randomMetrics = Enumerable.Range(0, randomDraws)
                .Select(_ => rows.Evaluate(RemoveRandomNeurons(model, widths, random)))
                .ToArray();
            double mean = randomMetrics.Average();
            double std = Math.Sqrt(randomMetrics.Sum(m => (m - mean) * (m - mean)) / randomMetrics.Length);
            report.Add(new TruncationReportRow(fraction, widths, ordered.MultiplyAdds, rows.Evaluate(ordered), mean, std));
        }
        return report;
    }

    /// <summary>Keeps <c>widths[l]</c> neurons of each hidden layer chosen uniformly at random (the paper's baseline).</summary>
    /// <exception cref="ArgumentException">A width is out of range.</exception>
    public static AdaptiveWidthModel RemoveRandomNeurons(AdaptiveWidthModel model, IReadOnlyList<int> widths, Random random)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(widths);
        ArgumentNullException.ThrowIfNull(random);
        var kept = new int[widths.Count][];
        for (int l = 0; l < widths.Count; l++)
        {
            int[] all = Enumerable.Range(0, model.LayerWidths[l]).ToArray();
            random.Shuffle(all);
            kept[l] = all.Take(widths[l]).Order().ToArray();
        }
        return model.KeepNeurons(kept);
    }

    /// <summary>
    /// The report as CSV (invariant culture, header line first): fraction, widths (joined by '-'), multiply_adds,
    /// ordered, random_mean, random_std.
    /// </summary>
    public static string ToCsv(IEnumerable<TruncationReportRow> report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var csv = new StringBuilder("fraction,widths,multiply_adds,ordered,random_mean,random_std\n");
        foreach (TruncationReportRow r in report)
        {
            csv.Append(CultureInfo.InvariantCulture, $"{r.Fraction:R},{string.Join("-", r.Widths)},{r.MultiplyAdds},{r.OrderedMetric:R},{r.RandomMetricMean:R},{r.RandomMetricStdDev:R}\n");
        }
        return csv.ToString();
    }
}
