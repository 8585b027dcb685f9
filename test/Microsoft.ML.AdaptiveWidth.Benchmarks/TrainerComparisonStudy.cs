using System.Diagnostics;
using Microsoft.ML.AdaptiveWidth.Datasets;
using Microsoft.ML.Calibrators;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;
using Microsoft.ML.Trainers.AdaptiveWidth;
using Microsoft.ML.Trainers.FastTree;
using Microsoft.ML.Trainers.LightGbm;

namespace Microsoft.ML.AdaptiveWidth.Benchmarks;

/// <summary>
/// Issue 3 "Numbers to report" and issue 9 study 3: the adaptive-width trainer against ML.NET's LightGBM, FastTree and
/// SDCA in the same pipeline (Concatenate → NormalizeMinMax → trainer), on the same splits, in the same run: test
/// metric, training time, learned widths, model zip size, single-row PredictionEngine latency and batch Transform µs/row.
/// </summary>
internal static class TrainerComparisonStudy
{
    /// <summary>The exit code when <c>--require-fashion</c> is given and Fashion-MNIST is not fetched.</summary>
    public const int FashionMissingExitCode = 3;

    private const int Seed = 1;
    private const int SplitSeed = 42;

    /// <summary>What to run.</summary>
    /// <param name="Quick">Tiny epochs, trees and repetitions: checks that the study runs, its numbers mean nothing.</param>
    /// <param name="FashionTrainRows">Stratified subsample of Fashion-MNIST's 60,000 training images.</param>
    /// <param name="FashionTestRows">The first rows of Fashion-MNIST's 10,000 test images.</param>
    /// <param name="Predictions">Single-row predictions per repetition (each timed on its own).</param>
    /// <param name="Repetitions">Repetitions of the single-row and batch timings.</param>
    /// <param name="RequireFashion">Fail (exit code 3) when Fashion-MNIST is not fetched.</param>
    /// <param name="SkipFashion">Skip Fashion-MNIST on purpose (smoke mode: FastTree one-vs-all on 784 features takes tens of seconds).</param>
    public sealed record Settings(bool Quick, int FashionTrainRows, int FashionTestRows, int Predictions, int Repetitions, bool RequireFashion,
        bool SkipFashion = false)
    {
        public static Settings Full(bool requireFashion) => new(false, 20_000, 10_000, 20_000, 5, requireFashion);

        public static Settings QuickRun(bool requireFashion) => new(true, 500, 200, 200, 2, requireFashion);
    }

    private enum TaskKind
    {
        Binary,
        Multiclass,
        Regression,
    }

    /// <summary>A trainer of the comparison: its name and how to make it from a fresh <see cref="MLContext"/>.</summary>
    private sealed record Candidate(string Name, Func<MLContext, IEstimator<ITransformer>> Trainer, bool Ours = false);

    private sealed record Measured(
        Candidate Candidate, double Metric, double SecondMetric, double TrainSeconds, string Widths, int MaxWidth, long ZipBytes,
        Stats SingleRowMicroseconds, Stats BatchMicrosecondsPerRow, double[] SingleRowRounds, double[] BatchRounds);

