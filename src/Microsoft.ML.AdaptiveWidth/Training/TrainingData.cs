namespace Microsoft.ML.AdaptiveWidth.Training;

/// <summary>
/// A data set in memory for the training loop: row-major features, one label per row and optional example weights.
/// Labels are 0/1 for binary classification, class indices 0..K−1 for multiclass, and real values for regression.
/// </summary>
public sealed class TrainingData
{
    /// <summary>Wraps the arrays (not copied) after checking them.</summary>
    /// <exception cref="ArgumentException">Sizes do not match, there are no rows, or a value is NaN or infinite.</exception>
    public TrainingData(float[] features, int featureCount, float[] labels, float[]? weights = null)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(labels);
        if (featureCount < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(featureCount), featureCount, "There must be at least one feature.");
        }
        if (labels.Length == 0)
        {
            throw new ArgumentException("The data set is empty: there must be at least one row.", nameof(labels));
        }
        if ((long)labels.Length * featureCount != features.Length)
        {
            throw new ArgumentException($"{labels.Length} rows × {featureCount} features needs {(long)labels.Length * featureCount} values, got {features.Length}.", nameof(features));
        }
        if (weights is not null && weights.Length != labels.Length)
        {
            throw new ArgumentException($"Expected one weight per row ({labels.Length}), got {weights.Length}.", nameof(weights));
        }
        int bad = Array.FindIndex(features, v => !float.IsFinite(v));
        if (bad >= 0)
        {
            throw new ArgumentException($"Feature {bad % featureCount} of row {bad / featureCount} is {features[bad]}; features must be finite.", nameof(features));
        }
        bad = Array.FindIndex(labels, v => !float.IsFinite(v));
        if (bad >= 0)
        {
            throw new ArgumentException($"The label of row {bad} is {labels[bad]}; labels must be finite.", nameof(labels));
        }
        if (weights is not null)
        {
            bad = Array.FindIndex(weights, v => !float.IsFinite(v) || v < 0);
            if (bad >= 0)
            {
                throw new ArgumentException($"The weight of row {bad} is {weights[bad]}; weights must be finite and non-negative.", nameof(weights));
            }
        }

        Features = features;
        FeatureCount = featureCount;
        Labels = labels;
        Weights = weights;
    }

    /// <summary>Sparse rows (<see cref="SparseRows"/>) with one label per row and optional weights; the ML.NET reader makes these for wide columns.</summary>
    internal TrainingData(SparseRows rows, float[] labels, float[]? weights = null)
    {
        if (labels.Length == 0)
        {
            throw new ArgumentException("The data set is empty: there must be at least one row.", nameof(labels));
        }
        if (rows.RowCount != labels.Length || (weights is not null && weights.Length != labels.Length))
        {
            throw new ArgumentException($"Expected one label and weight per row ({rows.RowCount}), got {labels.Length} and {weights?.Length}.", nameof(labels));
        }
        Features = [];
        Sparse = rows;
        FeatureCount = rows.FeatureCount;
        Labels = labels;
        Weights = weights;
    }

    /// <summary>Row-major features, <see cref="RowCount"/> × <see cref="FeatureCount"/>; empty when the rows are sparse.</summary>
    public float[] Features { get; }

    /// <summary>The rows in sparse form (then <see cref="Features"/> is empty), or null for dense rows.</summary>
    internal SparseRows? Sparse { get; }

    /// <summary>Number of features per row.</summary>
    public int FeatureCount { get; }

    /// <summary>One label per row.</summary>
    public float[] Labels { get; }

    /// <summary>Optional non-negative weight per row; null means all 1.</summary>
    public float[]? Weights { get; }

    /// <summary>Number of rows.</summary>
    public int RowCount => Labels.Length;
}
