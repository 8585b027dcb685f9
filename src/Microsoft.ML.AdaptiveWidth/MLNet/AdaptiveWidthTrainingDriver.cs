using System.Globalization;
using System.Runtime.ExceptionServices;
using Microsoft.ML.AdaptiveWidth.Inference;
using Microsoft.ML.AdaptiveWidth.Training;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.Trainers.AdaptiveWidth;

/// <summary>
/// The part of training that the three trainers share: read the data, hold out validation rows if none were given,
/// run the training loop with progress in the log, and apply the truncation budget.
/// </summary>
internal static class AdaptiveWidthTrainingDriver
{
    /// <summary>The trained network (already truncated to the budget) and the training history.</summary>
    internal sealed record Outcome(AdaptiveWidthModel Network, IReadOnlyList<EpochRecord> History, CompressionResult? Compression);

    /// <summary>
    /// Read, train, truncate, compress, log: each step is a method below. The data are read into memory unless they are
    /// too large (<see cref="TrainingDataMode.Auto"/>) or streaming was asked for.
    /// </summary>
    public static Outcome Train(IHost host, AdaptiveWidthOptionsBase options, NetworkTask task, TrainContext context)
    {
        host.CheckValue(context, nameof(context));
        host.CheckAlive();
        using IChannel ch = host.Start("Training");

        int classCount = task == NetworkTask.MulticlassClassification
            ? DataViewReader.ClassCount(context.TrainingSet.Schema.Label!.Value)
            : task == NetworkTask.BinaryClassification ? 2 : 0;
        if (options.CompressionTolerance is not null && options.ValidationSet is null && context.ValidationSet is null && options.ValidationFraction == 0)
        {
            throw new ArgumentException(
                $"{nameof(options.CompressionTolerance)} compresses against validation rows: pass validation data to Fit, or set {nameof(options.ValidationFraction)} above 0.",
                nameof(options.CompressionTolerance));
        }
        int seed = options.Seed ?? DefaultSeed(host);
        RoleMappedData? validationSet = ValidationSet(options, context);
        if (validationSet is not null)
        {
            CheckValidationSchema(context.TrainingSet, validationSet);
        }
        AdaptiveWidthModel? initial = InitialNetwork(context);
        TrainingSettings settings = options.ToTrainingSettings(seed);
        if (initial is not null)
        {
            // Continued training keeps the model's layers.
            settings = settings with { NumberOfLayers = initial.HiddenLayerCount };
        }
        // An ensemble (docs/method.md §5.10): every member is a whole training run with its own seed, hence its own initial
        // weights, shuffling and held-out rows; member 0 is exactly the single network of EnsembleSize = 1.
        int members = initial is null ? options.EnsembleSize : 1;
        int inputs = DataViewReader.FeatureCount(context.TrainingSet.Schema.Feature!.Value);
        if (members > 1 && settings.InputLayerWidthCap(inputs) < settings.WidthCap)
        {
            // A wide input (§5.11): the members share the first-layer budget, so the model's first layer, its zip and a
            // sparse row's cost stay what one network's would be; as many members as get 4 neurons each, at least one.
            members = (int)Math.Clamp(settings.MaximumInputLayerWeights / (4L * inputs), 1, members);
            if (members > 1)
            {
                settings = settings with { MaximumInputLayerWeights = settings.MaximumInputLayerWeights / members };
            }
        }
        var progressGate = new object();
        var run = new Run(host, ch, options, task, context, validationSet, classCount, seed, settings,
            new TrainingProgressLog(host, ch, options.ProgressCallback, options.MaxEpoch, 0, members, progressGate),
            RowsThatFit(options, InMemoryColumns(options, inputs, initial)), initial, options.CancellationToken);

        DataViewReader.Result? read = ReadIntoMemoryIfItFits(run);
        InMemoryRows? rows = read is null ? null : ReadRows(run, read);
        // Quantile codes of the inputs (docs/method.md §5.13): fitted once on every training row, so that all members
        // share them; a continued model keeps its own. The networks train on the features followed by their codes.
        InputCodes? codes = InputCodesFor(run, rows);
        if (codes is not null)
        {
            rows = new InMemoryRows(WithCodes(rows!.Train, codes), rows.Validation is null ? null : WithCodes(rows.Validation, codes));
            run = run with { Initial = run.Initial?.WithCodes(null) };
            ch.Info(MessageSensitivity.None, string.Format(CultureInfo.InvariantCulture,
                "Quantile codes for {0} of {1} features (up to {2} knots and {3} codes each).", codes.CodedFeatureCount, codes.FeatureCount,
                InputCodesKnots, codes.Bins));
        }
        if (settings.LinearBaseline)
        {
            settings = LinearBaselineFor(settings, rows, codes, run.Initial, task == NetworkTask.MulticlassClassification ? classCount : 1);
            run = run with { Settings = settings };
        }
        // Members train in parallel when the rows are in memory, as many at a time as the cores allow at NumberOfThreads
        // intra-op threads each; how many train at a time does not change the result (each member has its own seed,
        // generator and data split). NumberOfThreads itself may change the last bits on some processors.
        int parallel = rows is null ? 1 : Math.Clamp(Environment.ProcessorCount / Math.Max(1, settings.NumberOfThreads), 1,
            Math.Min(members, options.MaximumParallelMembers ?? members));
        var outcomes = new MemberOutcome[members];
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(options.CancellationToken);
        ExceptionDispatchInfo? failure = null;
        void TrainMember(int m)
        {
            try
            {
                int memberSeed = MemberSeed(seed, m);
                Run member = m == 0 ? run with { Cancellation = stop.Token } : run with
                {
                    Seed = memberSeed, Settings = settings with { Seed = memberSeed }, Cancellation = stop.Token,
                    Progress = new TrainingProgressLog(host, ch, options.ProgressCallback, options.MaxEpoch, m, members, progressGate),
                };
                outcomes[m] = rows is not null ? TrainInMemory(member, rows)
                    : DataViewReader.IsWide(context.TrainingSet.Schema.Feature!.Value) ? TrainStreamingSparse(member)
                    : TrainStreaming(member);
                member.Progress.Flush();
            }
            catch (Exception e)
            {
                // The first failure is the one to report; the others stop (and their cancellation is not reported).
                if (Interlocked.CompareExchange(ref failure, ExceptionDispatchInfo.Capture(e), null) is null)
                {
                    stop.Cancel();
                }
            }
        }
        if (parallel == 1)
        {
            for (int m = 0; m < members && failure is null; m++)
            {
                TrainMember(m);
            }
        }
        else
        {
            Parallel.For(0, members, new ParallelOptions { MaxDegreeOfParallelism = parallel }, TrainMember);
        }
        failure?.Throw();
        host.CheckAlive();

        TrainingData? validation = outcomes[0].Validation;
        var history = outcomes.SelectMany(o => o.Result.History).ToList();
        string[] endings = outcomes.Select(o => string.Format(CultureInfo.InvariantCulture, "{0} after {1} epochs, kept epoch {2}, widths [{3}]",
            o.Result.Stopped, o.Result.History.Count, o.Result.BestEpoch, string.Join(", ", o.Result.Model.LayerWidths))).ToArray();
        // With a linear path, the networks are averaged without it and the members' terms once, as one term (docs/method.md §5.12).
        AdaptiveWidthModel network = ModelAveraging.Average(outcomes.Select(o => o.Result.WithoutLinearPath).ToArray());
        if (outcomes.Select(o => o.Result.Linear).ToArray() is { } terms && terms.All(t => t is not null))
        {
            network = LinearTerm.Average(terms!).Embed(network);
        }
        if (members > 1)
        {
            ch.Info(MessageSensitivity.None, string.Format(CultureInfo.InvariantCulture,
                "Averaged {0} networks into one with widths [{1}].", members, string.Join(", ", network.LayerWidths)));
        }

        if (FitsTemperature(run))
        {
            network = ScaleTemperature(run, network, outcomes);
        }
        network = TruncateToBudget(run, network);
        CompressionResult? compression = null;
        if (options.CompressionTolerance is double tolerance)
        {
            // The first member's held-out rows (the other members may have trained on some of them).
            (network, compression) = Compress(run, network, validation, tolerance);
        }
        if (codes is not null)
        {
            network = network.WithCodes(codes);
        }
        ch.Info(MessageSensitivity.None, string.Format(CultureInfo.InvariantCulture,
            "Training ended: {0}; the model's widths [{1}].",
            string.Join("; ", endings.Select((e, m) => members > 1 ? $"member {m + 1}: {e}" : e)), string.Join(", ", network.LayerWidths)));
        return new Outcome(network, history, compression);
    }

