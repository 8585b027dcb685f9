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

    /// <summary>
    /// Per-class feature contributions at one row: <c>result[k][i]</c> is gradient × input, x_i · ∂z_k/∂x_i, for the
    /// logit z_k of class k (the score before the softmax), by one backward pass per class in managed code
    /// (<see cref="AdaptiveWidthModel.InputGradient"/>); the same attribution the binary and regression models give
    /// through ML.NET (see <see cref="AdaptiveWidthScalarModelParametersBase{TModel}"/>, remarks).
    /// </summary>
    /// <remarks>
    /// ML.NET's <c>CalculateFeatureContribution</c> transform does not support multiclass models: its column holds one
    /// contribution per feature, a single score's explanation, and none of ML.NET's multiclass model parameters (maximum
    /// entropy, one-versus-all, ...) implements its contract. So this model does not implement it either, rather than
    /// pick a class behind the user's back; this method is the multiclass model's way to explain a prediction. For the
    /// predicted class use the array of the largest score. Logits rather than probabilities, so that one class's
    /// contributions do not depend on how the other classes score. A NaN feature gives NaN contributions. Thread-safe.
    /// </remarks>
    /// <param name="features">One row, <see cref="AdaptiveWidthModelParametersBase{TOutput}.FeatureCount"/> values (after the pipeline's transforms).</param>
    /// <returns><see cref="ClassCount"/> arrays of <see cref="AdaptiveWidthModelParametersBase{TOutput}.FeatureCount"/> contributions, in class (key) order.</returns>
    /// <exception cref="ArgumentException">The row does not have <see cref="AdaptiveWidthModelParametersBase{TOutput}.FeatureCount"/> values.</exception>
    public float[][] FeatureContributions(ReadOnlySpan<float> features)
    {
        if (features.Length != FeatureCount)
        {
            throw new ArgumentException($"Expected {FeatureCount} features, got {features.Length}.", nameof(features));
        }
        var logits = new float[ClassCount];
        var gradients = new float[ClassCount * FeatureCount];
        Network.InputGradients(features, logits, gradients, new float[Network.GradientScratchSize]);
        var contributions = new float[ClassCount][];
        for (int k = 0; k < ClassCount; k++)
        {
            contributions[k] = gradients.AsSpan(k * FeatureCount, FeatureCount).ToArray();
            TensorPrimitives.Multiply(contributions[k], features, contributions[k]);
        }
        return contributions;
    }

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
        int classes = ClassCount;
        return (in VBuffer<float> src, ref VBuffer<float> dst) =>
        {
            Score(src, scratch, logits);
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
