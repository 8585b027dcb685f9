using Microsoft.ML.AdaptiveWidth.Inference;
using ScottPlot;

namespace Microsoft.ML.AdaptiveWidth.Benchmarks;

/// <summary>PNG plots of the compression study: test accuracy against neurons kept and against multiply-adds.</summary>
internal static class CompressionPlots
{
    private const int Width = 800;
    private const int Height = 500;

    /// <summary>Two plots for one data set; the first run is drawn in full, the others' ordered curves as thin lines.</summary>
    public static IEnumerable<string> Write(IReadOnlyList<CompressionRun> runs, string directory)
    {
        CompressionRun first = runs[0];
        string stem = Path.Combine(directory, first.Case.Name.ToLowerInvariant());
        IReadOnlyList<TruncationReportRow> report = first.Report;

        var kept = new Plot();
        Curves(kept, runs, r => r.Fraction * 100);
        kept.Title($"{first.Case.Name}: test accuracy vs neurons kept (seed {first.Seed})");
        kept.XLabel("% of each layer's neurons kept");
        kept.YLabel("test accuracy (%)");
        kept.ShowLegend(Alignment.LowerRight);
        yield return Save(kept, stem + "-kept.png");

        var cost = new Plot();
        Curves(cost, runs, r => r.MultiplyAdds);
        var marker = cost.Add.Marker(first.Compressed.Model.MultiplyAdds, first.CompressedTest, MarkerShape.FilledDiamond, 12, Colors.Red);
        marker.LegendText = $"automatic compression ({CompressionStudy.Join(first.Compressed.Widths)})";
        cost.Title($"{first.Case.Name}: test accuracy vs multiply-adds per row (seed {first.Seed})");
        cost.XLabel("multiply-adds per row");
        cost.YLabel("test accuracy (%)");
        cost.ShowLegend(Alignment.LowerRight);
        yield return Save(cost, stem + "-multiply-adds.png");

        void Curves(Plot plot, IReadOnlyList<CompressionRun> all, Func<TruncationReportRow, double> x)
        {
            for (int i = 1; i < all.Count; i++)
            {
                var other = plot.Add.Scatter(all[i].Report.Select(x).ToArray(), all[i].Report.Select(r => r.OrderedMetric).ToArray());
                other.LineWidth = 1;
                other.MarkerSize = 0;
                other.Color = Colors.Blue.WithAlpha(0.35);
                other.LegendText = i == 1 ? "ordered, other seeds" : "";
            }
            double[] xs = report.Select(x).ToArray();
            var ordered = plot.Add.Scatter(xs, report.Select(r => r.OrderedMetric).ToArray());
            ordered.LegendText = "ordered truncation (first K neurons)";
            ordered.Color = Colors.Blue;
            ordered.LineWidth = 2;
            var random = plot.Add.Scatter(xs, report.Select(r => r.RandomMetricMean).ToArray());
            random.LegendText = "random removal (mean ± sd of 5 draws)";
            random.Color = Colors.Orange;
            var bars = plot.Add.ErrorBar(xs, report.Select(r => r.RandomMetricMean).ToArray(), report.Select(r => r.RandomMetricStdDev).ToArray());
            bars.Color = Colors.Orange;
            var line = plot.Add.HorizontalLine(first.FullTest - CompressionStudy.Tolerance);
            line.LineWidth = 1;
            line.Color = Colors.Gray;
            line.LinePattern = LinePattern.Dashed;
            line.LegendText = "full model − 0.5 points";
        }
    }

    private static string Save(Plot plot, string path)
    {
        plot.SavePng(path, Width, Height);
        return path;
    }
}