    /// <summary>
    /// Whether the members fit a temperature (<see cref="AdaptiveWidthOptionsBase.TemperatureScaling"/>): classifiers, unless
    /// training continues a model, whose own temperature is already in its output layer (a second fit on top would compound
    /// with it, past the range one fit allows).
    /// </summary>
    private static bool FitsTemperature(Run run) => run.Options.TemperatureScaling && run.Task != NetworkTask.Regression && run.Initial is null;

    /// <summary>
    /// The network with its logits divided by the temperature of least cross-entropy on the members' held-out rows, each
    /// member's own logits on its own rows, in memory or streamed (docs/method.md §5.16); unchanged without held-out rows.
    /// </summary>
    private static AdaptiveWidthModel ScaleTemperature(Run run, AdaptiveWidthModel network, MemberOutcome[] members)
    {
        if (members.Any(m => m.Temperature is null || m.Temperature.Rows == 0))
        {
            // On by default: a note, not a warning, when there is nothing to fit it on.
            run.Channel.Info(MessageSensitivity.None, string.Format(CultureInfo.InvariantCulture,
                "{0} needs held-out rows and a member had none ({1} = 0 and no validation data, or too few rows), so the model's logits are left as trained.",
                nameof(AdaptiveWidthOptionsBase.TemperatureScaling), nameof(AdaptiveWidthOptionsBase.ValidationFraction)));
            return network;
        }
        var fit = new TemperatureFit(run.Task, network.OutputCount);
        foreach (MemberOutcome member in members)
        {
            fit.Add(member.Temperature!);
        }
        (double temperature, double loss, double atOne) = fit.Best();
        run.Channel.Info(MessageSensitivity.None, string.Format(CultureInfo.InvariantCulture,
            "Temperature {0:F3} on the logits (cross-entropy on {1} held-out rows {2:G4}, against {3:G4} at 1).", temperature, fit.Rows, loss, atOne));
        return network.WithOutputScaled(1 / temperature);
    }

