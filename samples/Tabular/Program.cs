// The main job. With no arguments: on four data sets committed or generated in the repository (scikit-learn's
// breast cancer, digits and diabetes, BSD-3, under data/sklearn; the paper's SpiralHard, generated bit-exactly), train
// the adaptive-width trainer with default options and LightGBM, FastTree and SDCA in the same ML.NET pipeline; print
// a table (test metric, training time, learned widths, model zip size, µs per prediction); compress our model by
// ordered truncation and say what it saved; write PNG plots; save, reload and score a few rows.
//
//   dotnet run --project samples/Tabular -c Release
//   dotnet run --project samples/Tabular -c Release -- --data file.csv --label Column [--task binary|multiclass|regression]
//   dotnet run --project samples/Tabular -c Release -- --help
using AdaptiveWidth.Samples.Tabular;
using Microsoft.ML;
using Microsoft.ML.AdaptiveWidth.Datasets;
using Microsoft.ML.Trainers.AdaptiveWidth;
using Spectre.Console;

if (args.Contains("--help") || args.Contains("-h"))
{
    Console.WriteLine("""
        Microsoft.ML.AdaptiveWidth tabular sample.

          (no arguments)            breast cancer, digits, diabetes and SpiralHard: our trainer vs LightGBM, FastTree, SDCA
          --data FILE.csv           your own CSV (header line; numeric features; one label column)
          --label COLUMN            the label column of --data (required with --data)
          --task KIND               binary | multiclass | regression (default: inferred from the label column)
          --epochs N                maximum epochs of the adaptive-width trainer (default 200)
          --out DIR                 where PNG plots and the saved model go (default ./adaptive-width-output)
          --quick                   a reduced run (few epochs, small latency sample), used by the tests
          --core [...]              the training core without ML.NET on the paper's synthetic sets (see CoreDemo.cs)
        Exit codes: 0 success, 2 bad input (the message names the file, line or column).
        """);
    return 0;
}
if (args.Contains("--core"))
{
    return CoreDemo.Run(args);
}

bool quick = args.Contains("--quick");
string outputDirectory = Option("--out") ?? Path.Combine(Environment.CurrentDirectory, "adaptive-width-output");
int maxEpoch = int.Parse(Option("--epochs") ?? (quick ? "5" : "200"));
bool live = !Console.IsOutputRedirected && !quick;
var mlContext = new MLContext(seed: 1);

var dataSets = new List<(string Name, TaskKind Task, Dataset Train, Dataset Test,
    Func<MLContext, Action<AdaptiveWidthEpochMetrics>?, IEstimator<ITransformer>>? Custom, bool Normalize)>();
if (Option("--data") is string file)
{
    if (Option("--label") is not string label)
    {
        return Fail("--label COLUMN is required with --data.");
    }
    try
    {
        var (data, task, _) = CsvData.Load(file, label, Option("--task"));
        var (train, test) = task == TaskKind.Regression ? Splits.TrainTest(data, 0.2, 42) : Splits.StratifiedTrainTest(data, 0.2, 42);
        dataSets.Add((data.Name, task, train, test, null, true));
    }
    catch (FormatException e)
    {
        return Fail(e.Message);
    }
}
else
{
    Add("Breast cancer", TaskKind.Binary, SklearnDatasets.BreastCancer());
    Add("Digits", TaskKind.Multiclass, SklearnDatasets.Digits());
    Add("Diabetes", TaskKind.Regression, SklearnDatasets.Diabetes());
    // SpiralHard, as in the paper: raw features; two adaptive layers (the default), trained longer (300 epochs, patience 60).
    var (spiralTrain, _, spiralTest) = Splits.PaperSplit(PaperDatasets.SpiralHard());
    dataSets.Add(("SpiralHard", TaskKind.Binary, spiralTrain, spiralTest, (c, progress) => c.BinaryClassification.Trainers.AdaptiveWidth(
        new AdaptiveWidthBinaryTrainer.Options { NumberOfLayers = 2, MaxEpoch = quick ? 5 : 300, EarlyStoppingPatience = 60,
            ProgressCallback = progress }), false));
}

