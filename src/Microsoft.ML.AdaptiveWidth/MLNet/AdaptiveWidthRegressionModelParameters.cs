using Microsoft.ML;
using Microsoft.ML.AdaptiveWidth.Inference;
using Microsoft.ML.AdaptiveWidth.Training;
using Microsoft.ML.Data;
using Microsoft.ML.Model.OnnxConverter;
using Microsoft.ML.Runtime;
using Microsoft.ML.Trainers.AdaptiveWidth;

[assembly: LoadableClass(typeof(AdaptiveWidthRegressionModelParameters), null, typeof(SignatureLoadModel),
    "Adaptive-Width Regression Network", AdaptiveWidthRegressionModelParameters.LoaderSignature)]

namespace Microsoft.ML.Trainers.AdaptiveWidth;

/// <summary>A trained adaptive-width network for regression: its score is the predicted value.</summary>
public sealed class AdaptiveWidthRegressionModelParameters : AdaptiveWidthScalarModelParametersBase<AdaptiveWidthRegressionModelParameters>
{
    internal const string LoaderSignature = "AdaptiveWidthRegrExec";
    private const string RegistrationName = "AdaptiveWidthRegressionPredictor";

    internal AdaptiveWidthRegressionModelParameters(IHostEnvironment env, AdaptiveWidthModel network, IReadOnlyList<EpochRecord>? history, CompressionResult? compression = null)
        : base(env, RegistrationName, network, history, compression)
    {
        CheckOutputs(network, multiclass: false);
    }

    private AdaptiveWidthRegressionModelParameters(IHostEnvironment env, ModelLoadContext ctx)
        : base(env, RegistrationName, ctx)
    {
        CheckOutputs(Network, multiclass: false);
    }

    private static VersionInfo GetVersionInfo() => new(
        modelSignature: "AWNREGRS",
        verWrittenCur: 0x00010001, // Initial
        verReadableCur: 0x00010001,
        verWeCanReadBack: 0x00010001,
        loaderSignature: LoaderSignature,
        loaderAssemblyName: typeof(AdaptiveWidthRegressionModelParameters).Assembly.FullName);

    internal static AdaptiveWidthRegressionModelParameters Create(IHostEnvironment env, ModelLoadContext ctx)
    {
        Contracts.CheckValue(env, nameof(env));
        env.CheckValue(ctx, nameof(ctx));
        ctx.CheckAtModel(GetVersionInfo());
        return new AdaptiveWidthRegressionModelParameters(env, ctx);
    }

    /// <inheritdoc/>
    public override PredictionKind PredictionKind => PredictionKind.Regression;

    /// <inheritdoc/>
    public override void SaveCore(ModelSaveContext ctx) => SaveNetwork(ctx, GetVersionInfo());

    private protected override AdaptiveWidthRegressionModelParameters WithNetwork(AdaptiveWidthModel network) => new(Host, network, TrainingHistory);
}
