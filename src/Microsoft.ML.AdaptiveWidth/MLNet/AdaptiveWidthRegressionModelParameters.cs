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
public sealed class AdaptiveWidthRegressionModelParameters : AdaptiveWidthScalarModelParametersBase
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
    public AdaptiveWidthRegressionModelParameters Truncate(TruncationTarget target)
        => new(Host, TruncatedNetwork(target), TrainingHistory) { FeatureColumnName = FeatureColumnName };

    /// <summary>A smaller model keeping ⌈<paramref name="fraction"/> × width⌉ (at least 1) of each layer's most important neurons.</summary>
    /// <param name="fraction">In (0, 1].</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="fraction"/> is not in (0, 1].</exception>
    public AdaptiveWidthRegressionModelParameters Truncate(double fraction) => Truncate(TruncationTarget.Fraction(fraction));

    /// <summary>A smaller model keeping the first <c>widths[l]</c> (most important) neurons of each layer.</summary>
    /// <param name="widths">One width per hidden layer, each in [1, current width].</param>
    /// <exception cref="ArgumentOutOfRangeException">A width is out of range, or the count is not one per layer.</exception>
    public AdaptiveWidthRegressionModelParameters Truncate(IReadOnlyList<int> widths) => Truncate(TruncationTarget.Widths(widths));
}