    /// <summary>Runs the study; writes the report's lines to <paramref name="report"/> as they are produced.</summary>
    /// <returns>0, or <see cref="FashionMissingExitCode"/> when Fashion-MNIST is required and absent.</returns>
    public static int Run(Settings s, Action<string> report)
    {
        report($"Repetitions: single-row latency = median over {s.Predictions:N0} individually timed `PredictionEngine.Predict` calls " +
               $"(after at least {Warmup(s):N0} warm-up calls and {WarmupSeconds(s):F2} s, so tiered JIT has optimized the code), in {s.Repetitions} rounds: median of the round medians (min–max of the round medians). " +
               $"Batch = `Transform` of the cached test set, reading the Score column with a cursor, µs per row, " +
               $"whole passes over the test set until at least {BatchRows(s):N0} rows per round, after warm-up passes (at least one, and {WarmupSeconds(s):F2} s): median (min–max) over the {s.Repetitions} rounds. " +
               "Each round times every trainer of the data set once, one after the other, so the ratios below are also given per round. " +
               "Training: one fit per trainer, wall time. " +
               $"Seeds: `MLContext(seed: {Seed})` for every trainer; splits seed {SplitSeed}.");
        report("");
        report("Pipeline for every trainer: `Concatenate(\"Features\", \"X\")` → `NormalizeMinMax(\"Features\")` → trainer " +
               "(multiclass: `MapValueToKey(\"Label\")` first). Latency and batch timings include the whole pipeline and read only the " +
               "Score column. Trainers run with ML.NET's defaults; FastTree has no multiclass trainer, so multiclass uses " +
               "`OneVersusAll(FastTree)`. Threads: AdaptiveWidth trains on 1 intra-op thread (its default); LightGBM, FastTree " +
               "and SDCA use their default thread counts (all cores), so training times are not a like-for-like comparison.");
        if (s.Quick)
        {
            report("");
            report("**Quick mode**: AdaptiveWidth 3 epochs, 5 trees/iterations for LightGBM and FastTree, 3 SDCA passes, few timing " +
                   "repetitions. It checks that the study runs; its numbers are not results.");
        }

        report("");
        var summary = new List<string>();

        Dataset breast = SklearnDatasets.BreastCancer();
        var (bTrain, bTest) = Splits.StratifiedTrainTest(breast, 0.2, SplitSeed);
        RunSet(TaskKind.Binary, "Breast cancer (binary)",
            $"scikit-learn breast cancer, {breast.RowCount} rows × {breast.FeatureCount} features; stratified 80/20 split " +
            $"(`Splits.StratifiedTrainTest`, seed {SplitSeed}): {bTrain.RowCount} train / {bTest.RowCount} test.",
            bTrain, bTest, BinaryCandidates(s), s, report, summary);

        Dataset digits = SklearnDatasets.Digits();
        var (dTrain, dTest) = Splits.StratifiedTrainTest(digits, 0.2, SplitSeed);
        RunSet(TaskKind.Multiclass, "Digits (multiclass, 10 classes)",
            $"scikit-learn digits, {digits.RowCount} rows × {digits.FeatureCount} pixels; stratified 80/20 split " +
            $"(seed {SplitSeed}): {dTrain.RowCount} train / {dTest.RowCount} test.",
            dTrain, dTest, MulticlassCandidates(s), s, report, summary);

        bool fashionMissing = false;
        if (s.SkipFashion)
        {
            string message = "Fashion-MNIST: **skipped on purpose** in smoke mode to keep it fast (`trainers --quick` and `trainers` run it).";
            report("## Fashion-MNIST (multiclass, 10 classes)");
            report("");
            report(message);
            report("");
            summary.Add(message);
        }
        else if (FashionMnist.TryLoad(null, out Dataset? fTrainAll, out Dataset? fTestAll))
        {
            // A stratified subsample of the training images keeps the whole study within minutes on 2 cores.
            Dataset fTrain = StratifiedSample(fTrainAll, s.FashionTrainRows, SplitSeed);
            Dataset fTest = fTestAll.Take(s.FashionTestRows);
            RunSet(TaskKind.Multiclass, "Fashion-MNIST (multiclass, 10 classes)",
                $"Fashion-MNIST, {fTrainAll.FeatureCount} pixels scaled to [0, 1]; training on a stratified random subsample of " +
                $"**{fTrain.RowCount:N0} of the {fTrainAll.RowCount:N0} training images** (seed {SplitSeed}) so the study runs in " +
                $"minutes; tested on {(fTest.RowCount == fTestAll.RowCount ? "the official" : "the first")} {fTest.RowCount:N0} test images.",
                fTrain, fTest, MulticlassCandidates(s), s, report, summary);
        }
        else
        {
            fashionMissing = true;
            string message = $"Fashion-MNIST: **skipped** — not fetched (looked in {FashionMnist.DefaultCacheDirectory}); " +
                             "run `bash build/fetch-fashion-mnist.sh` first" +
                             (s.RequireFashion ? "; `--require-fashion` was given, so the program fails." : "; the other data sets ran.");
            report($"## Fashion-MNIST (multiclass, 10 classes)");
            report("");
            report(message);
            report("");
            summary.Add(message);
        }

        Dataset diabetes = SklearnDatasets.Diabetes();
        var (rTrain, rTest) = Splits.TrainTest(diabetes, 0.2, SplitSeed);
        RunSet(TaskKind.Regression, "Diabetes (regression)",
            $"scikit-learn diabetes, {diabetes.RowCount} rows × {diabetes.FeatureCount} raw (unscaled) features, target 25..346; " +
            $"random 80/20 split (`Splits.TrainTest`, seed {SplitSeed}): {rTrain.RowCount} train / {rTest.RowCount} test.",
            rTrain, rTest, RegressionCandidates(s), s, report, summary);

        report("## Summary");
        report("");
        foreach (string line in summary)
        {
            report($"- {line}");
        }

        report("");
        return fashionMissing && s.RequireFashion ? FashionMissingExitCode : 0;
    }

