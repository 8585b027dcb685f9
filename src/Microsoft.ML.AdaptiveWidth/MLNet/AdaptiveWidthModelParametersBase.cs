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
        TrainingHistory = [];
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
    /// Per-epoch loss, validation metric and widths of the training run; empty for a model loaded from a file (the
    /// history is not saved).
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

    /// <summary>The network truncated to <paramref name="target"/>.</summary>
    private protected AdaptiveWidthModel TruncatedNetwork(TruncationTarget target)
    {
        ArgumentNullException.ThrowIfNull(target);
        return Network.Truncate(target);
    }

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
