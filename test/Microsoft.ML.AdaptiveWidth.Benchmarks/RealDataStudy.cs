using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text;
using Microsoft.ML.AdaptiveWidth.Datasets;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;
using Microsoft.ML.Trainers.AdaptiveWidth;
using Microsoft.ML.Trainers.FastTree;
using Microsoft.ML.Trainers.LightGbm;
using Microsoft.ML.Transforms;

namespace Microsoft.ML.AdaptiveWidth.Benchmarks;

/// <summary>
/// Issue 15 part 2: every set of the public real-data suite (<c>build/fetch-tabular-suite.sh</c>) through the pipeline an
/// ML.NET user (or Model Builder) writes — TextLoader with inferred column types, one-hot (hashed above a cardinality)
/// categorical columns, missing numbers replaced with an indicator, everything concatenated — then each trainer with its
/// defaults: ours (after NormalizeMinMax, after NormalizeMeanVariance, and with no normalizer), LightGBM, FastTree, SDCA and
/// L-BFGS (OnlineGradientDescent for regression). Writes docs/realdata.md unless <c>--quick</c> or <c>--no-write</c>.
/// </summary>
internal static class RealDataStudy
{
    /// <summary>The exit code when the suite is not fetched (full mode).</summary>
    public const int SuiteMissingExitCode = 3;

    /// <summary>Accuracy points (or R² × 100) within which two results count as equal in the verdicts.</summary>
    private const double Tolerance = 0.5;

    /// <summary>A training run longer than this is recorded as too long (and our later seeds of it are skipped).</summary>
    private const double TooLongSeconds = 600;

    /// <summary>Interleaved rounds of single-row timing per set (<see cref="MeasureLatencies"/>).</summary>
    private const int LatencyRounds = 5;

    /// <summary>Text columns with more distinct training values than this are hashed (<c>OneHotHashEncoding</c>).</summary>
    private const int MaxOneHotCardinality = 100;

    /// <summary>Bits of the hashed one-hot encoding: 256 slots.</summary>
    private const int HashBits = 8;

    /// <summary>The seed of the baselines' <see cref="MLContext"/> (they are deterministic given it).</summary>
    private const int BaselineSeed = 1;

    private static readonly string[] QuickSets = ["breast_cancer", "wine", "concrete"];

    private const int QuickTrainRows = 300;

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    private enum Kind
    {
        Binary,
        Multiclass,
        Regression,
    }

    private enum Normalizer
    {
        None,
        MinMax,
        MeanVariance,

        /// <summary>Recipe experiments only (<c>--normalizers Binning</c>): <c>NormalizeBinning</c> with 1,024 bins, a
        /// step-function quantile transform.</summary>
        Binning,

        /// <summary>Recipe experiments only (<c>--normalizers BinningBeside</c>): the features after <c>NormalizeMinMax</c>
        /// and, beside them, their 1,024-bin <c>NormalizeBinning</c> (twice the inputs).</summary>
        BinningBeside,
    }

    /// <summary>A row of the suite's manifest (suite.csv).</summary>
    private sealed record SuiteEntry(string Name, Kind Kind, string Label, string Positive, int Classes, int Rows, int Train, int Test,
        int Numeric, int Categorical, int Missing, string Source, string Licence, string Notes);

    /// <summary>A loaded set: its data views, feature pipeline (up to "Features"; multiclass maps the label to a key) and latency probe.</summary>
    private sealed record SetData(SuiteEntry Entry, int TrainRows, int TestRows, string Pipeline,
        Func<MLContext, (IDataView Train, IDataView Test)> Load, Func<MLContext, IEstimator<ITransformer>> Features,
        Func<MLContext, ITransformer, LatencyProbe> Latency);

    /// <summary>Fit <paramref name="Run"/> of a candidate's <paramref name="Runs"/>, whose latency its probe measures later.</summary>
    private sealed record LatencyFit(Candidate Candidate, List<Fit> Runs, int Run, LatencyProbe Probe);

    /// <summary>
    /// Single-row timing of one fitted pipeline, kept until every trainer of a set is fitted so that the trainers are timed
    /// in interleaved rounds (<see cref="MeasureLatencies"/>).
    /// </summary>
    private sealed class LatencyProbe(Action warmUp, Func<int, double> measure, IDisposable engine) : IDisposable
    {
        public void WarmUp() => warmUp();

        /// <summary>The median µs of <paramref name="calls"/> individually timed <c>Predict</c> calls.</summary>
        public double Measure(int calls) => measure(calls);

        public void Dispose() => engine.Dispose();
    }

    /// <summary>A trainer of the comparison. <paramref name="Role"/> names it across tasks (the summary's rows).</summary>
    private sealed record Candidate(string Name, string Role, Normalizer Normalizer, bool Ours, bool Linear,
        Func<MLContext, IEstimator<ITransformer>> Trainer);

    /// <param name="LogLoss">Test log-loss of a classifier (ML.NET's evaluator's <c>LogLoss</c>); NaN for regression.</param>
    private sealed record Fit(double Metric, double Second, double Seconds, string Widths, double LatencyMicroseconds, double LogLoss = double.NaN);

    private sealed record Result(Candidate Candidate, List<Fit> Runs, string Note)
    {
        public double Mean => Runs.Count == 0 ? double.NaN : Runs.Average(r => r.Metric);

        /// <summary>The primary metric in points (accuracy % or R² × 100); NaN ranks last.</summary>
        public double Points => double.IsFinite(Mean) ? 100 * Mean : double.NegativeInfinity;

        public double Sd => Runs.Count < 2 ? 0 : Math.Sqrt(Runs.Sum(r => (r.Metric - Mean) * (r.Metric - Mean)) / (Runs.Count - 1));
    }

    private sealed record SetOutcome(SetData Set, List<Result> Results);

    private sealed record Settings(bool Quick, int[] Seeds, int Predictions, double WarmupSeconds)
    {
        /// <summary>Recipe experiments: average the test scores of this many fits of ours (seeds apart) per seed.</summary>
        public int Ensemble { get; init; } = 1;
    }

    private static readonly Stopwatch Clock = Stopwatch.StartNew();

    /// <summary>
    /// The folder the fetch script writes to: <c>${ADAPTIVEWIDTH_DATA:-$HOME/.cache/adaptive-width}/tabular-suite</c>, or with
    /// <c>--large</c> its larger supplement (<c>fetch-tabular-suite.sh --large</c>: 20,000 to 61,395 rows a set) in <c>tabular-large</c>.
    /// </summary>
    public static string SuiteDirectory => Path.Combine(Path.GetDirectoryName(FashionMnist.DefaultCacheDirectory)!, s_suite switch
    {
        Suite.Large => "tabular-large",
        Suite.Holdout => "tabular-holdout",
        _ => "tabular-suite",
    });

    /// <summary>Which sets the study runs on: the public suite the defaults were chosen on, its larger supplement
    /// (<c>--large</c>), or the held-out sets (<c>--holdout</c>: 37 small and medium sets from mlbench, AER and modeldata that no default
    /// was chosen on, to check that the defaults carry).</summary>
    private enum Suite { Main, Large, Holdout }

    private static Suite s_suite;

    private static string FetchCommand => s_suite switch
    {
        Suite.Large => "bash build/fetch-tabular-suite.sh --large",
        Suite.Holdout => "bash build/fetch-tabular-suite.sh --holdout",
        _ => "bash build/fetch-tabular-suite.sh",
    };

    private static string ReportName => s_suite switch
    {
        Suite.Large => "realdata-large.md",
        Suite.Holdout => "realdata-holdout.md",
        _ => "realdata.md",
    };

    private static string Title => s_suite switch
    {
        Suite.Large => "# Real data, larger sets: the default trainer against ML.NET's trainers on the suite's larger supplement",
        Suite.Holdout => "# Real data, held out: the default trainer against ML.NET's trainers on sets no default was chosen on",
        _ => "# Real data: the default trainer against ML.NET's trainers on the public suite",
    };