// Progress: the Showcase gives the trainer a ProgressCallback (Showcase.Progress formats each epoch's metrics) and
// says what it is doing; show the latest line live in a terminal.
string status = "";
var showcase = new Showcase(mlContext, maxEpoch, quick ? 200 : 5000, message => status = message);
foreach (var (name, task, train, test, custom, normalize) in dataSets)
{
    List<TrainerResult> results = [];
    AdaptiveStory? story = null;
    ITransformer? ours = null;
    void Work() => (results, story, ours) = showcase.Run(name, task, train, test, custom, normalize);
    if (live)
    {
        AnsiConsole.Status().Start($"{name}...", context =>
        {
            var worker = Task.Run(Work);
            while (!worker.Wait(200))
            {
                context.Status(Markup.Escape(status));
            }
            worker.GetAwaiter().GetResult();
        });
    }
    else
    {
        Work();
    }

    Console.WriteLine();
    Console.WriteLine($"## {name} ({task}; {train.RowCount} training rows, {test.RowCount} test rows, {train.FeatureCount} features)");
    Console.WriteLine();
    string metric = Showcase.MetricName(task);
    Console.WriteLine($"| trainer | test {metric} | training s | learned widths | model zip bytes | µs per prediction |");
    Console.WriteLine("|---|---|---|---|---|---|");
    foreach (TrainerResult r in results)
    {
        string value = task == TaskKind.Regression ? r.Metric.ToString("F2") : r.Metric.ToString("P2");
        Console.WriteLine($"| {r.Trainer} | {value} | {r.TrainSeconds:F1} | {r.Widths} | {r.ZipBytes:N0} | {r.MicrosecondsPerPrediction:F1} |");
    }
    Console.WriteLine();
    AdaptiveStory s = story!;
    Console.WriteLine($"Compression by ordered truncation (no retraining): widths {results[0].Widths} -> {s.CompressedWidths}, " +
        $"multiply-adds per row {s.FullMultiplyAdds:N0} -> {s.CompressedMultiplyAdds:N0} ({1 - (double)s.CompressedMultiplyAdds / s.FullMultiplyAdds:P0} fewer), " +
        $"test {metric} {(task == TaskKind.Regression ? s.CompressedMetric.ToString("F2") : s.CompressedMetric.ToString("P2"))} " +
        $"(tolerance: {(task == TaskKind.Regression ? "+1% RMSE" : "-0.5 points")}).");
    foreach (string png in Plots.Write(s, outputDirectory))
    {
        Console.WriteLine($"Wrote {png}");
    }

    // Save, reload as a scoring service would, and score a few test rows.
    Directory.CreateDirectory(outputDirectory);
    string zip = Path.Combine(outputDirectory, name.ToLowerInvariant().Replace(' ', '-') + "-model.zip");
    IDataView trainView = showcase.Load(train);
    mlContext.Model.Save(ours!, trainView.Schema, zip);
    ITransformer loaded = mlContext.Model.Load(zip, out _);
    Console.WriteLine($"Saved {zip}; reloaded, it predicts:");
    foreach (string line in Predictions.Predict(mlContext, loaded, task, test, rows: 3))
    {
        Console.WriteLine("  " + line);
    }
}
return 0;

void Add(string name, TaskKind task, Dataset data)
{
    var (train, test) = task == TaskKind.Regression ? Splits.TrainTest(data, 0.2, 42) : Splits.StratifiedTrainTest(data, 0.2, 42);
    dataSets.Add((name, task, train, test, null, true));
}

string? Option(string name)
{
    int at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length ? args[at + 1] : null;
}

static int Fail(string message)
{
    Console.Error.WriteLine($"error: {message}");
    Environment.Exit(2);
    return 2;
}
