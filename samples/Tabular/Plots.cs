using ScottPlot;

namespace AdaptiveWidth.Samples.Tabular;

/// <summary>PNG plots of a training story: widths and validation metric over epochs, and the truncation curve.</summary>
public static class Plots
{
    public static IEnumerable<string> Write(AdaptiveStory story, string directory)
    {
        Directory.CreateDirectory(directory);
        string stem = Path.Combine(directory, story.DataSet.ToLowerInvariant().Replace(' ', '-'));
        double[] epochs = story.History.Select(r => (double)r.Epoch).ToArray();

        var widths = new Plot();
        int layers = story.History.Count == 0 ? 0 : story.History[0].Widths.Count;
        for (int l = 0; l < layers; l++)
        {
            var line = widths.Add.Scatter(epochs, story.History.Select(r => (double)r.Widths[l]).ToArray());
            line.LegendText = $"layer {l + 1}";
            line.MarkerSize = 0;
        }
        widths.Title($"{story.DataSet}: learned width per layer");
        widths.XLabel("epoch");
        widths.YLabel("neurons");
        widths.ShowLegend();
        yield return Save(widths, stem + "-widths.png");

        var validation = new Plot();
        bool classification = story.Task != TaskKind.Regression;
        var metric = validation.Add.Scatter(epochs, story.History
            .Select(r => classification ? r.ValidationAccuracy : Math.Sqrt(2 * r.ValidationLoss)).ToArray());
        metric.MarkerSize = 0;
        validation.Title($"{story.DataSet}: validation {(classification ? "accuracy" : "RMSE")}");
        validation.XLabel("epoch");
        yield return Save(validation, stem + "-validation.png");

        var truncation = new Plot();
        var curve = truncation.Add.Scatter(story.TruncationCurve.Select(c => c.KeptFraction * 100).ToArray(),
            story.TruncationCurve.Select(c => c.Metric).ToArray());
        curve.LegendText = "ordered truncation (test set)";
        truncation.Title($"{story.DataSet}: {Showcase.MetricName(story.Task)} vs neurons kept");
        truncation.XLabel("% of each layer's neurons kept");
        truncation.YLabel(Showcase.MetricName(story.Task));
        yield return Save(truncation, stem + "-truncation.png");
    }

    private static string Save(Plot plot, string path)
    {
        plot.SavePng(path, 800, 500);
        return path;
    }
}
