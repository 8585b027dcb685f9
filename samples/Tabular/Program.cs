// The main job. With no arguments: on four data sets committed or generated in the repository (scikit-learn's
// breast cancer, digits and diabetes, BSD-3, under data/sklearn; the paper's SpiralHard, generated bit-exactly), train
// the adaptive-width trainer with default options and LightGBM, FastTree and SDCA in the same ML.NET pipeline; print
// a table (test metric, training time, learned widths, model zip size, µs per prediction); compress our model by
// ordered truncation and say what it saved; write PNG plots; save, reload and score a few rows.
// With --data: the same on a user's CSV, read with ML.NET's TextLoader, column types inferred from the header and a
// sample of rows, categorical and missing values featurized as in the realdata study (CsvSchema.cs).
// The program references the library only: the data sets it uses are in Data/ (scikit-learn's files embedded, see
// Tabular.csproj), so the folder can be copied out of the repository with those files.
//
//   dotnet run --project samples/Tabular -c Release
//   dotnet run --project samples/Tabular -c Release -- --data file.csv --label Column [--task binary|multiclass|regression]
//   dotnet run --project samples/Tabular -c Release -- --help
using AdaptiveWidth.Samples.Tabular;
using Microsoft.ML;
using Spectre.Console;

if (args.Contains("--help") || args.Contains("-h"))
{
    Console.WriteLine("""
        Microsoft.ML.AdaptiveWidth tabular sample.

          (no arguments)            breast cancer, digits, diabetes and SpiralHard: our trainer vs LightGBM, FastTree, SDCA
          --data FILE.csv           your own CSV: a header line, commas, "quoted" cells, empty cells allowed; numeric
                                    and categorical columns (types from the header and the first 10,000 rows)
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

var dataSets = new List<TabularData>();
if (Option("--data") is string file)
{
    if (Option("--label") is not string label)
    {
        return Fail("--label COLUMN is required with --data.");
    }
    try
    {
        // ML.NET's TextLoader reads the file; the column types come from the header and a sample of rows (CsvSchema.cs).
        CsvSchema schema = CsvSchema.Infer(mlContext, file, label, Option("--task"));
        Console.WriteLine($"{file}:");
        foreach (string line in schema.Describe())
        {
            Console.WriteLine("  " + line);
        }
        dataSets.Add(TabularData.FromCsv(mlContext, schema));
    }
    catch (FormatException e)
    {
        return Fail(e.Message);
    }
}
else if (Option("--task") is not null || Option("--label") is not null)
{
    return Fail("--task and --label go with --data FILE.csv.");
}
else
{
    Add(TaskKind.Binary, SklearnData.BreastCancer());
    Add(TaskKind.Multiclass, SklearnData.Digits());
    Add(TaskKind.Regression, SklearnData.Diabetes());
    // SpiralHard, as in the paper: raw features; two adaptive layers (the default), trained longer (300 epochs, patience 60).
    var (spiralTrain, _, spiralTest) = Splits.PaperSplit(PaperData.SpiralHard());
    dataSets.Add(TabularData.FromDataset(mlContext, TaskKind.Binary, spiralTrain, spiralTest, normalizeFeatures: false, tune: options =>
    {
        options.NumberOfLayers = 2;
        options.MaxEpoch = quick ? 5 : 300;
        options.EarlyStoppingPatience = 60;
    }));
}

// Progress: the Showcase gives the trainer a ProgressCallback (Showcase.Progress formats each epoch's metrics) and
// says what it is doing; show the latest line live in a terminal.
string status = "";
var showcase = new Showcase(mlContext, maxEpoch, quick ? 200 : 5000, message => status = message);
foreach (TabularData data in dataSets)
{
    string name = data.Name;
    TaskKind task = data.Task;
    ShowcaseRun? run = null;
    void Work() => run = showcase.Run(data);
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
    var (results, s, ours) = (run!.Results, run.Story, run.Model);

    Console.WriteLine();
    Console.WriteLine($"## {name} ({task}; {run.TrainRows} training rows, {run.TestRows} test rows, {run.FeatureCount} features)");
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
    mlContext.Model.Save(ours, data.Train.Schema, zip);
    ITransformer loaded = mlContext.Model.Load(zip, out _);
    Console.WriteLine($"Saved {zip}; reloaded, it predicts:");
    foreach (string line in Predictions.Predict(mlContext, loaded, data, data.Test, count: 3))
    {
        Console.WriteLine("  " + line);
    }
}
return 0;

void Add(TaskKind task, Dataset data)
{
    var (train, test) = Splits.TrainTest(data, 0.2, 42);
    dataSets.Add(TabularData.FromDataset(mlContext, task, train, test));
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
