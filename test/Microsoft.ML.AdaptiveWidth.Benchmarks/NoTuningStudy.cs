using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.ML.AdaptiveWidth.Datasets;
using Microsoft.ML.AdaptiveWidth.Inference;
using Microsoft.ML.AdaptiveWidth.Training;
using Microsoft.ML.Calibrators;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.AdaptiveWidth;

namespace Microsoft.ML.AdaptiveWidth.Benchmarks;

/// <summary>
/// Issue 9, study 2, "No tuning needed": on real data, the adaptive-width trainer with its default options (one call of
/// the ML.NET trainer, no options) against the best member of a fixed-width grid (the paper's tabular grid (listed in docs/method.md §3), trimmed),
/// selected on validation data: test metric, and the single run's training time against the whole grid's. Goal: within
/// 0.5 accuracy points (2% RMSE for regression) of the grid's best at no more than 1/5 of the grid's time.
/// Writes docs/no-tuning.md (nothing in <c>--quick</c> mode).
/// </summary>
internal static class NoTuningStudy
{
    /// <summary>The exit code when Fashion-MNIST is required (full mode) and not fetched.</summary>
    public const int FashionMissingExitCode = 3;

    private const int SplitSeed = 42;

    /// <summary>Accuracy points the default run may lose against the grid's best.</summary>
    private const double AccuracyTolerance = 0.5;

    /// <summary>Percent of RMSE the default run may add to the grid's best.</summary>
    private const double RmseTolerancePercent = 2.0;

    /// <summary>The largest fraction of the grid's training time the default run may take.</summary>
    private const double TimeGoal = 0.2;

    /// <summary>σθ of the grid members: so large that the weight prior (an L2 of Σθ²/(2σθ²N)) is nil, as in the paper's baselines.</summary>
    private const double NoWeightPrior = 1e6;

    /// <summary>σθ of the default run (the trainers' default), used by the second grid.</summary>
    private const double DefaultWeightPrior = AdaptiveWidthOptionsBase.Defaults.WeightPriorScale;

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    // The paper's tabular fixed-width grid (docs/method.md §3): batch {32,128} × layers {1,2,4} × width {8,16,24,128,256}
    // × activation {relu6, relu, leaky relu} × Adam lr {0.1, 0.01} = 180 members. The trimmed grid run here:
    private static readonly int[] GridLayers = [1, 2, 4];
    private static readonly int[] GridWidths = [8, 16, 24, 128, 256];
    private static readonly double[] GridRates = [0.01, 0.1];
    private static readonly ActivationKind[] GridActivations = [ActivationKind.ReLU6, ActivationKind.ReLU, ActivationKind.LeakyReLU];
    private static readonly int[] GridBatches = [128];
    private const int PaperGridSize = 2 * 3 * 5 * 3 * 2;

    /// <summary>One fixed-width configuration of the grid.</summary>
    private sealed record Member(int Layers, int Width, ActivationKind Activation, double LearningRate, int BatchSize)
    {
        public string Label => $"{Layers} × {Width}, {Name(Activation)}, lr {LearningRate.ToString(Inv)}, batch {BatchSize}";

        public int Size => Layers * Width;
    }

    private sealed record Case(string Name, NetworkTask Task, int ClassCount, Dataset Train, Dataset Validation, Dataset Test, string Description)
    {
        public bool Regression => Task == NetworkTask.Regression;

        public string Metric => Regression ? "RMSE" : "accuracy %";

        public LabeledRows Rows(Dataset d) => new(d.Features, d.FeatureCount, d.Labels, Regression ? QualityMetric.Rmse : QualityMetric.Accuracy);
    }

    /// <summary>One training run: validation and test metric, validation loss of the kept epoch, wall and CPU seconds.</summary>
    private sealed record Trained(double Validation, double ValidationLoss, double Test, double Seconds, double CpuSeconds, int[] Widths, int Epochs, int BestEpoch);

    /// <summary>
    /// A grid run on one data set: every member once (first seed), the member selected on validation, and that member
    /// retrained with every seed. <paramref name="WeightPriorScale"/> is the members' σθ (null: no weight prior).
    /// </summary>
    private sealed record GridResult(Case Case, double? WeightPriorScale, List<(Member Member, Trained Run)> Runs, Member Winner, List<Trained> WinnerRuns)
    {
        public double WinnerMean => WinnerRuns.Average(r => r.Test);

        public double Seconds => Runs.Sum(g => g.Run.Seconds);

        public double CpuSeconds => Runs.Sum(g => g.Run.CpuSeconds);

        /// <summary>The member with the best TEST metric (first seed): not a selection anyone could make, an upper bound of the grid.</summary>
        public (Member Member, Trained Run) Oracle => Case.Regression ? Runs.MinBy(g => g.Run.Test) : Runs.MaxBy(g => g.Run.Test);
    }

    private sealed record Outcome(Case Case, int[] Seeds, List<Trained> Default, GridResult Grid, GridResult? PriorGrid)
    {
        public double DefaultMean => Default.Average(r => r.Test);

        /// <summary>Accuracy points lost by the default run (positive = worse), or percent of RMSE added (positive = worse).</summary>
        public double Gap(GridResult g) => Gap(g.WinnerMean);

        public double Gap(double other) => Case.Regression ? 100 * (DefaultMean - other) / other : other - DefaultMean;

        public bool MetricMet(GridResult g) => Gap(g) <= (Case.Regression ? RmseTolerancePercent : AccuracyTolerance);

        public double DefaultSeconds => Stats.MedianOf(Default.Select(r => r.Seconds));

        public double DefaultCpuSeconds => Stats.MedianOf(Default.Select(r => r.CpuSeconds));

        public double Ratio(GridResult g) => DefaultSeconds / g.Seconds;

        public double CpuRatio(GridResult g) => DefaultCpuSeconds / g.CpuSeconds;

        public bool TimeMet => Ratio(Grid) <= TimeGoal;

