using System.Globalization;
using Microsoft.ML.AdaptiveWidth.Inference;
using Microsoft.ML.AdaptiveWidth.Training;
using Microsoft.ML.Data;
using Microsoft.ML.Model.OnnxConverter;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.Trainers.AdaptiveWidth;

/// <summary>
/// What the adaptive-width model parameters share: the trained network as plain arrays (scored in managed code,
/// without TorchSharp), its learned widths and importances, the training history, and persistence.
/// </summary>
/// <typeparam name="TOutput">The scorer's output: <see cref="float"/>, or <see cref="VBuffer{T}"/> of class scores.</typeparam>
/// <remarks>
/// The models export to ONNX through ML.NET's converter (<c>mlContext.Model.ConvertToOnnx</c>) with standard operators
/// (MatMul, Add, Clip/Relu/LeakyRelu, Softmax, ArgMax), opset 11 or later. Scores agree with managed scoring to
/// float32 rounding. A NaN feature gives a NaN score in managed scoring, and also in ONNX Runtime 1.31 for every
/// activation (tested); the ONNX standard does not say what Clip and Relu do with NaN, so another runtime may clamp it
/// to a bound and give a finite score.
/// </remarks>
public abstract class AdaptiveWidthModelParametersBase<TOutput> : ModelParametersBase<TOutput>, IValueMapper, ISingleCanSaveOnnx
{
    /// <summary>The name of the zip entry that holds the network.</summary>
    private protected const string NetworkEntryName = "AdaptiveWidthModel.bin";

    /// <summary>
    /// The name of the optional zip entry that holds the feature column's name (for the scoring error message only;
    /// models saved before it existed load without it, and older versions of the library ignore it).
    /// </summary>
    private const string FeatureColumnEntryName = "FeatureColumn.txt";
    private const string HistoryEntryName = "TrainingHistory.csv";
    private const string HistoryHeader = "epoch,training_loss,objective,validation_loss,validation_accuracy,widths,elapsed_ticks";
    private const int MaxHistoryEpochs = 1_000_000;

    private readonly VectorDataViewType _inputType;

    private protected AdaptiveWidthModelParametersBase(IHostEnvironment env, string name, AdaptiveWidthModel network, IReadOnlyList<EpochRecord>? history,
        CompressionResult? compression)
        : base(env, name)
    {
        Compression = compression;
        Host.CheckValue(network, nameof(network));
        Network = network;
        TrainingHistory = history?.ToArray() ?? [];
        _inputType = new VectorDataViewType(NumberDataViewType.Single, network.InputCount);
    }

    private protected AdaptiveWidthModelParametersBase(IHostEnvironment env, string name, ModelLoadContext ctx)
        : base(env, name, ctx)
    {
        // *** Binary format ***
        // (base) int: sizeof(float)
        // entry AdaptiveWidthModel.bin: the network in AdaptiveWidthModelFormat (versioned, checksummed)
        AdaptiveWidthModel? network = null;
        bool found = ctx.TryLoadBinaryStream(NetworkEntryName, reader => network = AdaptiveWidthModelFormat.Read(reader.BaseStream));
        if (!found || network is null)
        {
            throw new InvalidDataException($"The model has no '{NetworkEntryName}' entry: the file is damaged or was not written by Microsoft.ML.AdaptiveWidth.");
        }
        Network = network;
        // Optional entries: models saved before they existed load with no history and no column name.
        IReadOnlyList<EpochRecord> history = [];
        ctx.TryLoadTextStream(HistoryEntryName, reader => history = ReadHistory(reader, network.HiddenLayerCount));
        TrainingHistory = history;
        ctx.TryLoadTextStream(FeatureColumnEntryName, reader => FeatureColumnName = reader.ReadLine());
        _inputType = new VectorDataViewType(NumberDataViewType.Single, network.InputCount);
    }

    /// <summary>
    /// The name of the feature column the model was trained on, when known (set by the trainer, kept by truncation, saved
    /// with the model); only the scoring error message uses it, so that it can name the column.
    /// </summary>
    internal string? FeatureColumnName { get; set; }

    /// <summary>The trained network: a chain of dense layers with the importances folded in; immutable and thread-safe.</summary>
    public AdaptiveWidthModel Network { get; }

