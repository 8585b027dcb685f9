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

        /// <summary>"inputs-hidden...-classes", e.g. 50-256-256-10.</summary>
        public static Shape Parse(string name)
        {
            int[] parts = name.Split('-').Select(p => int.Parse(p, Inv)).ToArray();
            return parts.Length >= 3 && parts.All(p => p > 0) && parts[^1] >= 2 && parts[1..^1].All(w => w == parts[1])
                ? new Shape(parts[0], parts[1..^1], parts[^1])
                : throw new ArgumentException($"Shape '{name}': expected inputs-hidden...-classes with equal hidden widths and at least 2 classes.");
        }

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

    /// <summary>One training run's epochs 2..E (the first is excluded): wall and CPU ms and forward multiply-adds per row of each.</summary>
    private sealed record TimedRun(double[] WallMs, double[] CpuMs, double[] Macs, double FinalLoss, int[] FirstWidths, int[] LastWidths)
    {
        public double Time(bool cpu) => Stats.MedianOf(cpu ? CpuMs : WallMs);

        /// <summary>Median over the epochs of the epoch's time over the bound at that epoch's multiply-adds.</summary>
        public double OverBound(bool cpu, int rows, double flopsPerSecond) =>
            Stats.MedianOf((cpu ? CpuMs : WallMs).Select((ms, i) => ms / BoundMs(Macs[i], rows, flopsPerSecond)));

        public string Widths => $"{string.Join("/", FirstWidths)} → {string.Join("/", LastWidths)}";
    }

    /// <summary>One repetition of one shape: our fixed network, PyTorch's, our adaptive one and our fixed one of the adaptive run's multiply-adds.</summary>
    private sealed record Measured(TimedRun Fixed, TimedRun? PyTorch, TimedRun Adaptive, int EqualWidth, TimedRun Equal);

    /// <summary>Records the CPU time of each epoch: the loop reports synchronously, on the training thread, after every epoch.</summary>
    private sealed class EpochCpu : IProgress<EpochRecord>
    {
        private double _last = CpuClock.Milliseconds();

        public List<double> Milliseconds { get; } = [];

        public void Report(EpochRecord value)
        {
            double now = CpuClock.Milliseconds();
            Milliseconds.Add(now - _last);
            _last = now;
        }
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
        if (Argument(args, "--shapes", "") is { Length: > 0 } only)
        {
            // For investigating one shape; e.g. --shapes 50-1024-10.
            shapes = only.Split(',').Select(Shape.Parse).ToArray();
        }
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
        PyTorchRun? anyPy = null;
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
                    Console.Error.WriteLine($"[rep {rep}/{repetitions}] {shape.Name} (CPU ms/epoch): fixed {m.Fixed.Time(true):F1}, " +
                        $"adaptive {m.Adaptive.Time(true):F1} ({m.Adaptive.Widths}), equal-MACs fixed {m.Equal.Time(true):F1} (width {m.EqualWidth})" +
                        (m.PyTorch is TimedRun p ? $", PyTorch {p.Time(true):F1}" : ""));
                }
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
        IReadOnlyList<SgemmSize> sgemmAfter = SgemmRate.Measure(quick);
        // The bound uses the best rate measured (a higher rate gives a lower, stricter bound), by each clock.
        double cpuRate = sgemmBefore.Concat(sgemmAfter).Max(s => s.CpuGigaFlops.Median) * 1e9;
        double wallRate = sgemmBefore.Concat(sgemmAfter).Max(s => s.WallGigaFlops.Median) * 1e9;

        var report = new Report(command, quick, rows, epochs, repetitions, started, loadBefore, sgemmBefore, sgemmAfter, cpuRate, wallRate, shapes, results,
            pytorch is null ? skipped : null, anyPy);
        string markdown = Markdown(report);
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
            TimedRun f = Train(shape, rowsOfShape, FixedSettings(shape, shape.Hidden[0], epochCount, seed));

            TimedRun? py = null;
            if (reference is not null)
            {
                PyTorchRun p = reference.Train(path, rowsOfShape, shape.Hidden, shape.Classes, Batch, epochCount, LearningRate,
                    weightDecay: 1.0 / rowsOfShape.RowCount, Threads, seed);
                anyPy ??= p;
                py = new TimedRun(p.EpochMilliseconds.Skip(1).ToArray(), p.EpochCpuMilliseconds.Skip(1).ToArray(),
                    Enumerable.Repeat((double)shape.MultiplyAdds, epochCount - 1).ToArray(), p.FinalLoss, shape.Hidden, shape.Hidden);
            }

            // The adaptive network starts at the shape's width (λ0 whose quantile width it is) and learns its widths.
            TimedRun a = Train(shape, rowsOfShape, FixedSettings(shape, shape.Hidden[0], epochCount, seed) with
            {
                AdaptWidth = true,
                UseImportance = true,
                MaximumWidth = new TrainingSettings().MaximumWidth,
            });

            // A fixed network with the multiply-adds of the adaptive run's median epoch, for the like-for-like ratio.
            int equalWidth = shape.UniformWidthFor(Stats.MedianOf(a.Macs));
            TimedRun equal = equalWidth == shape.Hidden[0] ? f : Train(shape, rowsOfShape, FixedSettings(shape, equalWidth, epochCount, seed));
            return new Measured(f, py, a, equalWidth, equal);
        }
    }

    /// <summary>Trains through <see cref="AdaptiveWidthNetworkTrainer.Train"/> and keeps epochs 2..E.</summary>
    private static TimedRun Train(Shape shape, TrainingData data, TrainingSettings settings)
    {
        var cpu = new EpochCpu();
        TrainingResult r = AdaptiveWidthNetworkTrainer.Train(NetworkTask.MulticlassClassification, shape.Classes, data, null, settings, cpu);
        IReadOnlyList<EpochRecord> h = r.History;
        // Epoch e runs between the widths at the end of epochs e−1 and e: its multiply-adds are taken as the mean of the two.
        double[] macs = Enumerable.Range(1, h.Count - 1)
            .Select(e => (shape.MultiplyAddsAt(h[e - 1].Widths) + shape.MultiplyAddsAt(h[e].Widths)) / 2.0).ToArray();
        return new TimedRun(h.Skip(1).Select(e => e.Elapsed.TotalMilliseconds).ToArray(), cpu.Milliseconds.Skip(1).ToArray(), macs,
            h[^1].TrainingLoss, h[0].Widths.ToArray(), h[^1].Widths.ToArray());
    }

    /// <summary>Arithmetic bound of one epoch in ms: forward + backward ≈ 3 × forward, 2 FLOP per multiply-add.</summary>
    private static double BoundMs(double macsPerRow, int rows, double flopsPerSecond) => 3 * 2 * macsPerRow * rows / flopsPerSecond * 1000;

    /// <summary>A fixed-width plain MLP through our loop: λ frozen at the rate whose quantile width is <paramref name="width"/>, no importance.</summary>
    private static TrainingSettings FixedSettings(Shape shape, int width, int epochs, int seed)
    {
        var settings = new TrainingSettings
        {
            NumberOfLayers = shape.Hidden.Length,
            AdaptWidth = false,
            UseImportance = false,
            MaximumWidth = null,
            InitialWidth = width,
            Quantile = 0.9,
            LearningRate = LearningRate,
            BatchSize = Batch,
            MaxEpoch = epochs,
            EarlyStoppingPatience = 0,
            Seed = seed,
            NumberOfThreads = Threads,
        };
        if (settings.InitialWidth != width)
        {
            throw new InvalidOperationException($"The rate for width {width} gives {settings.InitialWidth}.");
        }
        return settings;
    }

    /// <summary>Everything the document is made of.</summary>
    private sealed record Report(
        string Command, bool Quick, int Rows, int Epochs, int Repetitions, string Started, string LoadBefore, IReadOnlyList<SgemmSize> SgemmBefore,
        IReadOnlyList<SgemmSize> SgemmAfter, double CpuRate, double WallRate, Shape[] Shapes, Dictionary<Shape, List<Measured>> Results,
        string? PyTorchSkipped, PyTorchRun? PyTorch)
    {
        public double Rate(bool cpu) => cpu ? CpuRate : WallRate;
    }

    private static string Markdown(Report r)
    {
        var md = new StringBuilder();
        void Line(string s = "") => md.Append(s).Append('\n');

        Line("# Training speed: adaptive vs fixed width, the arithmetic bound, and PyTorch");
        Line();
        Line("Generated by the benchmark program (issue 9, study 4); every number below was measured in the run described here." +
            (r.Quick ? " **Quick mode: tiny sizes, the numbers mean nothing.**" : ""));
        Line();
        Line($"- Command: `{r.Command}` (from the repository root)");
        Line($"- Machine: {MachineInfo.Describe()}; TorchSharp {typeof(TorchSharp.torch).Assembly.GetName().Version} (libtorch CPU)");
        Line($"- Date: started {r.Started}, finished {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        Line($"- The machine is shared with other agents' builds and benchmarks (load average at the start {r.LoadBefore}, at the end " +
            $"{CompressionStudy.LoadAverage()}), so wall times are noisy and inflated by waiting for a core. The tables therefore use the CPU time of " +
            $"the training thread ({CpuClock.Description} here; PyTorch: `time.thread_time()`): with one intra-op thread, every op, autograd's " +
            "included, runs on that thread. Contention still slows the CPU-time figures somewhat (shared caches and cores); wall-clock tables follow at the end.");
        Line($"- Repetitions: {r.Repetitions}. In each, for each shape in turn: our fixed-width network, PyTorch, our adaptive network, our fixed network of " +
            $"the adaptive run's multiply-adds; each trains {r.Epochs} epochs on {r.Rows:N0} rows. A run's time is its median epoch over epochs 2..{r.Epochs} " +
            "(the first, with allocation and warm-up, is excluded). Tables give the median over repetitions and, in brackets, the min–max over repetitions; " +
            "every ratio is computed within a repetition (runs made one after the other) and then summarised the same way.");
        Line($"- Training: batch {Batch}, Adam (lr {LearningRate}, β 0.9/0.999, ε 1e-8) with the weight prior as L2 weight decay 1/N, ReLU6, mean cross-entropy, " +
            $"{Threads} intra-op thread, no validation set; data: Gaussian features labelled by a random tanh teacher network (argmax over the classes).");
        Line("- Ours: `AdaptiveWidthNetworkTrainer.Train` (one flat parameter buffer, `FlatAdam`, `TrainingLoop`). \"Fixed\" is `AdaptWidth = false, " +
            "UseImportance = false`: a plain MLP of the shape's width through the same loop. \"Adaptive\" starts at the shape's width (λ0 whose " +
            "0.9-quantile width it is) and learns the widths (default settings otherwise).");
        Line(r.PyTorchSkipped is null
            ? $"- PyTorch: {r.PyTorch?.Version} under `{PyTorchReference.DefaultPython}`, BLAS loaded: {string.Join(", ", r.PyTorch?.Blas.Select(b => $"`{b}`") ?? [])}; " +
              $"`torch.set_num_threads({r.PyTorch?.Threads})`, OMP/OpenBLAS/MKL_NUM_THREADS=1. Script `test/Microsoft.ML.AdaptiveWidth.Benchmarks/pytorch_mlp.py`: " +
              "`nn.Sequential` of `Linear`/`ReLU6`, `torch.optim.Adam(weight_decay=1/N)`, one `randperm` per epoch, no `.item()` per batch; the same rows " +
              "(written to a file), batch, epochs and thread count."
            : $"- PyTorch: **skipped** ({r.PyTorchSkipped}).");
        Line();

        Line("## libtorch sgemm rate (the machine's arithmetic limit)");
        Line();
        Line("`torch.mm` in this process, 1 thread: GFLOP/s = 2·m·k·n per product / time, median (min–max) over batches of products, measured before and after the training runs.");
        Line();
        Line("| product | CPU time, before | CPU time, after | wall, before | wall, after |");
        Line("|---|---|---|---|---|");
        for (int i = 0; i < r.SgemmBefore.Count; i++)
        {
            SgemmSize b = r.SgemmBefore[i], a = r.SgemmAfter[i];
            Line($"| {b.Name} | {b.CpuGigaFlops.Format("F1")} | {a.CpuGigaFlops.Format("F1")} | {b.WallGigaFlops.Format("F1")} | {a.WallGigaFlops.Format("F1")} |");
        }
        Line();
        Line($"Rate used for the bound: **{r.CpuRate / 1e9:F1} GFLOP/s** by CPU time ({r.WallRate / 1e9:F1} by wall time), the highest median above " +
            "(a higher rate gives a lower, stricter bound).");
        Line();
        Line("**Arithmetic bound** of one epoch = 3 × 2 × MACs × rows / rate, where MACs is the forward multiply-adds per row of the weight matrices " +
            "(Σ fan-in × fan-out over the layers; biases, activations, loss and optimizer are not counted) and forward + backward ≈ 3 × forward " +
            "(the backward pass computes two products of the forward's size: the input gradient and the weight gradient).");
        Line();

        Line("## Ours: fixed and adaptive against the bound (CPU time)");
        Line();
        OursTable(r, cpu: true, Line);
        Line();
        Line("\"adaptive / bound\" divides each adaptive epoch by the bound at that epoch's widths (the mean of the multiply-adds at its start and end), " +
            "then takes the median. \"Fixed of equal MACs\" is a plain network whose uniform hidden width gives the multiply-adds of the adaptive run's " +
            "median epoch: the adaptive widths move, so this is the like-for-like cost of adaptivity (it is the shape's own fixed run when the width is the same).");
        Line();

        Line("## Ours vs PyTorch on the same fixed-width MLP (CPU time)");
        Line();
        PyTorchTable(r, cpu: true, Line);
        Line();

        Line("## Goals (judged on CPU time; wall time for reference)");
        Line();
        Line("| goal | shape | CPU time: median (min–max) over repetitions | met? | wall time |");
        Line("|---|---|---|---|---|");
        var goals = Goals(r).ToList();
        foreach (Goal g in goals)
        {
            Line(g.Cpu is Stats cpu
                ? $"| {g.Name} | {g.Shape} | {cpu.Format(g.Format)}x | {Verdict(g.Met)} | {g.Wall!.Value.Format(g.Format)}x |"
                : $"| {g.Name} | {g.Shape} | not measured (PyTorch skipped) | — | — |");
        }
        Line();

        Line("## Verdict");
        Line();
        foreach (IGrouping<string, Goal> goal in goals.Where(g => g.Cpu is not null).GroupBy(g => g.Name))
        {
            string[] missed = goal.Where(g => !g.Met).Select(g => $"{g.Shape} ({g.Cpu!.Value.Median.ToString(g.Format, Inv)}x)").ToArray();
            Line($"- {char.ToUpperInvariant(goal.Key[0])}{goal.Key[1..]}: " + (missed.Length == 0
                ? $"**met** at every shape measured ({string.Join(", ", goal.Select(g => $"{g.Shape} {g.Cpu!.Value.Median.ToString(g.Format, Inv)}x"))})."
                : $"**missed** at {string.Join(", ", missed)}; met at {(goal.Count(g => g.Met) == 0 ? "none" : string.Join(", ", goal.Where(g => g.Met).Select(g => $"{g.Shape} ({g.Cpu!.Value.Median.ToString(g.Format, Inv)}x)")))}."));
        }
        if (r.PyTorchSkipped is not null)
        {
            Line($"- Fixed-width rows/s against PyTorch: not measured ({r.PyTorchSkipped}).");
        }
        string[] unsettled = goals.Where(g => g.Cpu is Stats c && c.Min <= g.Threshold && g.Threshold <= c.Max)
            .Select(g => $"{g.Name} at {g.Shape}").ToArray();
        if (unsettled.Length > 0)
        {
            Line($"- Not settled by this run, because the goal's threshold lies within the min–max over repetitions (another run on this machine may " +
                $"give the other verdict): {string.Join("; ", unsettled)}.");
        }
        Line();
        Line("Where the time goes (from `-- step-cost --shape ...` and perf profiles on this machine): a batch runs a few dozen libtorch ops " +
            "(forward, loss, autograd's backward, the weight prior and Adam's flat update), each with a fixed dispatch and allocation cost, so on the " +
            "small shapes the epoch is far above the arithmetic bound whatever the arithmetic costs. On the wide ones the products dominate, and libtorch's " +
            "MKL sgemm reaches its peak only on the larger products. The adaptive network adds per batch: reading the rates and computing the importance " +
            "vectors on the host and uploading them, their gradient and the rates' analytic gradient, new views and new neurons whenever a width changes " +
            "(most batches early in training), and Adam, the weight prior and the gradient reset over the whole capacity of each layer (capacity grows by " +
            "1.5x and never shrinks, so a layer that grew and then narrowed keeps paying for its widest size).");
        Line();
        Line("Speed changes made while running this study (each measured in its commit message): the forward pass is feature-major (b + W·h with h as " +
            "[width × batch]) and the output weight is stored [outputs × width], so every product and bias gradient runs in the orientation MKL is fast at " +
            "(some orientations were several times slower with 10 outputs); Adam's flat update takes seven ops instead of eight (one lerp, the bias " +
            "corrections folded into scalars); and its square root is taken of max(v, 1e-30), because MKL's vectorised square root leaves its fast path " +
            "for the zeros and subnormals that unused capacity and dead units leave in v.");
        Line();

        Line("## The same measurements by wall-clock time");
        Line();
        OursTable(r, cpu: false, Line);
        Line();
        PyTorchTable(r, cpu: false, Line);
        Line();
        return md.ToString();
    }

    private static void OursTable(Report r, bool cpu, Action<string> line)
    {
        line("| shape | MACs/row | bound ms/epoch | fixed ms/epoch | fixed / bound | adaptive widths (end of epoch 1 → last) | adaptive ms/epoch | " +
            "adaptive / bound | fixed of equal MACs: width, ms/epoch | adaptive / equal-MACs fixed |");
        line("|---|---|---|---|---|---|---|---|---|---|");
        foreach (Shape s in r.Shapes)
        {
            List<Measured> m = r.Results[s];
            double bound = BoundMs(s.MultiplyAdds, r.Rows, r.Rate(cpu));
            string widths = string.Join("; ", m.Select(x => x.Adaptive.Widths).Distinct().Take(3)) + (m.Count > 3 ? "; …" : "");
            line($"| {s.Name} | {s.MultiplyAdds:N0} | {bound:F2} | {Stats.Of(m.Select(x => x.Fixed.Time(cpu))).Format("F1")} | " +
                $"{Stats.Of(m.Select(x => x.Fixed.Time(cpu) / bound)).Format("F1")}x | {widths} | {Stats.Of(m.Select(x => x.Adaptive.Time(cpu))).Format("F1")} | " +
                $"{Stats.Of(m.Select(x => x.Adaptive.OverBound(cpu, r.Rows, r.Rate(cpu)))).Format("F1")}x | " +
                $"{string.Join("/", m.Select(x => x.EqualWidth).Distinct())}: {Stats.Of(m.Select(x => x.Equal.Time(cpu))).Format("F1")} | " +
                $"{Stats.Of(m.Select(x => x.Adaptive.Time(cpu) / x.Equal.Time(cpu))).Format("F2")}x |");
        }
    }

    private static void PyTorchTable(Report r, bool cpu, Action<string> line)
    {
        if (r.PyTorchSkipped is not null)
        {
            line($"PyTorch skipped: {r.PyTorchSkipped}.");
            return;
        }
        line("| shape | PyTorch ms/epoch | our fixed ms/epoch | PyTorch rows/s | our rows/s | our rows/s ÷ PyTorch's | last-epoch training loss, ours / PyTorch |");
        line("|---|---|---|---|---|---|---|");
        foreach (Shape s in r.Shapes)
        {
            List<Measured> m = r.Results[s];
            line($"| {s.Name} | {Stats.Of(m.Select(x => x.PyTorch!.Time(cpu))).Format("F1")} | {Stats.Of(m.Select(x => x.Fixed.Time(cpu))).Format("F1")} | " +
                $"{Stats.MedianOf(m.Select(x => r.Rows / x.PyTorch!.Time(cpu) * 1000)):N0} | {Stats.MedianOf(m.Select(x => r.Rows / x.Fixed.Time(cpu) * 1000)):N0} | " +
                $"{Stats.Of(m.Select(x => x.PyTorch!.Time(cpu) / x.Fixed.Time(cpu))).Format("F2")}x | " +
                $"{Stats.MedianOf(m.Select(x => x.Fixed.FinalLoss)):F3} / {Stats.MedianOf(m.Select(x => x.PyTorch!.FinalLoss)):F3} |");
        }
        if (cpu)
        {
            line("");
            line("The losses check that both sides do the same work (initialisation and shuffling differ, so they are close, not equal).");
        }
    }

    private static string Verdict(bool met) => met ? "met" : "**missed**";

    /// <summary>One goal at one shape: the ratio by CPU time (null when not measured) and by wall time, and whether it is met.</summary>
    private sealed record Goal(string Name, string Shape, Stats? Cpu, Stats? Wall, bool Met, string Format, double Threshold);

    private static IEnumerable<Goal> Goals(Report r)
    {
        foreach (Shape s in r.Shapes)
        {
            List<Measured> m = r.Results[s];
            Stats Ratio(bool cpu) => Stats.Of(m.Select(x => x.Adaptive.Time(cpu) / x.Equal.Time(cpu)));
            yield return new Goal($"adaptive epoch ≤ {AdaptiveOverFixedGoal}x a fixed one of the same multiply-adds", s.Name, Ratio(true), Ratio(false),
                Ratio(true).Median <= AdaptiveOverFixedGoal, "F2", AdaptiveOverFixedGoal);
        }
        foreach (Shape s in r.Shapes.Where(s => s.Hidden.Min() >= BoundGoalMinWidth))
        {
            List<Measured> m = r.Results[s];
            Stats Ratio(bool cpu) => Stats.Of(m.Select(x => x.Adaptive.OverBound(cpu, r.Rows, r.Rate(cpu))));
            yield return new Goal($"adaptive epoch ≤ {BoundGoal}x the arithmetic bound (widths ≥ {BoundGoalMinWidth})", s.Name, Ratio(true), Ratio(false),
                Ratio(true).Median <= BoundGoal, "F1", BoundGoal);
        }
        foreach (Shape s in r.Shapes)
        {
            string name = $"fixed-width rows/s ≥ {PyTorchGoal}x PyTorch's";
            if (r.PyTorchSkipped is not null)
            {
                yield return new Goal(name, s.Name, null, null, false, "F2", PyTorchGoal);
                continue;
            }
            List<Measured> m = r.Results[s];
            Stats Ratio(bool cpu) => Stats.Of(m.Select(x => x.PyTorch!.Time(cpu) / x.Fixed.Time(cpu)));
            yield return new Goal(name, s.Name, Ratio(true), Ratio(false), Ratio(true).Median >= PyTorchGoal, "F2", PyTorchGoal);
        }
    }

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

    private static string Argument(string[] args, string name, string fallback) => CommandLine.Argument(args, name, fallback);
}
