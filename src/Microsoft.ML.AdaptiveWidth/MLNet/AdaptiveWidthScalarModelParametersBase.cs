using System.Numerics.Tensors;
using Microsoft.ML.AdaptiveWidth.Inference;
using Microsoft.ML.AdaptiveWidth.Training;
using Microsoft.ML.Data;
using Microsoft.ML.Model.OnnxConverter;
using Microsoft.ML.Numeric;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.Trainers.AdaptiveWidth;

/// <summary>
/// What the one-output models share (binary: the logit; regression: the value): a scalar score mapped from the
/// network's single output, in managed code and in ONNX.
/// </summary>
/// <typeparam name="TModel">The derived model type itself (the type <c>Truncate</c> returns).</typeparam>
/// <remarks>
/// <para><b>Feature contributions.</b> These models implement ML.NET's feature-contribution contract
/// (<see cref="ICalculateFeatureContribution"/>), so <c>mlContext.Transforms.CalculateFeatureContribution(model)</c> adds a
/// <c>FeatureContributions</c> column as it does for ML.NET's linear and tree models, and the transform saves and loads
/// with the model. The contribution of feature i at a row x is <b>gradient × input</b>, x_i · ∂s/∂x_i, where s is the
/// score (the logit for binary models, before the calibrator; the value for regression), computed in managed code by one
/// backward pass through the exported dense layers (<see cref="AdaptiveWidthModel.InputGradient"/>).</para>
/// <para>Why gradient × input: for a network without hidden layers it is exactly w_i·x_i, what ML.NET's linear models
/// give, so the numbers read the same way; it costs one backward pass (about one more scoring) per row, where integrated
/// gradients cost tens of passes and need a baseline row chosen by the user. Like the linear models' contributions it
/// measures each feature against the value 0 (a feature at 0 contributes nothing), so it is most meaningful on
/// centred features (for example after <c>NormalizeMeanVariance</c>), and for a nonlinear model it is a local,
/// first-order account: the contributions do not in general add up to the score.</para>
/// </remarks>
public abstract class AdaptiveWidthScalarModelParametersBase<TModel> : AdaptiveWidthModelParametersBase<float, TModel>, ICalculateFeatureContribution,
    IFeatureContributionMapper
    where TModel : AdaptiveWidthScalarModelParametersBase<TModel>
{
    private protected AdaptiveWidthScalarModelParametersBase(IHostEnvironment env, string name, AdaptiveWidthModel network,
        IReadOnlyList<EpochRecord>? history, CompressionResult? compression)
        : base(env, name, network, history, compression)
    {
    }

    private protected AdaptiveWidthScalarModelParametersBase(IHostEnvironment env, string name, ModelLoadContext ctx)
        : base(env, name, ctx)
    {
    }

    private protected override DataViewType OutputType => NumberDataViewType.Single;

    private protected override bool SaveAsOnnxCore(OnnxContext ctx, string[] outputNames, string featureColumn)
    {
        // The score is the last name given (PredictedLabel, if asked for, comes first), as in ML.NET's linear models.
        Host.Check(outputNames.Length >= 1, "Expected a Score output.");
        AdaptiveWidthOnnx.SaveNetwork(ctx, Network, featureColumn, outputNames[^1]);
        return true;
    }

    private protected override ValueMapper<VBuffer<float>, float> CreateMapper()
    {
        var scratch = new float[FeatureCount];
        var output = new float[1];
        return (in VBuffer<float> src, ref float dst) =>
        {
            Score(src, scratch, output);
            dst = output[0];
        };
    }

    FeatureContributionCalculator ICalculateFeatureContribution.FeatureContributionCalculator => new(this);

    ValueMapper<TSrc, VBuffer<float>> IFeatureContributionMapper.GetFeatureContributionMapper<TSrc, TDst>(int top, int bottom, bool normalize)
    {
        Host.Check(typeof(TSrc) == typeof(VBuffer<float>), "The input must be a vector of Single.");
        Host.Check(typeof(TDst) == typeof(VBuffer<float>), "The contributions are a vector of Single.");
        Host.Check(top >= 0, "top must be non-negative");
        Host.Check(bottom >= 0, "bottom must be non-negative");
        var scratch = new float[FeatureCount];
        var score = new float[1];
        var gradientScratch = new float[Network.GradientScratchSize];
        AdaptiveWidthModel network = Network;
        int features = FeatureCount;
        ValueMapper<VBuffer<float>, VBuffer<float>> mapper = (in VBuffer<float> src, ref VBuffer<float> dst) =>
        {
            ReadOnlySpan<float> x = Dense(src, scratch);
            VBufferEditor<float> editor = VBufferEditor.Create(ref dst, features);
            network.InputGradients(x, score, editor.Values, gradientScratch);
            TensorPrimitives.Multiply(editor.Values, x, editor.Values);
            dst = editor.Commit();
            // Keep the top and bottom contributions and scale them to [-1, 1] when asked, as the linear and tree models do.
            VectorUtils.SparsifyNormalize(ref dst, top, bottom, normalize);
        };
        return (ValueMapper<TSrc, VBuffer<float>>)(Delegate)mapper;
    }
}
