using System.Buffers.Binary;
using System.IO.Compression;
using Microsoft.ML.AdaptiveWidth.Inference;
using Microsoft.ML.AdaptiveWidth.Tests.MLNet;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.AdaptiveWidth;

namespace Microsoft.ML.AdaptiveWidth.Tests.Reliability;

/// <summary>One malformed input, what a user gets for it, and the words the message must contain.</summary>
internal sealed record BadInputCase(string Stage, string Input, Func<MLContext, string?> Run, string[] MustContain);

/// <summary>
/// Every malformed input tried at training (through the ML.NET API), at scoring and at loading. A case returns the
/// exception it got, formatted as "Type: message" (or the warning it logged when ML.NET's convention is to skip the
/// row), or null when nothing happened. docs/reliability.md holds the generated table of all of them.
/// </summary>
internal static class BadInputCatalog
{
    private const string Docs = "bad-input";

    public static IReadOnlyList<BadInputCase> Cases { get; } = Build();

    private static List<BadInputCase> Build()
    {
        var c = new List<BadInputCase>();
        void Add(string stage, string input, Func<MLContext, string?> run, params string[] mustContain) => c.Add(new(stage, input, run, mustContain));

        // ---- training: columns
        Add("training", "feature column missing", ml => Fit(ml, Blobs(ml), o => o.FeatureColumnName = "NoSuchColumn"), "NoSuchColumn");
        Add("training", "feature column is a scalar Single", ml => Fit(ml, ml.Data.LoadFromEnumerable(Rows(r => new ScalarFeatureRow { Label = r.Label, Features = r.Features[0] }))), "Features", "Vector");
        Add("training", "feature column is a vector of Double", ml => Fit(ml, ml.Data.LoadFromEnumerable(Rows(r => new DoubleFeatureRow { Label = r.Label, Features = r.Features.Select(v => (double)v).ToArray() }))), "Features", "Single");
        Add("training", "feature vectors of variable length", ml => Fit(ml, ml.Data.LoadFromEnumerable(Rows((r, i) => new VariableRow { Label = r.Label, Features = r.Features[..(1 + i % 4)] }))), "'Features'", "VarVector");
        Add("training", "empty feature vectors", ml => Fit(ml, ml.Data.LoadFromEnumerable(Rows(r => new VariableRow { Label = r.Label, Features = [] }))), "'Features'", "VarVector");
        Add("training", "a row shorter than the declared vector size", ml => Fit(ml, ml.Data.LoadFromEnumerable(Rows((r, i) => new BinaryRow { Label = r.Label, Features = i == 7 ? r.Features[..3] : r.Features }))), "Features");
        Add("training", "label column missing", ml => Fit(ml, Blobs(ml), o => o.LabelColumnName = "Target"), "Target");
        Add("training", "binary label of type Text", ml => Fit(ml, ml.Data.LoadFromEnumerable(Rows(r => new TextLabelRow { Label = r.Label ? "yes" : "no", Features = r.Features }))), "Label", "Boolean");
        Add("training", "multiclass label not a key", ml => FitMulticlass(ml, ml.Data.LoadFromEnumerable(Rows(r => new FloatLabelRow { Label = r.Label ? 1 : 0, Features = r.Features }))), "Label", "MapValueToKey");
        Add("training", "regression label of type Boolean", ml => FitRegression(ml, Blobs(ml)), "Label", "Single");
        Add("training", "example weight column of type Double", ml => Fit(ml, ml.Data.LoadFromEnumerable(Rows(r => new DoubleWeightRow { Label = r.Label, Features = r.Features, Weight = 1 })), o => o.ExampleWeightColumnName = "Weight"), "Weight", "Single");
        Add("training", "example weight column missing", ml => Fit(ml, Blobs(ml), o => o.ExampleWeightColumnName = "Weight"), "Weight");

        // ---- training: values
        Add("training", "NaN features in some rows (skipped, as ML.NET's trainers do)", ml => Warned(ml, () => Fit(ml, ml.Data.LoadFromEnumerable(Rows((r, i) => { if (i % 5 == 0) { r.Features[1] = float.NaN; } return r; })))), "'Features'", "ReplaceMissingValues");
        Add("training", "NaN features in every row", ml => Fit(ml, ml.Data.LoadFromEnumerable(Rows(r => { r.Features[0] = float.NaN; return r; }))), "'Features'", "ReplaceMissingValues");
        Add("training", "+∞ features in every row", ml => Fit(ml, ml.Data.LoadFromEnumerable(Rows(r => { r.Features[2] = float.PositiveInfinity; return r; }))), "'Features'", "infinite");
        Add("training", "NaN labels in every row (Single label)", ml => Fit(ml, ml.Data.LoadFromEnumerable(Rows(r => new FloatLabelRow { Label = float.NaN, Features = r.Features }))), "'Label'", "missing");
        Add("training", "regression label +∞ in every row", ml => FitRegression(ml, ml.Data.LoadFromEnumerable(Rows(r => new FloatLabelRow { Label = float.PositiveInfinity, Features = r.Features }))), "'Label'");
        Add("training", "key label above the key count (ML.NET reads it as the missing key 0: the row is skipped)", ml => Warned(ml, () => FitMulticlass(ml, ml.Data.LoadFromEnumerable(Rows((r, i) => new KeyLabelRow { Label = i == 9 ? 7u : (uint)(i % 3), Features = r.Features })))), "'Label'", "missing");
        Add("training", "a single class (binary)", ml => Fit(ml, ml.Data.LoadFromEnumerable(Rows(r => { r.Label = true; return r; }))), "'Label'", "single class");
        Add("training", "a single class (multiclass)", ml => FitMulticlass(ml, ml.Data.LoadFromEnumerable(Rows(r => new KeyLabelRow { Label = 2, Features = r.Features }))), "'Label'", "single class");
        Add("training", "empty data", ml => Fit(ml, ml.Data.LoadFromEnumerable(new List<BinaryRow>())), "empty");
        Add("training", "streaming: every row has a NaN feature", ml => Fit(ml, ml.Data.LoadFromEnumerable(Rows().Select(r => new BinaryRow { Label = r.Label, Features = [float.NaN, 0, 0, 0] })),
            o => o.DataMode = TrainingDataMode.Streaming), "Features", "no usable row");
        Add("training", "too few rows for the validation hold-out (trained on every row, as ML.NET's trainers train on tiny data)",
            ml => Warned(ml, () => Fit(ml, ml.Data.LoadFromEnumerable(MLNetTestData.Blobs(4, seed: 1))), "ValidationFraction"), nameof(AdaptiveWidthOptionsBase.ValidationFraction));
        Add("training", "too few rows for the validation hold-out, with CompressionTolerance", ml => Fit(ml, ml.Data.LoadFromEnumerable(MLNetTestData.Blobs(4, seed: 1)),
            o => o.CompressionTolerance = 0.5), nameof(AdaptiveWidthOptionsBase.ValidationFraction), nameof(AdaptiveWidthOptionsBase.CompressionTolerance));

        // ---- training: validation data
        Add("training", "validation features of another size", ml => FitWithValidation(ml, ml.Data.LoadFromEnumerable(Rows(r => new ThreeFeatureRow { Label = r.Label, Features = r.Features[..3] }))), "'Features'", "validation", "same fitted pipeline");
        Add("training", "validation label of another type", ml => FitWithValidation(ml, ml.Data.LoadFromEnumerable(Rows(r => new FloatLabelRow { Label = r.Label ? 1 : 0, Features = r.Features }))), "'Label'", "validation");
        Add("training", "validation without the label column", ml => FitWithValidation(ml, ml.Data.LoadFromEnumerable(Rows(r => new FeaturesOnlyRow { Features = r.Features }))), "Label");
        Add("training", "validation key label of another count", ml =>
        {
            var trainer = ml.MulticlassClassification.Trainers.AdaptiveWidth(MLNetTestData.Fast(new AdaptiveWidthMulticlassTrainer.Options()));
            IDataView train = ml.Data.LoadFromEnumerable(Rows((r, i) => new KeyLabelRow { Label = (uint)(i % 3), Features = r.Features }));
            IDataView valid = ml.Data.LoadFromEnumerable(Rows((r, i) => new KeyLabel4Row { Label = (uint)(i % 4), Features = r.Features }));
            return Caught(() => trainer.Fit(train, valid));
        }, "'Label'", "validation", "Key<UInt32, 0-3>");

        // ---- training: options
        Add("options", "Quantile = 0 (k ∉ (0, 1))", ml => Options(ml, o => o.Quantile = 0), "Quantile", "(0, 1)");
        Add("options", "Quantile = 1", ml => Options(ml, o => o.Quantile = 1), "Quantile");
        Add("options", "Quantile = 1.5", ml => Options(ml, o => o.Quantile = 1.5), "Quantile");
        Add("options", "LearningRate = −0.01", ml => Options(ml, o => o.LearningRate = -0.01), "LearningRate", "positive");
        Add("options", "LearningRate = NaN", ml => Options(ml, o => o.LearningRate = double.NaN), "LearningRate");
        Add("options", "WidthRegularization = −1", ml => Options(ml, o => o.WidthRegularization = -1), "WidthRegularization");
        Add("options", "RatePriorMean = −0.05", ml => Options(ml, o => o.RatePriorMean = -0.05), "RatePriorMean", "positive");
        Add("options", "WeightPriorScale = −1", ml => Options(ml, o => o.WeightPriorScale = -1), "WeightPriorScale", "positive");
        Add("options", "BatchSize = 0", ml => Options(ml, o => o.BatchSize = 0), "BatchSize", "at least 1");
        Add("options", "MaximumWidth = 10^9", ml => Options(ml, o => o.MaximumWidth = 1_000_000_000), "MaximumWidth", "65536");
        Add("options", "ShuffleBufferRows = 0", ml => Options(ml, o => o.ShuffleBufferRows = 0), "ShuffleBufferRows", "at least 1");
        Add("options", "InMemoryLimitMegabytes = 0", ml => Options(ml, o => o.InMemoryLimitMegabytes = 0), "InMemoryLimitMegabytes", "at least 1");
        Add("options", "InitialWidth above MaximumWidth", ml => Options(ml, o => { o.InitialWidth = 500; o.MaximumWidth = 100; }), "InitialWidth", "MaximumWidth");
        Add("options", "NumberOfLayers = 0", ml => Options(ml, o => o.NumberOfLayers = 0), "NumberOfLayers");
        Add("options", "MaxEpoch = 0", ml => Options(ml, o => o.MaxEpoch = 0), "MaxEpoch");
        Add("options", "EarlyStoppingPatience = −1", ml => Options(ml, o => o.EarlyStoppingPatience = -1), "EarlyStoppingPatience");
        Add("options", "ValidationFraction = 1", ml => Options(ml, o => o.ValidationFraction = 1), "ValidationFraction");
        Add("options", "TruncationBudget = 0", ml => Options(ml, o => o.TruncationBudget = 0), "TruncationBudget");
        Add("options", "MaxUnitsPerLayer = 0", ml => Options(ml, o => o.MaxUnitsPerLayer = 0), "MaxUnitsPerLayer");
        Add("options", "NumberOfThreads = 0", ml => Options(ml, o => o.NumberOfThreads = 0), "NumberOfThreads");
        Add("options", "FeatureColumnName empty", ml => Options(ml, o => o.FeatureColumnName = ""), "FeatureColumnName");

        // ---- scoring (model trained on 4 features)
        Add("scoring", "feature vector of size 3 (Transform)", ml => Caught(() => ml.Data.CreateEnumerable<ScorePrediction>(TrainedModel(ml).Transform(ml.Data.LoadFromEnumerable(Rows(r => new ThreeFeatureRow { Features = r.Features[..3] }))), false).ToList()), "Vector<Single, 4>");
        Add("scoring", "feature vector of size 3 (PredictionEngine)", ml => Caught(() => ml.Model.CreatePredictionEngine<ThreeFeatureRow, ScorePrediction>(TrainedModel(ml)).Predict(new ThreeFeatureRow { Features = [1, 2, 3] })), "Vector<Single, 4>");
        Add("scoring", "variable-length vector of 3 values (PredictionEngine)", ml => Caught(() => ml.Model.CreatePredictionEngine<VariableRow, ScorePrediction>(TrainedModel(ml)).Predict(new VariableRow { Features = [1, 2, 3] })), "Vector<Single, 4>");
        Add("scoring", "array of 3 values for a declared Vector<Single, 4> (PredictionEngine)", ml => Caught(() => ml.Model.CreatePredictionEngine<BinaryRow, ScorePrediction>(TrainedModel(ml)).Predict(new BinaryRow { Features = [1, 2, 3] })), "InvalidOperationException", "'Features'", "3 values", "4 features");
        Add("scoring", "array of 5 values for a declared Vector<Single, 4> (Transform)", ml => Caught(() => ml.Data.CreateEnumerable<ScorePrediction>(TrainedModel(ml).Transform(ml.Data.LoadFromEnumerable(new[] { new BinaryRow { Features = [1, 2, 3, 4, 5] } })), false).ToList()), "InvalidOperationException", "'Features'", "5 values", "4 features");

        // ---- loading a damaged model zip
        Add("loading", "zip truncated to half its length", ml => Load(ml, Zip(ml)[..(Zip(ml).Length / 2)]), "");
        Add("loading", "our entry truncated to half", ml => Load(ml, WithEntry(ml, e => e[..(e.Length / 2)])), "truncated");
        Add("loading", "one flipped bit in a weight of our entry", ml => Load(ml, WithEntry(ml, e => { e[40] ^= 0x04; return e; })), "corrupted", "CRC");
        Add("loading", "format version 4 (newer), checksum recomputed", ml => Load(ml, WithEntry(ml, e => Reseal(e, b => BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(4), 4)))), "newer", "Upgrade");
        Add("loading", "a layer of 2^31 units, checksum recomputed", ml => Load(ml, WithEntry(ml, e => Reseal(e, b => BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(20), 1u << 31)))), "2147483648", "65536");
        Add("loading", "input count 10^9, checksum recomputed", ml => Load(ml, WithEntry(ml, e => Reseal(e, b => BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(16), 1_000_000_000)))), "1000000000");
        Add("loading", "body length 2^30, checksum recomputed", ml => Load(ml, WithEntry(ml, e => Reseal(e, b => BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(8), 1u << 30)))), "body");
        Add("loading", "our entry removed", ml => Load(ml, WithoutEntry(ml)), "AdaptiveWidthModel.bin");
        return c;
    }

    /// <summary>The markdown table of every case and the message it gets.</summary>
    public static string Table(IReadOnlyList<(BadInputCase Case, string? Message)> results)
    {
        var b = new System.Text.StringBuilder();
        b.AppendLine("| stage | input | what the user gets |");
        b.AppendLine("|---|---|---|");
        foreach ((BadInputCase bad, string? message) in results)
        {
            b.AppendLine($"| {bad.Stage} | {bad.Input} | {Escape(message ?? "(nothing: no exception)")} |");
        }
        return b.ToString().Trim();
    }

    public static string DocsSection => Docs;

    private static string Escape(string s) => s.ReplaceLineEndings(" ").Replace("|", "\\|", StringComparison.Ordinal);

    // ---------------------------------------------------------------- helpers

    private static List<BinaryRow> Rows() => MLNetTestData.Blobs(40, seed: 1);

    private static List<T> Rows<T>(Func<BinaryRow, T> map) => Rows().Select(map).ToList();

    private static List<T> Rows<T>(Func<BinaryRow, int, T> map) => Rows().Select(map).ToList();

    private static IDataView Blobs(MLContext ml) => ml.Data.LoadFromEnumerable(Rows());

    private static string? Fit(MLContext ml, IDataView data, Action<AdaptiveWidthBinaryTrainer.Options>? configure = null)
        => Caught(() =>
        {
            AdaptiveWidthBinaryTrainer.Options options = MLNetTestData.Fast(new AdaptiveWidthBinaryTrainer.Options());
            options.MaxEpoch = 2;
            configure?.Invoke(options);
            ml.BinaryClassification.Trainers.AdaptiveWidth(options).Fit(data);
        });

    private static string? FitMulticlass(MLContext ml, IDataView data)
        => Caught(() => ml.MulticlassClassification.Trainers.AdaptiveWidth(MLNetTestData.Fast(new AdaptiveWidthMulticlassTrainer.Options { MaxEpoch = 2 })).Fit(data));

    private static string? FitRegression(MLContext ml, IDataView data)
        => Caught(() => ml.Regression.Trainers.AdaptiveWidth(MLNetTestData.Fast(new AdaptiveWidthRegressionTrainer.Options { MaxEpoch = 2 })).Fit(data));

    private static string? FitWithValidation(MLContext ml, IDataView validation)
        => Caught(() => ml.BinaryClassification.Trainers.AdaptiveWidth(MLNetTestData.Fast(new AdaptiveWidthBinaryTrainer.Options { MaxEpoch = 2 })).Fit(Blobs(ml), validation));

    /// <summary>Trains on rows some of which are unusable (or too few), and returns the warning logged about them: the
    /// first log message with <paramref name="marker"/> in it, from the marker on.</summary>
    private static string? Warned(MLContext ml, Func<string?> fit, string marker = "Skipped ")
    {
        var warnings = new List<string>();
        ml.Log += (_, e) =>
        {
            int at = e.Kind == Microsoft.ML.Runtime.ChannelMessageKind.Warning ? e.Message.IndexOf(marker, StringComparison.Ordinal) : -1;
            if (at >= 0)
            {
                lock (warnings)
                {
                    warnings.Add(e.Message[at..]);
                }
            }
        };
        string? error = fit();
        return error ?? (warnings.Count > 0 ? "Warning in MLContext.Log (training goes on): " + warnings[0] : null);
    }

    private static string? Options(MLContext ml, Action<AdaptiveWidthBinaryTrainer.Options> configure)
        => Caught(() =>
        {
            var options = new AdaptiveWidthBinaryTrainer.Options();
            configure(options);
            ml.BinaryClassification.Trainers.AdaptiveWidth(options);
        });

    private static ITransformer? _model;
    private static byte[]? _zip;

    private static ITransformer TrainedModel(MLContext ml)
        => _model ??= ml.BinaryClassification.Trainers.AdaptiveWidth(MLNetTestData.Fast(new AdaptiveWidthBinaryTrainer.Options())).Fit(Blobs(ml));

    /// <summary>The committed binary fixture, not a freshly trained model: its bytes (and so the sizes and checksums the
    /// messages quote) are the same on every machine, whatever its floating-point rounding.</summary>
    private static byte[] Zip(MLContext ml)
        => _zip ??= File.ReadAllBytes(Path.Combine(ReliabilityEnvironment.Fixtures, "fuzz-binary.zip"));

    private static string? Load(MLContext ml, byte[] zip) => Caught(() => ml.Model.Load(new MemoryStream(zip), out _));

    private static byte[] WithEntry(MLContext ml, Func<byte[], byte[]> mutate) => RewriteZip(Zip(ml), mutate, remove: false);

    private static byte[] WithoutEntry(MLContext ml) => RewriteZip(Zip(ml), e => e, remove: true);

    internal static byte[] RewriteZip(byte[] zipBytes, Func<byte[], byte[]> mutate, bool remove)
    {
        using var source = new ZipArchive(new MemoryStream(zipBytes), ZipArchiveMode.Read);
        using var output = new MemoryStream();
        using (var target = new ZipArchive(output, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (ZipArchiveEntry e in source.Entries)
            {
                bool ours = e.FullName.EndsWith("AdaptiveWidthModel.bin", StringComparison.Ordinal);
                if (ours && remove)
                {
                    continue;
                }
                using Stream from = e.Open();
                using var bytes = new MemoryStream();
                from.CopyTo(bytes);
                using Stream to = target.CreateEntry(e.FullName).Open();
                to.Write(ours ? mutate(bytes.ToArray()) : bytes.ToArray());
            }
        }
        return output.ToArray();
    }

    /// <summary>Applies <paramref name="edit"/> and recomputes the entry's CRC, as a hostile file would.</summary>
    internal static byte[] Reseal(byte[] entry, Action<byte[]> edit)
    {
        edit(entry);
        BinaryPrimitives.WriteUInt32LittleEndian(entry.AsSpan(entry.Length - 4), Crc32.Append(0, entry.AsSpan(0, entry.Length - 4)));
        return entry;
    }

    /// <summary>"Type: message" of the exception <paramref name="action"/> throws (with the InvalidDataException inside it, if
    /// it is not the outermost), or null.</summary>
    internal static string? Caught(Action action)
    {
        try
        {
            action();
            return null;
        }
        catch (Exception e)
        {
            string text = $"{e.GetType().Name}: {e.Message}";
            for (Exception? inner = e.InnerException; inner is not null; inner = inner.InnerException)
            {
                if (inner is InvalidDataException or ArgumentException)
                {
                    text += $" ← {inner.GetType().Name}: {inner.Message}";
                    break;
                }
            }
            return text;
        }
    }

    // ---------------------------------------------------------------- row types

    internal sealed class ScalarFeatureRow
    {
        public bool Label { get; set; }

        public float Features { get; set; }
    }

    internal sealed class DoubleFeatureRow
    {
        public bool Label { get; set; }

        [VectorType(4)]
        public double[] Features { get; set; } = [];
    }

    internal sealed class VariableRow
    {
        public bool Label { get; set; }

        public float[] Features { get; set; } = [];
    }

    internal sealed class TextLabelRow
    {
        public string Label { get; set; } = "";

        [VectorType(4)]
        public float[] Features { get; set; } = [];
    }

    internal sealed class FloatLabelRow
    {
        public float Label { get; set; }

        [VectorType(4)]
        public float[] Features { get; set; } = [];
    }

    /// <summary>A key label of 3 classes. LoadFromEnumerable reads the stored value v as key v + 1 (0-based values), and a
    /// value of 3 or more as the missing key 0.</summary>
    internal sealed class KeyLabelRow
    {
        [KeyType(3)]
        public uint Label { get; set; }

        [VectorType(4)]
        public float[] Features { get; set; } = [];
    }

    internal sealed class KeyLabel4Row
    {
        [KeyType(4)]
        public uint Label { get; set; }

        [VectorType(4)]
        public float[] Features { get; set; } = [];
    }

    internal sealed class DoubleWeightRow
    {
        public bool Label { get; set; }

        [VectorType(4)]
        public float[] Features { get; set; } = [];

        public double Weight { get; set; }
    }

    internal sealed class ThreeFeatureRow
    {
        public bool Label { get; set; }

        [VectorType(3)]
        public float[] Features { get; set; } = [];
    }

    internal sealed class FeaturesOnlyRow
    {
        [VectorType(4)]
        public float[] Features { get; set; } = [];
    }

    internal sealed class ScorePrediction
    {
        public float Score { get; set; }
    }
}