    /// <summary>
    /// About <paramref name="rows"/> rows with the class proportions of <paramref name="d"/> (round(rows·n_c/n) of class c,
    /// shuffled with a seeded <see cref="Random"/>); all rows when <paramref name="rows"/> ≥ the row count. Unlike a
    /// train/test split it copies only the rows it keeps.
    /// </summary>
    private static Dataset StratifiedSample(Dataset d, int rows, int seed)
    {
        if (rows >= d.RowCount)
        {
            return d;
        }

        var rng = new Random(seed);
        var keep = new List<int>(rows);
        for (int c = 0; c < d.ClassCount; c++)
        {
            int[] members = Enumerable.Range(0, d.RowCount).Where(i => (int)d.Labels[i] == c).ToArray();
            rng.Shuffle(members);
            keep.AddRange(members.Take((int)Math.Round((double)rows * members.Length / d.RowCount, MidpointRounding.AwayFromZero)));
        }

        int[] order = keep.ToArray();
        rng.Shuffle(order);
        return d.Subset(order);
    }

    private static readonly Stopwatch Clock = Stopwatch.StartNew();

    /// <summary>Seconds since the study started, for the progress lines on stderr.</summary>
    private static string Elapsed() => $"{Clock.Elapsed.TotalSeconds:F0} s";

    private static int BatchRows(Settings s) => s.Quick ? 1 : 20_000;

    private static int Warmup(Settings s) => Math.Max(100, s.Predictions / 10);

    private static double WarmupSeconds(Settings s) => s.Quick ? 0.02 : 1.0;

    private static IReadOnlyList<Candidate> BinaryCandidates(Settings s) =>
    [
        new("AdaptiveWidth", ml => ml.BinaryClassification.Trainers.AdaptiveWidth(
            s.Quick ? new AdaptiveWidthBinaryTrainer.Options { MaxEpoch = 3 } : new AdaptiveWidthBinaryTrainer.Options()), Ours: true),
        new("LightGbm", ml => s.Quick
            ? ml.BinaryClassification.Trainers.LightGbm(new LightGbmBinaryTrainer.Options { NumberOfIterations = 5 })
            : ml.BinaryClassification.Trainers.LightGbm()),
        new("FastTree", ml => s.Quick
            ? ml.BinaryClassification.Trainers.FastTree(new FastTreeBinaryTrainer.Options { NumberOfTrees = 5 })
            : ml.BinaryClassification.Trainers.FastTree()),
        new("SdcaLogisticRegression", ml => s.Quick
            ? ml.BinaryClassification.Trainers.SdcaLogisticRegression(new SdcaLogisticRegressionBinaryTrainer.Options { MaximumNumberOfIterations = 3 })
            : ml.BinaryClassification.Trainers.SdcaLogisticRegression()),
    ];

    private static IReadOnlyList<Candidate> MulticlassCandidates(Settings s) =>
    [
        new("AdaptiveWidth", ml => ml.MulticlassClassification.Trainers.AdaptiveWidth(
            s.Quick ? new AdaptiveWidthMulticlassTrainer.Options { MaxEpoch = 3 } : new AdaptiveWidthMulticlassTrainer.Options()), Ours: true),
        new("LightGbm", ml => s.Quick
            ? ml.MulticlassClassification.Trainers.LightGbm(new LightGbmMulticlassTrainer.Options { NumberOfIterations = 5 })
            : ml.MulticlassClassification.Trainers.LightGbm()),
        new("FastTree (one-vs-all)", ml => ml.MulticlassClassification.Trainers.OneVersusAll(s.Quick
            ? ml.BinaryClassification.Trainers.FastTree(new FastTreeBinaryTrainer.Options { NumberOfTrees = 5 })
            : ml.BinaryClassification.Trainers.FastTree())),
        new("SdcaMaximumEntropy", ml => s.Quick
            ? ml.MulticlassClassification.Trainers.SdcaMaximumEntropy(new SdcaMaximumEntropyMulticlassTrainer.Options { MaximumNumberOfIterations = 3 })
            : ml.MulticlassClassification.Trainers.SdcaMaximumEntropy()),
    ];

