using Microsoft.ML;
using Microsoft.ML.Trainers.AdaptiveWidth;

namespace AdaptiveWidth.Samples.Tabular;

/// <summary>What a data set asks for.</summary>
public enum TaskKind
{
    Binary,
    Multiclass,
    Regression,
}

/// <summary>The pipelines, one per trainer, as Model Builder would write them: normalize, then the trainer.</summary>
public static class Pipelines
{
    /// <summary>The trainers compared on every data set; ours first.</summary>
    public static readonly string[] Trainers = ["AdaptiveWidth", "LightGbm", "FastTree", "Sdca"];

    /// <summary>Builds the whole pipeline for a trainer. Moving to the adaptive-width trainer is this one line.</summary>
    /// <param name="progress">Receives the adaptive-width trainer's metrics after every epoch (its <c>ProgressCallback</c> option).</param>
    public static IEstimator<ITransformer> BuildPipeline(MLContext mlContext, TaskKind task, string trainer, int maxEpoch,
        Func<MLContext, Action<AdaptiveWidthEpochMetrics>?, IEstimator<ITransformer>>? custom = null, bool normalizeFeatures = true,
        Action<AdaptiveWidthEpochMetrics>? progress = null)
    {
        // Neural networks want features on a common scale; the paper's synthetic sets are used raw, as in the paper.
        IEstimator<ITransformer> normalize = normalizeFeatures
            ? mlContext.Transforms.NormalizeMinMax("Features")
            : mlContext.Transforms.CopyColumns("Features", "Features");
        return task switch
        {
            TaskKind.Binary => normalize
                .Append(mlContext.Transforms.Conversion.ConvertType("Label", outputKind: Microsoft.ML.Data.DataKind.Boolean))
                .Append(custom?.Invoke(mlContext, progress) ?? BinaryTrainer(mlContext, trainer, maxEpoch, progress)),
            TaskKind.Multiclass => normalize
                .Append(mlContext.Transforms.Conversion.MapValueToKey("Label", keyOrdinality: Microsoft.ML.Transforms.ValueToKeyMappingEstimator.KeyOrdinality.ByValue))
                .Append(MulticlassTrainer(mlContext, trainer, maxEpoch, progress))
                .Append(mlContext.Transforms.Conversion.MapKeyToValue("PredictedLabel")),
            _ => normalize.Append(RegressionTrainer(mlContext, trainer, maxEpoch, progress)),
        };
    }

    private static IEstimator<ITransformer> BinaryTrainer(MLContext mlContext, string trainer, int maxEpoch,
        Action<AdaptiveWidthEpochMetrics>? progress) => trainer switch
    {
        "AdaptiveWidth" => mlContext.BinaryClassification.Trainers.AdaptiveWidth(new AdaptiveWidthBinaryTrainer.Options { MaxEpoch = maxEpoch, ProgressCallback = progress }),
        "LightGbm" => mlContext.BinaryClassification.Trainers.LightGbm(),
        "FastTree" => mlContext.BinaryClassification.Trainers.FastTree(),
        _ => mlContext.BinaryClassification.Trainers.SdcaLogisticRegression(),
    };

    private static IEstimator<ITransformer> MulticlassTrainer(MLContext mlContext, string trainer, int maxEpoch,
        Action<AdaptiveWidthEpochMetrics>? progress) => trainer switch
    {
        "AdaptiveWidth" => mlContext.MulticlassClassification.Trainers.AdaptiveWidth(new AdaptiveWidthMulticlassTrainer.Options { MaxEpoch = maxEpoch, ProgressCallback = progress }),
        "LightGbm" => mlContext.MulticlassClassification.Trainers.LightGbm(),
        "FastTree" => mlContext.MulticlassClassification.Trainers.OneVersusAll(mlContext.BinaryClassification.Trainers.FastTree()),
        _ => mlContext.MulticlassClassification.Trainers.SdcaMaximumEntropy(),
    };

    private static IEstimator<ITransformer> RegressionTrainer(MLContext mlContext, string trainer, int maxEpoch,
        Action<AdaptiveWidthEpochMetrics>? progress) => trainer switch
    {
        "AdaptiveWidth" => mlContext.Regression.Trainers.AdaptiveWidth(new AdaptiveWidthRegressionTrainer.Options { MaxEpoch = maxEpoch, ProgressCallback = progress }),
        "LightGbm" => mlContext.Regression.Trainers.LightGbm(),
        "FastTree" => mlContext.Regression.Trainers.FastTree(),
        _ => mlContext.Regression.Trainers.Sdca(),
    };
}