    /// <summary>The number of features the model takes.</summary>
    public int FeatureCount => Network.InputCount;

    /// <summary>The width of each adaptive hidden layer (after any truncation).</summary>
    public IReadOnlyList<int> LayerWidths => Network.LayerWidths;

    /// <summary>
    /// Per-epoch loss, validation metric and widths of the training run, saved in the model zip (an optional
    /// <c>TrainingHistory.csv</c> entry), so a loaded model shows how it was trained; empty for models saved before
    /// the entry existed.
    /// </summary>
    public IReadOnlyList<EpochRecord> TrainingHistory { get; }

    /// <summary>
    /// The automatic compression the trainer ran (option <c>CompressionTolerance</c>): the widths it chose, the metric
    /// before and after on the validation rows, and every truncation it measured. Null if the trainer did not compress,
    /// for a truncated copy, and for a model loaded from a file (it is not saved).
    /// </summary>
    public CompressionResult? Compression { get; }

    /// <summary>The importance of each neuron of hidden layer <paramref name="layer"/>, decreasing with the neuron index.</summary>
    /// <param name="layer">0-based hidden layer index, below <see cref="LayerWidths"/>.Count.</param>
    public ReadOnlySpan<float> Importance(int layer)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(layer);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(layer, Network.HiddenLayerCount);
        return Network.Importance(layer);
    }

    DataViewType IValueMapper.InputType => _inputType;

    DataViewType IValueMapper.OutputType => OutputType;

    private protected abstract DataViewType OutputType { get; }

    ValueMapper<TSrc, TDst> IValueMapper.GetMapper<TSrc, TDst>()
    {
        Host.Check(typeof(TSrc) == typeof(VBuffer<float>), "The input must be a vector of Single.");
        Host.Check(typeof(TDst) == typeof(TOutput), "Unexpected output type.");
        return (ValueMapper<TSrc, TDst>)(Delegate)CreateMapper();
    }

    /// <summary>A new mapper from features to outputs, with its own scratch buffers (one per cursor or engine).</summary>
    private protected abstract ValueMapper<VBuffer<float>, TOutput> CreateMapper();

    /// <summary>The dense features of <paramref name="src"/>, in <paramref name="scratch"/> if it is sparse.</summary>
    /// <exception cref="InvalidOperationException">
    /// The vector's length is not the model's feature count. ML.NET rejects a column whose declared size differs when it
    /// binds the model; this is a row whose values do not match its declared size (for example a 3-value array in a
    /// <c>[VectorType(4)]</c> property of a PredictionEngine input). InvalidOperationException, as ML.NET's first-party
    /// trainers throw for this (linear, FastTree, LightGBM; binary, multiclass and regression), with a message that names
    /// the column and both lengths.
    /// </exception>
    private protected ReadOnlySpan<float> Dense(in VBuffer<float> src, float[] scratch)
    {
        if (src.Length != Network.InputCount)
        {
            string column = FeatureColumnName is null ? "The feature column" : $"Column '{FeatureColumnName}'";
            throw new InvalidOperationException(
                $"{column} (features) has {src.Length} values in this row, but the model was trained on {Network.InputCount} features. "
                + $"Every row must have exactly {Network.InputCount} feature values: the values given do not match the column's declared size.");
        }
        if (src.IsDense)
        {
            return src.GetValues();
        }
        src.CopyTo(scratch);
        return scratch;
    }

    /// <summary>
    /// Scores <paramref name="src"/> into <paramref name="output"/>: a sparse vector (FeaturizeText's word and character
    /// n-gram counts) through <see cref="AdaptiveWidthModel.ScoreSparse"/>, at a cost proportional to its non-zeros, a
    /// dense one (or any row of a model with input codes) through <see cref="AdaptiveWidthModel.Score"/>. Checks the length
    /// as <see cref="Dense"/> does.
    /// </summary>
    private protected void Score(in VBuffer<float> src, float[] scratch, Span<float> output)
    {
        if (!src.IsDense && src.Length == Network.InputCount && Network.Codes is null)
        {
            Network.ScoreSparse(src.GetIndices(), src.GetValues(), output);
            return;
        }
        Network.Score(Dense(src, scratch), output);
    }

    bool ICanSaveOnnx.CanSaveOnnx(OnnxContext ctx) => true;

    bool ISingleCanSaveOnnx.SaveAsOnnx(OnnxContext ctx, string[] outputNames, string featureColumn)
    {
        Host.CheckValue(ctx, nameof(ctx));
        Host.CheckValue(outputNames, nameof(outputNames));
        Host.CheckNonEmpty(featureColumn, nameof(featureColumn));
        return SaveAsOnnxCore(ctx, outputNames, featureColumn);
    }

    /// <summary>
    /// Writes the network as ONNX nodes from <paramref name="featureColumn"/> to the scorer's outputs:
    /// <paramref name="outputNames"/> is [Score] for regression and for the binary model (its calibrator writes the
    /// probability), [PredictedLabel, Score] for multiclass.
    /// </summary>
    private protected abstract bool SaveAsOnnxCore(OnnxContext ctx, string[] outputNames, string featureColumn);

    /// <summary>Saves the version, the float size and the network entry.</summary>
    private protected void SaveNetwork(ModelSaveContext ctx, VersionInfo version)
    {
        base.SaveCore(ctx);
        ctx.SetVersionInfo(version);
        ctx.SaveBinaryStream(NetworkEntryName, writer =>
        {
            writer.Flush();
            AdaptiveWidthModelFormat.Write(Network, writer.BaseStream);
        });
        if (FeatureColumnName is not null)
        {
            ctx.SaveTextStream(FeatureColumnEntryName, writer => writer.WriteLine(FeatureColumnName));
        }
        if (TrainingHistory.Count > 0)
        {
            ctx.SaveTextStream(HistoryEntryName, writer => WriteHistory(writer, TrainingHistory));
        }
    }

    /// <summary>The history as CSV, numbers in round-trip form, widths joined by '-'.</summary>
    private static void WriteHistory(TextWriter writer, IReadOnlyList<EpochRecord> history)
    {
        writer.WriteLine(HistoryHeader);
        foreach (EpochRecord r in history)
        {
            writer.WriteLine(string.Join(',',
                r.Epoch.ToString(CultureInfo.InvariantCulture), R(r.TrainingLoss), R(r.Objective), R(r.ValidationLoss), R(r.ValidationAccuracy),
                string.Join('-', r.Widths.Select(w => w.ToString(CultureInfo.InvariantCulture))), r.Elapsed.Ticks.ToString(CultureInfo.InvariantCulture)));
        }

        static string R(double v) => v.ToString("R", CultureInfo.InvariantCulture);
    }

    /// <summary>Reads <see cref="WriteHistory"/>'s CSV; anything else is a damaged file.</summary>
    /// <exception cref="InvalidDataException">The entry is not a history of this model.</exception>
    private static EpochRecord[] ReadHistory(TextReader reader, int layers)
    {
        static InvalidDataException Damaged(string why) => new($"The model's training history entry '{HistoryEntryName}' is damaged: {why}.");
        if (reader.ReadLine() != HistoryHeader)
        {
            throw Damaged("unexpected header");
        }
        var records = new List<EpochRecord>();
        string? line;
        while ((line = reader.ReadLine()) is not null)
        {
            if (records.Count >= MaxHistoryEpochs)
            {
                throw Damaged($"more than {MaxHistoryEpochs} epochs");
            }
            string[] f = line.Split(',');
            if (f.Length != 7)
            {
                throw Damaged($"line {records.Count + 2} has {f.Length} fields");
            }
            string[] widths = f[5].Split('-');
            if (!int.TryParse(f[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out int epoch)
                || !TryDouble(f[1], out double loss) || !TryDouble(f[2], out double objective) || !TryDouble(f[3], out double validationLoss)
                || !TryDouble(f[4], out double accuracy) || !long.TryParse(f[6], NumberStyles.Integer, CultureInfo.InvariantCulture, out long ticks)
                || widths.Length != layers || ticks < 0)
            {
                throw Damaged($"line {records.Count + 2} does not parse");
            }
            var parsed = new int[layers];
            for (int l = 0; l < layers; l++)
            {
                if (!int.TryParse(widths[l], NumberStyles.Integer, CultureInfo.InvariantCulture, out parsed[l]) || parsed[l] < 1)
                {
                    throw Damaged($"line {records.Count + 2} has a bad width");
                }
            }
            records.Add(new EpochRecord(epoch, loss, objective, validationLoss, accuracy, parsed, TimeSpan.FromTicks(ticks)));
        }
        return records.ToArray();

        static bool TryDouble(string s, out double v) => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out v);
    }

    /// <summary>Checks that a loaded network has the outputs this kind of model needs.</summary>
    private protected static void CheckOutputs(AdaptiveWidthModel network, bool multiclass)
    {
        bool ok = multiclass ? network.OutputCount >= 2 : network.OutputCount == 1;
        if (!ok)
        {
            throw new InvalidDataException($"The saved network has {network.OutputCount} outputs, which does not fit a {(multiclass ? "multiclass" : "single-output")} model: the file is damaged.");
        }
    }
}

