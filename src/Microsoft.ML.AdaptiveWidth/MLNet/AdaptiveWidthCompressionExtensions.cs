using Microsoft.ML.AdaptiveWidth.Inference;
using Microsoft.ML.AdaptiveWidth.Training;
using Microsoft.ML.Calibrators;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.AdaptiveWidth;

namespace Microsoft.ML;

/// <summary>A transformer compressed by automatic compression, and the search that chose its widths.</summary>
/// <typeparam name="TTransformer">The prediction transformer type, the same as the input's.</typeparam>
/// <param name="Transformer">The compressed transformer.</param>
/// <param name="Result">The widths chosen, the metric before and after, and every truncation measured.</param>
public sealed record CompressedTransformer<TTransformer>(TTransformer Transformer, CompressionResult Result);

/// <summary>
/// Automatic compression of fitted adaptive-width prediction transformers: the smallest per-layer prefixes whose
/// metric on the given data stays within a tolerance of the full model's, without retraining (see
/// <see cref="Compression"/> for the search and its cost). Binary and multiclass models are measured by accuracy
/// (tolerance in accuracy points lost), regression by RMSE (tolerance in percent added).
/// </summary>
/// <remarks>The data must have the transformer's feature column (as the trainer saw it, so after any featurization in a
/// pipeline) and a label column of the trainer's label type. Rows with a NaN or infinite feature or a missing label are
/// skipped. The tolerance holds on this data; check the result on data not used for the search.</remarks>
public static class AdaptiveWidthCompressionExtensions
{
    /// <summary>
    /// Compresses a binary transformer, measured by the accuracy of PredictedLabel (Score &gt; 0) or, with
    /// <paramref name="metric"/> = <see cref="QualityMetric.AreaUnderRocCurve"/>, by the area under the ROC curve.
    /// </summary>
    /// <param name="transformer">A transformer fitted by the adaptive-width binary trainer.</param>
    /// <param name="data">Labelled data to measure on.</param>
    /// <param name="tolerance">Accuracy (or AUC) points that may be lost, AUC in percent (0.5 allows 0.950 → 0.945); finite and ≥ 0.</param>
    /// <param name="labelColumnName">The label column (Boolean, or Single with &gt; 0 positive).</param>
    /// <param name="metric"><see cref="QualityMetric.Accuracy"/> (default) or <see cref="QualityMetric.AreaUnderRocCurve"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="tolerance"/> is negative or not finite, or <paramref name="metric"/> is RMSE.</exception>
    public static CompressedTransformer<BinaryPredictionTransformer<CalibratedModelParametersBase<AdaptiveWidthBinaryModelParameters, PlattCalibrator>>> Compress(
        this BinaryPredictionTransformer<CalibratedModelParametersBase<AdaptiveWidthBinaryModelParameters, PlattCalibrator>> transformer,
        IDataView data, double tolerance, string labelColumnName = DefaultColumnNames.Label, QualityMetric metric = QualityMetric.Accuracy)
    {
        ArgumentNullException.ThrowIfNull(transformer);
        CheckBinaryMetric(metric, nameof(metric));
        CompressionResult result = Run(transformer.Model.SubModel, data, tolerance, transformer.FeatureColumnName, labelColumnName, NetworkTask.BinaryClassification, metric);
        return new(transformer.Truncate(TruncationTarget.Widths(result.Widths)), result);
    }

    /// <summary>Compresses a multiclass transformer; accuracy is that of PredictedLabel (the largest score).</summary>
    /// <param name="transformer">A transformer fitted by the adaptive-width multiclass trainer.</param>
    /// <param name="data">Labelled data to measure on.</param>
    /// <param name="tolerance">Accuracy points that may be lost; finite and ≥ 0.</param>
    /// <param name="labelColumnName">The key-typed label column.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="tolerance"/> is negative or not finite.</exception>
    public static CompressedTransformer<MulticlassPredictionTransformer<AdaptiveWidthMulticlassModelParameters>> Compress(
        this MulticlassPredictionTransformer<AdaptiveWidthMulticlassModelParameters> transformer,
        IDataView data, double tolerance, string labelColumnName = DefaultColumnNames.Label)
    {
        ArgumentNullException.ThrowIfNull(transformer);
        CompressionResult result = Run(transformer.Model, data, tolerance, transformer.FeatureColumnName, labelColumnName, NetworkTask.MulticlassClassification,
            QualityMetric.Accuracy);
        return new(transformer.Truncate(TruncationTarget.Widths(result.Widths)), result);
    }