        public bool MetricMetMain => MetricMet(Grid);
    }

    private sealed class Options
    {
        public bool Quick { get; init; }

        public int[] Seeds { get; init; } = [];

        public int[] FashionSeeds { get; init; } = [];

        public int FashionTrainRows { get; init; }

        public int FashionValidationRows { get; init; }

        public int FashionTestRows { get; init; }

        public int? MaxEpoch { get; init; }

        public Member[] Grid { get; init; } = [];

        /// <summary>Also run the grid with the default run's weight prior (<see cref="DefaultWeightPrior"/>), except on Fashion-MNIST unless asked.</summary>
        public bool PriorGrid { get; init; }

        public bool PriorGridFashion { get; init; }
    }

    public static int Run(string[] args, bool quick)
    {
        // --only NAME[,NAME] runs some data sets (for probing); the document is then not written.
        string[]? only = Argument(args, "--only", "") is { Length: > 0 } list ? list.Split(',', StringSplitOptions.TrimEntries) : null;
        bool write = !quick && !args.Contains("--no-write") && only is null;
        bool skipFashion = args.Contains("--no-fashion");
        int seedCount = quick ? 1 : int.Parse(Argument(args, "--seeds", "5"), Inv);
        var o = new Options
        {
            Quick = quick,
            Seeds = Enumerable.Range(1, seedCount).ToArray(),
            FashionSeeds = Enumerable.Range(1, quick ? 1 : int.Parse(Argument(args, "--fashion-seeds", seedCount.ToString(Inv)), Inv)).ToArray(),
            FashionTrainRows = quick ? 1_000 : int.Parse(Argument(args, "--fashion-train-rows", "10000"), Inv),
            FashionValidationRows = quick ? 200 : 1_000,
            FashionTestRows = quick ? 500 : 5_000,
            MaxEpoch = quick ? 3 : null,
            PriorGrid = !args.Contains("--no-prior-grid"),
            PriorGridFashion = args.Contains("--prior-grid-fashion"),
            Grid = quick
                ? [new Member(1, 8, ActivationKind.ReLU6, 0.01, 128), new Member(1, 16, ActivationKind.ReLU6, 0.01, 128)]
                : (from layers in GridLayers
                   from width in GridWidths
                   from activation in GridActivations
                   from rate in GridRates
                   from batch in GridBatches
                   select new Member(layers, width, activation, rate, batch)).ToArray(),
        };
        string command = quick && args.Length > 0 && args[0] == "smoke"
            ? "dotnet run --project test/Microsoft.ML.AdaptiveWidth.Benchmarks -c Release -- smoke"
            : ("dotnet run --project test/Microsoft.ML.AdaptiveWidth.Benchmarks -c Release -- " + string.Join(' ', args)).TrimEnd();
        string? root = MachineInfo.RepositoryRoot();
        if (write && root is null)
        {
            Console.Error.WriteLine("Could not find the repository root (AdaptiveWidth.sln); the report cannot be written, so nothing was run.");
            return 4;
        }

        // Fail before any training: the study is not complete without Fashion-MNIST unless it is skipped on purpose.
        Dataset? fashionTrain = null;
        Dataset? fashionTest = null;
        string fashionNote = "";
        if (skipFashion)
        {
            fashionNote = "Fashion-MNIST: **skipped on purpose** (`--no-fashion`).";
        }
        else if (only is not null && !only.Contains("Fashion-MNIST", StringComparer.OrdinalIgnoreCase))
        {
            fashionNote = "Fashion-MNIST: not run (`--only`).";
        }
        else if (!FashionMnist.TryLoad(null, out fashionTrain, out fashionTest))
        {
            if (!quick)
            {
                Console.Error.WriteLine($"Fashion-MNIST is not fetched (looked in {FashionMnist.DefaultCacheDirectory}): run `bash build/fetch-fashion-mnist.sh`, " +
                    "or pass --no-fashion to run the other data sets. Nothing was run or written.");
                return FashionMissingExitCode;
            }
            fashionNote = $"Fashion-MNIST: **skipped**, not fetched (looked in {FashionMnist.DefaultCacheDirectory}; `bash build/fetch-fashion-mnist.sh`).";
        }

        string loadBefore = CompressionStudy.LoadAverage();
        string started = $"{DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC";
        var clock = Stopwatch.StartNew();
        var cases = Cases(o, fashionTrain, fashionTest).Where(c => only is null || only.Contains(c.Name, StringComparer.OrdinalIgnoreCase)).ToList();
        if (cases.Count == 0)
        {
            Console.Error.WriteLine($"--only {string.Join(",", only!)} names no data set (Breast cancer, Wine, Digits, Fashion-MNIST, Diabetes).");
            return 2;
        }
        WarmUp(cases[0]);
        var outcomes = new List<Outcome>();
        foreach (Case c in cases)
        {
            outcomes.Add(RunCase(c, c.Name == "Fashion-MNIST" ? o.FashionSeeds : o.Seeds, o, clock));
        }

        string markdown = Markdown(o, command, outcomes, fashionNote, started, loadBefore, clock.Elapsed);
        if (!write)
        {
            Console.WriteLine(markdown);
            return 0;
        }
        string path = Path.Combine(root!, "docs", "no-tuning.md");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, markdown);
        Console.WriteLine(markdown);
        Console.Error.WriteLine($"Wrote {path}");
        return 0;
    }

    // ---------------------------------------------------------------- data

    private static IEnumerable<Case> Cases(Options o, Dataset? fashionTrain, Dataset? fashionTest)
    {
        foreach (Dataset d in new[] { SklearnDatasets.BreastCancer(), SklearnDatasets.Wine(), SklearnDatasets.Digits() })
        {
            var (train, validation, test) = Splits.PaperSplit(d, SplitSeed);
            (train, validation, test) = CompressionCases.Standardize(train, validation, test);
            string name = d.Name switch { "BreastCancer" => "Breast cancer", _ => d.Name };
            yield return new Case(name, d.ClassCount == 2 ? NetworkTask.BinaryClassification : NetworkTask.MulticlassClassification, d.ClassCount,
                train, validation, test,
                $"scikit-learn {name.ToLowerInvariant()}, {d.RowCount} rows × {d.FeatureCount} features, {d.ClassCount} classes; stratified 72/8/20 split " +
                $"(`Splits.PaperSplit`, seed {SplitSeed}): {train.RowCount}/{validation.RowCount}/{test.RowCount} rows; features standardised with the training rows' mean and sd");
        }

        if (fashionTrain is not null && fashionTest is not null)
        {
            // A stratified subsample, so that the whole grid fits the time budget on 2 shared cores.
            var (_, pool) = Splits.StratifiedTrainTest(fashionTrain, (double)(o.FashionTrainRows + o.FashionValidationRows) / fashionTrain.RowCount, SplitSeed);
            var (train, validation) = Splits.StratifiedTrainTest(pool, (double)o.FashionValidationRows / pool.RowCount, SplitSeed);
            var (_, test) = Splits.StratifiedTrainTest(fashionTest, (double)o.FashionTestRows / fashionTest.RowCount, SplitSeed);
            yield return new Case("Fashion-MNIST", NetworkTask.MulticlassClassification, 10, train, validation, test,
                $"Fashion-MNIST, 784 pixels scaled to [0, 1], 10 classes; **subsampled** (stratified, seed {SplitSeed}): {train.RowCount:N0} training and " +
                $"{validation.RowCount:N0} validation rows from the 60,000 training images, {test.RowCount:N0} of the 10,000 test images");
        }

        Dataset diabetes = SklearnDatasets.Diabetes();
        var (rTrain, rValidation, rTest) = Splits.PaperSplit(diabetes, SplitSeed);
        (rTrain, rValidation, rTest) = CompressionCases.Standardize(rTrain, rValidation, rTest);
        yield return new Case("Diabetes", NetworkTask.Regression, 0, rTrain, rValidation, rTest,
            $"scikit-learn diabetes (regression), {diabetes.RowCount} rows × {diabetes.FeatureCount} features, target 25..346; random 72/8/20 split " +
            $"(`Splits.PaperSplit`, seed {SplitSeed}): {rTrain.RowCount}/{rValidation.RowCount}/{rTest.RowCount} rows; features standardised, target raw");
    }

    // ---------------------------------------------------------------- runs

    /// <summary>JIT-compiles both code paths and initialises libtorch (1 epoch each, not timed), so the first timed run is not penalised.</summary>
    private static void WarmUp(Case c)
    {
        var clock = Stopwatch.StartNew();
        DefaultRun(c, 1, maxEpochs: 1);
        GridRun(c, new Member(1, 8, ActivationKind.ReLU6, 0.01, 128), 1, maxEpochs: 1);
        Log($"warm-up (not timed): {clock.Elapsed.TotalSeconds:F1} s");
    }

    private static Outcome RunCase(Case c, int[] seeds, Options o, Stopwatch clock)
    {
        Log($"[{clock.Elapsed:mm\\:ss}] {c.Name}: {c.Train.RowCount}/{c.Validation.RowCount}/{c.Test.RowCount} rows, {o.Grid.Length} grid members, seeds {string.Join(",", seeds)}");
        var defaults = new List<Trained>();
        var grid = new List<(Member, Trained)>();
        // The default runs are spread evenly between the grid members, so that a change in the machine's load during
        // the case affects both sides alike.
        int next = 0;
        for (int i = 0; i < o.Grid.Length; i++)
        {
            while (next < seeds.Length && next * o.Grid.Length / seeds.Length <= i)
            {
                Trained d = DefaultRun(c, seeds[next], o.MaxEpoch);
                defaults.Add(d);
                Log($"[{clock.Elapsed:mm\\:ss}]   default, seed {seeds[next]}: width {CompressionStudy.Join(d.Widths)}, {d.Epochs} epochs (kept {d.BestEpoch}), " +
                    $"validation {d.Validation:F2}, test {d.Test:F2}, {d.Seconds:F1} s");
                next++;
            }
            Member m = o.Grid[i];
            Trained g = GridRun(c, m, seeds[0], o.MaxEpoch);
            grid.Add((m, g));
            Log($"[{clock.Elapsed:mm\\:ss}]   fixed {m.Label}, seed {seeds[0]}: {g.Epochs} epochs (kept {g.BestEpoch}), validation {g.Validation:F2} (loss {g.ValidationLoss:F4}), " +
                $"test {g.Test:F2}, {g.Seconds:F1} s");
        }

        GridResult main = Finish(c, null, grid, seeds, o, clock);
        GridResult? prior = null;
        if (o.PriorGrid && (c.Name != "Fashion-MNIST" || o.PriorGridFashion))
        {
            var runs = new List<(Member, Trained)>();
            foreach (Member m in o.Grid)
            {
                Trained g = GridRun(c, m, seeds[0], o.MaxEpoch, DefaultWeightPrior);
                runs.Add((m, g));
                Log($"[{clock.Elapsed:mm\\:ss}]   fixed σθ {DefaultWeightPrior} {m.Label}, seed {seeds[0]}: {g.Epochs} epochs (kept {g.BestEpoch}), validation {g.Validation:F2}, test {g.Test:F2}, {g.Seconds:F1} s");
            }
            prior = Finish(c, DefaultWeightPrior, runs, seeds, o, clock);
        }
        return new Outcome(c, seeds, defaults, main, prior);
    }

    /// <summary>
    /// Selects on validation, as the paper does: classification by accuracy (ties: lower validation loss), regression by
    /// RMSE; remaining ties go to the smaller network. Then retrains the selected member with the other seeds.
    /// </summary>
    private static GridResult Finish(Case c, double? weightPrior, List<(Member, Trained)> runs, int[] seeds, Options o, Stopwatch clock)
    {
        Member winner = (c.Regression
                ? runs.OrderBy(g => g.Item2.Validation)
                : runs.OrderByDescending(g => g.Item2.Validation).ThenBy(g => g.Item2.ValidationLoss))
            .ThenBy(g => g.Item1.Size).First().Item1;
        var winnerRuns = new List<Trained> { runs.First(g => g.Item1 == winner).Item2 };
        foreach (int seed in seeds.Skip(1))
        {
            Trained r = GridRun(c, winner, seed, o.MaxEpoch, weightPrior);
            winnerRuns.Add(r);
            Log($"[{clock.Elapsed:mm\\:ss}]   grid winner{(weightPrior is null ? "" : $" (σθ {weightPrior})")} {winner.Label}, seed {seed}: test {r.Test:F2}, {r.Seconds:F1} s");
        }
        return new GridResult(c, weightPrior, runs, winner, winnerRuns);
    }

    /// <summary>
    /// The product as a user gets it: <c>mlContext.…Trainers.AdaptiveWidth()</c> with no options (quick mode: only
    /// <c>MaxEpoch</c>), fitted with the validation rows for early stopping; the seed comes from <c>MLContext(seed)</c>.
    /// </summary>
    private static Trained DefaultRun(Case c, int seed, int? maxEpochs)
    {
        var ml = new MLContext(seed: seed);
        int p = c.Train.FeatureCount;
        AdaptiveWidthModel network;
        IReadOnlyList<EpochRecord> history;
        double seconds;
        double cpu;
        double mlnetTest;
        switch (c.Task)
        {
            case NetworkTask.BinaryClassification:
            {
                SchemaDefinition schema = Schema<BoolRow>(p);
                IDataView train = ml.Data.LoadFromEnumerable(BoolRows(c.Train), schema);
                IDataView validation = ml.Data.LoadFromEnumerable(BoolRows(c.Validation), schema);
                AdaptiveWidthBinaryTrainer trainer = maxEpochs is int e
                    ? ml.BinaryClassification.Trainers.AdaptiveWidth(new AdaptiveWidthBinaryTrainer.Options { MaxEpoch = e })
                    : ml.BinaryClassification.Trainers.AdaptiveWidth();
                var (model, s, t) = Timed(() => trainer.Fit(train, validation));
                (seconds, cpu) = (s, t);
                AdaptiveWidthBinaryModelParameters parameters = model.Model.SubModel;
                (network, history) = (parameters.Network, parameters.TrainingHistory);
                mlnetTest = 100 * ml.BinaryClassification.Evaluate(model.Transform(ml.Data.LoadFromEnumerable(BoolRows(c.Test), schema))).Accuracy;
                break;
            }
            case NetworkTask.MulticlassClassification:
            {
                SchemaDefinition schema = Schema<KeyRow>(p);
                schema["Label"].ColumnType = new KeyDataViewType(typeof(uint), c.ClassCount);
                IDataView train = ml.Data.LoadFromEnumerable(KeyRows(c.Train), schema);
                IDataView validation = ml.Data.LoadFromEnumerable(KeyRows(c.Validation), schema);
                AdaptiveWidthMulticlassTrainer trainer = maxEpochs is int e
                    ? ml.MulticlassClassification.Trainers.AdaptiveWidth(new AdaptiveWidthMulticlassTrainer.Options { MaxEpoch = e })
                    : ml.MulticlassClassification.Trainers.AdaptiveWidth();
                var (model, s, t) = Timed(() => trainer.Fit(train, validation));
                (seconds, cpu) = (s, t);
                (network, history) = (model.Model.Network, model.Model.TrainingHistory);
                mlnetTest = 100 * ml.MulticlassClassification.Evaluate(model.Transform(ml.Data.LoadFromEnumerable(KeyRows(c.Test), schema))).MicroAccuracy;
                break;
            }
            default:
            {
                SchemaDefinition schema = Schema<FloatRow>(p);
                IDataView train = ml.Data.LoadFromEnumerable(FloatRows(c.Train), schema);
                IDataView validation = ml.Data.LoadFromEnumerable(FloatRows(c.Validation), schema);
                AdaptiveWidthRegressionTrainer trainer = maxEpochs is int e
                    ? ml.Regression.Trainers.AdaptiveWidth(new AdaptiveWidthRegressionTrainer.Options { MaxEpoch = e })
                    : ml.Regression.Trainers.AdaptiveWidth();
                var (model, s, t) = Timed(() => trainer.Fit(train, validation));
                (seconds, cpu) = (s, t);
                (network, history) = (model.Model.Network, model.Model.TrainingHistory);
                mlnetTest = ml.Regression.Evaluate(model.Transform(ml.Data.LoadFromEnumerable(FloatRows(c.Test), schema))).RootMeanSquaredError;
                break;
            }
        }

        // The grid members are measured on the network with LabeledRows; measure the default run the same way, and check
        // that it agrees with ML.NET's evaluator on the same model.
        double test = c.Rows(c.Test).Evaluate(network);
        if (Math.Abs(test - mlnetTest) > 1e-4 * Math.Max(1, Math.Abs(test)))
        {
            throw new InvalidOperationException($"{c.Name}: the network's test {c.Metric} {test} differs from ML.NET's evaluator's {mlnetTest}.");
        }
        int best = BestEpoch(history);
        return new Trained(c.Rows(c.Validation).Evaluate(network), history[best - 1].ValidationLoss, test, seconds, cpu,
            network.LayerWidths.ToArray(), history.Count, best);
    }

    /// <summary>
    /// A plain fixed-width MLP through the same training loop: no width learning, no importance, no rate prior, and no
    /// weight prior unless <paramref name="weightPrior"/> (σθ) is given.
    /// </summary>
    private static Trained GridRun(Case c, Member m, int seed, int? maxEpochs, double? weightPrior = null)
    {
        var defaults = new TrainingSettings();
        var settings = new TrainingSettings
        {
            NumberOfLayers = m.Layers,
            Activation = m.Activation,
            LearningRate = m.LearningRate,
            BatchSize = m.BatchSize,
            MaxEpoch = maxEpochs ?? defaults.MaxEpoch,
            EarlyStoppingPatience = defaults.EarlyStoppingPatience,
            AdaptWidth = false,
            UseImportance = false,
            InitialWidth = m.Width,
            MaximumWidth = null,
            WidthRegularization = 0,
            WeightPriorScale = weightPrior ?? NoWeightPrior,
            Seed = seed,
        };
        if (settings.InitialWidth != m.Width)
        {
            throw new InvalidOperationException($"The rate for a fixed width {m.Width} gives {settings.InitialWidth}.");
        }
        var data = new TrainingData(c.Train.Features, c.Train.FeatureCount, c.Train.Labels);
        var validation = new TrainingData(c.Validation.Features, c.Validation.FeatureCount, c.Validation.Labels);
        var (result, seconds, cpu) = Timed(() => AdaptiveWidthNetworkTrainer.Train(c.Task, c.ClassCount, data, validation, settings));
        return new Trained(c.Rows(c.Validation).Evaluate(result.Model), result.History[result.BestEpoch - 1].ValidationLoss, c.Rows(c.Test).Evaluate(result.Model),
            seconds, cpu, result.Model.LayerWidths.ToArray(), result.History.Count, result.BestEpoch);
    }

    /// <summary>The kept epoch of an ML.NET run: the one with the lowest validation loss (the trainer's default selection).</summary>
    private static int BestEpoch(IReadOnlyList<EpochRecord> history)
    {
        int best = 0;
        for (int i = 1; i < history.Count; i++)
        {
            if (history[i].ValidationLoss < history[best].ValidationLoss)
            {
                best = i;
            }
        }
        return best + 1;
    }

    private static (T Result, double Seconds, double CpuSeconds) Timed<T>(Func<T> work)
    {
        TimeSpan cpu = CpuTime();
        long start = Stopwatch.GetTimestamp();
        T result = work();
        double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        return (result, seconds, (CpuTime() - cpu).TotalSeconds);
    }

    private static TimeSpan CpuTime()
    {
        using var process = Process.GetCurrentProcess();
        return process.TotalProcessorTime;
    }

    // ---------------------------------------------------------------- report

    private static string Markdown(Options o, string command, List<Outcome> outcomes, string fashionNote, string started, string loadBefore, TimeSpan elapsed)
    {
        var md = new StringBuilder();
        void L(string line = "") => md.Append(line).Append('\n');
        int[] seeds = o.Seeds;
        L("# No tuning needed: the default adaptive run vs the best of a fixed-width grid");
        L();
        L("Issue 9, study 2. Generated by the benchmark program; every number below was measured in the run described here." +
          (o.Quick ? " **Quick mode: 3 epochs, a 2-member grid, one seed; the numbers mean nothing.**" : ""));
        L();
        L($"- Command: `{command}` (from the repository root); the whole run took {elapsed.TotalMinutes:F1} minutes");
        L($"- Machine: {MachineInfo.Describe()}; started {started}, finished {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        L($"- The machine was shared with other work (load average at the start: {loadBefore}; at the end: {CompressionStudy.LoadAverage()}), " +
          "so wall times are noisy. Times are wall-clock seconds of each training run, measured one after the other in this run; the default " +
          "runs are spread evenly between the members of the first grid of the same data set, so that a change of load hits both sides. The " +
          "CPU-time ratio (process CPU time during each run; training uses one libtorch thread) is given next to the wall-time ratio because " +
          "another process's load inflates wall time but hardly CPU time.");
        string fashionSeeds = o.FashionSeeds.Length == seeds.Length ? "" : $" (Fashion-MNIST: {SeedText(o.FashionSeeds)})";
        L($"- Seeds: default run {SeedText(seeds)}{fashionSeeds}: `new MLContext(seed: s)`, the trainer draws its own seed from it. " +
          $"Grids: every member once with seed {seeds[0]} (the paper's model selection, 1 run per configuration); the selected member is then " +
          "retrained with the remaining seeds, so both sides report the test metric as mean ± sample standard deviation over the same seeds. " +
          $"Data splits are fixed (seed {SplitSeed}) for every seed.");
        L();
        L("## What is compared");
        L();
        L("- **Default run**: `mlContext.BinaryClassification.Trainers.AdaptiveWidth()` (multiclass: `MulticlassClassification`, regression: " +
          "`Regression`) with **no options**, fitted with `Fit(train, validation)`: the average of eight networks (each with its own seed) of two " +
          "adaptive layers starting 32 neurons wide, inputs standardised (two-valued ones by at least half their range) and quantile-coded inside the model (docs/method.md §5.8-§5.13), ReLU6, " +
          "Adam 0.01, batch 128, at most 200 epochs, early stopping after 30 epochs without a lower validation loss, the best validation-loss epoch " +
          $"kept, weight prior σθ {DefaultWeightPrior.ToString(Inv)}, no rate prior; the learned width is the sum over the layers and the eight members. Its training time is the wall time of `Fit` (it includes reading the data views and, for the binary " +
          "trainer, fitting the Platt calibrator). The test metric is measured on the trained network and checked against ML.NET's evaluator " +
          "on the same model.");
        string grid = o.Quick
            ? "quick mode: 1 layer × width {8, 16}, ReLU6, Adam 0.01, batch 128"
            : $"layers {{{string.Join(", ", GridLayers)}}} × width {{{string.Join(", ", GridWidths)}}} × activation {{{string.Join(", ", GridActivations.Select(Name))}}} × " +
              $"Adam lr {{{string.Join(", ", GridRates.Select(r => r.ToString(Inv)))}}} × batch {{{string.Join(", ", GridBatches)}}} = **{o.Grid.Length} members**";
        L($"- **Fixed-width grid** (the paper's baselines): {grid}. Each member is a plain MLP (no importance, Kaiming initialisation, no weight " +
          "or rate prior, as the paper describes its fixed baselines (docs/method.md §3)) trained through the same training loop " +
          "(`TrainingSettings.AdaptWidth = false`, `UseImportance = false`) with the same epochs, patience and best-epoch rule as the default run. " +
          "The member with the best validation metric is selected (accuracy, ties broken by the lower validation loss, then the smaller network; " +
          "RMSE for regression), and its test metric is reported. **The grid's time is the sum of its members' training times** (the selected " +
          "member's retraining with more seeds is not counted).");
        if (!o.Quick)
        {
            L($"- **How the grid was trimmed**: the paper's tabular grid (listed in docs/method.md §3) is batch {{32, 128}} × layers {{1, 2, 4}} × width {{8, 16, 24, 128, 256}} × " +
              $"activation {{ReLU6, ReLU, LeakyReLU}} × Adam lr {{0.1, 0.01}} = {PaperGridSize} members. **Dropped: batch 32** (four times the " +
              "optimizer steps per epoch; with it the Fashion-MNIST grid alone would not fit the half hour). Everything else is kept, so the grid " +
              $"has {o.Grid.Length} of the {PaperGridSize} members. The dropped half is the more expensive half, so the time goal is harder to " +
              "meet than against the full grid; the best member can be no better than the full grid's, which makes the accuracy goal easier.");
        }
        bool anyPrior = outcomes.Any(r => r.PriorGrid is not null);
        if (anyPrior)
        {
            string where = outcomes.All(r => r.PriorGrid is not null)
                ? "on every data set"
                : $"on {string.Join(", ", outcomes.Where(r => r.PriorGrid is not null).Select(r => r.Case.Name))} (not on " +
                  $"{string.Join(", ", outcomes.Where(r => r.PriorGrid is null).Select(r => r.Case.Name))}, to keep the run within the half hour)";
            L($"- **The same grid with the default run's weight prior (σθ {DefaultWeightPrior.ToString(Inv)})**, {where}: the default run has an L2 " +
              "penalty Σθ²/(2σθ²N) that the paper's baselines lack, so this grid differs from the default run only in the width and in what the " +
              "grid tunes. Same members, seeds and selection rule.");
        }
        L("- **Best member on test**: the grid member with the best *test* metric (seed " + seeds[0] + "). No one can select it without the test " +
          "set; it shows how much the selection on small validation sets costs the grid.");
        L($"- **Goal** (issue 9): the default run's mean test metric within {AccuracyTolerance.ToString(Inv)} accuracy points (regression: " +
          $"{RmseTolerancePercent.ToString(Inv)}% of RMSE) of the grid's best (the member selected on validation), at no more than 1/5 of the grid's " +
          $"time (median default run / grid total ≤ {TimeGoal.ToString(Inv)}).");
        L();
        L("## Data");
        L();
        foreach (Outcome r in outcomes)
        {
            string resolution = r.Case.Regression
                ? ""
                : $" One test row is {100.0 / r.Case.Test.RowCount:F2} accuracy points, one validation row {100.0 / r.Case.Validation.RowCount:F2}.";
            L($"- **{r.Case.Name}**: {r.Case.Description}.{resolution}");
        }
        if (fashionNote.Length > 0)
        {
            L($"- {fashionNote}");
        }
        L();
        L("## Results: the default run vs the paper's fixed-width grid");
        L();
        L("| data set | metric | default run: test, mean ± sd | default: learned width | grid winner (selected on validation) | grid winner: test, mean ± sd | " +
          "default − grid | best member on test (seed " + seeds[0] + ") | default run s, median (min–max) | grid total s (members) | time ratio, wall (CPU) | accuracy goal | time goal |");
        L("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (Outcome r in outcomes)
        {
            var oracle = r.Grid.Oracle;
            L($"| {r.Case.Name} | {r.Case.Metric} | {CompressionStudy.MeanSd(r.Default.Select(x => x.Test), "F2")} | " +
              $"{CompressionStudy.MeanSd(r.Default.Select(x => (double)x.Widths.Sum()), "F0")} | {r.Grid.Winner.Label} | " +
              $"{CompressionStudy.MeanSd(r.Grid.WinnerRuns.Select(x => x.Test), "F2")} | {GapText(r, r.Gap(r.Grid))} | {oracle.Run.Test:F2} ({oracle.Member.Label}) | " +
              $"{Stats.Of(r.Default.Select(x => x.Seconds)).Format("F1")} | {r.Grid.Seconds:F1} ({r.Grid.Runs.Count}) | " +
              $"{r.Ratio(r.Grid):F3} ({r.CpuRatio(r.Grid):F3}) | {(r.MetricMet(r.Grid) ? "met" : "**missed**")} | {(r.TimeMet ? "met" : "**missed**")} |");
        }
        L();
        L("\"default − grid\" is the default run's mean minus the grid winner's mean: accuracy points (negative = the default run is worse), " +
          "or for regression the percent change of RMSE (positive = the default run is worse). The time ratio is the median default run's " +
          "training time over the grid's total.");
        L();
        if (anyPrior)
        {
            L($"## Results: the default run vs the same grid with the weight prior σθ {DefaultWeightPrior.ToString(Inv)}");
            L();
            L("| data set | metric | default run: test, mean ± sd | grid winner (selected on validation) | grid winner: test, mean ± sd | default − grid | " +
              "best member on test (seed " + seeds[0] + ") | grid total s (members) | time ratio, wall (CPU) | accuracy goal | time goal |");
            L("|---|---|---|---|---|---|---|---|---|---|---|");
            foreach (Outcome r in outcomes.Where(r => r.PriorGrid is not null))
            {
                GridResult g = r.PriorGrid!;
                var oracle = g.Oracle;
                L($"| {r.Case.Name} | {r.Case.Metric} | {CompressionStudy.MeanSd(r.Default.Select(x => x.Test), "F2")} | {g.Winner.Label} | " +
                  $"{CompressionStudy.MeanSd(g.WinnerRuns.Select(x => x.Test), "F2")} | {GapText(r, r.Gap(g))} | {oracle.Run.Test:F2} ({oracle.Member.Label}) | " +
                  $"{g.Seconds:F1} ({g.Runs.Count}) | {r.Ratio(g):F3} ({r.CpuRatio(g):F3}) | {(r.MetricMet(g) ? "met" : "**missed**")} | " +
                  $"{(r.Ratio(g) <= TimeGoal ? "met" : "**missed**")} |");
            }
            L();
            L("The default runs were interleaved with the first grid only; the time ratio against this grid compares runs made some minutes apart.");
            L();
        }
        L("## Verdict per data set");
        L();
        foreach (Outcome r in outcomes)
        {
            L($"- {Verdict(r)}");
        }
        L();
        int met = outcomes.Count(r => r.MetricMetMain && r.TimeMet);
        L($"Against the paper's grid, both goals are met on {met} of {outcomes.Count} data sets" +
          (met < outcomes.Count ? $"; missed on {string.Join(", ", outcomes.Where(r => !(r.MetricMetMain && r.TimeMet)).Select(r => r.Case.Name))}." : "."));
        if (anyPrior)
        {
            var withPrior = outcomes.Where(r => r.PriorGrid is not null).ToList();
            int priorMet = withPrior.Count(r => r.MetricMet(r.PriorGrid!) && r.Ratio(r.PriorGrid!) <= TimeGoal);
            L($"Against the grid with the weight prior, both goals are met on {priorMet} of {withPrior.Count} data sets" +
              (priorMet < withPrior.Count ? $"; missed on {string.Join(", ", withPrior.Where(r => !(r.MetricMet(r.PriorGrid!) && r.Ratio(r.PriorGrid!) <= TimeGoal)).Select(r => r.Case.Name))}." : "."));
        }
        L();
        L("How far to trust these numbers:");
        L();
        L("- **Selection noise.** The grid's selection is only as good as its validation set. The member selected on validation vs the best " +
          $"member on test, both seed {seeds[0]} (paper's grid): " + string.Join("; ", outcomes.Select(r =>
          {
              Trained selected = r.Grid.Runs.First(g => g.Member == r.Grid.Winner).Run;
              return $"{r.Case.Name} {selected.Test:F2} vs {r.Grid.Oracle.Run.Test:F2} ({r.Case.Validation.RowCount} validation rows)";
          })) + ". Where the two differ much, the comparison says more about choosing on a small validation set (a cost of tuning that the " +
          "default run does not pay) than about fixed against adaptive widths.");
        var coarse = outcomes.Where(r => !r.Case.Regression && 100.0 / r.Case.Test.RowCount > AccuracyTolerance).ToList();
        if (coarse.Count > 0)
        {
            L($"- **Test resolution.** On {string.Join(" and ", coarse.Select(r => $"{r.Case.Name} ({r.Case.Test.RowCount} test rows, {100.0 / r.Case.Test.RowCount:F2} points each)"))} " +
              $"one test row is worth more than the {AccuracyTolerance.ToString(Inv)}-point tolerance; the goal there rests on means over {seeds.Length} seed(s) of one fixed split.");
        }
        L("- **Spread.** The ± values are the spread over training seeds on one split; the split itself (which rows are test rows) is a " +
          "further source of variation that this study does not measure.");
        L();
        L("## The grids");
        L();
        L($"Every member, seed {seeds[0]}: validation and test metric of the kept (best validation-loss) epoch, epochs run (kept epoch), wall seconds" +
          (anyPrior ? $"; the second group of columns is the same member with σθ {DefaultWeightPrior.ToString(Inv)}" : "") +
          ". Selected members are in bold; the default runs follow each table.");
        foreach (Outcome r in outcomes)
        {
            L();
            L($"### {r.Case.Name} ({r.Case.Metric})");
            L();
            GridResult? pg = r.PriorGrid;
            L("| member | validation | validation loss | test | epochs (kept) | s |" + (pg is null ? "" : $" σθ {DefaultWeightPrior.ToString(Inv)}: validation | test | epochs (kept) | s |"));
            L("|---|---|---|---|---|---|" + (pg is null ? "" : "---|---|---|---|"));
            for (int i = 0; i < r.Grid.Runs.Count; i++)
            {
                var (m, g) = r.Grid.Runs[i];
                string label = m == r.Grid.Winner ? $"**{m.Label}**" : m.Label;
                string second = "";
                if (pg is not null)
                {
                    var (pm, p) = pg.Runs[i];
                    string validation = pm == pg.Winner ? $"**{p.Validation:F2}**" : $"{p.Validation:F2}";
                    second = $" {validation} | {p.Test:F2} | {p.Epochs} ({p.BestEpoch}) | {p.Seconds:F1} |";
                }
                L($"| {label} | {g.Validation:F2} | {g.ValidationLoss:F4} | {g.Test:F2} | {g.Epochs} ({g.BestEpoch}) | {g.Seconds:F1} |{second}");
            }
            foreach (var (d, seed) in r.Default.Zip(r.Seeds))
            {
                L($"| default run, seed {seed} (width {CompressionStudy.Join(d.Widths)}) | {d.Validation:F2} | {d.ValidationLoss:F4} | {d.Test:F2} | {d.Epochs} ({d.BestEpoch}) | {d.Seconds:F1} |" +
                  (pg is null ? "" : " | | | |"));
            }
        }
        L();
        return md.ToString();
    }

    // Rounded first (and + 0.0 turns −0 into 0), so a gap that rounds to zero reads "+0.00", not "-+0.00".
    private static string GapText(Outcome r, double gap) => r.Case.Regression
        ? $"{Math.Round(gap, 2) + 0.0:+0.00;-0.00}% RMSE"
        : $"{Math.Round(-gap, 2) + 0.0:+0.00;-0.00} points";

    private static string Verdict(Outcome r)
    {
        string Metric(GridResult g)
        {
            double gap = r.Gap(g);
            return r.Case.Regression
                ? $"RMSE {r.DefaultMean:F2} vs {g.WinnerMean:F2}, {Math.Abs(gap):F2}% {(gap > 0 ? "higher" : "lower")} → accuracy goal " +
                  (r.MetricMet(g) ? "met" : $"**missed by {gap - RmseTolerancePercent:F2}% of RMSE**")
                : $"accuracy {r.DefaultMean:F2}% vs {g.WinnerMean:F2}%, {Math.Abs(gap):F2} points {(gap > 0 ? "lower" : "higher")} → accuracy goal " +
                  (r.MetricMet(g) ? "met" : $"**missed by {gap - AccuracyTolerance:F2} points**");
        }
        string Oracle(GridResult g)
        {
            var (m, run) = g.Oracle;
            double gap = r.Gap(run.Test);
            return r.Case.Regression
                ? $"the best member on test ({m.Label}, seed {r.Seeds[0]}) has RMSE {run.Test:F2}, {Math.Abs(gap):F2}% {(gap > 0 ? "below" : "above")} the default run's mean"
                : $"the best member on test ({m.Label}, seed {r.Seeds[0]}) has {run.Test:F2}%, {Math.Abs(gap):F2} points {(gap > 0 ? "above" : "below")} the default run's mean";
        }
        string text = $"**{r.Case.Name}**: against the paper's grid (winner {r.Grid.Winner.Label}), {Metric(r.Grid)}; time {r.DefaultSeconds:F1} s vs " +
            $"{r.Grid.Seconds:F0} s for the {r.Grid.Runs.Count}-member grid = {r.Ratio(r.Grid):F3} (CPU {r.CpuRatio(r.Grid):F3}) → time goal " +
            (r.TimeMet ? "met" : $"**missed** ({r.Ratio(r.Grid) / TimeGoal:F2}x the allowed {TimeGoal.ToString(Inv)})") + $"; {Oracle(r.Grid)}.";
        // The same members restricted to the default run's activation: a smaller grid a user might run instead.
        var relu6 = r.Grid.Runs.Where(g => g.Member.Activation == ActivationKind.ReLU6).ToList();
        if (relu6.Count < r.Grid.Runs.Count)
        {
            double seconds = relu6.Sum(g => g.Run.Seconds);
            text += $" Against only its {relu6.Count} ReLU6 members ({seconds:F1} s) the time ratio would be {r.DefaultSeconds / seconds:F3}.";
        }
        if (r.PriorGrid is GridResult pg)
        {
            text += $" With the weight prior σθ {DefaultWeightPrior.ToString(Inv)} (winner {pg.Winner.Label}): {Metric(pg)}; {Oracle(pg)}.";
        }
        return text;
    }

    // ---------------------------------------------------------------- rows

    /// <summary>A row with a Boolean label (binary classification) and the features.</summary>
    public sealed class BoolRow
    {
        public bool Label { get; set; }

        public float[] Features { get; set; } = [];
    }

    /// <summary>
    /// A row with a key label and the features. <c>LoadFromEnumerable</c> reads a key-typed uint as 0-based: value v
    /// becomes key v + 1 when v &lt; the key count, else the missing key 0 (ML.NET's DataViewConstructionUtils; measured
    /// here too). So the row holds the class index itself; the check against ML.NET's evaluator in
    /// <see cref="DefaultRun"/> would catch a shift.
    /// </summary>
    public sealed class KeyRow
    {
        public uint Label { get; set; }

        public float[] Features { get; set; } = [];
    }

    /// <summary>A row with a Single label (regression) and the features.</summary>
    public sealed class FloatRow
    {
        public float Label { get; set; }

        public float[] Features { get; set; } = [];
    }

    /// <summary>A schema whose Features column (the trainers' default name) is a vector of <paramref name="featureCount"/> floats.</summary>
    private static SchemaDefinition Schema<TRow>(int featureCount)
    {
        SchemaDefinition definition = SchemaDefinition.Create(typeof(TRow));
        definition["Features"].ColumnType = new VectorDataViewType(NumberDataViewType.Single, featureCount);
        return definition;
    }

    private static IEnumerable<BoolRow> BoolRows(Dataset d) => Enumerable.Range(0, d.RowCount).Select(i => new BoolRow { Label = d.Labels[i] > 0, Features = d.Row(i).ToArray() });

    private static IEnumerable<KeyRow> KeyRows(Dataset d) => Enumerable.Range(0, d.RowCount).Select(i => new KeyRow { Label = (uint)d.Labels[i], Features = d.Row(i).ToArray() });

    private static IEnumerable<FloatRow> FloatRows(Dataset d) => Enumerable.Range(0, d.RowCount).Select(i => new FloatRow { Label = d.Labels[i], Features = d.Row(i).ToArray() });

    // ---------------------------------------------------------------- helpers

    private static string Name(ActivationKind a) => a switch
    {
        ActivationKind.ReLU6 => "ReLU6",
        ActivationKind.ReLU => "ReLU",
        ActivationKind.LeakyReLU => "LeakyReLU",
        _ => a.ToString(),
    };

    private static string SeedText(int[] seeds) => seeds.Length == 1 ? $"{seeds[0]} (1 seed)" : $"{seeds[0]}–{seeds[^1]} ({seeds.Length} seeds)";

    private static string Argument(string[] args, string name, string fallback) => CommandLine.Argument(args, name, fallback);

    private static void Log(string message) => Console.Error.WriteLine(message);
}
