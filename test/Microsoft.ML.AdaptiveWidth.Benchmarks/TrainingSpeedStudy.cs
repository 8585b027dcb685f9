using System.Globalization;
using System.Text;
using Microsoft.ML.AdaptiveWidth.Training;

namespace Microsoft.ML.AdaptiveWidth.Benchmarks;

/// <summary>
/// Issue 9, study 4, "Training speed": per MLP shape, the epoch time of a fixed-width network and of the adaptive
/// network through our training loop, against the arithmetic bound (multiply-adds per epoch over libtorch's sgemm rate
/// measured in the same process) and against PyTorch training the same MLP on the same rows (when /usr/bin/python3
/// imports torch; skipped with a message otherwise). Writes docs/training-speed.md in full mode.
/// </summary>
internal static class TrainingSpeedStudy
{
    private const int Batch = 128;
    private const double LearningRate = 0.01;
    private const int Threads = 1;
    private const double AdaptiveOverFixedGoal = 1.3;
    private const double PyTorchGoal = 1.5;
    private const double BoundGoal = 3.0;
    private const int BoundGoalMinWidth = 256;

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>An MLP shape: inputs, hidden widths, classes (multiclass cross-entropy over <see cref="Classes"/> outputs).</summary>
    private sealed record Shape(int Features, int[] Hidden, int Classes)
    {
        public string Name => $"{Features}-{string.Join("-", Hidden)}-{Classes}";

        public long MultiplyAdds => MultiplyAddsAt(Hidden);

        /// <summary>Forward multiply-adds per row of the weight matrices (biases and activations are not counted).</summary>
        public long MultiplyAddsAt(IReadOnlyList<int> widths)
        {
            long macs = 0;
            int fanIn = Features;
            foreach (int w in widths)
            {
                macs += (long)fanIn * w;
                fanIn = w;
            }
            return macs + (long)fanIn * Classes;
        }

        /// <summary>The uniform width (same for every hidden layer) whose multiply-adds per row are closest to <paramref name="macs"/>.</summary>
        public int UniformWidthFor(double macs)
        {
            int layers = Hidden.Length;
            double linear = Features + Classes;
            double w = layers == 1 ? macs / linear : (-linear + Math.Sqrt(linear * linear + 4 * (layers - 1) * macs)) / (2 * (layers - 1));
            return Math.Max(2, (int)Math.Round(w));
        }
    }

    /// <summary>One repetition of one shape: median epoch times (epochs 2..E) and what the runs did.</summary>
    private sealed record Measured(
        double FixedMs, double FixedLoss, double AdaptiveMs, double AdaptiveLoss, IReadOnlyList<(double Ms, double Macs)> AdaptiveEpochs,
        int[] AdaptiveFirst, int[] AdaptiveLast, int EqualWidth, double EqualMs, PyTorchRun? PyTorch)
    {
        public double? PyTorchMs => PyTorch is null ? null : Stats.MedianOf(PyTorch.EpochMilliseconds.Skip(1));

        /// <summary>Median over the timed adaptive epochs of the epoch's time over the bound at that epoch's multiply-adds.</summary>
        public double AdaptiveOverBound(int rows, double flopsPerSecond) =>
            Stats.MedianOf(AdaptiveEpochs.Select(e => e.Ms / BoundMs(e.Macs, rows, flopsPerSecond)));
    }