    /// <summary>
    /// The settings with <see cref="TrainingSettings.LinearBaseline"/> kept where it applies (dense rows in memory, a new model,
    /// min(rows, <see cref="LinearBaseline.MaximumRows"/>) × inputs × outputs within <see cref="LinearBaseline.MaximumWork"/>) and off elsewhere, and with its inputs: the
    /// quantile codes and the features without one (two-valued), not the coded features themselves, whose raw values would
    /// let the linear model extrapolate beyond the training range (docs/method.md §5.17).
    /// </summary>
    private static TrainingSettings LinearBaselineFor(TrainingSettings settings, InMemoryRows? rows, InputCodes? codes, AdaptiveWidthModel? initial, int outputs)
    {
        if (rows is null || rows.Train.Sparse is not null || initial is not null
            || (long)Math.Min(rows.Train.RowCount, LinearBaseline.MaximumRows) * rows.Train.FeatureCount * outputs > LinearBaseline.MaximumWork)
        {
            return settings with { LinearBaseline = false };
        }
        float[]? inputs = null;
        if (codes is not null)
        {
            inputs = Enumerable.Repeat(1f, codes.FeatureCount + codes.CodeCount).ToArray();
            foreach (int feature in codes.Features)
            {
                inputs[feature] = 0;
            }
        }
        return settings with { LinearBaselineInputs = inputs };
    }

    /// <summary>Knots per coded feature: quantiles at 1/63 steps.</summary>
    private const int InputCodesKnots = 64;

    /// <summary>The codes to train with: a continued model's own, or new ones when the option asks and the rows are dense and in memory.</summary>
    private static InputCodes? InputCodesFor(Run run, InMemoryRows? rows)
    {
        if (run.Initial?.Codes is InputCodes kept)
        {
            if (rows is null || rows.Train.Sparse is not null)
            {
                throw new ArgumentException(
                    $"The model to continue from codes its inputs (quantile codes); continued training of such a model reads the rows into memory: use {nameof(run.Options.DataMode)} = {nameof(TrainingDataMode.InMemory)}" +
                    (run.Options.DataMode == TrainingDataMode.Auto ? $", or raise {nameof(run.Options.InMemoryLimitMegabytes)} (the rows with the model's {kept.CodeCount} codes exceed {run.Options.InMemoryLimitMegabytes} MB)." : "."),
                    "modelParameters");
            }
            if (!FitsOneArray(run, rows, kept))
            {
                throw new ArgumentException(string.Format(CultureInfo.InvariantCulture,
                    "The model to continue from codes its inputs (quantile codes), and {0} rows × ({1} features + {2} codes) do not fit in one array of {3} values: continue training on fewer rows.",
                    LargestRowCount(rows), kept.FeatureCount, kept.CodeCount, MaximumArrayValues(run)), "modelParameters");
            }
            return kept;
        }
        if (!run.Options.QuantileCodes || run.Initial is not null || rows is null || rows.Train.Sparse is not null)
        {
            return null;
        }
        InputCodes? codes = InputCodes.FromRows(rows.Train.Features, rows.Train.FeatureCount, InputCodesKnots);
        if (codes is null)
        {
            return null;
        }
        int asked = run.Options.QuantileCodeBins > 0 ? run.Options.QuantileCodeBins : AutomaticCodeBins(rows.Train.RowCount, codes.CodedFeatureCount);
        // The rows with their codes are one array: with DataMode = InMemory (or a raised InMemoryLimitMegabytes) on millions
        // of rows, fewer bins, or none, keep it within .NET's largest array instead of failing.
        for (int bins = asked; bins >= 1; bins--)
        {
            InputCodes candidate = codes.WithBins(bins);
            if (FitsOneArray(run, rows, candidate))
            {
                if (bins < asked)
                {
                    run.Channel.Warning(MessageSensitivity.None, string.Format(CultureInfo.InvariantCulture,
                        "Quantile codes get {0} bins a feature instead of {1}: {2} rows × their features and codes must fit in one array of {3} values. For data this large, DataMode = Streaming uses less memory.",
                        bins, asked, LargestRowCount(rows), MaximumArrayValues(run)));
                }
                return candidate;
            }
        }
        run.Channel.Warning(MessageSensitivity.None, string.Format(CultureInfo.InvariantCulture,
            "No quantile codes: {0} rows × ({1} features + {2} codes) do not fit in one array of {3} values. For data this large, DataMode = Streaming uses less memory; QuantileCodes = false silences this.",
            LargestRowCount(rows), codes.FeatureCount, codes.CodeCount, MaximumArrayValues(run)));
        return null;
    }

    private static long MaximumArrayValues(Run run) => run.Options.MaximumArrayValues ?? Array.MaxLength;

    private static long LargestRowCount(InMemoryRows rows) => Math.Max(rows.Train.RowCount, rows.Validation?.RowCount ?? 0);

    /// <summary>True when the training rows and the given validation rows, each with <paramref name="codes"/>, fit in one array.</summary>
    private static bool FitsOneArray(Run run, InMemoryRows rows, InputCodes codes)
        => LargestRowCount(rows) * (long)(codes.FeatureCount + codes.CodeCount) <= MaximumArrayValues(run);

    /// <summary>Training rows per bin that <see cref="AdaptiveWidthOptionsBase.QuantileCodeBins"/> = 0 asks for.</summary>
    internal const int RowsPerCodeBin = 256;

    /// <summary>The most bins <see cref="AdaptiveWidthOptionsBase.QuantileCodeBins"/> = 0 gives a coded feature.</summary>
    internal const int MaximumAutomaticCodeBins = 8;

    /// <summary>The most codes <see cref="AdaptiveWidthOptionsBase.QuantileCodeBins"/> = 0 gives a model in all (with
    /// more coded features than this, one each).</summary>
    internal const int MaximumAutomaticCodes = 512;

