// Benchmarks of Microsoft.ML.AdaptiveWidth (not part of the test run). Prints markdown tables.
//   dotnet run --project test/Microsoft.ML.AdaptiveWidth.Benchmarks -c Release -- epoch-cost [--rows N] [--epochs E]
//   ... -- trainers [--quick] [--no-write] [--require-fashion] [--fashion-train-rows N]
//          (AdaptiveWidth vs LightGBM, FastTree, SDCA; writes docs/benchmarks-trainers.md unless --quick or --no-write;
//           needs `bash build/fetch-fashion-mnist.sh` for the Fashion-MNIST table, skipped with a message otherwise)
//   ... -- step-cost [--shape 50-1024-10] [--fixed] [--reps N]   (µs of the pieces of one training step)
//   ... -- smoke      (tiny sizes, seconds; run by the test suite so the program cannot rot; writes no files;
//                      runs epoch-cost, trainers --quick (without Fashion-MNIST), compression --quick, no-tuning --quick,
//                      scale --quick, training-speed --quick, gc-soak --quick and realdata --quick)
//   ... -- compression [--quick] [--seeds N] [--no-fashion]   (writes docs/compression.md and docs/compression/*.png)
//   ... -- optimizer-state [--seeds N]   (keeping vs resetting Adam moments across width changes)
//   ... -- paper [--quick] [--seeds N] [--grid-seeds N] [--small-seeds N] [--parts 1,5,6]
//          (issue 9 studies 1, 5, 6: Table 1 synthetic rows vs the paper and a trimmed fixed-width grid, width stability,
//           width vs difficulty; writes docs/paper.md and docs/paper/*.png unless --quick; not run by smoke, too long)
//   ... -- scale [--quick] [--repetitions N] [--no-10m]
//          (time and peak memory against rows 10k/100k/1M and learned width, in memory vs streaming, and one epoch over
//           10 million streamed rows; each run in a child process; writes docs/scale.md and docs/scale/*.png unless --quick)
//   ... -- no-tuning [--quick] [--no-write] [--seeds N] [--fashion-seeds N] [--fashion-train-rows N] [--no-fashion] [--only NAME,..]
//          (issue 9 study 2: the default trainer vs the best of a trimmed fixed-width grid on real data, test metric and
//           training time; writes docs/no-tuning.md unless --quick or --no-write; exits 3 when Fashion-MNIST is not
//           fetched, unless --quick or --no-fashion)
//   ... -- gc-soak [--quick] [--no-write] [--fits N] [--seed S]
//          (issue 13: N fits (300) of random tasks, sizes and options while another thread forces full collections and
//           finalizers; fits, failures, peak memory; writes docs/gc-soak.md unless --quick or --no-write; smoke runs --quick)
//   ... -- realdata [--quick] [--no-write] [--seeds N] [--first-seed N] [--only NAME,..] [--large | --holdout]
//          (issue 15: every set of the public real-data suite through the usual ML.NET pipeline, ours with default options after
//           NormalizeMinMax / NormalizeMeanVariance / no normalizer vs LightGBM, FastTree, SDCA, L-BFGS; needs
//           `bash build/fetch-tabular-suite.sh` (exit code 3 without it; --quick skips with a message); writes docs/realdata.md
//           unless --quick or --no-write; smoke runs --quick; --large: the suite's larger supplement instead (5 sets of 20,000
//           to 61,395 rows, `bash build/fetch-tabular-suite.sh --large`), written to docs/realdata-large.md; --holdout: 23
//           held-out sets no default was chosen on (mlbench, AER; `bash build/fetch-tabular-suite.sh --holdout`), written to
//           docs/realdata-holdout.md); --first-seed N: ours with MLContext seeds N, N + 1, ... (a recipe comparison's noise
//           floor; does not write the documents)
//   ... -- sparse [--quick]   (500,000 sparse features: training memory and time; scoring time at two vocabulary sizes)
//   ... -- summary   (writes docs/benchmarks.md from the study documents: headers and headline tables, copied)
//   ... -- all       (every study in full, in turn, then summary; about two hours; stops at the first study that fails;
//                     needs `bash build/fetch-tabular-suite.sh` with no argument, with --large and with --holdout first)
//   ... -- training-speed [--quick] [--no-write] [--rows N] [--epochs E] [--reps R] [--shapes 50-1024-10,...] [--no-pytorch] [--python PATH]
//          (issue 9 study 4: fixed and adaptive epoch times vs the arithmetic bound (libtorch sgemm rate measured in the run)
//           and vs PyTorch on the same MLPs when /usr/bin/python3 imports torch (skipped with a message otherwise);
//           writes docs/training-speed.md unless --quick or --no-write; smoke runs --quick)
using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.ML.AdaptiveWidth.Benchmarks;

CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
string study = args.Length > 0 ? args[0] : "epoch-cost";
bool smoke = study == "smoke";
string command = "dotnet run --project test/Microsoft.ML.AdaptiveWidth.Benchmarks -c Release -- " + string.Join(' ', args);
if (study == "paper")
{
    // Writes its own header (machine, command, seeds) into the document.
    return PaperStudy.Run(args);
}

if (study == "summary")
{
    return BenchmarkSummary.Write();
}

if (study == "all")
{
    // Each study writes its own document; the summary then copies their headline tables.
    string[][] runs =
    [
        ["paper", "--seeds", "10"], ["no-tuning"], ["trainers", "--require-fashion"], ["training-speed"], ["compression"], ["scale"],
        ["realdata"], ["realdata", "--large"], ["realdata", "--holdout"],
    ];
    foreach (string[] run in runs)
    {
        Console.Error.WriteLine($"== {string.Join(' ', run)}");
        int exit = RunStudy(run);
        if (exit != 0)
        {
            Console.Error.WriteLine($"The study '{string.Join(' ', run)}' failed with exit code {exit}; stopping.");
            return exit;
        }
    }
    return BenchmarkSummary.Write();
}

if (study == "sparse")
{
    // Issue 17: a 500,000-feature sparse input trained with the defaults, and sparse scoring time (docs/text.md).
    return SparseStudy.Run(args);
}

if (study == "scale")
{
    return ScaleStudy.Run(args);
}

if (study == "scale-run")
{
    // One child run of the scale study.
    return ScaleStudy.RunOne(args);
}

if (study == "no-tuning")
{
    // Writes its own header (machine, command, seeds) into the document.
    return NoTuningStudy.Run(args, quick: args.Contains("--quick"));
}

if (study == "gc-soak")
{
    // Issue 13: fits of random tasks and options while another thread forces collections; writes docs/gc-soak.md.
    return GcSoakStudy.Run(args, quick: args.Contains("--quick"));
}

if (study == "realdata")
{
    // Writes its own header (machine, command, seeds) into the document.
    return RealDataStudy.Run(args, quick: args.Contains("--quick"));
}

if (study == "compression")
{
    // Writes its own header (machine, command, seeds) into the document.
    return CompressionStudy.Run(args, quick: args.Contains("--quick"));
}

