using System.Diagnostics;
using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;

// Usage: dotnet ScoringProbe.dll <model.zip> <rows.csv>
// rows.csv: one row of comma-separated features per line (invariant culture), all rows of the same length.
// Prints one line per row: the Score value(s), then the Probability if the model has one, each in round-trip format;
// then whether a native torch library or a TorchSharp assembly was loaded.
// Other modes (docs/reliability.md): fuzz, fuzz-child, save-loop; see their files.
switch (args.FirstOrDefault())
{
    case "fuzz":
        return Microsoft.ML.AdaptiveWidth.ScoringProbe.Fuzzer.Run(args[1..]);
    case "fuzz-child":
        return Microsoft.ML.AdaptiveWidth.ScoringProbe.FuzzChild.Run(args[1..]);
    case "save-loop":
        return Microsoft.ML.AdaptiveWidth.ScoringProbe.SaveLoop.Run(args[1..]);
}
if (args.Length != 2)
{
    Console.Error.WriteLine("usage: ScoringProbe <model.zip> <rows.csv> | fuzz ... | fuzz-child ... | save-loop ...");
    return 2;
}

float[][] rows = File.ReadAllLines(args[1])
    .Where(line => line.Length > 0)
    .Select(line => line.Split(',').Select(v => float.Parse(v, CultureInfo.InvariantCulture)).ToArray())
    .ToArray();
int featureCount = rows[0].Length;
var mlContext = new MLContext(seed: 0);
ITransformer model = mlContext.Model.Load(args[0], out _);
foreach (float[] values in Microsoft.ML.AdaptiveWidth.ScoringProbe.ProbeScoring.ScoreRows(mlContext, model, rows, featureCount))
{
    Console.WriteLine(string.Join(" ", values.Select(x => x.ToString("R", CultureInfo.InvariantCulture))));
}

bool nativeTorch = Process.GetCurrentProcess().Modules.Cast<ProcessModule>()
    .Any(m => m.FileName?.Contains("torch", StringComparison.OrdinalIgnoreCase) == true);
bool torchSharp = AppDomain.CurrentDomain.GetAssemblies()
    .Any(a => a.GetName().Name?.Contains("TorchSharp", StringComparison.OrdinalIgnoreCase) == true);
Console.WriteLine($"native-torch-loaded: {nativeTorch}");
Console.WriteLine($"torchsharp-assembly-loaded: {torchSharp}");
return 0;