    public static int Run(string[] args, bool quick)
    {
        string[]? only = CommandLine.Argument(args, "--only", "") is { Length: > 0 } list ? list.Split(',', StringSplitOptions.TrimEntries) : null;
        s_suite = quick ? Suite.Main : args.Contains("--large") ? Suite.Large : args.Contains("--holdout") ? Suite.Holdout : Suite.Main;
        Tuning tuning = Tuning.From(args);
        // --first-seed N: ours with MLContext seeds N, N + 1, ... (the noise floor of a recipe comparison: the shipped
        // recipe on other seeds); like the tuning options, it does not write the documents, which are for seeds 1 to 3.
        int firstSeed = int.Parse(CommandLine.Argument(args, "--first-seed", "1"), Inv);
        bool write = !quick && !args.Contains("--no-write") && !tuning.IsSet && firstSeed == 1;
        int seedCount = quick ? 1 : int.Parse(CommandLine.Argument(args, "--seeds", "3"), Inv);
        var s = new Settings(quick, Enumerable.Range(firstSeed, seedCount).ToArray(), quick ? 100 : 2_000, quick ? 0.02 : 0.5)
        {
            Ensemble = int.Parse(CommandLine.Argument(args, "--ensemble", "1"), Inv),
        };
        string command = quick && args.Length > 0 && args[0] == "smoke"
            ? "dotnet run --project test/Microsoft.ML.AdaptiveWidth.Benchmarks -c Release -- smoke"
            : ("dotnet run --project test/Microsoft.ML.AdaptiveWidth.Benchmarks -c Release -- " + string.Join(' ', args)).TrimEnd();
        Console.WriteLine(Title);
        Console.WriteLine();
        string manifest = Path.Combine(SuiteDirectory, "suite.csv");
        if (!File.Exists(manifest))
        {
            string message = $"The real-data suite is not fetched (looked for {manifest}): run `{FetchCommand}`.";
            if (quick)
            {
                Console.WriteLine($"Real-data suite skipped: {message}");
                return 0;
            }
            Console.Error.WriteLine(message + " Nothing was run or written.");
            return SuiteMissingExitCode;
        }

        string? root = MachineInfo.RepositoryRoot();
        if (write && root is null)
        {
            Console.Error.WriteLine("Could not find the repository root (AdaptiveWidth.sln); the report cannot be written, so nothing was run.");
            return 4;
        }

        List<SuiteEntry> entries = ReadManifest(manifest);
        IEnumerable<SuiteEntry> chosen = quick ? entries.Where(e => QuickSets.Contains(e.Name)) : entries;
        if (only is not null)
        {
            string[] unknown = only.Where(o => !entries.Any(e => e.Name == o)).ToArray();
            if (unknown.Length > 0)
            {
                Console.Error.WriteLine($"--only names unknown sets: {string.Join(", ", unknown)}. Sets: {string.Join(", ", entries.Select(e => e.Name))}.");
                return 2;
            }
            chosen = chosen.Where(e => only.Contains(e.Name));
        }

        string started = $"{DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC";
        string loadBefore = CompressionStudy.LoadAverage();
        var outcomes = new List<SetOutcome>();
        var skipped = new List<string>();
        List<SuiteEntry> toRun = chosen.ToList();
        for (int i = 0; i < toRun.Count; i++)
        {
            SuiteEntry e = toRun[i];
            SetData? set = Load(e, s, out string? why);
            if (set is null)
            {
                skipped.Add($"{e.Name}: {why}");
                Console.Error.WriteLine($"[realdata] {e.Name}: skipped, {why}");
                continue;
            }
            Console.Error.WriteLine($"[realdata] {e.Name} ({i + 1}/{toRun.Count}): {set.TrainRows} train / {set.TestRows} test rows ({Elapsed()})");
            IEnumerable<Candidate> candidates = Candidates(e.Kind, quick, tuning);
            var probes = new List<LatencyFit>();
            try
            {
                List<Result> results = candidates.Select(c => RunCandidate(set, c, s, probes)).ToList();
                MeasureLatencies(probes, s);
                outcomes.Add(new SetOutcome(set, results));
            }
            finally
            {
                probes.ForEach(p => p.Probe.Dispose());
            }
            if (write && i + 1 < toRun.Count)
            {
                // A long run leaves a usable document behind after every set, marked as partial.
                Write(root!, Markdown(s, command, outcomes, skipped, only, started, loadBefore,
                    partial: $"**Partial: {outcomes.Count} of {toRun.Count} sets so far; the run is still going (or was stopped).**"));
            }
        }

        if (tuning.IsSet)
        {
            // Recipe experiments print their numbers per fit (above) and write no document.
            return 0;
        }
        string markdown = Markdown(s, command, outcomes, skipped, only, started, loadBefore, partial: null);
        Console.WriteLine(markdown);
        if (write)
        {
            Write(root!, markdown);
        }
        return 0;
    }

    private static void Write(string root, string markdown)
    {
        string path = Path.Combine(root, "docs", ReportName);
        File.WriteAllText(path, Title + "\n\n" + markdown);
        Console.Error.WriteLine($"Wrote {path}");
    }

    private static string Elapsed() => $"{Clock.Elapsed.TotalSeconds:F0} s";

    // ---------------------------------------------------------------- the trainers

