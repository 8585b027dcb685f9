// Benchmarks of Microsoft.ML.AdaptiveWidth (not part of the test run). Prints markdown tables.
//   dotnet run --project test/Microsoft.ML.AdaptiveWidth.Benchmarks -c Release -- epoch-cost [--rows N] [--epochs E]
//   ... -- compression [--quick] [--seeds N] [--no-fashion]   (writes docs/compression.md and docs/compression/*.png)
//   ... -- smoke      (tiny sizes, seconds; run by the test suite so the program cannot rot; includes compression --quick)
using System.Runtime.InteropServices;
using Microsoft.ML.AdaptiveWidth.Benchmarks;

string study = args.Length > 0 ? args[0] : "epoch-cost";
bool smoke = study == "smoke";
if (study == "compression")
{
    // Writes its own header (machine, command, seeds) into the document.
    return CompressionStudy.Run(args, quick: args.Contains("--quick"));
}
int rows = int.Parse(Argument("--rows", smoke ? "512" : "20000"));
int epochs = int.Parse(Argument("--epochs", smoke ? "3" : "15"));

Console.WriteLine($"# Microsoft.ML.AdaptiveWidth benchmarks: {study}");
Console.WriteLine($"Machine: {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, {RuntimeInformation.ProcessArchitecture}, .NET {Environment.Version}; {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
Console.WriteLine($"Command: {Environment.CommandLine}; 1 intra-op thread; batch 128; medians over epochs 2..{epochs}");
Console.WriteLine();
switch (study)
{
    case "epoch-cost":
    case "smoke":
        foreach (string line in EpochCostStudy.Run(rows, epochs))
        {
            Console.WriteLine(line);
        }
        if (smoke)
        {
            Console.WriteLine();
            return CompressionStudy.Run(["compression", "--quick"], quick: true);
        }
        return 0;
    case "step-cost":
        foreach (string line in StepCostStudy.Run(2000))
        {
            Console.WriteLine(line);
        }
        return 0;
    default:
        Console.Error.WriteLine($"Unknown study '{study}'. Studies: epoch-cost, step-cost, compression, smoke.");
        return 2;
}

string Argument(string name, string fallback)
{
    int at = Array.IndexOf(args, name);
    return at >= 0 && at + 1 < args.Length ? args[at + 1] : fallback;
}
