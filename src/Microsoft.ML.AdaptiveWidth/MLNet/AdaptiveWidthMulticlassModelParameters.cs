using System.Numerics.Tensors;
using Microsoft.ML;
using Microsoft.ML.AdaptiveWidth.Inference;
using Microsoft.ML.AdaptiveWidth.Training;
using Microsoft.ML.Data;
using Microsoft.ML.Model.OnnxConverter;
using Microsoft.ML.Runtime;
using Microsoft.ML.Trainers.AdaptiveWidth;

[assembly: LoadableClass(typeof(AdaptiveWidthMulticlassModelParameters), null, typeof(SignatureLoadModel),
    "Adaptive-Width Multiclass Network", AdaptiveWidthMulticlassModelParameters.LoaderSignature)]

namespace Microsoft.ML.Trainers.AdaptiveWidth;

/// <summary>
/// A trained adaptive-width network for multiclass classification. Its score is a vector of class probabilities
/// (the softmax of the network's K logits), as ML.NET's multiclass trainers give.
/// </summary>
public sealed class AdaptiveWidthMulticlassModelParameters : AdaptiveWidthModelParametersBase<VBuffer<float>>
{
    internal const string LoaderSignature = "AdaptiveWidthMultiExec";
    private const string RegistrationName = "AdaptiveWidthMulticlassPredictor";
    private readonly VectorDataViewType _outputType;

    internal AdaptiveWidthMulticlassModelParameters(IHostEnvironment env, AdaptiveWidthModel network, IReadOnlyList<EpochRecord>? history, CompressionResult? compression = null)
        : base(env, RegistrationName, network, history, compression)
    {
        CheckOutputs(network, multiclass: true);
        _outputType = new VectorDataViewType(NumberDataViewType.Single, network.OutputCount);
    }

    private AdaptiveWidthMulticlassModelParameters(IHostEnvironment env, ModelLoadContext ctx)
        : base(env, RegistrationName, ctx)
    {
        CheckOutputs(Network, multiclass: true);
        _outputType = new VectorDataViewType(NumberDataViewType.Single, Network.OutputCount);
    }

    private static VersionInfo GetVersionInfo() => new(
        modelSignature: "AWNMULTI",
        verWrittenCur: 0x00010001, // Initial
        verReadableCur: 0x00010001,
        verWeCanReadBack: 0x00010001,
        loaderSignature: LoaderSignature,
        loaderAssemblyName: typeof(AdaptiveWidthMulticlassModelParameters).Assembly.FullName);

    internal static AdaptiveWidthMulticlassModelParameters Create(IHostEnvironment env, ModelLoadContext ctx)
    {
        Contracts.CheckValue(env, nameof(env));
        env.CheckValue(ctx, nameof(ctx));
        ctx.CheckAtModel(GetVersionInfo());
        return new AdaptiveWidthMulticlassModelParameters(env, ctx);
    }

    /// <summary>The number of classes K (the length of the score vector).</summary>
    public int ClassCount => Network.OutputCount;

    /// <inheritdoc/>
    public override PredictionKind PredictionKind => PredictionKind.MulticlassClassification;

    private protected override DataViewType OutputType => _outputType;

    /// <inheritdoc/>
    public override void SaveCore(ModelSaveContext ctx) => SaveNetwork(ctx, GetVersionInfo());

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
    public AdaptiveWidthMulticlassModelParameters Truncate(TruncationTarget target)
        => new(Host, TruncatedNetwork(target), TrainingHistory) { FeatureColumnName = FeatureColumnName };

    /// <summary>A smaller model keeping ⌈<paramref name="fraction"/> × width⌉ (at least 1) of each layer's most important neurons.</summary>
    /// <param name="fraction">In (0, 1].</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="fraction"/> is not in (0, 1].</exception>
    public AdaptiveWidthMulticlassModelParameters Truncate(double fraction) => Truncate(TruncationTarget.Fraction(fraction));

    /// <summary>A smaller model keeping the first <c>widths[l]</c> (most important) neurons of each layer.</summary>
    /// <param name="widths">One width per hidden layer, each in [1, current width].</param>
    /// <exception cref="ArgumentOutOfRangeException">A width is out of range, or the count is not one per layer.</exception>
    public AdaptiveWidthMulticlassModelParameters Truncate(IReadOnlyList<int> widths) => Truncate(TruncationTarget.Widths(widths));

    private protected override bool SaveAsOnnxCore(OnnxContext ctx, string[] outputNames, string featureColumn)
    {
        Host.Check(outputNames.Length == 2, "Expected the PredictedLabel and Score outputs.");
        string logits = ctx.AddIntermediateVariable(null, "AdaptiveWidthLogits", true);
        AdaptiveWidthOnnx.SaveNetwork(ctx, Network, featureColumn, logits);
        AdaptiveWidthOnnx.SaveMulticlassHead(ctx, logits, score: outputNames[1], predictedLabel: outputNames[0]);
        return true;
    }

    private protected override ValueMapper<VBuffer<float>, VBuffer<float>> CreateMapper()
    {
        var scratch = new float[FeatureCount];
        var logits = new float[ClassCount];
        AdaptiveWidthModel network = Network;
        int classes = ClassCount;
        return (in VBuffer<float> src, ref VBuffer<float> dst) =>
        {
            network.Score(Dense(src, scratch), logits);
            VBufferEditor<float> editor = VBufferEditor.Create(ref dst, classes);
            // Softmax with the largest logit subtracted first, so that large logits cannot overflow.
            Span<float> p = editor.Values;
            TensorPrimitives.Subtract(logits, TensorPrimitives.Max(logits), p);
            TensorPrimitives.Exp(p, p);
            TensorPrimitives.Divide(p, TensorPrimitives.Sum(p), p);
            dst = editor.Commit();
        };
    }
}