    private static IReadOnlyList<Candidate> RegressionCandidates(Settings s) =>
    [
        new("AdaptiveWidth", ml => ml.Regression.Trainers.AdaptiveWidth(
            s.Quick ? new AdaptiveWidthRegressionTrainer.Options { MaxEpoch = 3 } : new AdaptiveWidthRegressionTrainer.Options()), Ours: true),
        new("LightGbm", ml => s.Quick
            ? ml.Regression.Trainers.LightGbm(new LightGbmRegressionTrainer.Options { NumberOfIterations = 5 })
            : ml.Regression.Trainers.LightGbm()),
        new("FastTree", ml => s.Quick
            ? ml.Regression.Trainers.FastTree(new FastTreeRegressionTrainer.Options { NumberOfTrees = 5 })
            : ml.Regression.Trainers.FastTree()),
        new("Sdca", ml => s.Quick
            ? ml.Regression.Trainers.Sdca(new SdcaRegressionTrainer.Options { MaximumNumberOfIterations = 3 })
            : ml.Regression.Trainers.Sdca()),
    ];

    private static void RunSet(TaskKind kind, string title, string description, Dataset train, Dataset test,
        IReadOnlyList<Candidate> candidates, Settings s, Action<string> report, List<string> summary)
    {
        Console.Error.WriteLine($"[trainers] {title}: {train.RowCount} train rows, {test.RowCount} test rows");
        List<Measured> results = kind == TaskKind.Binary
            ? RunAll(kind, BenchmarkRows.Binary(train), BenchmarkRows.Binary(test), train.FeatureCount, candidates, s)
            : RunAll(kind, BenchmarkRows.Float(train), BenchmarkRows.Float(test), train.FeatureCount, candidates, s);

        (string metric, string second) = kind switch
        {
            TaskKind.Binary => ("accuracy", "AUC"),
            TaskKind.Multiclass => ("accuracy (micro)", "macro accuracy"),
            _ => ("R²", "RMSE"),
        };
        report($"## {title}");
        report("");
        report(description);
        report("");
        report($"| trainer | {metric} | {second} | training s | learned widths | model zip bytes | single-row µs, median (min–max) | batch µs/row, median (min–max) |");
        report("|---|---|---|---|---|---|---|---|");
        foreach (Measured m in results)
        {
            string secondText = kind == TaskKind.Regression ? m.SecondMetric.ToString("F2") : m.SecondMetric.ToString("F4");
            report($"| {m.Candidate.Name} | {m.Metric:F4} | {secondText} | {m.TrainSeconds:F2} | {m.Widths} | {m.ZipBytes:N0} | " +
                   $"{m.SingleRowMicroseconds.Format("F2")} | {m.BatchMicrosecondsPerRow.Format("F3")} |");
        }

        report("");
        foreach (string line in Conclusions(kind, title, results))
        {
            report($"- {line}");
            summary.Add($"{title}: {line}");
        }

        report("");
    }

