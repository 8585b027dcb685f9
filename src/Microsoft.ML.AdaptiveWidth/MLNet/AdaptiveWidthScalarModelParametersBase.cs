using Microsoft.ML.AdaptiveWidth.Inference;
using Microsoft.ML.AdaptiveWidth.Training;
using Microsoft.ML.Data;
using Microsoft.ML.Model.OnnxConverter;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.Trainers.AdaptiveWidth;

/// <summary>
/// What the one-output models share (binary: the logit; regression: the value): a scalar score mapped from the
/// network's single output, in managed code and in ONNX.
/// </summary>
/// <typeparam name="TModel">The derived model type itself (the type <c>Truncate</c> returns).</typeparam>
public abstract class AdaptiveWidthScalarModelParametersBase<TModel> : AdaptiveWidthModelParametersBase<float, TModel>
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
        AdaptiveWidthModel network = Network;
        return (in VBuffer<float> src, ref float dst) =>
        {
            network.Score(Dense(src, scratch), output);
            dst = output[0];
        };
    }
}
