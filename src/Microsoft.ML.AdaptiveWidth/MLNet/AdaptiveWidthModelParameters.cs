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
public sealed class AdaptiveWidthModelParameters : AdaptiveWidthScalarModelParametersBase<AdaptiveWidthModelParameters>
{
    internal const string LoaderSignature = "AdaptiveWidthBinaryExec";
    private const string RegistrationName = "AdaptiveWidthBinaryPredictor";

    internal AdaptiveWidthModelParameters(IHostEnvironment env, AdaptiveWidthModel network, IReadOnlyList<EpochRecord>? history, CompressionResult? compression = null)
        : base(env, RegistrationName, network, history, compression)
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

    /// <inheritdoc/>
    public override void SaveCore(ModelSaveContext ctx) => SaveNetwork(ctx, GetVersionInfo());

    private protected override AdaptiveWidthModelParameters WithNetwork(AdaptiveWidthModel network) => new(Host, network, TrainingHistory);
}