    /// <summary>
    /// The bins per coded feature for <see cref="AdaptiveWidthOptionsBase.QuantileCodeBins"/> = 0: one per
    /// <see cref="RowsPerCodeBin"/> training rows (the rows read, before the validation rows are held out), from 1 to
    /// <see cref="MaximumAutomaticCodeBins"/>, and no more than keeps the codes within <see cref="MaximumAutomaticCodes"/>.
    /// A bin's ramp is fitted on the rows inside it (docs/realdata-recipe.md, eighth round: 128 rows a bin lost the small
    /// sets, 512 gave the large ones fewer bins); the cap keeps wide inputs (pixels) at one code each, where eight bins of
    /// 784 pixels made Fashion-MNIST's first layer nine times as wide, 4.6 times as slow to train and 2 points worse.
    /// </summary>
    internal static int AutomaticCodeBins(long rows, int codedFeatures)
        => (int)Math.Clamp(Math.Min(rows / RowsPerCodeBin, MaximumAutomaticCodes / Math.Max(1, codedFeatures)), 1, MaximumAutomaticCodeBins);

    /// <summary>The rows with their codes appended to every row's features.</summary>
    private static TrainingData WithCodes(TrainingData data, InputCodes codes)
    {
        int f = data.FeatureCount, e = f + codes.CodeCount;
        var features = new float[(long)data.RowCount * e];
        for (long i = 0; i < data.RowCount; i++)
        {
            codes.Apply(data.Features.AsSpan(checked((int)(i * f)), f), features.AsSpan(checked((int)(i * e)), e));
        }
        return new TrainingData(features, e, data.Labels, data.Weights);
    }

    /// <summary>
    /// The seed when <see cref="AdaptiveWidthOptionsBase.Seed"/> is not set: the MLContext's seed when it has one, so that
    /// the same context seed trains the same network whatever else the pipeline holds (the host's random numbers depend on
    /// how many components the context created before the trainer, so adding a normalizer would otherwise change the
    /// initial weights, the shuffling and the held-out rows); a draw from the host's random numbers for an unseeded context.
    /// </summary>
    internal static int DefaultSeed(IHost host) => (host as IHostEnvironmentInternal)?.Seed ?? host.Rand.Next();

    /// <summary>The seed of ensemble member <paramref name="member"/>: the trainer's seed for the first, then seeds far apart.</summary>
    internal static int MemberSeed(int seed, int member) => unchecked(seed + member * 1_000_003);

    /// <summary>What every step of one <see cref="Train"/> call needs.</summary>
    private sealed record Run(IHost Host, IChannel Channel, AdaptiveWidthOptionsBase Options, NetworkTask Task, TrainContext Context,
        RoleMappedData? ValidationSet, int ClassCount, int Seed, TrainingSettings Settings, TrainingProgressLog Progress, long MaxInMemoryRows,
        AdaptiveWidthModel? Initial, CancellationToken Cancellation)
    {
        public string LabelName => Context.TrainingSet.Schema.Label!.Value.Name;
    }

    /// <summary>
    /// The network of the model parameters given to <c>Fit(trainData, modelParameters)</c> (continued training), or null.
    /// </summary>
    private static AdaptiveWidthModel? InitialNetwork(TrainContext context)
    {
        AdaptiveWidthModel? network = context.InitialPredictor switch
        {
            null => null,
            AdaptiveWidthBinaryModelParameters binary => binary.Network,
            AdaptiveWidthMulticlassModelParameters multiclass => multiclass.Network,
            AdaptiveWidthRegressionModelParameters regression => regression.Network,
            _ => throw new ArgumentException(
                $"Continued training starts from AdaptiveWidth model parameters; got {context.InitialPredictor.GetType().Name}.", "modelParameters"),
        };
        int features = context.TrainingSet.Schema.Feature!.Value.Type.GetVectorSize();
        if (network is not null && network.InputCount != features)
        {
            throw new ArgumentException(
                $"The model to continue from takes {network.InputCount} features; the training data's column '{context.TrainingSet.Schema.Feature!.Value.Name}' has {features}.",
                "modelParameters");
        }
        return network;
    }

    /// <summary>The training rows in memory, or null when they are to be streamed (asked for, or too many for the limit).</summary>
    private static DataViewReader.Result? ReadIntoMemoryIfItFits(Run run)
    {
        AdaptiveWidthOptionsBase options = run.Options;
        RoleMappedData data = run.Context.TrainingSet;
        DataViewSchema.Column features = data.Schema.Feature!.Value;
        if (DataViewReader.IsWide(features))
        {
            // Checked before any row is read: a too-wide input fails with the option to raise.
            run.Settings.CheckInputLayer(DataViewReader.FeatureCount(features), $"Column '{features.Name}' (features)");
            if (options.DataMode == TrainingDataMode.Streaming)
            {
                return null;
            }
            if (options.DataMode == TrainingDataMode.InMemory)
            {
                return DataViewReader.Read(data, run.Task);
            }
            // Auto: sparse rows cost their non-zeros, which are known only once read.
            DataViewReader.Result? sparse = DataViewReader.TryReadSparse(data, run.Task, MaxInMemoryBytes(options));
            if (sparse is null)
            {
                run.Channel.Info(MessageSensitivity.None, string.Format(CultureInfo.InvariantCulture,
                    "The training data's sparse rows in column '{0}' take more than {1} = {2} MB (8 bytes a non-zero): streaming them instead of reading them into memory.",
                    features.Name, nameof(options.InMemoryLimitMegabytes), options.InMemoryLimitMegabytes));
            }
            return sparse;
        }
        if (options.DataMode == TrainingDataMode.Streaming
            || (options.DataMode == TrainingDataMode.Auto && data.Data.GetRowCount() is long known && known > run.MaxInMemoryRows))
        {
            return null;
        }
        DataViewReader.Result? read = options.DataMode == TrainingDataMode.InMemory
            ? DataViewReader.Read(data, run.Task)
            : DataViewReader.TryRead(data, run.Task, run.MaxInMemoryRows);
        if (read is null)
        {
            run.Channel.Info(MessageSensitivity.None, string.Format(CultureInfo.InvariantCulture,
                "The training data has more than {0} rows ({1} = {2} MB, counting the quantile codes the model would add to the features): streaming it instead of reading it into memory (streamed rows get no quantile codes).",
                run.MaxInMemoryRows, nameof(options.InMemoryLimitMegabytes), options.InMemoryLimitMegabytes));
        }
        return read;
    }

