using ScottPlot;

namespace AdaptiveWidth.Samples.Tabular;

/// <summary>PNG plots of a training story: widths and validation metric over epochs, and the truncation curve.</summary>
public static class Plots
{
    public static IEnumerable<string> Write(AdaptiveStory story, string directory)
    {
        Directory.CreateDirectory(directory);
        string stem = Path.Combine(directory, story.DataSet.ToLowerInvariant().Replace(' ', '-'));
        // An ensemble's history holds its members one after the other (the epoch starts again at 1): one line each.
        var members = new List<List<Microsoft.ML.AdaptiveWidth.Training.EpochRecord>>();
        foreach (var record in story.History)
        {
            if (members.Count == 0 || record.Epoch <= members[^1][^1].Epoch)
            {
                members.Add([]);
            }
            members[^1].Add(record);
        }
        Color[] colors = [Colors.SteelBlue, Colors.DarkOrange, Colors.SeaGreen, Colors.Crimson];

        var widths = new Plot();
        int layers = story.History.Count == 0 ? 0 : story.History[0].Widths.Count;
        for (int l = 0; l < layers; l++)
        {
            for (int m = 0; m < members.Count; m++)
            {
                var line = widths.Add.Scatter(members[m].Select(r => (double)r.Epoch).ToArray(), members[m].Select(r => (double)r.Widths[l]).ToArray());
                line.Color = colors[l % colors.Length];
                line.MarkerSize = 0;
                if (m == 0)
                {
                    line.LegendText = members.Count > 1 ? $"layer {l + 1} (one line per member)" : $"layer {l + 1}";
                }
            }
        }
        widths.Title($"{story.DataSet}: learned width per layer{(members.Count > 1 ? $", each of the {members.Count} members" : "")}");
        widths.XLabel("epoch");
        widths.YLabel("neurons");
        widths.ShowLegend();
        yield return Save(widths, stem + "-widths.png");

        var validation = new Plot();
        bool classification = story.Task != TaskKind.Regression;
        foreach (var member in members)
        {
            var metric = validation.Add.Scatter(member.Select(r => (double)r.Epoch).ToArray(), member
                .Select(r => classification ? r.ValidationAccuracy : Math.Sqrt(2 * r.ValidationLoss)).ToArray());
            metric.MarkerSize = 0;
        }
        validation.Title($"{story.DataSet}: validation {(classification ? "accuracy" : "RMSE")}{(members.Count > 1 ? " of each member" : "")}");
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
