using Microsoft.ML;
using Microsoft.ML.AdaptiveWidth.Inference;
using Microsoft.ML.AdaptiveWidth.Training;
using Microsoft.ML.Data;
using Microsoft.ML.Model.OnnxConverter;
using Microsoft.ML.Runtime;
using Microsoft.ML.Trainers.AdaptiveWidth;

[assembly: LoadableClass(typeof(AdaptiveWidthBinaryModelParameters), null, typeof(SignatureLoadModel),
    "Adaptive-Width Binary Network", AdaptiveWidthBinaryModelParameters.LoaderSignature)]

namespace Microsoft.ML.Trainers.AdaptiveWidth;

/// <summary>
/// A trained adaptive-width network for binary classification. Its score is the logit; the trainer wraps it with a
/// Platt calibrator (slope −1, offset 0) so that the probability is sigmoid(score).
/// </summary>
/// <remarks>Formerly named <c>AdaptiveWidthModelParameters</c>. A saved zip records the loader signature, not the class
/// name, so models saved under the old name load as this type.</remarks>
public sealed class AdaptiveWidthBinaryModelParameters : AdaptiveWidthScalarModelParametersBase<AdaptiveWidthBinaryModelParameters>
{
    // Written into every saved zip: never change it (nor the model signature in GetVersionInfo), or older zips stop
    // loading (test: AdaptiveWidthModelFixtureTest, a zip saved under the class's old name).
    internal const string LoaderSignature = "AdaptiveWidthBinaryExec";
    private const string RegistrationName = "AdaptiveWidthBinaryPredictor";

    internal AdaptiveWidthBinaryModelParameters(IHostEnvironment env, AdaptiveWidthModel network, IReadOnlyList<EpochRecord>? history, CompressionResult? compression = null)
        : base(env, RegistrationName, network, history, compression)
    {
        CheckOutputs(network, multiclass: false);
    }

    private AdaptiveWidthBinaryModelParameters(IHostEnvironment env, ModelLoadContext ctx)
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
        loaderAssemblyName: typeof(AdaptiveWidthBinaryModelParameters).Assembly.FullName);

    internal static AdaptiveWidthBinaryModelParameters Create(IHostEnvironment env, ModelLoadContext ctx)
    {
        Contracts.CheckValue(env, nameof(env));
        env.CheckValue(ctx, nameof(ctx));
        ctx.CheckAtModel(GetVersionInfo());
        return new AdaptiveWidthBinaryModelParameters(env, ctx);
    }

    /// <inheritdoc/>
    public override PredictionKind PredictionKind => PredictionKind.BinaryClassification;

    /// <inheritdoc/>
    public override void SaveCore(ModelSaveContext ctx) => SaveNetwork(ctx, GetVersionInfo());

    private protected override AdaptiveWidthBinaryModelParameters WithNetwork(AdaptiveWidthModel network) => new(Host, network, TrainingHistory);
}