    /// <summary>Compresses a regression transformer, measured by RMSE.</summary>
    /// <param name="transformer">A transformer fitted by the adaptive-width regression trainer.</param>
    /// <param name="data">Labelled data to measure on.</param>
    /// <param name="tolerance">Percent of RMSE that may be added (1 allows 0.200 → 0.202); finite and ≥ 0.</param>
    /// <param name="labelColumnName">The Single label column.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="tolerance"/> is negative or not finite.</exception>
    public static CompressedTransformer<RegressionPredictionTransformer<AdaptiveWidthRegressionModelParameters>> Compress(
        this RegressionPredictionTransformer<AdaptiveWidthRegressionModelParameters> transformer,
        IDataView data, double tolerance, string labelColumnName = DefaultColumnNames.Label)
    {
        ArgumentNullException.ThrowIfNull(transformer);
        CompressionResult result = Run(transformer.Model, data, tolerance, transformer.FeatureColumnName, labelColumnName, NetworkTask.Regression,
            QualityMetric.Rmse);
        return new(transformer.Truncate(TruncationTarget.Widths(result.Widths)), result);
    }

    /// <summary>
    /// The truncation report of a binary transformer on <paramref name="data"/>: accuracy (percent) against kept width
    /// and multiply-adds, for ordered truncation and random removal (see <see cref="Microsoft.ML.AdaptiveWidth.Inference.TruncationReport.Create"/>).
    /// </summary>
    /// <param name="transformer">A transformer fitted by the adaptive-width binary trainer.</param>
    /// <param name="data">Labelled data with the transformer's feature column.</param>
    /// <param name="fractions">Fractions of each layer to keep, in (0, 1]; null for 1, 0.95, …, 0.05.</param>
    /// <param name="randomDraws">Random removals per fraction, at least 1.</param>
    /// <param name="seed">Seed of the random removals.</param>
    /// <param name="labelColumnName">The label column.</param>
    /// <param name="metric"><see cref="QualityMetric.Accuracy"/> (default) or <see cref="QualityMetric.AreaUnderRocCurve"/>, both in percent.</param>
    public static IReadOnlyList<TruncationReportRow> TruncationReport(
        this BinaryPredictionTransformer<CalibratedModelParametersBase<AdaptiveWidthBinaryModelParameters, PlattCalibrator>> transformer,
        IDataView data, IReadOnlyList<double>? fractions = null, int randomDraws = 5, int seed = 0, string labelColumnName = DefaultColumnNames.Label,
        QualityMetric metric = QualityMetric.Accuracy)
    {
        ArgumentNullException.ThrowIfNull(transformer);
        CheckBinaryMetric(metric, nameof(metric));
        return Microsoft.ML.AdaptiveWidth.Inference.TruncationReport.Create(transformer.Model.SubModel.Network,
            ReadRows(data, transformer.FeatureColumnName, labelColumnName, NetworkTask.BinaryClassification, metric), fractions, randomDraws, seed);
    }

