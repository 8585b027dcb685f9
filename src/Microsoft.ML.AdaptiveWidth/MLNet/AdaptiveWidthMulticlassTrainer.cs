using Microsoft.ML.AdaptiveWidth.Training;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.Trainers.AdaptiveWidth;

/// <summary>
/// Trains a neural network whose hidden-layer widths are learned during training (Adaptive Width Neural Networks,
/// arXiv 2501.15889) to predict one of K classes.
/// </summary>
/// <remarks>
/// <format type="text/markdown"><![CDATA[
/// To create this trainer, use
/// `mlContext.MulticlassClassification.Trainers.AdaptiveWidth()` or `AdaptiveWidth(Options)`.
///
/// ### Input and Output Columns
/// The label column must be a key type (map text or numeric labels with `MapValueToKey`; map predictions back with
/// `MapKeyToValue`). The feature column must be a known-size vector of Single. An optional example weight column
/// must be Single.
///
/// | Output Column Name | Column Type | Description |
/// | -- | -- | -- |
/// | `Score` | Vector of Single | The probability of each class (softmax of the network's K logits), with the label's slot names. |
/// | `PredictedLabel` | Key | The class with the highest score, carrying the label column's key values. |
///
/// ### Trainer Characteristics
/// |  |  |
/// | -- | -- |
/// | Machine learning task | Multiclass classification |
/// | Is normalization required? | No: the model standardizes dense features itself and codes numeric ones by their training quantiles, so `NormalizeMinMax`, `NormalizeMeanVariance` or no normalizer give the same network up to rounding. Wide sparse features (4,096 columns or more, such as `FeaturizeText`'s, which that transform already normalizes) are used as given |
/// | Is caching required? | No: the data is read into memory once; above `InMemoryLimitMegabytes` (or with `DataMode = Streaming`) it is read once per epoch, so cache an expensive upstream pipeline then |
/// | Required NuGet in addition to Microsoft.ML | Microsoft.ML.AdaptiveWidth |
/// | Exportable to ONNX | Yes (`mlContext.Model.ConvertToOnnx`, opset 11 or later) |
///
/// ### Scoring Function
/// A chain of dense layers, h₀ = x, hₗ = φ(Wₗ·hₗ₋₁ + bₗ), then K logits z = W·h_L + b and Score = softmax(z). The
/// learned importances are folded into the weights; scoring is managed code without TorchSharp or libtorch, and
/// thread-safe.
///
/// ### Training Algorithm Details
/// As for <see cref="AdaptiveWidthBinaryTrainer"/>, with the cross-entropy over K classes; the validation rows held
/// out by `ValidationFraction` are stratified by class. Every class of the label's key type gets an output, also
/// classes absent from the training data; at least two classes must be present. Rows with a NaN or infinite feature,
/// a missing label (key value 0) or a bad weight are skipped, with a warning in the log that counts them.
///
/// ### Differences from the paper
/// See <see cref="AdaptiveWidthBinaryTrainer"/>.
/// ]]></format>
/// </remarks>
public sealed class AdaptiveWidthMulticlassTrainer : TrainerEstimatorBase<
    MulticlassPredictionTransformer<AdaptiveWidthMulticlassModelParameters>, AdaptiveWidthMulticlassModelParameters>
{
    internal const string LoadName = "AdaptiveWidthMulticlass";
    private static readonly TrainerInfo InfoValue = new(normalization: false, caching: false, supportValid: true);
    private readonly Options _options;

    /// <summary>Options for <see cref="AdaptiveWidthMulticlassTrainer"/>; see <see cref="AdaptiveWidthOptionsBase"/>.</summary>
    public sealed class Options : AdaptiveWidthOptionsBase
    {
    }

    internal AdaptiveWidthMulticlassTrainer(IHostEnvironment env, Options options)
        : base(Contracts.CheckRef(env, nameof(env)).Register(LoadName),
            TrainerUtils.MakeR4VecFeature(Validated(options).FeatureColumnName),
            TrainerUtils.MakeU4ScalarColumn(options.LabelColumnName),
            TrainerUtils.MakeR4ScalarWeightColumn(options.ExampleWeightColumnName))
    {
        _options = options;
    }

    /// <summary>
    /// Continued training (ML.NET's pattern of its online and L-BFGS trainers): trains on <paramref name="trainData"/>
    /// starting from <paramref name="modelParameters"/>: the same network (its layers, widths and weights; the widths are
    /// still learned), the input standardisation recomputed on the new data with the function unchanged at the start; the
    /// optimizer state, the learning schedule and early stopping start afresh. Validation rows are held out of the new
    /// data as in <c>Fit</c>.
    /// </summary>
    public MulticlassPredictionTransformer<AdaptiveWidthMulticlassModelParameters> Fit(IDataView trainData, AdaptiveWidthMulticlassModelParameters modelParameters)
    {
        Host.CheckValue(modelParameters, nameof(modelParameters));
        return TrainTransformer(trainData, initPredictor: modelParameters);
    }

    /// <inheritdoc/>
    public override TrainerInfo Info => InfoValue;

    /// <inheritdoc/>
    public override PredictionKind PredictionKind => PredictionKind.MulticlassClassification;

    /// <summary>Trains with <paramref name="validationData"/> for early stopping instead of holding out training rows.</summary>
    /// <param name="trainData">The training data.</param>
    /// <param name="validationData">Data with the same columns, used to choose the best epoch and to stop early.</param>
    public MulticlassPredictionTransformer<AdaptiveWidthMulticlassModelParameters> Fit(IDataView trainData, IDataView validationData)
        => TrainTransformer(trainData, validationData);

    /// <inheritdoc/>
    public override void CheckLabelCompatible(SchemaShape.Column labelCol)
    {
        if (!LabelColumn.IsCompatibleWith(labelCol))
        {
            throw Host.ExceptSchemaMismatch(nameof(labelCol), "label", LabelColumn.Name,
                "a key type (map the labels with MapValueToKey first)", labelCol.GetTypeString());
        }
    }

    /// <inheritdoc/>
    public override SchemaShape.Column[] GetOutputColumnsCore(SchemaShape inputSchema)
    {
        bool found = inputSchema.TryFindColumn(LabelColumn.Name, out SchemaShape.Column labelCol);
        Host.Assert(found);
        var predictedLabelAnnotations = new SchemaShape(labelCol.Annotations.Where(a => a.Name == AnnotationUtils.Kinds.KeyValues)
            .Concat(AnnotationUtils.GetTrainerOutputAnnotation()));
        return
        [
            new SchemaShape.Column(DefaultColumnNames.Score, SchemaShape.Column.VectorKind.Vector, NumberDataViewType.Single, false,
                new SchemaShape(AnnotationUtils.AnnotationsForMulticlassScoreColumn(labelCol))),
            new SchemaShape.Column(DefaultColumnNames.PredictedLabel, SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.UInt32, true,
                predictedLabelAnnotations),
        ];
    }

    /// <inheritdoc/>
    public override AdaptiveWidthMulticlassModelParameters TrainModelCore(TrainContext trainContext)
    {
        AdaptiveWidthTrainingDriver.Outcome outcome = AdaptiveWidthTrainingDriver.Train(Host, _options, NetworkTask.MulticlassClassification, trainContext);
        return new AdaptiveWidthMulticlassModelParameters(Host, outcome.Network, outcome.History, outcome.Compression)
        {
            FeatureColumnName = trainContext.TrainingSet.Schema.Feature?.Name,
        };
    }

    /// <inheritdoc/>
    public override MulticlassPredictionTransformer<AdaptiveWidthMulticlassModelParameters> MakeTransformer(
        AdaptiveWidthMulticlassModelParameters model, DataViewSchema trainSchema)
        => new(Host, model, trainSchema, FeatureColumn.Name, LabelColumn.Name);

    private static Options Validated(Options options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return options;
    }
}