    private static IEnumerable<string> Conclusions(TaskKind kind, string title, List<Measured> results)
    {
        Measured ours = results.Single(r => r.Candidate.Ours);
        Measured lightGbm = results.Single(r => r.Candidate.Name == "LightGbm");
        Measured sdca = results.Single(r => r.Candidate.Name.StartsWith("Sdca", StringComparison.Ordinal));
        double singleRatio = ours.SingleRowMicroseconds.Median / lightGbm.SingleRowMicroseconds.Median;
        double batchRatio = ours.BatchMicrosecondsPerRow.Median / sdca.BatchMicrosecondsPerRow.Median;
        // The same ratio within each timing round (the trainers of a round ran back to back under the same load).
        Stats singleRounds = Stats.Of(ours.SingleRowRounds.Zip(lightGbm.SingleRowRounds, (a, b) => a / b));
        Stats batchRounds = Stats.Of(ours.BatchRounds.Zip(sdca.BatchRounds, (a, b) => a / b));
        string widthNote = ours.MaxWidth <= 128
            ? $"learned width {ours.MaxWidth} ≤ 128, so the target applies"
            : $"learned width {ours.MaxWidth} > 128, outside the target's range (widths up to 128)";
        yield return $"Single-row latency, AdaptiveWidth / LightGbm = {ours.SingleRowMicroseconds.Median:F2} / " +
                     $"{lightGbm.SingleRowMicroseconds.Median:F2} µs = **{singleRatio:F2}x** (per-round ratios {singleRounds.Format("F2")}); " +
                     $"issue 3 target ≤ 1x: {(singleRatio <= 1 ? "met" : "not met")} ({widthNote}); " +
                     $"issue 9's absolute target ≤ 2 µs: {(ours.SingleRowMicroseconds.Median <= 2 ? "met" : "not met")}.";
        yield return $"Batch µs/row, AdaptiveWidth / {sdca.Candidate.Name} = {ours.BatchMicrosecondsPerRow.Median:F3} / " +
                     $"{sdca.BatchMicrosecondsPerRow.Median:F3} = **{batchRatio:F2}x** (per-round ratios {batchRounds.Format("F2")}); " +
                     $"target ≤ 2x: {(batchRatio <= 2 ? "met" : "not met")}.";

        // Accuracy: higher is better for accuracy and R²; compare with the best tree trainer.
        Measured bestTree = results.Where(r => r.Candidate.Name.StartsWith("LightGbm", StringComparison.Ordinal)
                                               || r.Candidate.Name.StartsWith("FastTree", StringComparison.Ordinal))
            .MaxBy(r => r.Metric)!;
        string unit = kind == TaskKind.Regression ? "R²" : "accuracy";
        double gap = bestTree.Metric - ours.Metric;
        string gapText = kind == TaskKind.Regression ? $"{Math.Abs(gap):F4}" : $"{Math.Abs(gap) * 100:F1} points";
        yield return gap > 0
            ? $"**Trees win on {unit}**: {bestTree.Candidate.Name} {bestTree.Metric:F4} vs AdaptiveWidth {ours.Metric:F4} (by {gapText})."
            : $"AdaptiveWidth matches or beats the trees on {unit}: {ours.Metric:F4} vs best tree {bestTree.Candidate.Name} " +
              $"{bestTree.Metric:F4} (by {gapText}).";
        double linearGap = sdca.Metric - ours.Metric;
        if (linearGap > 0)
        {
            yield return $"**{sdca.Candidate.Name} beats AdaptiveWidth on {unit}**: {sdca.Metric:F4} vs {ours.Metric:F4}.";
        }
    }

    private static List<Measured> RunAll<TIn>(TaskKind kind, TIn[] trainRows, TIn[] testRows, int featureCount,
        IReadOnlyList<Candidate> candidates, Settings s)
        where TIn : class, new()
    {
        SchemaDefinition schema = BenchmarkRows.Schema<TIn>(featureCount);
        var fitted = new List<(Candidate Candidate, double Metric, double Second, double TrainSeconds, string Widths, int MaxWidth, long ZipBytes,
            Timer Single, Timer Batch)>();
        var engines = new List<IDisposable>();
        try
        {
            foreach (Candidate candidate in candidates)
            {
                Console.Error.WriteLine($"[trainers]   {candidate.Name} ({Elapsed()})");
                // A fresh context per trainer, so each trainer's seed does not depend on the order of the list.
                var ml = new MLContext(seed: Seed);
                IDataView train = ml.Data.LoadFromEnumerable(trainRows, schema);
                IDataView test = ml.Data.Cache(ml.Data.LoadFromEnumerable(testRows, schema));
                IEstimator<ITransformer> pipeline = Pipeline(ml, kind, candidate.Trainer(ml));

                var clock = Stopwatch.StartNew();
                ITransformer model = pipeline.Fit(train);
                double trainSeconds = clock.Elapsed.TotalSeconds;

                IDataView scored = model.Transform(test);
                (double metric, double second) = kind switch
                {
                    TaskKind.Binary => Binary(ml.BinaryClassification.Evaluate(scored)),
                    TaskKind.Multiclass => Multiclass(ml.MulticlassClassification.Evaluate(scored)),
                    _ => Regression(ml.Regression.Evaluate(scored)),
                };

                using var zip = new MemoryStream();
                ml.Model.Save(model, train.Schema, zip);

                (string widths, int maxWidth) = Widths(model);
                Timer single = kind == TaskKind.Multiclass
                    ? SingleRowTimer<TIn, VectorScore>(ml, model, schema, testRows, s, engines)
                    : SingleRowTimer<TIn, ScalarScore>(ml, model, schema, testRows, s, engines);
                fitted.Add((candidate, metric, second, trainSeconds, widths, maxWidth, zip.Length, single, BatchTimer(model, test, s)));
            }

            // Timing rounds interleave the trainers (round r times every trainer once), so a burst of load from other
            // processes hits all trainers of a round alike rather than one trainer's whole measurement.
            Console.Error.WriteLine($"[trainers]   timing: {s.Repetitions} rounds ({Elapsed()})");
            foreach ((Candidate _, _, _, _, _, _, _, Timer single, Timer batch) in fitted)
            {
                single.WarmUp();
                batch.WarmUp();
            }

            var singles = fitted.Select(_ => new List<double>()).ToArray();
            var batches = fitted.Select(_ => new List<double>()).ToArray();
            for (int r = 0; r < s.Repetitions; r++)
            {
                for (int c = 0; c < fitted.Count; c++)
                {
                    singles[c].Add(fitted[c].Single.Measure());
                    batches[c].Add(fitted[c].Batch.Measure());
                }
            }

            return fitted.Select((f, c) => new Measured(f.Candidate, f.Metric, f.Second, f.TrainSeconds, f.Widths, f.MaxWidth, f.ZipBytes,
                Stats.Of(singles[c]), Stats.Of(batches[c]), singles[c].ToArray(), batches[c].ToArray())).ToList();
        }
        finally
        {
            foreach (IDisposable engine in engines)
            {
                engine.Dispose();
            }
        }
    }

