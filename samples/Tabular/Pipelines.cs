using Microsoft.ML;
using Microsoft.ML.AdaptiveWidth.Inference;
using Microsoft.ML.AdaptiveWidth.Training;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;
using Microsoft.ML.Trainers.AdaptiveWidth;

namespace AdaptiveWidth.Samples.Tabular;

/// <summary>What a data set asks for.</summary>
public enum TaskKind
{
    Binary,
    Multiclass,
    Regression,
}

/// <summary>Our trained model as a pipeline, with what it learned (taken from the chain's <c>LastTransformer</c>).</summary>
/// <param name="Model">The fitted pipeline from <c>Features</c> to the prediction (class names for multiclass).</param>
/// <param name="NetworkInput">The part before the trainer (the normalizer): what turns <c>Features</c> into the network's input.</param>
public sealed record AdaptiveWidthFit(ITransformer Model, ITransformer NetworkInput, IReadOnlyList<int> LayerWidths,
    IReadOnlyList<EpochRecord> History, AdaptiveWidthModel Network);

/// <summary>
/// The pipelines, one per trainer, as Model Builder would write them: the label made ready for the task
/// (<see cref="LabelFor"/>, part of the featurization), normalize, the trainer, and the class names back for multiclass.
/// </summary>
public static class Pipelines
{
    /// <summary>The trainers compared on every data set; ours first.</summary>
    public static readonly string[] Trainers = ["AdaptiveWidth", "LightGbm", "FastTree", "Sdca"];

    /// <summary>
    /// The text label as the trainers want it: binary, a Boolean (<paramref name="classes"/>[0] is false, [1] true);
    /// multiclass, a key over the class names in ordinal order (<see cref="BuildPipeline"/> maps the predicted key back
    /// with <c>MapKeyToValue</c>); regression, the Single label as it is.
    /// </summary>
    public static IEstimator<ITransformer> LabelFor(MLContext mlContext, TaskKind task, IReadOnlyList<string> classes) => task switch
    {
        TaskKind.Binary => mlContext.Transforms.Conversion.MapValue("Label",
            [new KeyValuePair<string, bool>(classes[0], false), new KeyValuePair<string, bool>(classes[1], true)]),
        TaskKind.Multiclass => mlContext.Transforms.Conversion.MapValueToKey("Label", keyOrdinality: ValueToKeyMappingEstimator.KeyOrdinality.ByValue),
        _ => new EstimatorChain<ITransformer>(),
    };

    /// <summary>Builds the pipeline after the featurization for a trainer. Moving to the adaptive-width trainer is this one line.</summary>
    /// <param name="progress">Receives the adaptive-width trainer's metrics after every epoch (its <c>ProgressCallback</c> option).</param>
    public static IEstimator<ITransformer> BuildPipeline(MLContext mlContext, TaskKind task, string trainer, int maxEpoch,
        bool normalizeFeatures = true, Action<AdaptiveWidthEpochMetrics>? progress = null)
    {
        EstimatorChain<ITransformer> normalize = Normalizer(mlContext, normalizeFeatures);
        return task switch
        {
            TaskKind.Binary => normalize.Append(BinaryTrainer(mlContext, trainer, maxEpoch, progress)),
            TaskKind.Multiclass => normalize.Append(MulticlassTrainer(mlContext, trainer, maxEpoch, progress))
                .Append(mlContext.Transforms.Conversion.MapKeyToValue("PredictedLabel")),
            _ => normalize.Append(RegressionTrainer(mlContext, trainer, maxEpoch, progress)),
        };
    }

    /// <summary>
    /// Fits our trainer's pipeline (as <see cref="BuildPipeline"/> builds it; <paramref name="configure"/> sets the
    /// options) and takes the trained model from the fitted chain's <c>LastTransformer</c>: the prediction transformer's
    /// <c>Model</c> (<c>Model.SubModel</c> for binary, behind ML.NET's calibrated-model type).
    /// </summary>
    public static AdaptiveWidthFit FitAdaptiveWidth(MLContext mlContext, TaskKind task, IDataView train, bool normalizeFeatures,
        Action<AdaptiveWidthOptionsBase> configure)
    {
        EstimatorChain<ITransformer> normalize = Normalizer(mlContext, normalizeFeatures);
        switch (task)
        {
            case TaskKind.Binary:
            {
                var options = new AdaptiveWidthBinaryTrainer.Options();
                configure(options);
                var chain = normalize.Append(mlContext.BinaryClassification.Trainers.AdaptiveWidth(options)).Fit(train);
                AdaptiveWidthBinaryModelParameters ours = chain.LastTransformer.Model.SubModel;
                return new(chain, Before(chain), ours.LayerWidths, ours.TrainingHistory, ours.Network);
            }
            case TaskKind.Multiclass:
            {
                var options = new AdaptiveWidthMulticlassTrainer.Options();
                configure(options);
                var chain = normalize.Append(mlContext.MulticlassClassification.Trainers.AdaptiveWidth(options)).Fit(train);
                AdaptiveWidthMulticlassModelParameters ours = chain.LastTransformer.Model;
                ITransformer names = mlContext.Transforms.Conversion.MapKeyToValue("PredictedLabel").Fit(chain.Transform(train));
                return new(chain.Append(names), Before(chain), ours.LayerWidths, ours.TrainingHistory, ours.Network);
            }
            default:
            {
                var options = new AdaptiveWidthRegressionTrainer.Options();
                configure(options);
                var chain = normalize.Append(mlContext.Regression.Trainers.AdaptiveWidth(options)).Fit(train);
                AdaptiveWidthRegressionModelParameters ours = chain.LastTransformer.Model;
                return new(chain, Before(chain), ours.LayerWidths, ours.TrainingHistory, ours.Network);
            }
        }

        // The transformers before the last one (the normalizer), as one transformer.
        static ITransformer Before<T>(TransformerChain<T> chain) where T : class, ITransformer =>
            new TransformerChain<ITransformer>(chain.Where(t => !ReferenceEquals(t, chain.LastTransformer)).ToArray());
    }

    /// <summary>Neural networks want features on a common scale; the paper's synthetic sets are used raw, as in the paper.</summary>
    private static EstimatorChain<ITransformer> Normalizer(MLContext mlContext, bool normalizeFeatures) => normalizeFeatures
        ? new EstimatorChain<ITransformer>().Append<ITransformer>(mlContext.Transforms.NormalizeMinMax("Features"))
        : new EstimatorChain<ITransformer>();

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
