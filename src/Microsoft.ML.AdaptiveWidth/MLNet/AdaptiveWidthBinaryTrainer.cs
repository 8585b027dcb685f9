using Microsoft.ML.AdaptiveWidth.Inference;
using Microsoft.ML.AdaptiveWidth.Training;
using Microsoft.ML.Calibrators;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.Trainers.AdaptiveWidth;

/// <summary>
/// Trains a neural network whose hidden-layer widths are learned during training (Adaptive Width Neural Networks,
/// arXiv 2501.15889) to predict a binary label.
/// </summary>
/// <remarks>
/// <format type="text/markdown"><![CDATA[
/// To create this trainer, use
/// `mlContext.BinaryClassification.Trainers.AdaptiveWidth()` or `AdaptiveWidth(Options)`.
///
/// ### Input and Output Columns
/// The label column must be Boolean (or Single, where values greater than 0 are positive). The feature column must be
/// a known-size vector of Single. An optional example weight column must be Single.
///
/// | Output Column Name | Column Type | Description |
/// | -- | -- | -- |
/// | `Score` | Single | The network's logit. |
/// | `Probability` | Single | sigmoid(Score), through a Platt calibrator with slope −1 and offset 0. |
/// | `PredictedLabel` | Boolean | true when Score &gt; 0. |
///
/// ### Trainer Characteristics
/// |  |  |
/// | -- | -- |
/// | Machine learning task | Binary classification |
/// | Is normalization required? | No: the model standardizes dense features itself and codes numeric ones by their training quantiles, so `NormalizeMinMax`, `NormalizeMeanVariance` or no normalizer give the same network up to rounding. Wide sparse features (4,096 columns or more, such as `FeaturizeText`'s, which that transform already normalizes) are used as given |
/// | Is caching required? | No: the data is read into memory once; above `InMemoryLimitMegabytes` (or with `DataMode = Streaming`) it is read once per epoch, so cache an expensive upstream pipeline then |
/// | Required NuGet in addition to Microsoft.ML | Microsoft.ML.AdaptiveWidth |
/// | Exportable to ONNX | Yes (`mlContext.Model.ConvertToOnnx`, opset 11 or later) |
///
/// ### Scoring Function
/// A chain of dense layers: h₀ = x, hₗ = φ(Wₗ·hₗ₋₁ + bₗ) for each adaptive layer, Score = w·h_L + b. Each hidden
/// neuron's learned importance is folded into the next layer's weights, so scoring runs in managed code with SIMD
/// (System.Numerics.Tensors), needs neither TorchSharp nor libtorch, and is thread-safe.
///
/// ### Training Algorithm Details
/// By default `EnsembleSize` = 8 networks, each with two adaptive layers starting 32 wide, its own seed and its own
/// held-out rows, train in parallel on the cores and are averaged exactly into one network (the model scores, saves,
/// truncates and exports to ONNX as one). Each network's first layer takes the standardized features followed by their
/// quantile codes (`QuantileCodes`), fitted on the training rows and stored in the model.
/// Mini-batch Adam minimises the binary cross-entropy (against labels smoothed by `LabelSmoothing`) plus Gaussian priors divided by the number of rows N: on the
/// weights (scale `WeightPriorScale`) and, if `WidthRegularization` is above 0, on each layer's rate λ. Each layer's
/// neurons are weighted by a discretised exponential distribution with rate λ; the width is its k-quantile,
/// ⌊−ln(1−k)/λ⌋ + 2, so layers grow or shrink as λ is learned. With validation data (given to
/// `Fit(train, validation)` or as the `ValidationSet` option, or held out from the training data by
/// `ValidationFraction`, stratified by class), the epoch with the best validation loss is kept and training stops after
/// `EarlyStoppingPatience` epochs without improvement (on large data sooner, after `EarlyStoppingPatienceSteps` optimizer
/// steps and at least 10 epochs). Classifiers' logits are then divided by a temperature fitted on the held-out rows
/// (`TemperatureScaling`), and `TruncationBudget` and `MaxUnitsPerLayer` cut each layer to its most important neurons.
/// Rows with a NaN or infinite feature, a missing (NaN) label, or a NaN, infinite or negative weight are skipped,
/// as ML.NET's own trainers do, and their count is written to the log as a warning.
/// Progress (epoch, loss, validation loss and accuracy, widths) goes to `MLContext.Log` at most once per second.
///
/// ### Differences from the paper
/// * The width is read from the 0.9-quantile with D = ⌊−ln(1−k)/λ⌋ + 2 as in the reference code; the options take
///   widths (`InitialWidth`, `MaximumWidth`) and turn them into rates.
/// * `WidthRegularization` is one knob over the paper's rate prior (σλ = 1 / strength), off by default as in the paper.
/// * Training keeps the best validation epoch; the paper reports the final network.
/// * The shipped network can be truncated (`TruncationBudget`) without retraining.
/// ]]></format>
/// </remarks>
public sealed class AdaptiveWidthBinaryTrainer : TrainerEstimatorBase<
    BinaryPredictionTransformer<CalibratedModelParametersBase<AdaptiveWidthBinaryModelParameters, PlattCalibrator>>,
    CalibratedModelParametersBase<AdaptiveWidthBinaryModelParameters, PlattCalibrator>>
{
    internal const string LoadName = "AdaptiveWidthBinary";
    private static readonly TrainerInfo InfoValue = new(normalization: false, caching: false, supportValid: true);
    private readonly Options _options;

    /// <summary>Options for <see cref="AdaptiveWidthBinaryTrainer"/>; see <see cref="AdaptiveWidthOptionsBase"/>.</summary>
    public sealed class Options : AdaptiveWidthOptionsBase
    {
        /// <summary>
        /// What <see cref="AdaptiveWidthOptionsBase.CompressionTolerance"/> measures on the validation rows: accuracy
        /// (the default) or the area under the ROC curve, both in percent, so the tolerance is in points either way.
        /// AUC notices truncations that shift scores without flipping predictions; use it when the probability or the
        /// ranking matters more than the 0.5 decision.
        /// </summary>
        /// <value><see cref="QualityMetric.Accuracy"/> (default) or <see cref="QualityMetric.AreaUnderRocCurve"/>.</value>
        public QualityMetric CompressionMetric = QualityMetric.Accuracy;

        internal override QualityMetric ValidatedCompressionMetric(NetworkTask task)
        {
            AdaptiveWidthCompressionExtensions.CheckBinaryMetric(CompressionMetric, nameof(CompressionMetric));
            return CompressionMetric;
        }
    }

    internal AdaptiveWidthBinaryTrainer(IHostEnvironment env, Options options)
        : base(Contracts.CheckRef(env, nameof(env)).Register(LoadName),
            TrainerUtils.MakeR4VecFeature(Validated(options).FeatureColumnName),
            TrainerUtils.MakeBoolScalarLabel(options.LabelColumnName),
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
    public BinaryPredictionTransformer<CalibratedModelParametersBase<AdaptiveWidthBinaryModelParameters, PlattCalibrator>> Fit(IDataView trainData, AdaptiveWidthBinaryModelParameters modelParameters)
    {
        Host.CheckValue(modelParameters, nameof(modelParameters));
        return TrainTransformer(trainData, initPredictor: modelParameters);
    }

    /// <inheritdoc/>
    public override TrainerInfo Info => InfoValue;

    /// <inheritdoc/>
    public override PredictionKind PredictionKind => PredictionKind.BinaryClassification;

    /// <summary>Trains with <paramref name="validationData"/> for early stopping instead of holding out training rows.</summary>
    /// <param name="trainData">The training data.</param>
    /// <param name="validationData">Data with the same columns, used to choose the best epoch and to stop early.</param>
    public BinaryPredictionTransformer<CalibratedModelParametersBase<AdaptiveWidthBinaryModelParameters, PlattCalibrator>> Fit(
        IDataView trainData, IDataView validationData) => TrainTransformer(trainData, validationData);

    /// <inheritdoc/>
    public override void CheckLabelCompatible(SchemaShape.Column labelCol)
    {
        bool ok = labelCol.Kind == SchemaShape.Column.VectorKind.Scalar && !labelCol.IsKey
            && (labelCol.ItemType == BooleanDataViewType.Instance || labelCol.ItemType == NumberDataViewType.Single);
        if (!ok)
        {
            throw Host.ExceptSchemaMismatch(nameof(labelCol), "label", LabelColumn.Name, "Boolean or Single", labelCol.GetTypeString());
        }
    }

    /// <inheritdoc/>
    public override SchemaShape.Column[] GetOutputColumnsCore(SchemaShape inputSchema) =>
    [
        new SchemaShape.Column(DefaultColumnNames.Score, SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.Single, false,
            new SchemaShape(AnnotationUtils.GetTrainerOutputAnnotation())),
        new SchemaShape.Column(DefaultColumnNames.Probability, SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.Single, false,
            new SchemaShape(AnnotationUtils.GetTrainerOutputAnnotation(true))),
        new SchemaShape.Column(DefaultColumnNames.PredictedLabel, SchemaShape.Column.VectorKind.Scalar, BooleanDataViewType.Instance, false,
            new SchemaShape(AnnotationUtils.GetTrainerOutputAnnotation())),
    ];

    /// <inheritdoc/>
    public override CalibratedModelParametersBase<AdaptiveWidthBinaryModelParameters, PlattCalibrator> TrainModelCore(TrainContext trainContext)
    {
        AdaptiveWidthTrainingDriver.Outcome outcome = AdaptiveWidthTrainingDriver.Train(Host, _options, NetworkTask.BinaryClassification, trainContext);
        var model = new AdaptiveWidthBinaryModelParameters(Host, outcome.Network, outcome.History, outcome.Compression)
        {
            FeatureColumnName = trainContext.TrainingSet.Schema.Feature?.Name,
        };
        // P = 1 / (1 + exp(slope·score + offset)) = sigmoid(score) for slope −1 and offset 0, as logistic regression does.
        var calibrator = new PlattCalibrator(Host, -1, 0);
        return new ValueMapperCalibratedModelParameters<AdaptiveWidthBinaryModelParameters, PlattCalibrator>(Host, model, calibrator);
    }

    /// <inheritdoc/>
    public override BinaryPredictionTransformer<CalibratedModelParametersBase<AdaptiveWidthBinaryModelParameters, PlattCalibrator>> MakeTransformer(
        CalibratedModelParametersBase<AdaptiveWidthBinaryModelParameters, PlattCalibrator> model, DataViewSchema trainSchema)
        => new(Host, model, trainSchema, FeatureColumn.Name);

    private static Options Validated(Options options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return options;
    }
}