    /// <summary>One kind of timing of one trained pipeline: a warm-up, and one repetition's measurement in µs.</summary>
    private sealed record Timer(Action WarmUp, Func<double> Measure);

    private static (double, double) Binary(CalibratedBinaryClassificationMetrics m) => (m.Accuracy, m.AreaUnderRocCurve);

    private static (double, double) Multiclass(MulticlassClassificationMetrics m) => (m.MicroAccuracy, m.MacroAccuracy);

    private static (double, double) Regression(RegressionMetrics m) => (m.RSquared, m.RootMeanSquaredError);

    private static IEstimator<ITransformer> Pipeline(MLContext ml, TaskKind kind, IEstimator<ITransformer> trainer)
    {
        IEstimator<ITransformer> features = ml.Transforms.Concatenate("Features", "X")
            .Append(ml.Transforms.NormalizeMinMax("Features"));
        if (kind == TaskKind.Multiclass)
        {
            features = ml.Transforms.Conversion.MapValueToKey("Label").Append(features);
        }

        return features.Append(trainer);
    }

    /// <summary>The learned widths and epochs of an AdaptiveWidth model ("—" for other trainers) and the largest width.</summary>
    internal static (string Text, int Max) Widths(ITransformer model)
    {
        ITransformer last = model is IEnumerable<ITransformer> chain ? chain.Last() : model;
        (IReadOnlyList<int>? widths, int epochs) = last switch
        {
            BinaryPredictionTransformer<CalibratedModelParametersBase<AdaptiveWidthBinaryModelParameters, PlattCalibrator>> b =>
                (b.Model.SubModel.LayerWidths, b.Model.SubModel.TrainingHistory.Count),
            MulticlassPredictionTransformer<AdaptiveWidthMulticlassModelParameters> m => (m.Model.LayerWidths, m.Model.TrainingHistory.Count),
            RegressionPredictionTransformer<AdaptiveWidthRegressionModelParameters> r => (r.Model.LayerWidths, r.Model.TrainingHistory.Count),
            _ => ((IReadOnlyList<int>?)null, 0),
        };
        return widths is null ? ("—", 0) : ($"{string.Join("-", widths)} ({epochs} epochs)", widths.Max());
    }