    /// <summary>The truncation report of a multiclass transformer (accuracy in percent); see the binary overload.</summary>
    /// <param name="transformer">A transformer fitted by the adaptive-width multiclass trainer.</param>
    /// <param name="data">Labelled data with the transformer's feature column.</param>
    /// <param name="fractions">Fractions of each layer to keep, in (0, 1]; null for 1, 0.95, …, 0.05.</param>
    /// <param name="randomDraws">Random removals per fraction, at least 1.</param>
    /// <param name="seed">Seed of the random removals.</param>
    /// <param name="labelColumnName">The key-typed label column.</param>
    public static IReadOnlyList<TruncationReportRow> TruncationReport(
        this MulticlassPredictionTransformer<AdaptiveWidthMulticlassModelParameters> transformer,
        IDataView data, IReadOnlyList<double>? fractions = null, int randomDraws = 5, int seed = 0, string labelColumnName = DefaultColumnNames.Label)
    {
        ArgumentNullException.ThrowIfNull(transformer);
        return Microsoft.ML.AdaptiveWidth.Inference.TruncationReport.Create(transformer.Model.Network,
            ReadRows(data, transformer.FeatureColumnName, labelColumnName, NetworkTask.MulticlassClassification, QualityMetric.Accuracy), fractions, randomDraws, seed);
    }

    /// <summary>The truncation report of a regression transformer (RMSE); see the binary overload.</summary>
    /// <param name="transformer">A transformer fitted by the adaptive-width regression trainer.</param>
    /// <param name="data">Labelled data with the transformer's feature column.</param>
    /// <param name="fractions">Fractions of each layer to keep, in (0, 1]; null for 1, 0.95, …, 0.05.</param>
    /// <param name="randomDraws">Random removals per fraction, at least 1.</param>
    /// <param name="seed">Seed of the random removals.</param>
    /// <param name="labelColumnName">The Single label column.</param>
    public static IReadOnlyList<TruncationReportRow> TruncationReport(
        this RegressionPredictionTransformer<AdaptiveWidthRegressionModelParameters> transformer,
        IDataView data, IReadOnlyList<double>? fractions = null, int randomDraws = 5, int seed = 0, string labelColumnName = DefaultColumnNames.Label)
    {
        ArgumentNullException.ThrowIfNull(transformer);
        return Microsoft.ML.AdaptiveWidth.Inference.TruncationReport.Create(transformer.Model.Network,
            ReadRows(data, transformer.FeatureColumnName, labelColumnName, NetworkTask.Regression, QualityMetric.Rmse), fractions, randomDraws, seed);
    }

    /// <summary>Checks that a binary model's metric is accuracy or AUC.</summary>
    internal static void CheckBinaryMetric(QualityMetric metric, string parameter)
    {
        if (metric is not (QualityMetric.Accuracy or QualityMetric.AreaUnderRocCurve))
        {
            throw new ArgumentOutOfRangeException(parameter, metric, $"{parameter} of a binary model must be Accuracy or AreaUnderRocCurve (got {metric}).");
        }
    }

    /// <summary>Reads <paramref name="data"/> as labelled rows measured by <paramref name="metric"/>.</summary>
    internal static LabeledRows ReadRows(IDataView data, string featureColumnName, string labelColumnName, NetworkTask task, QualityMetric metric)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentException.ThrowIfNullOrWhiteSpace(labelColumnName);
        if (data.Schema.GetColumnOrNull(labelColumnName) is null)
        {
            throw new ArgumentException($"The data has no label column '{labelColumnName}'.", nameof(data));
        }
        if (data.Schema.GetColumnOrNull(featureColumnName) is null)
        {
            throw new ArgumentException($"The data has no feature column '{featureColumnName}'.", nameof(data));
        }
        var roles = new RoleMappedData(data, labelColumnName, featureColumnName);
        DataViewReader.Result read = DataViewReader.Read(roles, task);
        TrainingData rows = read.Data ?? throw new ArgumentException("The data has no usable row.", nameof(data));
        return LabeledRows.Of(rows, metric);
    }

    private static CompressionResult Run<TOutput>(AdaptiveWidthModelParametersBase<TOutput> model, IDataView data, double tolerance,
        string featureColumnName, string labelColumnName, NetworkTask task, QualityMetric metric)
    {
        if (!(double.IsFinite(tolerance) && tolerance >= 0))
        {
            throw new ArgumentOutOfRangeException(nameof(tolerance), tolerance, "The tolerance must be finite and at least 0.");
        }
        return Compression.Compress(model.Network, ReadRows(data, featureColumnName, labelColumnName, task, metric), tolerance);
    }
}
