using Microsoft.ML;
using Microsoft.ML.AdaptiveWidth.Inference;
using Microsoft.ML.AdaptiveWidth.Training;
using Microsoft.ML.Data;
using Microsoft.ML.Model.OnnxConverter;
using Microsoft.ML.Runtime;
using Microsoft.ML.Trainers.AdaptiveWidth;

[assembly: LoadableClass(typeof(AdaptiveWidthModelParameters), null, typeof(SignatureLoadModel),
    "Adaptive-Width Binary Network", AdaptiveWidthModelParameters.LoaderSignature)]

namespace Microsoft.ML.Trainers.AdaptiveWidth;

/// <summary>
/// A trained adaptive-width network for binary classification. Its score is the logit; the trainer wraps it with a
/// Platt calibrator (slope −1, offset 0) so that the probability is sigmoid(score).
/// </summary>
public sealed class AdaptiveWidthModelParameters : AdaptiveWidthModelParametersBase<float>
{
    internal const string LoaderSignature = "AdaptiveWidthBinaryExec";
    private const string RegistrationName = "AdaptiveWidthBinaryPredictor";

    internal AdaptiveWidthModelParameters(IHostEnvironment env, AdaptiveWidthModel network, IReadOnlyList<EpochRecord>? history)
        : base(env, RegistrationName, network, history)
    {
        CheckOutputs(network, multiclass: false);
    }

    private AdaptiveWidthModelParameters(IHostEnvironment env, ModelLoadContext ctx)
        : base(env, RegistrationName, ctx)
    {
        CheckOutputs(Network, multiclass: false);
    }

    private static VersionInfo GetVersionInfo() => new(
        modelSignature: "AWNBINRY",
        verWrittenCur: 0x00010001, // Initial
        verReadableCur: 0x00010001,
        verWeCanReadBack: 0x00010001,
        loaderSignature: LoaderSignature,
        loaderAssemblyName: typeof(AdaptiveWidthModelParameters).Assembly.FullName);

    internal static AdaptiveWidthModelParameters Create(IHostEnvironment env, ModelLoadContext ctx)
    {
        Contracts.CheckValue(env, nameof(env));
        env.CheckValue(ctx, nameof(ctx));
        ctx.CheckAtModel(GetVersionInfo());
        return new AdaptiveWidthModelParameters(env, ctx);
    }

    /// <inheritdoc/>
    public override PredictionKind PredictionKind => PredictionKind.BinaryClassification;

    private protected override DataViewType OutputType => NumberDataViewType.Single;

    /// <inheritdoc/>
    public override void SaveCore(ModelSaveContext ctx) => SaveNetwork(ctx, GetVersionInfo());

    /// <summary>A smaller model keeping ⌈<paramref name="fraction"/> × width⌉ (at least 1) of each layer's most important neurons.</summary>
    /// <param name="fraction">In (0, 1].</param>
    public AdaptiveWidthModelParameters Truncate(double fraction) => new(Host, TruncatedNetwork(fraction), TrainingHistory);

    /// <summary>A smaller model keeping the first <c>widths[l]</c> (most important) neurons of each layer.</summary>
    /// <param name="widths">One width per hidden layer, each in [1, current width].</param>
    public AdaptiveWidthModelParameters Truncate(IReadOnlyList<int> widths) => new(Host, TruncatedNetwork(widths), TrainingHistory);

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
