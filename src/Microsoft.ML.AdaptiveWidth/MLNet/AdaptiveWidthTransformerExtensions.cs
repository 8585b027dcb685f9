using Microsoft.ML.AdaptiveWidth.Inference;
using Microsoft.ML.Calibrators;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.AdaptiveWidth;

namespace Microsoft.ML;

/// <summary>
/// Truncation of a fitted adaptive-width prediction transformer: a new transformer of the same type, same columns and
/// same settings (threshold, label column) whose network keeps only the first (most important) neurons of each layer.
/// </summary>
public static class AdaptiveWidthTransformerExtensions
{
    /// <summary>A new binary transformer whose network is truncated to <paramref name="target"/>, with the same calibrator.</summary>
    /// <param name="transformer">A transformer fitted by the adaptive-width binary trainer.</param>
    /// <param name="target">How small the network should be (a fraction, a cap, a compute budget or explicit widths).</param>
    /// <exception cref="ArgumentOutOfRangeException">The target does not fit the model; the exception names the argument.</exception>
    public static BinaryPredictionTransformer<CalibratedModelParametersBase<AdaptiveWidthBinaryModelParameters, PlattCalibrator>> Truncate(
        this BinaryPredictionTransformer<CalibratedModelParametersBase<AdaptiveWidthBinaryModelParameters, PlattCalibrator>> transformer,
        TruncationTarget target)
    {
        ArgumentNullException.ThrowIfNull(transformer);
        ArgumentNullException.ThrowIfNull(target);
        CalibratedModelParametersBase<AdaptiveWidthBinaryModelParameters, PlattCalibrator> calibrated = transformer.Model;
        AdaptiveWidthBinaryModelParameters truncated = calibrated.SubModel.Truncate(target);
        var model = new ValueMapperCalibratedModelParameters<AdaptiveWidthBinaryModelParameters, PlattCalibrator>(
            truncated.Host, truncated, calibrated.Calibrator);
        return new BinaryPredictionTransformer<CalibratedModelParametersBase<AdaptiveWidthBinaryModelParameters, PlattCalibrator>>(
            truncated.Host, model, transformer.TrainSchema, transformer.FeatureColumnName, transformer.Threshold, transformer.ThresholdColumn);
    }

    /// <summary>A new multiclass transformer whose network is truncated to <paramref name="target"/>.</summary>
    /// <param name="transformer">A transformer fitted by the adaptive-width multiclass trainer.</param>
    /// <param name="target">How small the network should be (a fraction, a cap, a compute budget or explicit widths).</param>
    /// <exception cref="ArgumentOutOfRangeException">The target does not fit the model; the exception names the argument.</exception>
    public static MulticlassPredictionTransformer<AdaptiveWidthMulticlassModelParameters> Truncate(
        this MulticlassPredictionTransformer<AdaptiveWidthMulticlassModelParameters> transformer, TruncationTarget target)
    {
        ArgumentNullException.ThrowIfNull(transformer);
        ArgumentNullException.ThrowIfNull(target);
        AdaptiveWidthMulticlassModelParameters truncated = transformer.Model.Truncate(target);
        return new MulticlassPredictionTransformer<AdaptiveWidthMulticlassModelParameters>(
            truncated.Host, truncated, transformer.TrainSchema, transformer.FeatureColumnName, transformer._trainLabelColumn,
            transformer._scoreColumn, transformer._predictedLabelColumn);
    }

    /// <summary>A new regression transformer whose network is truncated to <paramref name="target"/>.</summary>
    /// <param name="transformer">A transformer fitted by the adaptive-width regression trainer.</param>
    /// <param name="target">How small the network should be (a fraction, a cap, a compute budget or explicit widths).</param>
    /// <exception cref="ArgumentOutOfRangeException">The target does not fit the model; the exception names the argument.</exception>
    public static RegressionPredictionTransformer<AdaptiveWidthRegressionModelParameters> Truncate(
        this RegressionPredictionTransformer<AdaptiveWidthRegressionModelParameters> transformer, TruncationTarget target)
    {
        ArgumentNullException.ThrowIfNull(transformer);
        ArgumentNullException.ThrowIfNull(target);
        AdaptiveWidthRegressionModelParameters truncated = transformer.Model.Truncate(target);
        return new RegressionPredictionTransformer<AdaptiveWidthRegressionModelParameters>(
            truncated.Host, truncated, transformer.TrainSchema, transformer.FeatureColumnName);
    }
}
