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

        _features = features;
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
        _features = [];
        Sparse = rows;
        FeatureCount = rows.FeatureCount;
        Labels = labels;
        Weights = weights;
    }

    /// <summary>
    /// Some dense rows of <paramref name="parent"/>, in the order of <paramref name="rows"/> (already checked), without
    /// copying their features: an ensemble member's training rows, which its batch source copies straight into libtorch's
    /// memory (<see cref="Row"/>), so that no member holds a managed copy of most of the data set.
    /// </summary>
    internal TrainingData(TrainingData parent, int[] rows)
    {
        if (parent.Sparse is not null || parent._rows is not null)
        {
            throw new ArgumentException("A view takes rows of dense data that is not itself a view.", nameof(parent));
        }
        if (rows.Length == 0)
        {
            throw new ArgumentException("The data set is empty: there must be at least one row.", nameof(rows));
        }
        _parentFeatures = parent.Features;
        _rows = rows;
        FeatureCount = parent.FeatureCount;
        Labels = rows.Select(r => parent.Labels[r]).ToArray();
        Weights = parent.Weights is null ? null : rows.Select(r => parent.Weights[r]).ToArray();
    }

    private readonly float[]? _parentFeatures;
    private readonly int[]? _rows;
    private float[]? _features;

    /// <summary>Row-major features, <see cref="RowCount"/> × <see cref="FeatureCount"/>; empty when the rows are sparse. A
    /// view of another data set's rows copies them on first use.</summary>
    public float[] Features => _features ??= Gather();

    /// <summary>Whether <see cref="Features"/> exists as an array (always, except for a view not yet asked for it).</summary>
    internal bool IsMaterialized => _features is not null;

    /// <summary>Row <paramref name="row"/>'s features (dense rows), without copying a view's rows.</summary>
    internal ReadOnlySpan<float> Row(int row) => _rows is null
        ? Features.AsSpan(row * FeatureCount, FeatureCount)
        : _parentFeatures.AsSpan(_rows[row] * FeatureCount, FeatureCount);

    private float[] Gather()
    {
        var features = new float[(long)_rows!.Length * FeatureCount];
        for (int r = 0; r < _rows.Length; r++)
        {
            Row(r).CopyTo(features.AsSpan(r * FeatureCount, FeatureCount));
        }
        return features;
    }

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