    /// <summary>The training rows and the given validation rows (if any), read once for every member.</summary>
    private sealed record InMemoryRows(TrainingData Train, TrainingData? Validation);

    /// <summary>
    /// What one member's training gives: its result, its held-out rows when a later step needs them in memory (the first
    /// member's for compression), and its held-out cross-entropy at each temperature (null when it fits none or had no
    /// held-out rows).
    /// </summary>
    private sealed record MemberOutcome(TrainingResult Result, TrainingData? Validation, TemperatureFit? Temperature);

    private static InMemoryRows ReadRows(Run run, DataViewReader.Result read)
    {
        TrainingData train = Checked(run.Channel, read, "training");
        CheckClasses(train.Labels.Distinct().Count(), train.RowCount, run.Task, run.LabelName);
        // Validation rows of a wide column take the training rows' form (sparse, or made dense), whatever their own density.
        TrainingData? validation = run.ValidationSet is null ? null : Checked(run.Channel,
            DataViewReader.IsWide(run.ValidationSet.Schema.Feature!.Value)
                ? DataViewReader.TryReadSparse(run.ValidationSet, run.Task, long.MaxValue, keepSparse: train.Sparse is not null)!
                : DataViewReader.Read(run.ValidationSet, run.Task),
            "validation");
        return new InMemoryRows(train, validation);
    }

    /// <summary>Trains on rows held in memory, with the given validation rows or a stratified hold-out.</summary>
    private static MemberOutcome TrainInMemory(Run run, InMemoryRows rows)
    {
        AdaptiveWidthOptionsBase options = run.Options;
        TrainingData train = rows.Train;
        TrainingData? validation = rows.Validation;
        if (validation is null && options.ValidationFraction > 0)
        {
            (train, validation) = ValidationSplit.Split(train, run.Task, options.ValidationFraction, run.Seed);
            CheckClasses(train.Labels.Distinct().Count(), train.RowCount, run.Task, run.LabelName);
            if (validation is null)
            {
                // Too few rows to hold any out (Split returned every row for training): as ML.NET's trainers do on tiny
                // data, train anyway, for MaxEpoch epochs; compression, which is measured on held-out rows, cannot.
                if (options.CompressionTolerance is not null)
                {
                    throw new ArgumentException(string.Format(CultureInfo.InvariantCulture,
                        "{0} {1} of {2} usable training rows holds out no row, and {3} is measured on held-out rows. Give more rows, raise {0}, or pass validation data to Fit(train, validation).",
                        nameof(options.ValidationFraction), options.ValidationFraction, train.RowCount, nameof(options.CompressionTolerance)), "data");
                }
                if (run.Progress.Member == 0)
                {
                    run.Channel.Warning(MessageSensitivity.None, string.Format(CultureInfo.InvariantCulture,
                        "{0} {1} of {2} usable training rows holds out no row: training on all of them for {3} = {4} epochs, without early stopping{5}. For early stopping, give more rows or pass validation data to Fit(train, validation).",
                        nameof(options.ValidationFraction), options.ValidationFraction, train.RowCount, nameof(options.MaxEpoch), options.MaxEpoch,
                        FitsTemperature(run) ? $" (and without {nameof(options.TemperatureScaling)})" : ""));
                }
            }
            else
            {
                lock (run.Progress.Gate)
                {
                    run.Channel.Info(MessageSensitivity.None, string.Format(CultureInfo.InvariantCulture,
                        "Held out {0} of {1} rows for validation ({2} = {3}).",
                        validation.RowCount, train.RowCount + validation.RowCount, nameof(options.ValidationFraction), options.ValidationFraction));
                }
            }
        }
        TrainingResult result = AdaptiveWidthNetworkTrainer.Train(run.Task, run.ClassCount, train, validation, run.Settings, run.Progress,
            run.Cancellation,
            // MLContext.CancelExecution is seen before every mini-batch, as the token is, not only after an epoch.
            beforeBatch: run.Host.CheckAlive, run.Initial);
        return new MemberOutcome(result, validation,
            FitsTemperature(run) && validation is not null ? TemperatureFit.Of(run.Task, result.Model, validation, run.Cancellation) : null);
    }