    /// <summary>
    /// Single-row timing: a repetition is the median µs of <see cref="Settings.Predictions"/> individually timed
    /// <c>Predict</c> calls; the warm-up runs by count and by time, so tiered JIT compilation has optimized the code.
    /// </summary>
    private static Timer SingleRowTimer<TIn, TOut>(MLContext ml, ITransformer model, SchemaDefinition schema, TIn[] rows, Settings s,
        List<IDisposable> engines)
        where TIn : class, new()
        where TOut : class, new()
    {
        PredictionEngine<TIn, TOut> engine = ml.Model.CreatePredictionEngine<TIn, TOut>(
            model, ignoreMissingColumns: true, inputSchemaDefinition: schema);
        engines.Add(engine);
        var output = new TOut();
        var ticks = new double[s.Predictions];
        return new Timer(
            () => WarmUpPredictions(engine, rows, output, Warmup(s), WarmupSeconds(s)),
            () => MedianPredictionMicroseconds(engine, rows, output, ticks));
    }

    /// <summary>At least <paramref name="calls"/> <c>Predict</c> calls over <paramref name="rows"/> (cycled), and for at least <paramref name="seconds"/>.</summary>
    internal static void WarmUpPredictions<TIn, TOut>(PredictionEngine<TIn, TOut> engine, TIn[] rows, TOut output, int calls, double seconds)
        where TIn : class
        where TOut : class, new()
    {
        long warmupEnd = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
        for (int i = 0; i < calls || Stopwatch.GetTimestamp() < warmupEnd; i++)
        {
            engine.Predict(rows[i % rows.Length], ref output);
        }
    }

    /// <summary>The median µs of <paramref name="ticks"/>.Length individually timed <c>Predict</c> calls over <paramref name="rows"/> (cycled).</summary>
    internal static double MedianPredictionMicroseconds<TIn, TOut>(PredictionEngine<TIn, TOut> engine, TIn[] rows, TOut output, double[] ticks)
        where TIn : class
        where TOut : class, new()
    {
        for (int i = 0; i < ticks.Length; i++)
        {
            TIn row = rows[i % rows.Length];
            long start = Stopwatch.GetTimestamp();
            engine.Predict(row, ref output);
            ticks[i] = Stopwatch.GetTimestamp() - start;
        }

        return Stats.MedianOf(ticks) * 1e6 / Stopwatch.Frequency;
    }

    /// <summary>
    /// Batch timing: a repetition is the µs per row of one Transform pass over the (cached) test set, reading every Score
    /// value through a cursor; the warm-up makes at least one pass and runs for the warm-up time.
    /// </summary>
    private static Timer BatchTimer(ITransformer model, IDataView test, Settings s)
    {
        return new Timer(
            () =>
            {
                long warmupEnd = Stopwatch.GetTimestamp() + (long)(WarmupSeconds(s) * Stopwatch.Frequency);
                do
                {
                    Observe(Pass(model, test, out _));
                }
                while (Stopwatch.GetTimestamp() < warmupEnd);
            },
            () =>
            {
                // Whole passes until at least BatchRows rows: a single pass over a small test set lasts about a
                // millisecond, which one preemption by another process would dominate.
                long start = Stopwatch.GetTimestamp();
                long total = 0;
                do
                {
                    Observe(Pass(model, test, out long rows));
                    total += rows;
                }
                while (total < BatchRows(s));

                return (Stopwatch.GetTimestamp() - start) * 1e6 / Stopwatch.Frequency / total;
            });
    }

    /// <summary>Keeps the scores observable so the reads cannot be optimised away.</summary>
    private static void Observe(double sum)
    {
        if (double.IsNaN(sum))
        {
            Console.Error.WriteLine("[trainers]   note: NaN scores");
        }
    }

    /// <summary>One Transform pass reading the Score column of every row; returns the sum of the (first) scores.</summary>
    private static double Pass(ITransformer model, IDataView test, out long rows)
    {
        double sum = 0;
        rows = 0;
        IDataView scored = model.Transform(test);
        DataViewSchema.Column score = scored.Schema["Score"];
        using DataViewRowCursor cursor = scored.GetRowCursor([score]);
        if (score.Type is VectorDataViewType)
        {
            ValueGetter<VBuffer<float>> getter = cursor.GetGetter<VBuffer<float>>(score);
            VBuffer<float> value = default;
            while (cursor.MoveNext())
            {
                getter(ref value);
                sum += value.GetValues()[0];
                rows++;
            }
        }
        else
        {
            ValueGetter<float> getter = cursor.GetGetter<float>(score);
            float value = 0;
            while (cursor.MoveNext())
            {
                getter(ref value);
                sum += value;
                rows++;
            }
        }

        return sum;
    }
}