    public static int Run(string[] args, bool quick, bool smoke)
    {
        int rows = quick ? 2048 : int.Parse(Argument(args, "--rows", "20000"), Inv);
        int epochs = quick ? 2 : int.Parse(Argument(args, "--epochs", "6"), Inv);
        int repetitions = quick ? 1 : int.Parse(Argument(args, "--reps", "5"), Inv);
        bool write = !quick && !args.Contains("--no-write");
        string python = Argument(args, "--python", PyTorchReference.DefaultPython);
        if (epochs < 2)
        {
            Console.Error.WriteLine("--epochs must be at least 2 (the first epoch is excluded from the medians).");
            return 2;
        }
        Shape[] shapes = quick
            ? [new Shape(50, [256], 10)]
            : [new Shape(2, [64], 2), new Shape(50, [256], 10), new Shape(50, [1024], 10), new Shape(50, [256, 256], 10)];
        string command = smoke
            ? "dotnet run --project test/Microsoft.ML.AdaptiveWidth.Benchmarks -c Release -- smoke"
            : ("dotnet run --project test/Microsoft.ML.AdaptiveWidth.Benchmarks -c Release -- " + string.Join(' ', args)).TrimEnd();
        string? root = MachineInfo.RepositoryRoot();
        if (write && root is null)
        {
            Console.Error.WriteLine("Could not find the repository root (AdaptiveWidth.sln); the report cannot be written.");
            return 4;
        }

        string loadBefore = CompressionStudy.LoadAverage();
        string started = $"{DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC";
        TorchRuntime.Initialize(Threads);
        (PyTorchReference? pytorch, string skipped) = args.Contains("--no-pytorch") ? (null, "--no-pytorch was given") : PyTorchReference.Find(python);
        Console.Error.WriteLine(pytorch is null ? $"PyTorch comparison skipped: {skipped}." : $"PyTorch comparison with {python}.");

        // Warm-up (JIT, libtorch's first allocations), untimed, so that the first measured run is not penalised.
        AdaptiveWidthNetworkTrainer.Train(NetworkTask.MulticlassClassification, 2, Teacher(512, 2, 2, seed: 1), null,
            FixedSettings(new Shape(2, [16], 2), 16, epochs: 2, seed: 1) with { UseImportance = true, AdaptWidth = true });
        IReadOnlyList<SgemmSize> sgemmBefore = SgemmRate.Measure(quick);
        var results = shapes.ToDictionary(s => s, _ => new List<Measured>());
        var data = shapes.ToDictionary(s => s, s => Teacher(rows, s.Features, s.Classes, seed: s.Features + 1000 * s.Classes));
        string folder = Path.Combine(Path.GetTempPath(), $"adaptive-width-speed-{Environment.ProcessId}");
        Directory.CreateDirectory(folder);
        try
        {
            for (int rep = 1; rep <= repetitions; rep++)
            {
                foreach (Shape shape in shapes)
                {
                    string path = Path.Combine(folder, shape.Name + ".bin");
                    if (pytorch is not null && !File.Exists(path))
                    {
                        PyTorchReference.WriteRows(data[shape], path);
                    }
                    Measured m = Measure(shape, data[shape], epochs, seed: rep, pytorch, path);
                    results[shape].Add(m);
                    Console.Error.WriteLine($"[rep {rep}/{repetitions}] {shape.Name}: fixed {m.FixedMs:F1} ms, adaptive {m.AdaptiveMs:F1} ms " +
                        $"({string.Join("/", m.AdaptiveFirst)} → {string.Join("/", m.AdaptiveLast)}), equal-MACs fixed {m.EqualMs:F1} ms (width {m.EqualWidth})" +
                        (m.PyTorchMs is double p ? $", PyTorch {p:F1} ms" : ""));
                }
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
        IReadOnlyList<SgemmSize> sgemmAfter = SgemmRate.Measure(quick);
        // The bound uses the best rate measured (a higher rate gives a lower, stricter bound).
        double rate = sgemmBefore.Concat(sgemmAfter).Max(s => s.GigaFlops.Median) * 1e9;

        string markdown = Markdown(command, quick, rows, epochs, repetitions, started, loadBefore, sgemmBefore, sgemmAfter, rate, shapes, results,
            pytorch is null ? skipped : null);
        Console.WriteLine(markdown);
        if (write)
        {
            string path = Path.Combine(root!, "docs", "training-speed.md");
            File.WriteAllText(path, markdown);
            Console.Error.WriteLine($"Wrote {path}");
        }
        return 0;

        Measured Measure(Shape shape, TrainingData rowsOfShape, int epochCount, int seed, PyTorchReference? reference, string path)
        {
            var fixedSettings = FixedSettings(shape, shape.Hidden[0], epochCount, seed);
            TrainingResult f = AdaptiveWidthNetworkTrainer.Train(NetworkTask.MulticlassClassification, shape.Classes, rowsOfShape, null, fixedSettings);

            PyTorchRun? py = reference?.Train(path, rowsOfShape, shape.Hidden, shape.Classes, Batch, epochCount, LearningRate,
                weightDecay: 1.0 / rowsOfShape.RowCount, Threads, seed);

            // The adaptive network starts at the shape's width (λ0 whose quantile width it is) and learns its widths.
            var adaptiveSettings = fixedSettings with { AdaptWidth = true, UseImportance = true, RateLowerBound = new TrainingSettings().RateLowerBound };
            TrainingResult a = AdaptiveWidthNetworkTrainer.Train(NetworkTask.MulticlassClassification, shape.Classes, rowsOfShape, null, adaptiveSettings);
            // Epoch e runs between the widths at the end of epochs e−1 and e: its multiply-adds are taken as the mean of the two.
            var timed = new List<(double Ms, double Macs)>();
            for (int e = 2; e <= a.History.Count; e++)
            {
                double macs = (shape.MultiplyAddsAt(a.History[e - 2].Widths) + shape.MultiplyAddsAt(a.History[e - 1].Widths)) / 2.0;
                timed.Add((a.History[e - 1].Elapsed.TotalMilliseconds, macs));
            }

            // A fixed network with the multiply-adds of the adaptive run's median epoch, for the like-for-like ratio.
            int equalWidth = shape.UniformWidthFor(Stats.MedianOf(timed.Select(e => e.Macs)));
            double fixedMs = MedianEpoch(f);
            double equalMs = fixedMs;
            if (equalWidth != shape.Hidden[0])
            {
                TrainingResult eq = AdaptiveWidthNetworkTrainer.Train(NetworkTask.MulticlassClassification, shape.Classes, rowsOfShape, null,
                    FixedSettings(shape, equalWidth, epochCount, seed));
                equalMs = MedianEpoch(eq);
            }
            return new Measured(fixedMs, f.History[^1].TrainingLoss, MedianEpoch(a), a.History[^1].TrainingLoss,
                timed, a.History[0].Widths.ToArray(), a.History[^1].Widths.ToArray(), equalWidth, equalMs, py);
        }
    }

    /// <summary>Arithmetic bound of one epoch in ms: forward + backward ≈ 3 × forward, 2 FLOP per multiply-add.</summary>
    private static double BoundMs(double macsPerRow, int rows, double flopsPerSecond) => 3 * 2 * macsPerRow * rows / flopsPerSecond * 1000;

    /// <summary>A fixed-width plain MLP through our loop: λ frozen at the rate whose quantile width is <paramref name="width"/>, no importance.</summary>
    private static TrainingSettings FixedSettings(Shape shape, int width, int epochs, int seed)
    {
        var settings = new TrainingSettings
        {
            HiddenLayerCount = shape.Hidden.Length,
            AdaptWidth = false,
            UseImportance = false,
            RateLowerBound = null,
            InitialRate = -Math.Log(1 - 0.9) / (width - 1.5),
            Quantile = 0.9,
            LearningRate = LearningRate,
            BatchSize = Batch,
            MaxEpochs = epochs,
            EarlyStoppingPatience = 0,
            Seed = seed,
            IntraOpThreads = Threads,
        };
        if (settings.InitialWidth != width)
        {
            throw new InvalidOperationException($"The rate for width {width} gives {settings.InitialWidth}.");
        }
        return settings;
    }

    private static double MedianEpoch(TrainingResult r) => Stats.MedianOf(r.History.Skip(1).Select(h => h.Elapsed.TotalMilliseconds));

    private static string Markdown(string command, bool quick, int rows, int epochs, int repetitions, string started, string loadBefore,
        IReadOnlyList<SgemmSize> before, IReadOnlyList<SgemmSize> after, double rate, Shape[] shapes, Dictionary<Shape, List<Measured>> results,
        string? pytorchSkipped)
    {
        var md = new StringBuilder();
        void Line(string s = "") => md.Append(s).Append('\n');
        PyTorchRun? anyPy = results.Values.SelectMany(m => m).Select(m => m.PyTorch).FirstOrDefault(p => p is not null);

        Line("# Training speed: adaptive vs fixed width, the arithmetic bound, and PyTorch");
        Line();
        Line("Generated by the benchmark program (issue 9, study 4); every number below was measured in the run described here." +
            (quick ? " **Quick mode: tiny sizes, the numbers mean nothing.**" : ""));
        Line();
        Line($"- Command: `{command}` (from the repository root)");
        Line($"- Machine: {MachineInfo.Describe()}; TorchSharp {typeof(TorchSharp.torch).Assembly.GetName().Version} (libtorch CPU)");
        Line($"- Date: started {started}, finished {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        Line($"- The machine is shared with other agents' builds and benchmarks (load average at the start {loadBefore}, at the end {CompressionStudy.LoadAverage()}), " +
            "so wall times are noisy: each configuration is repeated and medians are reported, and every ratio compares runs made one after the other in the same repetition.");
        Line($"- Repetitions: {repetitions}. In each, for each shape in turn: our fixed-width network, PyTorch, our adaptive network, our fixed network of " +
            $"the adaptive run's multiply-adds; each trains {epochs} epochs on {rows:N0} rows. A run's time is its median epoch over epochs 2..{epochs} (the first, " +
            "with allocation and warm-up, is excluded). Tables give the median over repetitions and, in brackets, the min–max of the repetitions.");
        Line($"- Training: batch {Batch}, Adam (lr {LearningRate}, β 0.9/0.999, ε 1e-8) with the weight prior as L2 weight decay 1/N, ReLU6, mean cross-entropy, " +
            $"{Threads} intra-op thread, no validation set; data: Gaussian features labelled by a random tanh teacher network (argmax over the classes).");
        Line("- Ours: `AdaptiveWidthNetworkTrainer.Train` (one flat parameter buffer, `FlatAdam`, `TrainingLoop`). \"Fixed\" is `AdaptWidth = false, UseImportance = false`: " +
            "a plain MLP of the shape's width through the same loop. \"Adaptive\" starts at the shape's width (λ0 whose 0.9-quantile width it is) and learns the widths (default settings otherwise).");
        Line(pytorchSkipped is null
            ? $"- PyTorch: {anyPy?.Version} under `{PyTorchReference.DefaultPython}`, BLAS loaded: {string.Join(", ", anyPy?.Blas.Select(b => $"`{b}`") ?? [])}; " +
              $"`torch.set_num_threads({anyPy?.Threads})`, OMP/OpenBLAS/MKL_NUM_THREADS=1. Script `test/Microsoft.ML.AdaptiveWidth.Benchmarks/pytorch_mlp.py`: `nn.Sequential` of " +
              "`Linear`/`ReLU6`, `torch.optim.Adam(weight_decay=1/N)`, one `randperm` per epoch, no `.item()` per batch; same rows (written to a file), same batch, epochs and thread count."
            : $"- PyTorch: **skipped** ({pytorchSkipped}).");
        Line();

        Line("## libtorch sgemm rate (the machine's arithmetic limit)");
        Line();
        Line("`torch.mm` in this process, 1 thread, GFLOP/s = 2·m·k·n per product / wall time; median (min–max) over batches of products, measured before and after the training runs.");
        Line();
        Line("| product | before the runs | after the runs |");
        Line("|---|---|---|");
        for (int i = 0; i < before.Count; i++)
        {
            Line($"| {before[i].Name} | {before[i].GigaFlops.Format("F1")} | {after[i].GigaFlops.Format("F1")} |");
        }
        Line();
        Line($"Rate used for the bound: **{rate / 1e9:F1} GFLOP/s**, the highest median above (a higher rate gives a lower, stricter bound).");
        Line();
        Line("**Arithmetic bound** of one epoch = 3 × 2 × MACs × rows / rate, where MACs is the forward multiply-adds per row of the weight matrices " +
            "(Σ fan-in × fan-out over the layers; biases, activations, loss and optimizer are not counted) and forward + backward ≈ 3 × forward " +
            "(the backward pass computes two products of the forward's size: the input gradient and the weight gradient).");
        Line();

        Line("## Ours: fixed and adaptive against the bound");
        Line();
        Line("| shape | MACs/row | bound ms/epoch | fixed ms/epoch | fixed / bound | adaptive widths (end of epoch 1 → last) | adaptive ms/epoch | adaptive / bound | fixed of equal MACs: width, ms/epoch | adaptive / equal-MACs fixed | adaptive / fixed of the shape |");
        Line("|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (Shape s in shapes)
        {
            List<Measured> m = results[s];
            double bound = BoundMs(s.MultiplyAdds, rows, rate);
            string widths = string.Join("; ", m.Select(x => $"{string.Join("/", x.AdaptiveFirst)} → {string.Join("/", x.AdaptiveLast)}").Distinct().Take(3));
            Line($"| {s.Name} | {s.MultiplyAdds:N0} | {bound:F2} | {Stats.Of(m.Select(x => x.FixedMs)).Format("F1")} | {Stats.Of(m.Select(x => x.FixedMs / bound)).Format("F1")}x | " +
                $"{widths} | {Stats.Of(m.Select(x => x.AdaptiveMs)).Format("F1")} | {Stats.Of(m.Select(x => x.AdaptiveOverBound(rows, rate))).Format("F1")}x | " +
                $"{string.Join("/", m.Select(x => x.EqualWidth).Distinct())}: {Stats.Of(m.Select(x => x.EqualMs)).Format("F1")} | " +
                $"{Stats.Of(m.Select(x => x.AdaptiveMs / x.EqualMs)).Format("F2")}x | {Stats.Of(m.Select(x => x.AdaptiveMs / x.FixedMs)).Format("F2")}x |");
        }
        Line();
        Line("\"adaptive / bound\" divides each adaptive epoch by the bound at that epoch's widths (the mean of the multiply-adds at its start and end), then takes the median. " +
            "\"Fixed of equal MACs\" is a plain network whose uniform hidden width gives the multiply-adds of the adaptive run's median epoch " +
            "(the adaptive widths move, so this is the like-for-like cost of adaptivity; it is the shape's own fixed run when the width is the same).");
        Line();

        Line("## Ours vs PyTorch on the same fixed-width MLP");
        Line();
        if (pytorchSkipped is not null)
        {
            Line($"Skipped: {pytorchSkipped}.");
        }
        else
        {
            Line("| shape | PyTorch ms/epoch | our fixed ms/epoch | PyTorch rows/s | our rows/s | our rows/s ÷ PyTorch's | last-epoch training loss, ours / PyTorch |");
            Line("|---|---|---|---|---|---|---|");
            foreach (Shape s in shapes)
            {
                List<Measured> m = results[s];
                Line($"| {s.Name} | {Stats.Of(m.Select(x => x.PyTorchMs!.Value)).Format("F1")} | {Stats.Of(m.Select(x => x.FixedMs)).Format("F1")} | " +
                    $"{Stats.MedianOf(m.Select(x => rows / x.PyTorchMs!.Value * 1000)):N0} | {Stats.MedianOf(m.Select(x => rows / x.FixedMs * 1000)):N0} | " +
                    $"{Stats.Of(m.Select(x => x.PyTorchMs!.Value / x.FixedMs)).Format("F2")}x | " +
                    $"{Stats.MedianOf(m.Select(x => x.FixedLoss)):F3} / {Stats.MedianOf(m.Select(x => x.PyTorch!.FinalLoss)):F3} |");
            }
            Line();
            Line("The losses are a check that both sides do the same work (they differ in initialisation and shuffling, so they are close, not equal).");
        }
        Line();

        Line("## Goals");
        Line();
        Line("| goal | shape | measured (median, min–max over repetitions) | met? |");
        Line("|---|---|---|---|");
        foreach (Shape s in shapes)
        {
            Stats ratio = Stats.Of(results[s].Select(x => x.AdaptiveMs / x.EqualMs));
            Line($"| adaptive epoch ≤ {AdaptiveOverFixedGoal}x a fixed one of the same multiply-adds | {s.Name} | {ratio.Format("F2")}x | {Verdict(ratio.Median <= AdaptiveOverFixedGoal)} |");
        }
        foreach (Shape s in shapes.Where(s => s.Hidden.Min() >= BoundGoalMinWidth))
        {
            Stats ratio = Stats.Of(results[s].Select(x => x.AdaptiveOverBound(rows, rate)));
            Line($"| adaptive epoch ≤ {BoundGoal}x the arithmetic bound (widths ≥ {BoundGoalMinWidth}) | {s.Name} | {ratio.Format("F1")}x | {Verdict(ratio.Median <= BoundGoal)} |");
        }
        if (pytorchSkipped is null)
        {
            foreach (Shape s in shapes)
            {
                Stats ratio = Stats.Of(results[s].Select(x => x.PyTorchMs!.Value / x.FixedMs));
                Line($"| fixed-width rows/s ≥ {PyTorchGoal}x PyTorch's | {s.Name} | {ratio.Format("F2")}x | {Verdict(ratio.Median >= PyTorchGoal)} |");
            }
        }
        else
        {
            Line($"| fixed-width rows/s ≥ {PyTorchGoal}x PyTorch's | all | not measured (PyTorch skipped) | — |");
        }
        Line();
        return md.ToString();
    }

    private static string Verdict(bool met) => met ? "met" : "**missed**";

    /// <summary>Gaussian features labelled by the argmax of a random two-layer tanh teacher with one output per class.</summary>
    private static TrainingData Teacher(int rows, int features, int classes, int seed)
    {
        var random = new Random(seed);
        double Gaussian() => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
        const int hidden = 16;
        double[] w1 = Enumerable.Range(0, hidden * features).Select(_ => Gaussian()).ToArray();
        double[] w2 = Enumerable.Range(0, classes * hidden).Select(_ => Gaussian()).ToArray();
        var x = new float[rows * features];
        var y = new float[rows];
        var h = new double[hidden];
        for (int i = 0; i < rows; i++)
        {
            for (int j = 0; j < features; j++)
            {
                x[i * features + j] = (float)Gaussian();
            }
            for (int u = 0; u < hidden; u++)
            {
                double z = 0;
                for (int j = 0; j < features; j++)
                {
                    z += w1[u * features + j] * x[i * features + j];
                }
                h[u] = Math.Tanh(z / Math.Sqrt(features));
            }
            int best = 0;
            double bestScore = double.NegativeInfinity;
            for (int c = 0; c < classes; c++)
            {
                double score = 0;
                for (int u = 0; u < hidden; u++)
                {
                    score += w2[c * hidden + u] * h[u];
                }
                if (score > bestScore)
                {
                    (best, bestScore) = (c, score);
                }
            }
            y[i] = best;
        }
        return new TrainingData(x, features, y);
    }

    private static string Argument(string[] args, string name, string fallback)
    {
        int at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? args[at + 1] : fallback;
    }
}