    /// <summary>
    /// Trains on rows streamed once per epoch, with the given validation rows or a hashed per-row hold-out; returns the
    /// validation rows in memory (up to the limit) only when compression needs them.
    /// </summary>
    private static MemberOutcome TrainStreaming(Run run)
    {
        AdaptiveWidthOptionsBase options = run.Options;
        IChannel ch = run.Channel;
        RoleMappedData data = run.Context.TrainingSet;
        DataViewReader.HoldOut? holdOut = run.ValidationSet is null && options.ValidationFraction > 0
            ? new DataViewReader.HoldOut(options.ValidationFraction, run.Seed, Validation: false)
            : null;
        StreamingTrainingData train = Scan(ch, DataViewReader.Stream(data, run.Task, holdOut), "training", run.Cancellation);
        CheckClasses(train.DistinctLabels?.Count ?? int.MaxValue, train.RowCount, run.Task, run.LabelName);
        StreamingTrainingData? streamedValidation = null;
        if (run.ValidationSet is not null)
        {
            streamedValidation = Scan(ch, DataViewReader.Stream(run.ValidationSet, run.Task), "validation", run.Cancellation);
        }
        else if (holdOut is not null)
        {
            streamedValidation = Scan(ch, DataViewReader.Stream(data, run.Task, holdOut with { Validation = true }), "validation",
                run.Cancellation);
            LogStreamedHoldOut(run, streamedValidation.RowCount, train.RowCount);
        }
        ch.Info(MessageSensitivity.None, string.Format(CultureInfo.InvariantCulture,
            "Streaming {0} training rows once per epoch through a shuffle buffer of {1} rows.", train.RowCount, options.ShuffleBufferRows));
        TrainingResult result = AdaptiveWidthNetworkTrainer.Train(run.Task, run.ClassCount, train, streamedValidation, run.Settings,
            options.ShuffleBufferRows, run.Progress, run.Cancellation, beforeBatch: run.Host.CheckAlive, run.Initial);
        // One more pass over the held-out rows for the temperature (nothing kept per row).
        TemperatureFit? temperature = FitsTemperature(run) && streamedValidation is not null
            ? TemperatureFit.Of(run.Task, result.Model, streamedValidation, run.Cancellation) : null;
        if (options.CompressionTolerance is null)
        {
            return new MemberOutcome(result, null, temperature);
        }
        // The compression search scores the validation rows many times, so it needs them in memory.
        TrainingData validation = ReadIntoMemory(streamedValidation!, RowsThatFit(options, streamedValidation!.FeatureCount));
        WarnIfCompressionSeesPart(run, validation.RowCount, streamedValidation!.RowCount);
        return new MemberOutcome(result, validation, temperature);
    }

    private static void LogStreamedHoldOut(Run run, long validationRows, long trainingRows)
        => run.Channel.Info(MessageSensitivity.None, string.Format(CultureInfo.InvariantCulture,
            "Held out {0} of {1} rows for validation ({2} = {3}; streaming: a per-row random draw, not stratified).",
            validationRows, trainingRows + validationRows, nameof(run.Options.ValidationFraction), run.Options.ValidationFraction));

    /// <summary>Warns when only the first of the streamed validation rows fitted in memory for the compression search.</summary>
    private static void WarnIfCompressionSeesPart(Run run, long inMemory, long streamed)
    {
        if (inMemory < streamed)
        {
            run.Channel.Warning(MessageSensitivity.None, string.Format(CultureInfo.InvariantCulture,
                "Compression measures the first {0} of {1} validation rows (what fits in {2} = {3} MB).",
                inMemory, streamed, nameof(run.Options.InMemoryLimitMegabytes), run.Options.InMemoryLimitMegabytes));
        }
    }

    /// <summary>
    /// <see cref="TrainStreaming"/> for a wide column: the rows are streamed as their non-zeros, once per epoch, through a
    /// shuffle buffer of at most <see cref="AdaptiveWidthOptionsBase.ShuffleBufferRows"/> rows (each held as its
    /// non-zeros); the validation rows (given, or a hashed per-row hold-out) are streamed too, and read into memory (up to
    /// <see cref="AdaptiveWidthOptionsBase.InMemoryLimitMegabytes"/>) only when compression needs them.
    /// </summary>
    private static MemberOutcome TrainStreamingSparse(Run run)
    {
        AdaptiveWidthOptionsBase options = run.Options;
        IChannel ch = run.Channel;
        RoleMappedData data = run.Context.TrainingSet;
        DataViewReader.HoldOut? holdOut = run.ValidationSet is null && options.ValidationFraction > 0
            ? new DataViewReader.HoldOut(options.ValidationFraction, run.Seed, Validation: false)
            : null;
        SparseStreamingData train = ScanSparse(ch, DataViewReader.StreamSparse(data, run.Task, holdOut), "training", run.Cancellation);
        CheckClasses(train.DistinctLabels?.Count ?? int.MaxValue, train.RowCount, run.Task, run.LabelName);
        SparseStreamingData? streamedValidation = null;
        if (run.ValidationSet is not null)
        {
            streamedValidation = ScanSparse(ch, DataViewReader.StreamSparse(run.ValidationSet, run.Task), "validation", run.Cancellation);
        }
        else if (holdOut is not null)
        {
            streamedValidation = ScanSparse(ch, DataViewReader.StreamSparse(data, run.Task, holdOut with { Validation = true }), "validation",
                run.Cancellation);
            LogStreamedHoldOut(run, streamedValidation.RowCount, train.RowCount);
        }
        ch.Info(MessageSensitivity.None, string.Format(CultureInfo.InvariantCulture,
            "Streaming {0} training rows ({1} non-zeros over {2} features) once per epoch through a shuffle buffer of {3} rows held as their non-zeros.",
            train.RowCount, train.NonZeroCount, train.FeatureCount, options.ShuffleBufferRows));
        TrainingResult result = AdaptiveWidthNetworkTrainer.Train(run.Task, run.ClassCount, train, streamedValidation, run.Settings,
            options.ShuffleBufferRows, run.Progress, run.Cancellation, beforeBatch: run.Host.CheckAlive, run.Initial);
        // One more pass over the held-out rows for the temperature (nothing kept per row).
        TemperatureFit? temperature = FitsTemperature(run) && streamedValidation is not null
            ? TemperatureFit.Of(run.Task, result.Model, streamedValidation, run.Cancellation) : null;
        if (options.CompressionTolerance is null)
        {
            return new MemberOutcome(result, null, temperature);
        }
        // The compression search scores the validation rows many times, so it needs them in memory.
        TrainingData validation = streamedValidation!.ReadIntoMemory(MaxInMemoryBytes(options))
            ?? throw new ArgumentException(
                $"Compression needs validation rows in memory, and not one validation row fits in {nameof(options.InMemoryLimitMegabytes)} = " +
                $"{options.InMemoryLimitMegabytes} MB: raise it.", nameof(options.InMemoryLimitMegabytes));
        WarnIfCompressionSeesPart(run, validation.RowCount, streamedValidation.RowCount);
        return new MemberOutcome(result, validation, temperature);
    }

