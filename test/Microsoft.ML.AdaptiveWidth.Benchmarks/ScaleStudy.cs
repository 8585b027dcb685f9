using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Trainers.AdaptiveWidth;
using ScottPlot;

namespace Microsoft.ML.AdaptiveWidth.Benchmarks;

/// <summary>
/// The scale study (issue 9 "Scale", issue 8 "streaming training"): training time and peak resident memory against
/// the number of rows (10k, 100k, 1M generated rows × 32 features) and against the learned width, for the in-memory
/// and the streaming paths of the ML.NET binary trainer, plus one epoch over 10 million rows streamed. Each run is a
/// child process of this program, so its peak resident memory (VmHWM) is its own. Writes docs/scale.md and
/// docs/scale/*.png unless <c>--quick</c>.
/// </summary>
internal static class ScaleStudy
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;
    private const int Features = 32;

    /// <summary>What one child run measured.</summary>
    internal sealed record RunResult(long Rows, string Mode, int Epochs, int InitialWidth, double Seconds, double PeakMegabytes,
        double BaselineMegabytes, int LearnedWidth, double TestAccuracy)
    {
        public double RowsPerSecond => Rows * (double)Epochs / Seconds;

        public double SecondsPerEpoch => Seconds / Epochs;
    }

    /// <summary>Child process: one Fit, then one JSON line prefixed with RESULT.</summary>
    public static int RunOne(string[] args)
    {
        long rows = long.Parse(Argument(args, "--rows", "10000"), Inv);
        string mode = Argument(args, "--mode", "Streaming");
        int epochs = int.Parse(Argument(args, "--epochs", "1"), Inv);
        int width = int.Parse(Argument(args, "--initial-width", "232"), Inv);
        var ml = new MLContext(seed: 1);
        var train = new GeneratedDataView(rows, Features, seed: 1);
        var test = new GeneratedDataView(20_000, Features, seed: 1, firstRow: 1L << 40);
        var options = new AdaptiveWidthBinaryTrainer.Options
        {
            DataMode = Enum.Parse<TrainingDataMode>(mode),
            MaxEpoch = epochs,
            EarlyStoppingPatience = 0,
            InitialWidth = width,
            Seed = 1,
        };
        // Warm up (load libtorch, JIT the training path) on a few rows so the timed Fit measures training, not start-up.
        ml.BinaryClassification.Trainers.AdaptiveWidth(new AdaptiveWidthBinaryTrainer.Options { MaxEpoch = 1, InitialWidth = 8, Seed = 1 })
            .Fit(new GeneratedDataView(256, Features, seed: 2));
        double baseline = PeakResidentMegabytes();
        var clock = Stopwatch.StartNew();
        var model = ml.BinaryClassification.Trainers.AdaptiveWidth(options).Fit(train);
        double seconds = clock.Elapsed.TotalSeconds;
        double peak = PeakResidentMegabytes();
        double accuracy = ml.BinaryClassification.Evaluate(model.Transform(test)).Accuracy;
        var result = new RunResult(rows, mode, epochs, width, seconds, peak, baseline, model.Model.SubModel.TrainingHistory[^1].Widths[0], accuracy);
        Console.WriteLine("RESULT " + JsonSerializer.Serialize(result));
        return 0;
    }

    public static int Run(string[] args)
    {
        bool quick = args.Contains("--quick");
        int repetitions = quick ? 1 : int.Parse(Argument(args, "--repetitions", "3"), Inv);
        bool big = !quick && !args.Contains("--no-10m");
        string command = ("dotnet run --project test/Microsoft.ML.AdaptiveWidth.Benchmarks -c Release -- " + string.Join(' ', args)).TrimEnd();
        long[] rowCounts = quick ? [2_000] : [10_000, 100_000, 1_000_000];
        int[] widths = quick ? [16] : [16, 64, 256, 1024];
        long widthRows = quick ? 2_000 : 100_000;
        string[] modes = ["InMemory", "Streaming"];
        int Epochs(long rows) => quick ? 1 : rows >= 1_000_000 ? 2 : 3;

        var byRows = new List<(long Rows, string Mode, List<RunResult> Runs)>();
        foreach (long rows in rowCounts)
        {
            foreach (string mode in modes)
            {
                byRows.Add((rows, mode, Repeat(repetitions, rows, mode, Epochs(rows), 232)));
            }
        }
        var byWidth = new List<(int Width, string Mode, List<RunResult> Runs)>();
        foreach (int width in widths)
        {
            foreach (string mode in modes)
            {
                byWidth.Add((width, mode, Repeat(repetitions, widthRows, mode, Epochs(widthRows), width)));
            }
        }
        RunResult? tenMillion = big ? Child(10_000_000, "Streaming", 1, 232) : null;

        var md = new StringBuilder();
        void L(string line = "") => md.AppendLine(line);
        L("# Scale: training time and peak memory against rows and width, in memory and streaming");
        L();
        L($"- Machine: {MachineInfo.Describe()}; other processes were running on this shared machine, so absolute times are noisy.");
        L($"- Date: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        L($"- Command: `{command}`");
        L($"- Data: generated rows × {Features} features (uniform in [−1, 1]), a Boolean label from a fixed non-linear teacher with 5% " +
          "label noise, made on the fly by an IDataView with a known row count (test/Microsoft.ML.AdaptiveWidth.Benchmarks/GeneratedDataView.cs); " +
          "test accuracy on 20,000 other rows of the same task.");
        L("- Trainer: `mlContext.BinaryClassification.Trainers.AdaptiveWidth` with default options except `DataMode`, `MaxEpoch`, " +
          "`EarlyStoppingPatience = 0`, `Seed = 1` (and `InitialWidth` in the width table); default hold-out of 10% for validation, " +
          "batch 128, one intra-op thread, shuffle buffer 65,536 rows.");
        L($"- Each configuration ran {repetitions} time(s), each in its own child process; times are the median (min–max) of the runs. " +
          "`s/epoch` is the whole `Fit` (reading, scans, training, validation) divided by the epochs; rows/s counts training rows × epochs. " +
          "Peak memory is the child process's peak resident set (VmHWM), which includes the .NET runtime, ML.NET and libtorch " +
          $"(about {Stats.MedianOf(byRows.SelectMany(r => r.Runs).Select(r => r.BaselineMegabytes)):F0} MB before the timed `Fit`, after a warm-up " +
          "`Fit` on 256 rows has loaded libtorch and compiled the training path, which is not timed).");
        L();
        L("## Rows");
        L();
        L("| rows | path | epochs | s/epoch | rows/s | peak resident MB | learned width | test accuracy % |");
        L("|---|---|---|---|---|---|---|---|");
        foreach (var (rows, mode, runs) in byRows)
        {
            L($"| {rows:N0} | {Path(mode)} | {runs[0].Epochs} | {Stats.Of(runs.Select(r => r.SecondsPerEpoch)).Format("F2")} | " +
              $"{Stats.MedianOf(runs.Select(r => r.RowsPerSecond)):N0} | {Stats.Of(runs.Select(r => r.PeakMegabytes)).Format("F0")} | " +
              $"{runs[0].LearnedWidth} | {100 * runs.Average(r => r.TestAccuracy):F2} |");
        }
        L();
        foreach (long rows in rowCounts)
        {
            double memory = Stats.MedianOf(byRows.Single(r => r.Rows == rows && r.Mode == "InMemory").Runs.Select(r => r.SecondsPerEpoch));
            double stream = Stats.MedianOf(byRows.Single(r => r.Rows == rows && r.Mode == "Streaming").Runs.Select(r => r.SecondsPerEpoch));
            L($"- {rows:N0} rows: streaming takes {stream / memory:F2}x the in-memory time per epoch.");
        }
        if (tenMillion is not null)
        {
            L();
            L("## Ten million rows, streamed");
            L();
            L($"{tenMillion.Rows:N0} rows × {Features} features ({tenMillion.Rows * Features * 4 / 1e9:F2} GB as floats), one epoch, `DataMode = Streaming`, " +
              "one run:");
            L();
            L("| rows | epochs | Fit seconds | training rows/s | peak resident MB | learned width | test accuracy % |");
            L("|---|---|---|---|---|---|---|");
            L($"| {tenMillion.Rows:N0} | 1 | {tenMillion.Seconds:F0} | {tenMillion.RowsPerSecond:N0} | {tenMillion.PeakMegabytes:F0} | " +
              $"{tenMillion.LearnedWidth} | {100 * tenMillion.TestAccuracy:F2} |");
            L();
            L($"Goal (issue 8): peak resident memory under 600 MB — {(tenMillion.PeakMegabytes < 600 ? "met" : "**missed**")}. " +
              "`Fit` read the rows four times: a scan of the training rows, a scan of the held-out rows, then the epoch's training and validation passes.");
        }
        L();
        L("## Width");
        L();
        L($"{widthRows:N0} rows; the initial width sets how wide the network starts, and the learned width is where the last epoch ended.");
        L();
        L("| initial width | path | epochs | learned width | s/epoch | rows/s | peak resident MB | test accuracy % |");
        L("|---|---|---|---|---|---|---|---|");
        foreach (var (width, mode, runs) in byWidth)
        {
            L($"| {width} | {Path(mode)} | {runs[0].Epochs} | {runs[0].LearnedWidth} | {Stats.Of(runs.Select(r => r.SecondsPerEpoch)).Format("F2")} | " +
              $"{Stats.MedianOf(runs.Select(r => r.RowsPerSecond)):N0} | {Stats.Of(runs.Select(r => r.PeakMegabytes)).Format("F0")} | " +
              $"{100 * runs.Average(r => r.TestAccuracy):F2} |");
        }
        L();
        L("![time and memory against rows](scale/scale-rows.png)");
        L();
        L("![time against learned width](scale/scale-width.png)");

        Console.WriteLine(md.ToString());
        if (quick)
        {
            return byRows.All(r => r.Runs.All(x => x.TestAccuracy > 0.6)) ? 0 : 5;
        }
        string? root = MachineInfo.RepositoryRoot();
        if (root is null)
        {
            Console.Error.WriteLine("Could not find the repository root (AdaptiveWidth.sln); the report was not written.");
            return 4;
        }
        Directory.CreateDirectory(System.IO.Path.Combine(root, "docs", "scale"));
        File.WriteAllText(System.IO.Path.Combine(root, "docs", "scale.md"), md.ToString());
        PlotRows(byRows, System.IO.Path.Combine(root, "docs", "scale", "scale-rows.png"));
        PlotWidth(byWidth, System.IO.Path.Combine(root, "docs", "scale", "scale-width.png"));
        Console.Error.WriteLine($"Wrote {System.IO.Path.Combine(root, "docs", "scale.md")}");
        return 0;
    }

    private static string Path(string mode) => mode == "InMemory" ? "in memory" : "streaming";

    private static List<RunResult> Repeat(int repetitions, long rows, string mode, int epochs, int width)
        => Enumerable.Range(0, repetitions).Select(_ => Child(rows, mode, epochs, width)).ToList();

    /// <summary>Runs one configuration in a child process of this program and parses its RESULT line.</summary>
    private static RunResult Child(long rows, string mode, int epochs, int width)
    {
        ProcessStartInfo start = CommandLine.Self(
            ["scale-run", "--rows", rows.ToString(Inv), "--mode", mode, "--epochs", epochs.ToString(Inv), "--initial-width", width.ToString(Inv)],
            redirectOutput: true);
        using Process child = Process.Start(start)!;
        Task<string> errors = child.StandardError.ReadToEndAsync();
        string output = child.StandardOutput.ReadToEnd();
        child.WaitForExit();
        string? line = output.Split('\n').FirstOrDefault(l => l.StartsWith("RESULT ", StringComparison.Ordinal));
        if (child.ExitCode != 0 || line is null)
        {
            throw new InvalidOperationException($"The run of {rows} rows ({mode}) failed with exit code {child.ExitCode}:\n{errors.Result}\n{output}");
        }
        RunResult result = JsonSerializer.Deserialize<RunResult>(line["RESULT ".Length..])!;
        Console.Error.WriteLine($"  {rows,10:N0} rows {mode,-9} width {width,4}: {result.Seconds,7:F1} s, peak {result.PeakMegabytes:F0} MB, " +
                                $"learned width {result.LearnedWidth}, test accuracy {100 * result.TestAccuracy:F2}%");
        return result;
    }

    /// <summary>The process's peak resident set in MB (VmHWM in /proc/self/status), or NaN off Linux.</summary>
    internal static double PeakResidentMegabytes()
    {
        try
        {
            string? line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
            return line is null ? double.NaN : double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], Inv) / 1024;
        }
        catch (IOException)
        {
            return double.NaN;
        }
    }

    private static void PlotRows(List<(long Rows, string Mode, List<RunResult> Runs)> byRows, string path)
    {
        var plot = new Multiplot();
        plot.AddPlots(2);
        plot.Layout = new ScottPlot.MultiplotLayouts.Columns();
        Plot time = plot.GetPlot(0), memory = plot.GetPlot(1);
        foreach (string mode in new[] { "InMemory", "Streaming" })
        {
            var runs = byRows.Where(r => r.Mode == mode).ToList();
            double[] x = runs.Select(r => Math.Log10(r.Rows)).ToArray();
            var t = time.Add.Scatter(x, runs.Select(r => Math.Log10(Stats.MedianOf(r.Runs.Select(v => v.SecondsPerEpoch)))).ToArray());
            t.LegendText = Path(mode);
            var m = memory.Add.Scatter(x, runs.Select(r => Math.Log10(Stats.MedianOf(r.Runs.Select(v => v.PeakMegabytes)))).ToArray());
            m.LegendText = Path(mode);
        }
        LogAxes(time, "rows", "seconds per epoch");
        LogAxes(memory, "rows", "peak resident MB");
        time.Title("Time per epoch (log-log)");
        memory.Title("Peak memory (log-log)");
        plot.SavePng(path, 1100, 450);
    }

    private static void PlotWidth(List<(int Width, string Mode, List<RunResult> Runs)> byWidth, string path)
    {
        var plot = new Plot();
        foreach (string mode in new[] { "InMemory", "Streaming" })
        {
            var runs = byWidth.Where(r => r.Mode == mode).ToList();
            var s = plot.Add.Scatter(runs.Select(r => Math.Log10(Math.Max(1, r.Runs[0].LearnedWidth))).ToArray(),
                runs.Select(r => Math.Log10(Stats.MedianOf(r.Runs.Select(v => v.SecondsPerEpoch)))).ToArray());
            s.LegendText = Path(mode);
        }
        LogAxes(plot, "learned width", "seconds per epoch");
        plot.Title("Time per epoch against learned width (log-log)");
        plot.SavePng(path, 700, 450);
    }

    private static void LogAxes(Plot plot, string x, string y)
    {
        static string Label(double v) => Math.Pow(10, v).ToString("G3", Inv);
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { LabelFormatter = Label };
        plot.Axes.Left.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { LabelFormatter = Label };
        plot.XLabel(x);
        plot.YLabel(y);
        plot.ShowLegend();
    }

    private static string Argument(string[] args, string name, string fallback) => CommandLine.Argument(args, name, fallback);
}