/// <summary>
/// Adds the truncation methods, which return the model's own type <typeparamref name="TModel"/> (so that
/// <c>binary.Truncate(0.5)</c> is a binary model): one implementation for the three kinds of model.
/// </summary>
/// <typeparam name="TOutput">The scorer's output: <see cref="float"/>, or <see cref="VBuffer{T}"/> of class scores.</typeparam>
/// <typeparam name="TModel">The derived model type itself.</typeparam>
public abstract class AdaptiveWidthModelParametersBase<TOutput, TModel> : AdaptiveWidthModelParametersBase<TOutput>
    where TModel : AdaptiveWidthModelParametersBase<TOutput, TModel>
{
    private protected AdaptiveWidthModelParametersBase(IHostEnvironment env, string name, AdaptiveWidthModel network, IReadOnlyList<EpochRecord>? history,
        CompressionResult? compression)
        : base(env, name, network, history, compression)
    {
    }

    private protected AdaptiveWidthModelParametersBase(IHostEnvironment env, string name, ModelLoadContext ctx)
        : base(env, name, ctx)
    {
    }

    /// <summary>
    /// A smaller model keeping the first (most important) neurons of each layer, as many as <paramref name="target"/>
    /// says: <see cref="TruncationTarget.Fraction"/>, <see cref="TruncationTarget.MaxUnits"/>,
    /// <see cref="TruncationTarget.MultiplyAdds"/> or <see cref="TruncationTarget.Widths"/>. The weights are kept as
    /// they are (importance is already folded in; nothing is renormalised or retrained); this model is unchanged.
    /// The new model saves, loads, scores and exports to ONNX like a trained one. The trainer's
    /// <c>TruncationBudget</c> and <c>MaxUnitsPerLayer</c> options apply the same operation when training ends.
    /// </summary>
    /// <param name="target">How small the network should be.</param>
    /// <exception cref="ArgumentOutOfRangeException">The target does not fit this model; the exception names the argument.</exception>
    public TModel Truncate(TruncationTarget target)
    {
        ArgumentNullException.ThrowIfNull(target);
        TModel truncated = WithNetwork(Network.Truncate(target));
        truncated.FeatureColumnName = FeatureColumnName;
        return truncated;
    }

    /// <summary>A smaller model keeping ⌈<paramref name="fraction"/> × width⌉ (at least 1) of each layer's most important neurons.</summary>
    /// <param name="fraction">In (0, 1].</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="fraction"/> is not in (0, 1].</exception>
    public TModel Truncate(double fraction) => Truncate(TruncationTarget.Fraction(fraction));

    /// <summary>A smaller model keeping the first <c>widths[l]</c> (most important) neurons of each layer.</summary>
    /// <param name="widths">One width per hidden layer, each in [1, current width].</param>
    /// <exception cref="ArgumentOutOfRangeException">A width is out of range, or the count is not one per layer.</exception>
    public TModel Truncate(IReadOnlyList<int> widths) => Truncate(TruncationTarget.Widths(widths));

    /// <summary>A model of this kind around <paramref name="network"/>, with this model's training history (and no compression result).</summary>
    private protected abstract TModel WithNetwork(AdaptiveWidthModel network);
}