    /// <summary>
    /// The same truncation as TruncationTarget.Fraction then .MaxUnits on the trained model, except that a cap above the
    /// learned width is allowed: it was set before the width was known.
    /// </summary>
    private static AdaptiveWidthModel TruncateToBudget(Run run, AdaptiveWidthModel network)
    {
        int[] kept = Truncation.WidthsForFraction(network.LayerWidths, run.Options.TruncationBudget);
        if (run.Options.MaxUnitsPerLayer is int cap)
        {
            kept = Truncation.WidthsForMaxUnits(kept, cap, allowAboveWidth: true);
        }
        if (kept.SequenceEqual(network.LayerWidths))
        {
            return network;
        }
        run.Channel.Info(MessageSensitivity.None, $"Truncated the learned widths [{string.Join(", ", network.LayerWidths)}] to [{string.Join(", ", kept)}].");
        return network.Truncate(kept);
    }

    /// <summary>The smallest prefixes whose validation metric stays within the tolerance (<see cref="Compression"/>).</summary>
    private static (AdaptiveWidthModel Network, CompressionResult Compression) Compress(Run run, AdaptiveWidthModel network, TrainingData? validation,
        double tolerance)
    {
        // Validate() and Train's first check have made sure validation rows exist (given, or held out by ValidationFraction).
        run.Host.Check(validation is not null, "Compression needs validation rows.");
        QualityMetric metric = run.Options.ValidatedCompressionMetric(run.Task);
        // Sparse validation rows are scored sparsely (AdaptiveWidthModel.ScoreSparse).
        CompressionResult compression = Compression.Compress(network, LabeledRows.Of(validation!, metric), tolerance);
        run.Channel.Info(MessageSensitivity.None, string.Format(CultureInfo.InvariantCulture,
            "Compressed to widths [{0}] ({1} of {2} multiply-adds per row); validation {3} {4:G6} -> {5:G6}; {6} evaluations.",
            string.Join(", ", compression.Widths), compression.Model.MultiplyAdds, compression.Curve[0].MultiplyAdds,
            MetricName(metric), compression.FullMetric, compression.Metric, compression.Evaluations));
        return (compression.Model, compression);
    }

    /// <summary>
    /// The validation data: the one given to <c>Fit(train, validation)</c> or the <see cref="AdaptiveWidthOptionsBase.ValidationSet"/>
    /// option, mapped to the training data's roles (label, features, weight); null when there is none.
    /// </summary>
    private static RoleMappedData? ValidationSet(AdaptiveWidthOptionsBase options, TrainContext context)
    {
        if (options.ValidationSet is null)
        {
            return context.ValidationSet;
        }
        if (context.ValidationSet is not null)
        {
            if (ReferenceEquals(context.ValidationSet.Data, options.ValidationSet))
            {
                return context.ValidationSet;
            }
            throw new ArgumentException(
                $"Validation data was given twice, to Fit(train, validation) and as the option {nameof(options.ValidationSet)}; give it once.",
                nameof(options.ValidationSet));
        }
        RoleMappedSchema roles = context.TrainingSet.Schema;
        DataViewSchema schema = options.ValidationSet.Schema;
        foreach (DataViewSchema.Column? role in new[] { roles.Label, roles.Feature, roles.Weight })
        {
            if (role is { } column && schema.GetColumnOrNull(column.Name) is null)
            {
                throw new ArgumentException(
                    $"The option {nameof(options.ValidationSet)} has no column '{column.Name}', which the training data has.",
                    nameof(options.ValidationSet));
            }
        }
        return new RoleMappedData(options.ValidationSet, label: roles.Label?.Name, feature: roles.Feature?.Name, weight: roles.Weight?.Name);
    }

    private static string MetricName(QualityMetric metric) => metric switch
    {
        QualityMetric.Rmse => "RMSE",
        QualityMetric.AreaUnderRocCurve => "AUC %",
        _ => "accuracy %",
    };

    private static TrainingData Checked(IChannel ch, DataViewReader.Result read, string role)
    {
        WarnSkipped(ch, read, role);
        if (read.Data is null)
        {
            throw NoUsableRows(read, role);
        }
        return read.Data;
    }

    private static StreamingTrainingData Scan(IChannel ch, DataViewReader.DataViewRowSource source, string role, CancellationToken cancellationToken)
    {
        StreamingTrainingData scanned;
        try
        {
            scanned = StreamingTrainingData.Scan(source, cancellationToken);
        }
        catch (ArgumentException) when (source.LastPass is { } pass && pass.RowsRead == pass.RowsSkipped)
        {
            throw NoUsableRows(pass, role);
        }
        catch (ArgumentException) when (source.LastPass is not null)
        {
            throw new ArgumentException(
                $"The {role} data has no row left after holding out validation rows: give more rows, lower " +
                $"{nameof(AdaptiveWidthOptionsBase.ValidationFraction)}, or pass validation data to Fit(train, validation).", "data");
        }
        WarnSkipped(ch, source.LastPass!, role);
        return scanned;
    }

