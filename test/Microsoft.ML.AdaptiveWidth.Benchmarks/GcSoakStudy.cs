using System.Diagnostics;
using System.Globalization;
using Microsoft.ML.AdaptiveWidth.Inference;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.AdaptiveWidth;

namespace Microsoft.ML.AdaptiveWidth.Benchmarks;

/// <summary>
/// Issue 13's soak: hundreds of fits of random tasks, sizes and options through the ML.NET trainers while another
/// thread forces full blocking collections and waits for finalizers in a loop, the condition under which TorchSharp's
/// finalizers used to free a Scalar that libtorch was still reading (Training/TorchScalars.cs). Reports fits, failures
/// (with their messages), quality floor violations, collections forced and peak memory; writes docs/gc-soak.md.
/// </summary>
internal static class GcSoakStudy
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>One fit's draw.</summary>
    private sealed record Draw(int Index, string Task, int Rows, int Features, int Classes, TrainingDataMode Mode, bool Compress,
        int Layers, ActivationKind Activation, int BatchSize, int MaxEpoch, double WidthRegularization, bool Weights, int Seed)
    {
        public override string ToString()
            => $"#{Index} {Task} {Rows}x{Features}{(Task == "multiclass" ? $" ({Classes} classes)" : "")} {Mode} layers {Layers} " +
               $"{Activation} batch {BatchSize} epochs {MaxEpoch}{(Compress ? " compressed" : "")}" +
               $"{(WidthRegularization > 0 ? $" s={WidthRegularization}" : "")}{(Weights ? " weighted" : "")} seed {Seed}";
    }

    public static int Run(string[] args, bool quick)
    {
        int fits = int.Parse(CommandLine.Argument(args, "--fits", quick ? "6" : "300"), Inv);
        int seed = int.Parse(CommandLine.Argument(args, "--seed", "13"), Inv);
        bool write = !quick && !args.Contains("--no-write");
        var random = new Random(seed);
        var failures = new List<string>();
        var poor = new List<string>();
        var counts = new Dictionary<string, int>();
        long collections = 0;
        using var stop = new CancellationTokenSource();
        var pressure = new Thread(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                GC.Collect(2, GCCollectionMode.Forced, blocking: true);
                GC.WaitForPendingFinalizers();
                Interlocked.Increment(ref collections);
            }
        })
        { IsBackground = true, Name = "GC pressure" };
        var clock = Stopwatch.StartNew();
        pressure.Start();
        for (int i = 1; i <= fits; i++)
        {
            Draw draw = Next(random, i, quick);
            string key = $"{draw.Task} {draw.Mode}{(draw.Compress ? " compressed" : "")}";
            counts[key] = counts.GetValueOrDefault(key) + 1;
            try
            {
                double quality = Fit(draw);
                // A fit that completes with corrupted parameters shows as chance-level quality on easy, noiseless data.
                double floor = draw.Task == "regression" ? 0.2 : draw.Task == "binary" ? 0.6 : 1.2 / draw.Classes;
                if (!(quality >= floor))
                {
                    poor.Add($"{draw}: quality {quality:F3} below {floor:F2}");
                }
            }
            catch (Exception e)
            {
                failures.Add($"{draw}: {e.GetType().Name}: {e.Message.Split('\n')[0]}");
            }
            if (i % 10 == 0 || i == fits)
            {
                Console.Error.WriteLine($"gc-soak: {i}/{fits} fits, {failures.Count} failed, {Interlocked.Read(ref collections)} collections, " +
                                        $"peak {ScaleStudy.PeakResidentMegabytes():F0} MB, {clock.Elapsed.TotalMinutes:F1} min");
            }
        }
        stop.Cancel();
        pressure.Join();

        var lines = new List<string>
        {
            "# Training under garbage-collection pressure (issue 13 soak)",
            "",
            $"- Machine: {MachineInfo.Describe()}",
            $"- Date: {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC",
            $"- Command: `dotnet run --project test/Microsoft.ML.AdaptiveWidth.Benchmarks -c Release -- gc-soak{(args.Length > 1 ? " " + string.Join(' ', args.Skip(1)) : "")}`",
            $"- What: {fits} fits through `mlContext.*.Trainers.AdaptiveWidth(options)`, each drawn at random (seed {seed}): task " +
            "(binary, multiclass with 3-12 classes, regression), 200-4,000 rows x 2-40 generated features, in memory or streaming " +
            "(shuffle buffer 256 rows), with or without compression (tolerance 1 point / 1%), 1-2 adaptive layers, ReLU6 / ReLU / " +
            "LeakyReLU, batch 16-256, 3-25 epochs, width regularisation on in a quarter of the fits, example weights in a fifth; " +
            "meanwhile another thread loops `GC.Collect(2, Forced, blocking)` + `GC.WaitForPendingFinalizers()`.",
            "",
            "| fits | failed | below quality floor | collections forced | peak resident memory | time |",
            "|---|---|---|---|---|---|",
            $"| {fits} | {failures.Count} | {poor.Count} | {Interlocked.Read(ref collections):N0} | {ScaleStudy.PeakResidentMegabytes():F0} MB | " +
            $"{clock.Elapsed.TotalMinutes:F1} min |",
            "",
            "Fits per kind: " + string.Join(", ", counts.OrderBy(c => c.Key).Select(c => $"{c.Key} {c.Value}")) + ".",
            "",
            "The quality floor (accuracy 0.6 binary, 1.2/classes multiclass, R² 0.2 regression, on the training rows of noiseless " +
            "generated data) catches a fit that completes with corrupted parameters.",
        };
        if (failures.Count > 0 || poor.Count > 0)
        {
            lines.Add("");
            lines.Add("## Failures");
            lines.Add("");
            lines.AddRange(failures.Concat(poor).Select(f => "- " + f));
        }
        foreach (string line in lines)
        {
            Console.WriteLine(line);
        }
        if (write)
        {
            string root = MachineInfo.RepositoryRoot() ?? throw new InvalidOperationException("Repository root (AdaptiveWidth.sln) not found.");
            File.WriteAllLines(Path.Combine(root, "docs", "gc-soak.md"), lines);
        }
        return failures.Count == 0 ? 0 : 1;
    }

    private static Draw Next(Random random, int index, bool quick)
    {
        string task = (quick ? index % 3 : random.Next(3)) switch { 0 => "binary", 1 => "multiclass", _ => "regression" };
        return new Draw(index, task,
            Rows: quick ? 300 : random.Next(200, 4001),
            Features: random.Next(2, quick ? 9 : 41),
            Classes: random.Next(3, 13),
            Mode: (quick ? index / 3 % 2 == 1 : random.Next(2) == 1) ? TrainingDataMode.Streaming : TrainingDataMode.InMemory,
            Compress: quick || random.Next(2) == 1,
            Layers: random.Next(1, 3),
            Activation: new[] { ActivationKind.ReLU6, ActivationKind.ReLU, ActivationKind.LeakyReLU }[random.Next(3)],
            BatchSize: new[] { 16, 32, 64, 128, 256 }[random.Next(5)],
            MaxEpoch: quick ? 3 : random.Next(3, 26),
            WidthRegularization: random.Next(4) == 0 ? 0.5 : 0,
            Weights: random.Next(5) == 0,
            Seed: random.Next());
    }

    /// <summary>Trains one draw and returns its quality on the training rows (accuracy, or R² for regression).</summary>
    private static double Fit(Draw d)
    {
        var ml = new MLContext(seed: d.Seed);
        var random = new Random(d.Seed);
        float[] teacher = Enumerable.Range(0, d.Features * d.Classes).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var rows = new List<SoakRow>(d.Rows);
        for (int r = 0; r < d.Rows; r++)
        {
            float[] x = Enumerable.Range(0, d.Features).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
            float[] z = Enumerable.Range(0, d.Classes).Select(c => Enumerable.Range(0, d.Features).Sum(j => teacher[c * d.Features + j] * x[j])).ToArray();
            float label = d.Task switch
            {
                "binary" => z[0] > 0 ? 1 : 0,
                "multiclass" => Array.IndexOf(z, z.Max()),
                _ => z[0] + 0.5f * MathF.Sin(3 * x[0]),
            };
            rows.Add(new SoakRow { Label = label, Features = x, Weight = d.Weights ? (float)(0.5 + random.NextDouble()) : 1 });
        }
        SchemaDefinition schema = SchemaDefinition.Create(typeof(SoakRow));
        schema["Features"].ColumnType = new VectorDataViewType(NumberDataViewType.Single, d.Features);
        IDataView data = ml.Data.LoadFromEnumerable(rows, schema);

        T Options<T>(T o) where T : AdaptiveWidthOptionsBase
        {
            o.DataMode = d.Mode;
            o.ShuffleBufferRows = 256;
            o.CompressionTolerance = d.Compress ? 1.0 : null;
            o.NumberOfLayers = d.Layers;
            o.Activation = d.Activation;
            o.BatchSize = d.BatchSize;
            o.MaxEpoch = d.MaxEpoch;
            o.WidthRegularization = d.WidthRegularization;
            o.ExampleWeightColumnName = d.Weights ? nameof(SoakRow.Weight) : null;
            return o;
        }
        switch (d.Task)
        {
            case "binary":
            {
                IDataView binary = ml.Transforms.Conversion.ConvertType("Label", outputKind: DataKind.Boolean).Fit(data).Transform(data);
                var model = ml.BinaryClassification.Trainers.AdaptiveWidth(Options(new AdaptiveWidthBinaryTrainer.Options())).Fit(binary);
                return ml.BinaryClassification.Evaluate(model.Transform(binary)).Accuracy;
            }
            case "multiclass":
            {
                IDataView keyed = ml.Transforms.Conversion.MapValueToKey("Label").Fit(data).Transform(data);
                var model = ml.MulticlassClassification.Trainers.AdaptiveWidth(Options(new AdaptiveWidthMulticlassTrainer.Options())).Fit(keyed);
                return ml.MulticlassClassification.Evaluate(model.Transform(keyed)).MicroAccuracy;
            }
            default:
            {
                var model = ml.Regression.Trainers.AdaptiveWidth(Options(new AdaptiveWidthRegressionTrainer.Options())).Fit(data);
                return ml.Regression.Evaluate(model.Transform(data)).RSquared;
            }
        }
    }

    private sealed class SoakRow
    {
        public float Label { get; set; }

        public float[] Features { get; set; } = [];

        public float Weight { get; set; }
    }
}