    /// <summary>
    /// Recipe experiments (not for the document): <c>--ours-only</c> drops the ML.NET trainers,
    /// <c>--normalizers MinMax,None</c> keeps some of our three variants, and <c>--options "Name=value;..."</c> sets our
    /// options by name (fields of the options classes), e.g. <c>--options "WeightPriorScale=10;MaxEpoch=400"</c>;
    /// <c>--history</c> prints the first member's validation loss and accuracy after every epoch to the error stream.
    /// </summary>
    private sealed record Tuning(bool OursOnly, string[]? Normalizers, (string Name, string Value)[] Options, bool History = false)
    {
        public static Tuning From(string[] args) => new(args.Contains("--ours-only"),
            CommandLine.Argument(args, "--normalizers", "") is { Length: > 0 } n ? n.Split(',') : null,
            CommandLine.Argument(args, "--options", "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(o => o.Split('=', 2)).Select(o => (o[0], o[1])).ToArray(), args.Contains("--history"));

        public bool IsSet => OursOnly || Normalizers is not null || Options.Length > 0 || History;

        public T Apply<T>(T options) where T : AdaptiveWidthOptionsBase
        {
            if (History)
            {
                options.ProgressCallback = m =>
                {
                    if (m.Member == 0)
                    {
                        Console.Error.WriteLine(string.Format(Inv, "[history] epoch {0}: training {1:G4}, validation {2:G4} / {3:F4}, widths {4}",
                            m.Epoch, m.TrainingLoss, m.ValidationLoss, m.ValidationAccuracy, string.Join("-", m.Widths)));
                    }
                };
            }
            foreach ((string name, string value) in Options)
            {
                System.Reflection.FieldInfo field = typeof(T).GetField(name) ?? throw new ArgumentException($"No option '{name}'.");
                Type type = Nullable.GetUnderlyingType(field.FieldType) ?? field.FieldType;
                field.SetValue(options, value == "null" ? null : type.IsEnum ? Enum.Parse(type, value) : Convert.ChangeType(value, type, Inv));
            }
            return options;
        }
    }

    private static IReadOnlyList<Candidate> Candidates(Kind kind, bool quick, Tuning tuning)
    {
        IReadOnlyList<Candidate> all = Candidates(kind, quick, tuning.Apply, tuning);
        return all.Where(c => c.Ours ? tuning.Normalizers is null || tuning.Normalizers.Contains(c.Normalizer.ToString()) : !tuning.OursOnly).ToList();
    }

    private static IReadOnlyList<Candidate> Candidates(Kind kind, bool quick, Func<AdaptiveWidthOptionsBase, AdaptiveWidthOptionsBase> tune, Tuning tuning)
    {
        int epochs = 3;
        int trees = 5;
        var list = new List<Candidate>();
        Normalizer[] variants = tuning.Normalizers?.Any(n => n.StartsWith(nameof(Normalizer.Binning), StringComparison.Ordinal)) == true
            ? [Normalizer.MinMax, Normalizer.MeanVariance, Normalizer.None, Normalizer.Binning, Normalizer.BinningBeside]
            : [Normalizer.MinMax, Normalizer.MeanVariance, Normalizer.None];
        foreach (Normalizer n in variants)
        {
            string name = $"AdaptiveWidth ({Describe(n)})";
            list.Add(kind switch
            {
                // Full mode: no options at all, as a user appends the trainer. Quick mode caps the epochs (a smoke check only).
                // (--options, for recipe experiments only, sets options by name.)
                Kind.Binary => new Candidate(name, name, n, true, false, ml => quick
                    ? ml.BinaryClassification.Trainers.AdaptiveWidth(new AdaptiveWidthBinaryTrainer.Options { MaxEpoch = epochs })
                    : ml.BinaryClassification.Trainers.AdaptiveWidth((AdaptiveWidthBinaryTrainer.Options)tune(new AdaptiveWidthBinaryTrainer.Options()))),
                Kind.Multiclass => new Candidate(name, name, n, true, false, ml => quick
                    ? ml.MulticlassClassification.Trainers.AdaptiveWidth(new AdaptiveWidthMulticlassTrainer.Options { MaxEpoch = epochs })
                    : ml.MulticlassClassification.Trainers.AdaptiveWidth((AdaptiveWidthMulticlassTrainer.Options)tune(new AdaptiveWidthMulticlassTrainer.Options()))),
                _ => new Candidate(name, name, n, true, false, ml => quick
                    ? ml.Regression.Trainers.AdaptiveWidth(new AdaptiveWidthRegressionTrainer.Options { MaxEpoch = epochs })
                    : ml.Regression.Trainers.AdaptiveWidth((AdaptiveWidthRegressionTrainer.Options)tune(new AdaptiveWidthRegressionTrainer.Options()))),
            });
        }

        switch (kind)
        {
            case Kind.Binary:
                list.Add(new("LightGbm", "LightGbm", Normalizer.None, false, false, ml => quick
                    ? ml.BinaryClassification.Trainers.LightGbm(new LightGbmBinaryTrainer.Options { NumberOfIterations = trees })
                    : ml.BinaryClassification.Trainers.LightGbm()));
                list.Add(new("FastTree", "FastTree", Normalizer.MinMax, false, false, ml => quick
                    ? ml.BinaryClassification.Trainers.FastTree(new FastTreeBinaryTrainer.Options { NumberOfTrees = trees })
                    : ml.BinaryClassification.Trainers.FastTree()));
                list.Add(new("SdcaLogisticRegression", "SDCA", Normalizer.MinMax, false, true, ml => quick
                    ? ml.BinaryClassification.Trainers.SdcaLogisticRegression(new SdcaLogisticRegressionBinaryTrainer.Options { MaximumNumberOfIterations = 3 })
                    : ml.BinaryClassification.Trainers.SdcaLogisticRegression()));
                list.Add(new("LbfgsLogisticRegression", "L-BFGS / OGD", Normalizer.MinMax, false, true,
                    ml => ml.BinaryClassification.Trainers.LbfgsLogisticRegression()));
                break;
            case Kind.Multiclass:
                list.Add(new("LightGbm", "LightGbm", Normalizer.None, false, false, ml => quick
                    ? ml.MulticlassClassification.Trainers.LightGbm(new LightGbmMulticlassTrainer.Options { NumberOfIterations = trees })
                    : ml.MulticlassClassification.Trainers.LightGbm()));
                list.Add(new("FastTree (one-vs-all)", "FastTree", Normalizer.MinMax, false, false, ml => ml.MulticlassClassification.Trainers.OneVersusAll(quick
                    ? ml.BinaryClassification.Trainers.FastTree(new FastTreeBinaryTrainer.Options { NumberOfTrees = trees })
                    : ml.BinaryClassification.Trainers.FastTree())));
                list.Add(new("SdcaMaximumEntropy", "SDCA", Normalizer.MinMax, false, true, ml => quick
                    ? ml.MulticlassClassification.Trainers.SdcaMaximumEntropy(new SdcaMaximumEntropyMulticlassTrainer.Options { MaximumNumberOfIterations = 3 })
                    : ml.MulticlassClassification.Trainers.SdcaMaximumEntropy()));
                list.Add(new("LbfgsMaximumEntropy", "L-BFGS / OGD", Normalizer.MinMax, false, true,
                    ml => ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy()));
                break;
            default:
                list.Add(new("LightGbm", "LightGbm", Normalizer.None, false, false, ml => quick
                    ? ml.Regression.Trainers.LightGbm(new LightGbmRegressionTrainer.Options { NumberOfIterations = trees })
                    : ml.Regression.Trainers.LightGbm()));
                list.Add(new("FastTree", "FastTree", Normalizer.MinMax, false, false, ml => quick
                    ? ml.Regression.Trainers.FastTree(new FastTreeRegressionTrainer.Options { NumberOfTrees = trees })
                    : ml.Regression.Trainers.FastTree()));
                list.Add(new("Sdca", "SDCA", Normalizer.MinMax, false, true, ml => quick
                    ? ml.Regression.Trainers.Sdca(new SdcaRegressionTrainer.Options { MaximumNumberOfIterations = 3 })
                    : ml.Regression.Trainers.Sdca()));
                // ML.NET has no L-BFGS least-squares regressor (LbfgsPoissonRegression models counts); its other default linear
                // regressor stands in.
                list.Add(new("OnlineGradientDescent", "L-BFGS / OGD", Normalizer.MinMax, false, true,
                    ml => ml.Regression.Trainers.OnlineGradientDescent()));
                break;
        }
        return list;
    }

    private static string Describe(Normalizer n) => n switch
    {
        Normalizer.MinMax => "MinMax",
        Normalizer.MeanVariance => "MeanVariance",
        Normalizer.Binning => "Binning",
        Normalizer.BinningBeside => "BinningBeside",
        _ => "no normalizer",
    };

    private static Result RunCandidate(SetData set, Candidate c, Settings s, List<LatencyFit> probes)
    {
        var runs = new List<Fit>();
        string note = "";
        foreach (int seed in c.Ours ? s.Seeds : [BaselineSeed])
        {
            Console.Error.WriteLine($"[realdata]   {c.Name}, seed {seed} ({Elapsed()})");
            var ml = new MLContext(seed: seed);
            if (c.Ours && Environment.GetEnvironmentVariable("AW_REALDATA_LOG") == "1")
            {
                // Recipe experiments: our training log (epochs, losses, widths) on stderr.
                ml.Log += (_, e) => { if (e.Message.Contains("poch", StringComparison.Ordinal)) Console.Error.WriteLine("[log] " + e.Message); };
            }
            (IDataView train, IDataView test) = set.Load(ml);
            IEstimator<ITransformer> pipeline = set.Features(ml);
            if (c.Normalizer == Normalizer.MinMax)
            {
                pipeline = pipeline.Append(ml.Transforms.NormalizeMinMax("Features"));
            }
            else if (c.Normalizer == Normalizer.MeanVariance)
            {
                pipeline = pipeline.Append(ml.Transforms.NormalizeMeanVariance("Features"));
            }
            else if (c.Normalizer == Normalizer.Binning)
            {
                pipeline = pipeline.Append(ml.Transforms.NormalizeBinning("Features", maximumBinCount: 1024));
            }
            else if (c.Normalizer == Normalizer.BinningBeside)
            {
                pipeline = pipeline.Append(ml.Transforms.NormalizeBinning("Binned", "Features", maximumBinCount: 1024))
                    .Append(ml.Transforms.NormalizeMinMax("Features"))
                    .Append(ml.Transforms.Concatenate("Features", "Features", "Binned"));
            }
            pipeline = pipeline.Append(c.Trainer(ml));

            var clock = Stopwatch.StartNew();
            ITransformer model = pipeline.Fit(train);
            double seconds = clock.Elapsed.TotalSeconds;
            IDataView scored = model.Transform(test);
            if (c.Ours && s.Ensemble > 1)
            {
                (double single, _, _) = set.Entry.Kind switch
                {
                    Kind.Binary => Binary(ml, scored),
                    Kind.Multiclass => Multiclass(ml, scored),
                    _ => Regression(ml, scored),
                };
                Console.Error.WriteLine($"[realdata]     member 1 alone: {single:F4}, {seconds:F1} s");
                (double em, double es, double esec) = EnsembleMetric(set, c, scored, seed, s.Ensemble, seconds);
                runs.Add(new Fit(em, es, esec, TrainerComparisonStudy.Widths(model).Text, double.NaN));
                Console.Error.WriteLine($"[realdata]     ensemble of {s.Ensemble}: {em:F4} / {es:F4}, {esec:F1} s");
                continue;
            }
            (double metric, double second, double logLoss) = set.Entry.Kind switch
            {
                Kind.Binary => Binary(ml, scored),
                Kind.Multiclass => Multiclass(ml, scored),
                _ => Regression(ml, scored),
            };
            string widths = TrainerComparisonStudy.Widths(model).Text;
            probes.Add(new LatencyFit(c, runs, runs.Count, set.Latency(ml, model)));
            runs.Add(new Fit(metric, second, seconds, widths, double.NaN, logLoss));
            Console.Error.WriteLine($"[realdata]     {metric:F4} / {second:F4}{(double.IsNaN(logLoss) ? "" : $" / log-loss {logLoss:F4}")}, {seconds:F1} s{(c.Ours ? $", widths {widths}" : "")}");
            if (seconds > TooLongSeconds)
            {
                note = $"training took {seconds / 60:F1} min (> {TooLongSeconds / 60:F0} min)" + (c.Ours && seed != s.Seeds[^1] ? "; later seeds skipped" : "");
                Console.Error.WriteLine($"[realdata]     {note}");
                break;
            }
        }
        return new Result(c, runs, note);
    }

    /// <summary>
    /// Single-row latency of every fit of a set, measured after all of them are trained, in <see cref="LatencyRounds"/>
    /// rounds that time every fit once each (<see cref="Settings.Predictions"/> calls in all per fit): a burst of load
    /// from other processes on the shared machine then hits all trainers of a round alike, not one trainer's whole
    /// measurement minutes away from the others'. A fit's latency is the median of its round medians.
    /// </summary>
    private static void MeasureLatencies(List<LatencyFit> probes, Settings s)
    {
        Console.Error.WriteLine($"[realdata]   timing {probes.Count} fits in {LatencyRounds} interleaved rounds ({Elapsed()})");
        probes.ForEach(p => p.Probe.WarmUp());
        var rounds = probes.Select(_ => new List<double>()).ToArray();
        int calls = Math.Max(1, s.Predictions / LatencyRounds);
        for (int r = 0; r < LatencyRounds; r++)
        {
            for (int i = 0; i < probes.Count; i++)
            {
                rounds[i].Add(probes[i].Probe.Measure(calls));
            }
        }
        for (int i = 0; i < probes.Count; i++)
        {
            (Candidate candidate, List<Fit> runs, int run, _) = probes[i];
            double latency = Stats.MedianOf(rounds[i]);
            runs[run] = runs[run] with { LatencyMicroseconds = latency };
            Console.Error.WriteLine($"[realdata]     latency {candidate.Name} #{run + 1}: {latency:F1} µs (rounds {string.Join(", ", rounds[i].Select(x => x.ToString("F1", Inv)))})");
        }
    }

    /// <summary>
    /// Recipe experiment: the metric of the mean test score of <paramref name="members"/> fits (the first is
    /// <paramref name="first"/>; the others use MLContext seeds 1000·j apart, so other initial weights and validation rows).
    /// Binary averages probabilities, multiclass the class probabilities, regression the predictions.
    /// </summary>
    private static (double, double, double) EnsembleMetric(SetData set, Candidate c, IDataView first, int seed, int members, double seconds)
    {
        Kind kind = set.Entry.Kind;
        string scoreColumn = kind == Kind.Binary ? "Probability" : "Score";
        var sums = new List<double[]>();
        void Add(IDataView scored)
        {
            int i = 0;
            if (kind == Kind.Multiclass)
            {
                foreach (float[] v in scored.GetColumn<float[]>(scoreColumn))
                {
                    if (sums.Count <= i) sums.Add(new double[v.Length]);
                    for (int k = 0; k < v.Length; k++) sums[i][k] += v[k];
                    i++;
                }
            }
            else
            {
                foreach (float v in scored.GetColumn<float>(scoreColumn))
                {
                    if (sums.Count <= i) sums.Add(new double[1]);
                    sums[i][0] += v;
                    i++;
                }
            }
        }
        Add(first);
        for (int j = 1; j < members; j++)
        {
            var ml = new MLContext(seed: seed + 1000 * j);
            (IDataView train, IDataView test) = set.Load(ml);
            IEstimator<ITransformer> pipeline = set.Features(ml);
            if (c.Normalizer == Normalizer.MinMax) pipeline = pipeline.Append(ml.Transforms.NormalizeMinMax("Features"));
            else if (c.Normalizer == Normalizer.MeanVariance) pipeline = pipeline.Append(ml.Transforms.NormalizeMeanVariance("Features"));
            var clock = Stopwatch.StartNew();
            ITransformer model = pipeline.Append(c.Trainer(ml)).Fit(train);
            seconds += clock.Elapsed.TotalSeconds;
            Add(model.Transform(test));
        }
        int n = sums.Count;
        switch (kind)
        {
            case Kind.Binary:
            {
                bool[] labels = first.GetColumn<bool>("Label").ToArray();
                double acc = Enumerable.Range(0, n).Count(i => (sums[i][0] / members > 0.5) == labels[i]) / (double)n;
                // AUC by ranks.
                int[] order = Enumerable.Range(0, n).OrderBy(i => sums[i][0]).ToArray();
                double rankSum = 0; int pos = 0;
                for (int r = 0; r < n; r++) if (labels[order[r]]) { rankSum += r + 1; pos++; }
                double auc = pos == 0 || pos == n ? double.NaN : (rankSum - pos * (pos + 1) / 2.0) / ((double)pos * (n - pos));
                return (acc, auc, seconds);
            }
            case Kind.Multiclass:
            {
                uint[] labels = first.GetColumn<uint>("Label").ToArray();
                int correct = 0;
                for (int i = 0; i < n; i++)
                {
                    int best = 0;
                    for (int k = 1; k < sums[i].Length; k++) if (sums[i][k] > sums[i][best]) best = k;
                    if (best == labels[i] - 1) correct++;
                }
                return (correct / (double)n, double.NaN, seconds);
            }
            default:
            {
                float[] labels = first.GetColumn<float>("Label").ToArray();
                double mean = labels.Average(l => (double)l);
                double sse = 0, sst = 0;
                for (int i = 0; i < n; i++)
                {
                    double e = sums[i][0] / members - labels[i];
                    sse += e * e;
                    sst += (labels[i] - mean) * (labels[i] - mean);
                }
                return (1 - sse / sst, Math.Sqrt(sse / n), seconds);
            }
        }
    }

    private static (double, double, double) Binary(MLContext ml, IDataView scored)
    {
        CalibratedBinaryClassificationMetrics m = ml.BinaryClassification.Evaluate(scored);
        return (m.Accuracy, m.AreaUnderRocCurve, m.LogLoss);
    }

    private static (double, double, double) Multiclass(MLContext ml, IDataView scored)
    {
        MulticlassClassificationMetrics m = ml.MulticlassClassification.Evaluate(scored);
        return (m.MicroAccuracy, m.MacroAccuracy, m.LogLoss);
    }

    private static (double, double, double) Regression(MLContext ml, IDataView scored)
    {
        RegressionMetrics m = ml.Regression.Evaluate(scored);
        return (m.RSquared, m.RootMeanSquaredError, double.NaN);
    }

    // ---------------------------------------------------------------- the data

    private static List<SuiteEntry> ReadManifest(string path)
    {
        List<string?[]> rows = ReadCsv(path, out string[] header);
        int Col(string name) => Array.IndexOf(header, name);
        return rows.Select(r => new SuiteEntry(
            r[Col("name")]!, r[Col("task")] switch { "binary" => Kind.Binary, "multiclass" => Kind.Multiclass, _ => Kind.Regression },
            r[Col("label")]!, r[Col("positive")] ?? "", Int(r[Col("classes")]), Int(r[Col("rows")]), Int(r[Col("train")]), Int(r[Col("test")]),
            Int(r[Col("numeric")]), Int(r[Col("categorical")]), Int(r[Col("missing")]), r[Col("source")] ?? "", r[Col("licence")] ?? "",
            r[Col("notes")] ?? "")).ToList();

        static int Int(string? v) => int.Parse(v ?? "0", Inv);
    }

    private static SetData? Load(SuiteEntry e, Settings s, out string? why)
    {
        why = null;
        if (e.Name == "fashion_mnist")
        {
            string index = Path.Combine(SuiteDirectory, "fashion_mnist.train-index.txt");
            if (!FashionMnist.TryLoad(null, out Dataset? all, out Dataset? test) || !File.Exists(index))
            {
                why = $"Fashion-MNIST not fetched (looked in {FashionMnist.DefaultCacheDirectory}; `bash build/fetch-tabular-suite.sh` fetches it)";
                return null;
            }
            int[] keep = File.ReadAllLines(index).Where(l => l.Length > 0).Select(l => int.Parse(l, Inv)).ToArray();
            return Fashion(e, all.Subset(s.Quick ? keep.Take(QuickTrainRows).ToArray() : keep), s.Quick ? test.Take(QuickTrainRows) : test, s);
        }
        string trainPath = Path.Combine(SuiteDirectory, e.Name + ".train.csv");
        string testPath = Path.Combine(SuiteDirectory, e.Name + ".test.csv");
        if (!File.Exists(trainPath) || !File.Exists(testPath))
        {
            why = $"{trainPath} or its test file is missing (`{FetchCommand}`)";
            return null;
        }
        return Csv(e, trainPath, testPath, s);
    }

    /// <summary>
    /// A CSV set: column types inferred from the training file as Model Builder does from a sample (a column is numeric when
    /// every non-empty cell parses as a number, text otherwise), then the usual featurization.
    /// </summary>
    private static SetData Csv(SuiteEntry e, string trainPath, string testPath, Settings s)
    {
        List<string?[]> trainRows = ReadCsv(trainPath, out string[] header);
        List<string?[]> testRows = ReadCsv(testPath, out _);
        if (s.Quick)
        {
            // Quick mode subsamples the (already shuffled) training rows.
            trainRows = trainRows.Take(QuickTrainRows).ToList();
        }
        int label = Array.IndexOf(header, e.Label);
        var numeric = new List<int>();
        var text = new List<int>();
        for (int c = 0; c < header.Length; c++)
        {
            if (c == label)
            {
                continue;
            }
            (trainRows.All(r => r[c] is null || double.TryParse(r[c], NumberStyles.Float, Inv, out _)) ? numeric : text).Add(c);
        }
        if (numeric.Count > CsvRow.MaxNumeric || text.Count > CsvRow.MaxText)
        {
            throw new InvalidDataException($"{e.Name}: {numeric.Count} numeric and {text.Count} text columns; CsvRow holds {CsvRow.MaxNumeric} and {CsvRow.MaxText}.");
        }

        string Name(int c) => header[c] is "Label" or "Features" ? header[c] + "_" : header[c];
        int[] missing = numeric.Where(c => trainRows.Concat(testRows).Any(r => r[c] is null)).ToArray();
        int[] hashed = text.Where(c => trainRows.Select(r => r[c]).Distinct().Count() > MaxOneHotCardinality).ToArray();
        int[] oneHot = text.Except(hashed).ToArray();

        DataKind labelKind = e.Kind switch { Kind.Binary => DataKind.Boolean, Kind.Multiclass => DataKind.String, _ => DataKind.Single };
        TextLoader.Column[] columns = numeric.Select(c => new TextLoader.Column(Name(c), DataKind.Single, c))
            .Concat(text.Select(c => new TextLoader.Column(Name(c), DataKind.String, c)))
            .Append(new TextLoader.Column("Label", labelKind, label)).ToArray();
        var options = new TextLoader.Options
        {
            Columns = columns, HasHeader = true, Separators = [','], AllowQuoting = true, MissingRealsAsNaNs = true,
        };

        IEstimator<ITransformer> Features(MLContext ml)
        {
            IEstimator<ITransformer> chain = new EstimatorChain<ITransformer>();
            if (e.Kind == Kind.Multiclass)
            {
                chain = chain.Append(ml.Transforms.Conversion.MapValueToKey("Label"));
            }
            foreach (int c in missing)
            {
                chain = chain.Append(ml.Transforms.IndicateMissingValues(Name(c) + "_missing", Name(c)))
                    .Append(ml.Transforms.Conversion.ConvertType(Name(c) + "_missing", outputKind: DataKind.Single))
                    .Append(ml.Transforms.ReplaceMissingValues(Name(c), replacementMode: MissingValueReplacingEstimator.ReplacementMode.Mean));
            }
            if (oneHot.Length > 0)
            {
                chain = chain.Append(ml.Transforms.Categorical.OneHotEncoding(oneHot.Select(c => new InputOutputColumnPair(Name(c))).ToArray()));
            }
            if (hashed.Length > 0)
            {
                chain = chain.Append(ml.Transforms.Categorical.OneHotHashEncoding(
                    hashed.Select(c => new InputOutputColumnPair(Name(c))).ToArray(), numberOfBits: HashBits));
            }
            string[] inputs = numeric.Select(Name).Concat(missing.Select(c => Name(c) + "_missing")).Concat(text.Select(Name)).ToArray();
            return chain.Append(ml.Transforms.Concatenate("Features", inputs));
        }

        // The typed input of the PredictionEngine: one CsvRow field per column, named after it.
        SchemaDefinition schema = SchemaDefinition.Create(typeof(CsvRow));
        var fields = new Dictionary<int, FieldInfo>();
        var keep = new List<SchemaDefinition.Column>();
        for (int k = 0; k < numeric.Count; k++)
        {
            keep.Add(Rename(schema, $"F{k}", Name(numeric[k])));
            fields[numeric[k]] = typeof(CsvRow).GetField($"F{k}")!;
        }
        for (int k = 0; k < text.Count; k++)
        {
            keep.Add(Rename(schema, $"S{k}", Name(text[k])));
            fields[text[k]] = typeof(CsvRow).GetField($"S{k}")!;
        }
        string labelField = e.Kind switch { Kind.Binary => "BoolLabel", Kind.Multiclass => "TextLabel", _ => "FloatLabel" };
        keep.Add(Rename(schema, labelField, "Label"));
        schema.Clear();
        schema.AddRange(keep);
        CsvRow[] rows = testRows.Select(r =>
        {
            var row = new CsvRow();
            foreach ((int c, FieldInfo f) in fields)
            {
                f.SetValue(row, f.FieldType == typeof(float) ? (r[c] is null ? float.NaN : float.Parse(r[c]!, NumberStyles.Float, Inv)) : r[c] ?? "");
            }
            row.BoolLabel = r[label] == "true";
            row.TextLabel = r[label];
            row.FloatLabel = e.Kind == Kind.Regression ? float.Parse(r[label]!, NumberStyles.Float, Inv) : 0;
            return row;
        }).ToArray();

        string pipeline = $"{numeric.Count} numeric columns as Single" +
                          (missing.Length > 0 ? $" ({missing.Length} with missing values: `IndicateMissingValues` + `ReplaceMissingValues` (mean))" : "") +
                          $", {oneHot.Length} text columns `OneHotEncoding`" +
                          (hashed.Length > 0 ? $", {hashed.Length} hashed (`OneHotHashEncoding`, {1 << HashBits} slots: more than {MaxOneHotCardinality} values)" : "");
        return new SetData(e, trainRows.Count, testRows.Count, pipeline,
            ml =>
            {
                TextLoader loader = ml.Data.CreateTextLoader(options);
                IDataView train = loader.Load(trainPath);
                return (s.Quick ? ml.Data.TakeRows(train, QuickTrainRows) : train, ml.Data.Cache(loader.Load(testPath)));
            },
            Features,
            (ml, model) => e.Kind == Kind.Multiclass ? Latency<CsvRow, VectorScore>(ml, model, schema, rows, s) : Latency<CsvRow, ScalarScore>(ml, model, schema, rows, s));
    }

    private static SchemaDefinition.Column Rename(SchemaDefinition schema, string member, string column)
    {
        SchemaDefinition.Column c = schema.Single(x => x.MemberName == member);
        c.ColumnName = column;
        return c;
    }

    /// <summary>Fashion-MNIST: the 784 pixels (already / 255) in one vector column, as the trainers study loads them.</summary>
    private static SetData Fashion(SuiteEntry e, Dataset train, Dataset test, Settings s)
    {
        SchemaDefinition schema = BenchmarkRows.Schema<FloatLabelRow>(train.FeatureCount);
        FloatLabelRow[] trainRows = BenchmarkRows.Float(train);
        FloatLabelRow[] testRows = BenchmarkRows.Float(test);
        return new SetData(e, train.RowCount, test.RowCount, "784 pixel values (byte / 255) in one vector column",
            ml => (ml.Data.LoadFromEnumerable(trainRows, schema), ml.Data.Cache(ml.Data.LoadFromEnumerable(testRows, schema))),
            ml => ml.Transforms.Conversion.MapValueToKey("Label").Append(ml.Transforms.Concatenate("Features", "X")),
            (ml, model) => Latency<FloatLabelRow, VectorScore>(ml, model, schema, testRows, s));
    }

    /// <summary>A <c>PredictionEngine</c> on the fitted pipeline: a warm-up, then medians of individually timed <c>Predict</c> calls.</summary>
    private static LatencyProbe Latency<TIn, TOut>(MLContext ml, ITransformer model, SchemaDefinition schema, TIn[] rows, Settings s)
        where TIn : class, new()
        where TOut : class, new()
    {
        PredictionEngine<TIn, TOut> engine = ml.Model.CreatePredictionEngine<TIn, TOut>(model, ignoreMissingColumns: true, inputSchemaDefinition: schema);
        var output = new TOut();
        int next = 0;
        return new LatencyProbe(
            () => TrainerComparisonStudy.WarmUpPredictions(engine, rows, output, Math.Max(100, s.Predictions / 4), s.WarmupSeconds),
            calls =>
            {
                // Each round continues through the test rows where the previous one stopped.
                TIn[] round = Enumerable.Range(next, calls).Select(k => rows[k % rows.Length]).ToArray();
                next = (next + calls) % rows.Length;
                return TrainerComparisonStudy.MedianPredictionMicroseconds(engine, round, output, new double[calls]);
            },
            engine);
    }

    /// <summary>Reads a CSV file as R's write.csv writes it: a header, commas, "double-quoted" strings with "" escapes; an empty unquoted cell is null.</summary>
    private static List<string?[]> ReadCsv(string path, out string[] header)
    {
        var rows = new List<string?[]>();
        string[]? head = null;
        foreach (string line in File.ReadLines(path))
        {
            if (line.Length == 0)
            {
                continue;
            }
            var cells = new List<string?>();
            var cell = new StringBuilder();
            bool quoted = false;
            bool inQuotes = false;
            for (int i = 0; i < line.Length; i++)
            {
                char ch = line[i];
                if (inQuotes)
                {
                    if (ch == '"' && i + 1 < line.Length && line[i + 1] == '"')
                    {
                        cell.Append('"');
                        i++;
                    }
                    else if (ch == '"')
                    {
                        inQuotes = false;
                    }
                    else
                    {
                        cell.Append(ch);
                    }
                }
                else if (ch == '"')
                {
                    inQuotes = quoted = true;
                }
                else if (ch == ',')
                {
                    cells.Add(cell.Length == 0 && !quoted ? null : cell.ToString());
                    cell.Clear();
                    quoted = false;
                }
                else
                {
                    cell.Append(ch);
                }
            }
            cells.Add(cell.Length == 0 && !quoted ? null : cell.ToString());
            if (head is null)
            {
                head = cells.Select(c => c ?? "").ToArray();
            }
            else
            {
                rows.Add(cells.ToArray());
            }
        }
        header = head ?? throw new InvalidDataException($"{path} is empty.");
        return rows;
    }

    // ---------------------------------------------------------------- the report

    private static string Markdown(Settings s, string command, List<SetOutcome> outcomes, List<string> skipped, string[]? only, string started, string loadBefore,
        string? partial)
    {
        var md = new StringBuilder();
        void L(string line = "") => md.Append(line).Append('\n');
        if (partial is not null)
        {
            L(partial);
            L();
        }
        L("Issue 15 part 2. Generated by the benchmark program; every number below was measured in the run described here." +
          (s.Quick ? $" **Quick mode: {QuickTrainRows} training rows, 3 epochs for ours, 5 trees, one seed; the numbers mean nothing.**" : ""));
        L();
        L($"- Command: `{command}` (from the repository root, after `{FetchCommand}`); the run took {Clock.Elapsed.TotalMinutes:F1} minutes");
        L($"- Machine: {MachineInfo.Describe()}; started {started}, finished {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; shared with other work " +
          $"(load average at the start: {loadBefore}; at the end: {CompressionStudy.LoadAverage()}), so times are noisy.");
        L($"- Seeds: ours `new MLContext(seed: s)` for s in {{{string.Join(", ", s.Seeds)}}}, reported as mean ± sample sd; the ML.NET trainers once " +
          $"with `new MLContext(seed: {BaselineSeed})` (deterministic given the seed). The train/test splits are the suite's fixed ones (docs/realdata-suite.md).");
        L("- Sets: " + (only is not null ? $"`--only {string.Join(",", only)}`" : s.Quick ? string.Join(", ", QuickSets) + " (quick mode)" : s_suite switch
        {
            Suite.Large => "the whole larger supplement",
            Suite.Holdout => "every held-out set",
            _ => "the whole suite",
        }) +
          (skipped.Count > 0 ? "; skipped: " + string.Join("; ", skipped) : "") + ".");
        L();
        L("## What is compared");
        L();
        L("Every set goes through the pipeline an ML.NET user (or Model Builder) writes: `TextLoader` (header, `allowQuoting`, missing numbers as NaN) " +
          "with column types inferred from the training file (a column is `Single` when every cell parses as a number, text otherwise); " +
          "numeric columns with missing values get `IndicateMissingValues` (converted to Single) and `ReplaceMissingValues` (mean); text columns " +
          $"`OneHotEncoding`, or `OneHotHashEncoding` ({1 << HashBits} slots) above {MaxOneHotCardinality} distinct values; all concatenated into " +
          "`Features`; multiclass labels through `MapValueToKey`. Then each trainer with its **default options**: ours " +
          "(`AdaptiveWidth()` with no options) after `NormalizeMinMax`, after `NormalizeMeanVariance` and with no normalizer; LightGBM with no " +
          "normalizer (trees need none); FastTree (`OneVersusAll` for multiclass), SDCA (`SdcaLogisticRegression` / `SdcaMaximumEntropy` / `Sdca`) " +
          "and L-BFGS (`LbfgsLogisticRegression` / `LbfgsMaximumEntropy`) after `NormalizeMinMax`. ML.NET has no L-BFGS least-squares regressor " +
          "(`LbfgsPoissonRegression` models counts), so regression uses `OnlineGradientDescent` in that slot. " +
          "Metrics on the test split: accuracy and AUC (binary), micro and macro accuracy (multiclass), R² and RMSE (regression), and " +
          "ML.NET's `LogLoss` for classifiers (lower is better: how little probability the model gives the true class; it judges the probabilities, which accuracy does not). " +
          $"\"Points\" are accuracy × 100 or R² × 100. Training seconds: wall time of `Fit` of the whole pipeline. Single-row latency: " +
          $"`PredictionEngine.Predict` on test rows (typed input with one member per column), individually timed after a warm-up, measured once " +
          $"every fit of a set is trained, in {LatencyRounds} rounds that each time every fit of the set for {Math.Max(1, s.Predictions / LatencyRounds):N0} " +
          $"calls (so load from other processes hits all trainers alike): the median of a fit's round medians. A fit over {TooLongSeconds / 60:F0} minutes is recorded in the table.");
        L();
        L("The defaults measured here (the average of eight networks of two adaptive layers, each starting 32 neurons wide, the " +
          "importance rescaled to a mean square of 1, inputs standardised inside the model (two-valued ones by at least half their " +
          "range), quantile codes of the numeric features fed to the first layer beside them, a weight prior of σθ = 0.7 and, for classifiers, label smoothing of 0.05 and a temperature on the logits fitted on the held-out rows) were chosen on " + (s_suite switch
          {
              Suite.Large => "the public suite of [realdata.md](realdata.md), none of them on these larger sets",
              Suite.Holdout => "the public suite of [realdata.md](realdata.md), none of them on these sets",
              _ => "this suite",
          }) + "; the experiments, and what they answered about " +
          "the weight prior, input scaling, depth, the length of training, the ensemble, the quantile codes and label smoothing, are in " +
          "[realdata-recipe.md](realdata-recipe.md). Our widths are those of the model: each layer holds the eight members' " +
          "neurons, so a width is the sum of the members' learned widths.");
        L();

        L("## Headline");
        L();
        L("Ours = AdaptiveWidth after `NormalizeMinMax`, mean ± sd over the seeds. Best = the best of LightGBM, FastTree, SDCA and L-BFGS/OGD. " +
          "Spread = largest minus smallest mean of our three normalizer variants.");
        L();
        L("| set | task | metric | ours (MinMax) | best ML.NET trainer | gap (points) | best linear | ours − best linear | normalizer spread (points) | our widths |");
        L("|---|---|---|---|---|---|---|---|---|---|");
        foreach (SetOutcome o in outcomes)
        {
            Result ours = o.Results.First(r => r.Candidate.Ours && r.Candidate.Normalizer == Normalizer.MinMax);
            Result best = o.Results.Where(r => !r.Candidate.Ours).MaxBy(r => r.Points)!;
            Result linear = o.Results.Where(r => r.Candidate.Linear).MaxBy(r => r.Points)!;
            double[] variants = o.Results.Where(r => r.Candidate.Ours).Select(r => r.Points).ToArray();
            L($"| {o.Set.Entry.Name} | {Task(o.Set.Entry)} | {MetricName(o.Set.Entry.Kind)} | {MeanSd(ours)} | {best.Candidate.Name} {Value(best.Mean)} | " +
              $"{Gap(best.Points - ours.Points)} | {linear.Candidate.Name} {Value(linear.Mean)} | {Signed(ours.Points - linear.Points)} | " +
              $"{Gap(variants.Max() - variants.Min())} | {string.Join("; ", ours.Runs.Select(r => r.Widths).Distinct())} |");
        }
        L();

        L("## Over the suite");
        L();
        L("Each AdaptiveWidth variant is ranked against the four ML.NET trainers; each ML.NET trainer against the other three and ours after " +
          "`NormalizeMinMax`. A win is a best (or tied best) primary metric; gap = points below the best of that field (0 for the winner). " +
          "\"Below linear\" counts sets where the trainer is more than 0.5 points below the best linear trainer (SDCA, L-BFGS/OGD).");
        L();
        L("| trainer | sets | wins | mean rank | mean gap (points) | within 1 point of the best | > 0.5 points below the best linear | median training s | median single-row µs |");
        L("|---|---|---|---|---|---|---|---|---|");
        string[] roles = outcomes.SelectMany(o => o.Results.Select(r => r.Candidate.Role)).Distinct().ToArray();
        foreach (string role in roles)
        {
            var ranks = new List<int>();
            var gaps = new List<double>();
            int wins = 0;
            int within = 0;
            int belowLinear = 0;
            var seconds = new List<double>();
            var latency = new List<double>();
            foreach (SetOutcome o in outcomes)
            {
                Result? me = o.Results.FirstOrDefault(r => r.Candidate.Role == role);
                if (me is null)
                {
                    continue;
                }
                Result oursMinMax = o.Results.First(r => r.Candidate.Ours && r.Candidate.Normalizer == Normalizer.MinMax);
                List<Result> field = o.Results.Where(r => !r.Candidate.Ours).Append(me.Candidate.Ours ? me : oursMinMax).Distinct().ToList();
                double best = field.Max(r => r.Points);
                ranks.Add(1 + field.Count(r => r.Points > me.Points));
                gaps.Add(best - me.Points);
                wins += me.Points >= best ? 1 : 0;
                within += best - me.Points <= 1 ? 1 : 0;
                double bestLinear = o.Results.Where(r => r.Candidate.Linear).Max(r => r.Points);
                belowLinear += bestLinear - me.Points > Tolerance ? 1 : 0;
                seconds.AddRange(me.Runs.Select(r => r.Seconds));
                latency.AddRange(me.Runs.Select(r => r.LatencyMicroseconds));
            }
            L($"| {role} | {ranks.Count} | {wins} | {ranks.Average():F2} | {Gap(gaps.Where(double.IsFinite).DefaultIfEmpty(double.NaN).Average())} | {within} | " +
              $"{belowLinear} | {Stats.MedianOf(seconds):F1} | {Stats.MedianOf(latency):F1} |");
        }
        L();
        foreach (string line in Verdicts(outcomes))
        {
            L($"- {line}");
        }
        L();

        L("## Per set");
        L();
        foreach (SetOutcome o in outcomes)
        {
            SuiteEntry e = o.Set.Entry;
            L($"### {e.Name}");
            L();
            L($"{e.Source} ({e.Licence}); {Task(e)}, label `{e.Label}`" + (e.Positive.Length > 0 ? $" (positive: {e.Positive})" : "") +
              $"; {o.Set.TrainRows:N0} train / {o.Set.TestRows:N0} test rows; {o.Set.Pipeline}." + (e.Notes.Length > 0 ? $" {e.Notes}." : ""));
            L();
            (string first, string second) = e.Kind switch
            {
                Kind.Binary => ("accuracy %", "AUC"),
                Kind.Multiclass => ("accuracy % (micro)", "macro accuracy"),
                _ => ("R² × 100", "RMSE"),
            };
            bool classifier = e.Kind != Kind.Regression;
            L($"| trainer and normalizer | {first} | {second} |{(classifier ? " log-loss |" : "")} training s | learned widths | single-row µs | note |");
            L("|---|---|---|" + (classifier ? "---|" : "") + "---|---|---|---|");
            foreach (Result r in o.Results)
            {
                double secondMean = r.Runs.Count == 0 ? double.NaN : r.Runs.Average(x => x.Second);
                string secondText = e.Kind == Kind.Regression ? secondMean.ToString("G5", Inv) : secondMean.ToString("F4", Inv);
                string logLoss = !classifier ? "" : double.IsFinite(LogLossOf(r)) ? $" {LogLossOf(r).ToString("F4", Inv)} |" : " — |";
                L($"| {r.Candidate.Name} | {MeanSd(r)} | {secondText} |{logLoss} {r.Runs.Average(x => x.Seconds):F1} | " +
                  $"{(r.Candidate.Ours ? string.Join("; ", r.Runs.Select(x => x.Widths)) : "—")} | {Stats.MedianOf(r.Runs.Select(x => x.LatencyMicroseconds)):F1} | {r.Note} |");
            }
            L();
        }
        return md.ToString();
    }

    private static IEnumerable<string> Verdicts(List<SetOutcome> outcomes)
    {
        if (outcomes.Count == 0)
        {
            yield return "No set ran.";
            yield break;
        }
        int n = outcomes.Count;
        int within = 0;
        int belowLinear = 0;
        int normalizerOk = 0;
        var bad = new List<string>();
        foreach (SetOutcome o in outcomes)
        {
            Result ours = o.Results.First(r => r.Candidate.Ours && r.Candidate.Normalizer == Normalizer.MinMax);
            double best = o.Results.Where(r => !r.Candidate.Ours).Max(r => r.Points);
            double linear = o.Results.Where(r => r.Candidate.Linear).Max(r => r.Points);
            double[] variants = o.Results.Where(r => r.Candidate.Ours).Select(r => r.Points).ToArray();
            within += best - ours.Points <= 1 ? 1 : 0;
            if (linear - ours.Points > Tolerance)
            {
                belowLinear++;
                bad.Add(o.Set.Entry.Name);
            }
            normalizerOk += variants.Max() - variants.Min() <= Tolerance ? 1 : 0;
        }
        yield return $"Ours (MinMax) within 1 point of the best ML.NET trainer on **{within} of {n}** sets (target: at least 2/3, {Math.Ceiling(2.0 * n / 3)}).";
        yield return $"Ours (MinMax) more than 0.5 points below the best linear trainer on **{belowLinear} of {n}** sets (target: 0)" +
                     (bad.Count > 0 ? $": {string.Join(", ", bad)}." : ".");
        yield return $"Our three normalizer variants within 0.5 points of each other on **{normalizerOk} of {n}** sets (target: all).";
        if (LogLossVerdict(outcomes) is string probabilities)
        {
            yield return probabilities;
        }
        foreach (string cost in CostVerdicts(outcomes))
        {
            yield return cost;
        }
        var tooLong = outcomes.SelectMany(o => o.Results.Where(r => r.Note.Length > 0).Select(r => $"{o.Set.Entry.Name} {r.Candidate.Name}: {r.Note}")).ToList();
        yield return tooLong.Count == 0 ? $"No training run took over {TooLongSeconds / 60:F0} minutes." : "Over the time limit: " + string.Join("; ", tooLong) + ".";
    }

    /// <summary>
    /// How good the probabilities are (not a target of the issue): on how many classification sets ours after
    /// <c>NormalizeMinMax</c> has the lowest test log-loss of the five trainers (null without a classification set).
    /// </summary>
    private static string? LogLossVerdict(List<SetOutcome> outcomes)
    {
        var classification = outcomes.Where(o => o.Set.Entry.Kind != Kind.Regression && o.Results.Any(r => !r.Candidate.Ours && r.Runs.Count > 0)).ToList();
        if (classification.Count == 0)
        {
            return null;
        }
        var lowest = new List<string>();
        var others = new List<string>();
        foreach (SetOutcome o in classification)
        {
            Result ours = o.Results.First(r => r.Candidate.Ours && r.Candidate.Normalizer == Normalizer.MinMax);
            Result best = o.Results.Where(r => !r.Candidate.Ours && r.Runs.Count > 0).MinBy(LogLossOf)!;
            if (LogLossOf(ours) <= LogLossOf(best))
            {
                lowest.Add(o.Set.Entry.Name);
            }
            else
            {
                others.Add($"{o.Set.Entry.Name} ({best.Candidate.Name} {LogLossOf(best):F3} against {LogLossOf(ours):F3})");
            }
        }
        return $"Ours (MinMax) with the lowest test log-loss of the trainers on **{lowest.Count} of {classification.Count}** classification sets " +
               "(ML.NET's evaluator; the quality of the probabilities, not a target)" + (others.Count > 0 ? $"; not on {string.Join(", ", others)}." : ".");
    }

    /// <summary>A result's mean test log-loss over its runs; +∞ for regression or without runs, so that it sorts last.</summary>
    private static double LogLossOf(Result r)
    {
        double mean = r.Runs.Count == 0 ? double.NaN : r.Runs.Average(x => x.LogLoss);
        return double.IsNaN(mean) ? double.PositiveInfinity : mean;
    }

    /// <summary>The cost targets: single-row latency no higher than LightGBM's on any set, training time at most 20× LightGBM's
    /// in the median and no fit of ours over 3 minutes (sets without a LightGBM fit, as in recipe runs, are left out).</summary>
    private static IEnumerable<string> CostVerdicts(List<SetOutcome> outcomes)
    {
        var slower = new List<string>();
        var ourSeconds = new List<double>();
        var lightGbmSeconds = new List<double>();
        int compared = 0;
        (double Seconds, string Set) slowest = (0, "");
        foreach (SetOutcome o in outcomes)
        {
            Result ours = o.Results.First(r => r.Candidate.Ours && r.Candidate.Normalizer == Normalizer.MinMax);
            foreach (Result r in o.Results.Where(r => r.Candidate.Ours))
            {
                foreach (Fit fit in r.Runs.Where(f => f.Seconds > slowest.Seconds))
                {
                    slowest = (fit.Seconds, $"{o.Set.Entry.Name}, {r.Candidate.Name}");
                }
            }
            Result? lightGbm = o.Results.FirstOrDefault(r => r.Candidate.Role == "LightGbm");
            if (lightGbm is null || lightGbm.Runs.Count == 0 || ours.Runs.Count == 0)
            {
                continue;
            }
            compared++;
            ourSeconds.AddRange(ours.Runs.Select(f => f.Seconds));
            lightGbmSeconds.AddRange(lightGbm.Runs.Select(f => f.Seconds));
            double oursMicroseconds = Stats.MedianOf(ours.Runs.Select(f => f.LatencyMicroseconds));
            double lightGbmMicroseconds = Stats.MedianOf(lightGbm.Runs.Select(f => f.LatencyMicroseconds));
            if (oursMicroseconds > lightGbmMicroseconds)
            {
                slower.Add($"{o.Set.Entry.Name} {oursMicroseconds:F1} against {lightGbmMicroseconds:F1} µs");
            }
        }
        if (compared > 0)
        {
            yield return $"Ours (MinMax) single-row latency above LightGBM's on **{slower.Count} of {compared}** sets (target: none)" +
                         (slower.Count > 0 ? $": {string.Join(", ", slower)}." : ".");
            double ourMedian = Stats.MedianOf(ourSeconds), lightGbmMedian = Stats.MedianOf(lightGbmSeconds);
            yield return $"Ours (MinMax) median training time {ourMedian:F1} s against LightGBM's {lightGbmMedian:F1} s, " +
                         $"**{ourMedian / Math.Max(lightGbmMedian, 0.05):F0}x** (target: at most 20x).";
        }
        yield return $"Slowest fit of ours: **{slowest.Seconds:F0} s** ({slowest.Set}; target: under 3 minutes).";
    }

    private static string Task(SuiteEntry e) => e.Kind switch
    {
        Kind.Binary => "binary",
        Kind.Multiclass => $"{e.Classes} classes",
        _ => "regression",
    };

    private static string MetricName(Kind k) => k switch
    {
        Kind.Binary => "accuracy %",
        Kind.Multiclass => "accuracy %",
        _ => "R² × 100",
    };

    private static string Value(double v) => double.IsFinite(v) ? (100 * v).ToString("F2", Inv) : "NaN";

    private static string MeanSd(Result r) => r.Runs.Count > 1 ? $"{Value(r.Mean)} ± {(100 * r.Sd).ToString("F2", Inv)}" : Value(r.Mean);

    private static string Gap(double points) => double.IsFinite(points) ? points.ToString("F2", Inv) : "—";

    private static string Signed(double points) => double.IsFinite(points) ? points.ToString("+0.00;−0.00;0.00", Inv) : "—";
}