    private static SparseStreamingData ScanSparse(IChannel ch, DataViewReader.SparseDataViewRowSource source, string role,
        CancellationToken cancellationToken)
    {
        SparseStreamingData scanned;
        try
        {
            scanned = SparseStreamingData.Scan(source, cancellationToken);
        }
        catch (ArgumentException) when (source.LastPass is { } pass && pass.RowsRead == pass.RowsSkipped)
        {
            throw NoUsableRows(pass, role);
        }
        catch (ArgumentException) when (source.LastPass is not null)
        {
            throw new ArgumentException(
                $"The {role} data has no row left after holding out validation rows: give more rows, lower " +
                $"{nameof(AdaptiveWidthOptionsBase.ValidationFraction)}, or pass validation data to Fit(train, validation).", "data");
        }
        WarnSkipped(ch, source.LastPass!, role);
        return scanned;
    }

    private static void WarnSkipped(IChannel ch, DataViewReader.Result read, string role)
    {
        if (read.RowsSkipped > 0)
        {
            // ML.NET's own trainers skip such rows with a warning; we do the same and say how many.
            ch.Warning(MessageSensitivity.None, string.Format(CultureInfo.InvariantCulture,
                "Skipped {0} of {1} {2} rows: {3}.", read.RowsSkipped, read.RowsRead, role, read.SkipReasons()));
        }
    }

    private static ArgumentException NoUsableRows(DataViewReader.Result read, string role)
        => new(read.RowsRead == 0
            ? $"The {role} data is empty: there must be at least one row. Check the file or the filter that produced it."
            : $"The {role} data has no usable row: of {read.RowsRead} rows, {read.SkipReasons()}.",
            "data");

    /// <summary>The most rows of <paramref name="columns"/> floats that fit in <see cref="AdaptiveWidthOptionsBase.InMemoryLimitMegabytes"/>.</summary>
    private static long RowsThatFit(AdaptiveWidthOptionsBase options, long columns)
        => Math.Max(1, options.InMemoryLimitMegabytes * (1L << 20) / (4L * columns));

    /// <summary>
    /// The floats a dense row takes when the rows train in memory: its <paramref name="features"/> and, when the model will
    /// code them (<see cref="AdaptiveWidthOptionsBase.QuantileCodes"/>, or a continued model with codes), the most codes it
    /// can get, which are known only once the rows are read: <see cref="AdaptiveWidthOptionsBase.QuantileCodeBins"/> a
    /// feature, or with automatic bins at most <see cref="MaximumAutomaticCodeBins"/> a feature and
    /// <see cref="MaximumAutomaticCodes"/> in all (one a feature beyond that). The codes sit beside the features in the
    /// array every member trains from (256 beside 32 features: 9 times the raw bytes), so <c>Auto</c>'s limit counts them.
    /// </summary>
    internal static long InMemoryColumns(AdaptiveWidthOptionsBase options, int features, AdaptiveWidthModel? initial)
    {
        if (initial is not null)
        {
            return features + (initial.Codes?.CodeCount ?? 0);
        }
        if (!options.QuantileCodes)
        {
            return features;
        }
        long codes = options.QuantileCodeBins > 0
            ? (long)features * options.QuantileCodeBins
            : Math.Min((long)features * MaximumAutomaticCodeBins, Math.Max(MaximumAutomaticCodes, features));
        return features + codes;
    }

    /// <summary>The most bytes of sparse rows (<see cref="SparseStreamingData.InMemoryBytes"/>) read into memory.</summary>
    private static long MaxInMemoryBytes(AdaptiveWidthOptionsBase options) => options.InMemoryLimitMegabytes * (1L << 20);

    /// <summary>The first <paramref name="maxRows"/> rows of streamed data, in memory.</summary>
    private static TrainingData ReadIntoMemory(StreamingTrainingData data, long maxRows)
    {
        int f = data.FeatureCount;
        int rows = (int)Math.Min(Math.Min(data.RowCount, maxRows), Array.MaxLength / f);
        var features = new float[rows * f];
        var labels = new float[rows];
        var weights = new float[rows];
        int filled = 0;
        using (ITrainingRowReader reader = data.Source.OpenReader())
        {
            int read;
            while (filled < rows
                && (read = StreamingTrainingData.ReadBlock(reader, features.AsSpan(filled * f), labels.AsSpan(filled), weights.AsSpan(filled), f)) > 0)
            {
                filled += read;
            }
        }
        return new TrainingData(features[..(filled * f)], f, labels[..filled], data.HasWeights ? weights[..filled] : null);
    }

    /// <summary>
    /// The validation data must have the training data's feature size, label type and weight type: ML.NET binds the
    /// validation set by column name only, so a set from a different pipeline would otherwise fail deep in training
    /// or, for a key label of another count, silently mean other classes.
    /// </summary>
    private static void CheckValidationSchema(RoleMappedData train, RoleMappedData validation)
    {
        const string Fix = "Transform the validation data with the same fitted pipeline as the training data.";
        void Same(DataViewSchema.Column? t, DataViewSchema.Column? v, string role)
        {
            if (t is not { } tc)
            {
                return;
            }
            if (v is not { } vc)
            {
                throw new ArgumentException($"The validation data has no {role} column '{tc.Name}'. {Fix}", "validationData");
            }
            if (!tc.Type.Equals(vc.Type))
            {
                throw new ArgumentException(
                    $"Column '{vc.Name}' ({role}) of the validation data is {vc.Type}, but the training data's is {tc.Type}. {Fix}", "validationData");
            }
        }
        Same(train.Schema.Feature, validation.Schema.Feature, "features");
        Same(train.Schema.Label, validation.Schema.Label, "label");
        Same(train.Schema.Weight, validation.Schema.Weight, "example weight");
    }

    private static void CheckClasses(int distinct, long rows, NetworkTask task, string labelName)
    {
        if (task != NetworkTask.Regression && distinct < 2)
        {
            throw new ArgumentException(
                $"The label column '{labelName}' has a single class in the training data ({rows} usable rows); a classifier needs at least two.",
                "data");
        }
    }
}