switch (study)
{
    case "epoch-cost":
    case "smoke":
    {
        int rows = int.Parse(Argument("--rows", smoke ? "512" : "20000"), CultureInfo.InvariantCulture);
        int epochs = int.Parse(Argument("--epochs", smoke ? "3" : "15"), CultureInfo.InvariantCulture);
        Console.WriteLine($"# Microsoft.ML.AdaptiveWidth benchmarks: {study}");
        Console.WriteLine($"Machine: {Environment.ProcessorCount} cores, {RuntimeInformation.OSDescription}, {RuntimeInformation.ProcessArchitecture}, .NET {Environment.Version}; {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        Console.WriteLine($"Command: {Environment.CommandLine}; 1 intra-op thread; batch 128; medians over epochs 2..{epochs}");
        Console.WriteLine();
        Console.WriteLine("## Epoch cost: adaptive vs fixed width");
        Console.WriteLine();
        foreach (string line in EpochCostStudy.Run(rows, epochs))
        {
            Console.WriteLine(line);
        }

        Console.WriteLine();
        if (smoke)
        {
            int trainers = Trainers(quick: true, write: false, skipFashion: true);
            Console.WriteLine();
            if (trainers != 0)
            {
                return trainers;
            }
            int compression = CompressionStudy.Run(["compression", "--quick"], quick: true);
            if (compression != 0)
            {
                return compression;
            }
            Console.WriteLine();
            int noTuning = NoTuningStudy.Run(["smoke"], quick: true);
            Console.WriteLine();
            int scale = noTuning != 0 ? noTuning : ScaleStudy.Run(["scale", "--quick"]);
            Console.WriteLine();
            int speed = scale != 0 ? scale : TrainingSpeedStudy.Run(["training-speed", "--quick"], quick: true, smoke: true);
            Console.WriteLine();
            int soak = speed != 0 ? speed : GcSoakStudy.Run(["gc-soak", "--quick"], quick: true);
            Console.WriteLine();
            return soak != 0 ? soak : RealDataStudy.Run(["smoke"], quick: true);
        }
        return 0;
    }

    case "step-cost":
    {
        // --shape 50-1024-10 (inputs-hidden...-outputs), --fixed for a plain network, --reps N.
        int[] shape = Argument("--shape", "2-232-1").Split('-').Select(v => int.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        foreach (string line in StepCostStudy.Run(int.Parse(Argument("--reps", "2000"), CultureInfo.InvariantCulture), shape[0], shape[1],
            shape.Length - 2, shape[^1], adaptive: !args.Contains("--fixed")))
        {
            Console.WriteLine(line);
        }
        return 0;
    }
    case "optimizer-state":
        Console.WriteLine($"# Optimizer state across width changes; {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; {command}");
        foreach (string line in OptimizerStateStudy.Run(int.Parse(Argument("--seeds", "3"), CultureInfo.InvariantCulture), args.Contains("--quick")))
        {
            Console.WriteLine(line);
        }
        return 0;
    case "training-speed":
        return TrainingSpeedStudy.Run(args, quick: args.Contains("--quick"), smoke: false);
    case "trainers":
        return Trainers(quick: args.Contains("--quick"), write: !args.Contains("--no-write") && !args.Contains("--quick"));
    default:
        Console.Error.WriteLine($"Unknown study '{study}'. Studies: epoch-cost, step-cost, optimizer-state, trainers, compression, paper, no-tuning, training-speed, scale, gc-soak, realdata, summary, all, smoke.");
        return 2;
}

int Trainers(bool quick, bool write, bool skipFashion = false)
{
    bool requireFashion = args.Contains("--require-fashion");
    TrainerComparisonStudy.Settings settings = quick
        ? TrainerComparisonStudy.Settings.QuickRun(requireFashion)
        : TrainerComparisonStudy.Settings.Full(requireFashion);
    settings = settings with
    {
        SkipFashion = skipFashion,
        FashionTrainRows = int.Parse(Argument("--fashion-train-rows", settings.FashionTrainRows.ToString(CultureInfo.InvariantCulture)), CultureInfo.InvariantCulture),
    };

    var lines = new List<string>();
    void Report(string line)
    {
        Console.WriteLine(line);
        lines.Add(line);
    }

    // The ML.NET it ran on (MLNetVersion of the build): the title stays true when the repository moves to another release.
    string mlnetVersion = typeof(Microsoft.ML.MLContext).Assembly.GetCustomAttributes(false)
        .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().Single().InformationalVersion.Split('+')[0];
    Report($"# Trainer comparison: AdaptiveWidth vs LightGBM, FastTree and SDCA (ML.NET {mlnetVersion})");
    Report("");
    Report($"- Machine: {MachineInfo.CpuModel()}, {Environment.ProcessorCount} logical cores");
    Report($"- OS: {RuntimeInformation.OSDescription} ({RuntimeInformation.ProcessArchitecture}); .NET {Environment.Version}");
    Report($"- Date: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
    Report($"- Command: `{(smoke ? "dotnet run --project test/Microsoft.ML.AdaptiveWidth.Benchmarks -c Release -- smoke" : command)}`" +
           (quick ? " (quick mode)" : ""));
    Report("- Noise: other processes were running on this machine during the run, so absolute times are noisy; compare the " +
           "medians and the ratios, which were measured in the same run, one trainer after the other.");
    Report("");
    int exit = TrainerComparisonStudy.Run(settings, Report);
    if (write)
    {
        string? root = MachineInfo.RepositoryRoot();
        if (root is null)
        {
            Console.Error.WriteLine("Could not find the repository root (AdaptiveWidth.sln); the report was not written.");
            return 4;
        }

        string path = Path.Combine(root, "docs", "benchmarks-trainers.md");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllLines(path, lines);
        Console.Error.WriteLine($"Wrote {path}");
    }

    if (exit == TrainerComparisonStudy.FashionMissingExitCode)
    {
        Console.Error.WriteLine("Fashion-MNIST is not fetched and --require-fashion was given: run `bash build/fetch-fashion-mnist.sh`.");
    }

    return exit;
}

string Argument(string name, string fallback) => CommandLine.Argument(args, name, fallback);

// Runs one study as its own process of this program, so that studies do not share process state (libtorch threads,
// peak memory) and each document's "Command" line is the command that reproduces it.
static int RunStudy(string[] arguments)
{
    using var process = System.Diagnostics.Process.Start(CommandLine.Self(arguments, redirectOutput: false))!;
    process.WaitForExit();
    return process.ExitCode;
}
