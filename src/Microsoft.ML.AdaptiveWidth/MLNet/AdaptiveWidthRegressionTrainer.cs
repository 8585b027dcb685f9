using Microsoft.ML.AdaptiveWidth.Training;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.Trainers.AdaptiveWidth;

/// <summary>
/// Trains a neural network whose hidden-layer widths are learned during training (Adaptive Width Neural Networks,
/// arXiv 2501.15889) to predict a real value.
/// </summary>
/// <remarks>
/// <format type="text/markdown"><![CDATA[
/// To create this trainer, use
/// `mlContext.Regression.Trainers.AdaptiveWidth()` or `AdaptiveWidth(Options)`.
///
/// ### Input and Output Columns
/// The label column must be Single, the feature column a known-size vector of Single, an optional example weight
/// column Single.
///
/// | Output Column Name | Column Type | Description |
/// | -- | -- | -- |
/// | `Score` | Single | The predicted value. |
///
/// ### Trainer Characteristics
/// |  |  |
/// | -- | -- |
/// | Machine learning task | Regression |
/// | Is normalization required? | No: the model standardizes dense features itself and codes numeric ones by their training quantiles, and learns a standardized label whose scale it folds back into the output layer. Wide sparse features (4,096 columns or more, such as `FeaturizeText`'s, which that transform already normalizes) are used as given |
/// | Is caching required? | No: the data is read into memory once; above `InMemoryLimitMegabytes` (or with `DataMode = Streaming`) it is read once per epoch, so cache an expensive upstream pipeline then |
/// | Required NuGet in addition to Microsoft.ML | Microsoft.ML.AdaptiveWidth |
/// | Exportable to ONNX | Yes (`mlContext.Model.ConvertToOnnx`, opset 11 or later) |
///
/// ### Scoring Function
/// A chain of dense layers, h₀ = x, hₗ = φ(Wₗ·hₗ₋₁ + bₗ), Score = w·h_L + b, in managed code without TorchSharp or
/// libtorch; thread-safe.
///
/// ### Training Algorithm Details
/// As for <see cref="AdaptiveWidthBinaryTrainer"/>, with a Gaussian likelihood of unit variance (half the squared
/// error of the standardized label) and no label smoothing or temperature; the validation rows held out by `ValidationFraction` are drawn at random from the seed. Rows with a NaN or
/// infinite feature or label, or a bad weight, are skipped, with a warning in the log that counts them.
///
/// ### Differences from the paper
/// See <see cref="AdaptiveWidthBinaryTrainer"/>.
/// ]]></format>
/// </remarks>
public sealed class AdaptiveWidthRegressionTrainer : TrainerEstimatorBase<
    RegressionPredictionTransformer<AdaptiveWidthRegressionModelParameters>, AdaptiveWidthRegressionModelParameters>
{
    internal const string LoadName = "AdaptiveWidthRegression";
    private static readonly TrainerInfo InfoValue = new(normalization: false, caching: false, supportValid: true);
    private readonly Options _options;

    /// <summary>Options for <see cref="AdaptiveWidthRegressionTrainer"/>; see <see cref="AdaptiveWidthOptionsBase"/>.</summary>
    public sealed class Options : AdaptiveWidthOptionsBase
    {
    }

    internal AdaptiveWidthRegressionTrainer(IHostEnvironment env, Options options)
        : base(Contracts.CheckRef(env, nameof(env)).Register(LoadName),
            TrainerUtils.MakeR4VecFeature(Validated(options).FeatureColumnName),
            TrainerUtils.MakeR4ScalarColumn(options.LabelColumnName),
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
    public RegressionPredictionTransformer<AdaptiveWidthRegressionModelParameters> Fit(IDataView trainData, AdaptiveWidthRegressionModelParameters modelParameters)
    {
        Host.CheckValue(modelParameters, nameof(modelParameters));
        return TrainTransformer(trainData, initPredictor: modelParameters);
    }

    /// <inheritdoc/>
    public override TrainerInfo Info => InfoValue;

    /// <inheritdoc/>
    public override PredictionKind PredictionKind => PredictionKind.Regression;

    /// <summary>Trains with <paramref name="validationData"/> for early stopping instead of holding out training rows.</summary>
    /// <param name="trainData">The training data.</param>
    /// <param name="validationData">Data with the same columns, used to choose the best epoch and to stop early.</param>
    public RegressionPredictionTransformer<AdaptiveWidthRegressionModelParameters> Fit(IDataView trainData, IDataView validationData)
        => TrainTransformer(trainData, validationData);

    /// <inheritdoc/>
    public override SchemaShape.Column[] GetOutputColumnsCore(SchemaShape inputSchema) =>
    [
        new SchemaShape.Column(DefaultColumnNames.Score, SchemaShape.Column.VectorKind.Scalar, NumberDataViewType.Single, false,
            new SchemaShape(AnnotationUtils.GetTrainerOutputAnnotation())),
    ];

    /// <inheritdoc/>
    public override AdaptiveWidthRegressionModelParameters TrainModelCore(TrainContext trainContext)
    {
        AdaptiveWidthTrainingDriver.Outcome outcome = AdaptiveWidthTrainingDriver.Train(Host, _options, NetworkTask.Regression, trainContext);
        return new AdaptiveWidthRegressionModelParameters(Host, outcome.Network, outcome.History, outcome.Compression)
        {
            FeatureColumnName = trainContext.TrainingSet.Schema.Feature?.Name,
        };
    }

    /// <inheritdoc/>
    public override RegressionPredictionTransformer<AdaptiveWidthRegressionModelParameters> MakeTransformer(
        AdaptiveWidthRegressionModelParameters model, DataViewSchema trainSchema)
        => new(Host, model, trainSchema, FeatureColumn.Name);

    private static Options Validated(Options options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return options;
    }
}
