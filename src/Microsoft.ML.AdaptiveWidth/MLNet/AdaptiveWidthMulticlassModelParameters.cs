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
public sealed class AdaptiveWidthMulticlassModelParameters : AdaptiveWidthModelParametersBase<VBuffer<float>, AdaptiveWidthMulticlassModelParameters>
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

    private protected override AdaptiveWidthMulticlassModelParameters WithNetwork(AdaptiveWidthModel network) => new(Host, network, TrainingHistory);

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
