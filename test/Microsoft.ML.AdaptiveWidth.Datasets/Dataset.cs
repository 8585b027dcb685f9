namespace Microsoft.ML.AdaptiveWidth.Datasets;

/// <summary>
/// An in-memory table of float features with one label per row: a class index (stored as a float) for classification,
/// or the target value for regression.
/// </summary>
public sealed class Dataset
{
    /// <summary>Creates a data set; the arrays are kept, not copied.</summary>
    /// <param name="name">A short name for messages and reports.</param>
    /// <param name="features">Row-major features, <c>labels.Length * featureCount</c> values.</param>
    /// <param name="featureCount">Number of features per row (at least 1).</param>
    /// <param name="labels">One label per row: class index 0..K-1, or the regression target.</param>
    /// <param name="classCount">Number of classes K, or 0 for regression.</param>
    /// <param name="featureNames">Names of the features; generic names <c>f0, f1, ...</c> when null.</param>
    /// <exception cref="ArgumentException">The sizes do not agree or a class label is outside 0..K-1.</exception>
    public Dataset(string name, float[] features, int featureCount, float[] labels, int classCount, string[]? featureNames = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentOutOfRangeException.ThrowIfLessThan(featureCount, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(classCount);
        if ((long)labels.Length * featureCount != features.Length)
        {
            throw new ArgumentException(
                $"{features.Length} feature values do not make {labels.Length} rows of {featureCount} features.", nameof(features));
        }

        featureNames ??= Enumerable.Range(0, featureCount).Select(i => $"f{i}").ToArray();
        if (featureNames.Length != featureCount)
        {
            throw new ArgumentException($"{featureNames.Length} feature names for {featureCount} features.", nameof(featureNames));
        }

        if (classCount > 0)
        {
            foreach (float y in labels)
            {
                if (!(y >= 0 && y < classCount) || y != MathF.Floor(y))
                {
                    throw new ArgumentException($"Label {y} is not a class index in 0..{classCount - 1}.", nameof(labels));
                }
            }
        }

        Name = name;
        Features = features;
        FeatureCount = featureCount;
        Labels = labels;
        ClassCount = classCount;
        FeatureNames = featureNames;
    }

    /// <summary>A short name for messages and reports.</summary>
    public string Name { get; }

    /// <summary>Row-major features: row <c>i</c> is <c>Features[i * FeatureCount .. (i + 1) * FeatureCount]</c>.</summary>
    public float[] Features { get; }

    /// <summary>Number of features per row.</summary>
    public int FeatureCount { get; }

    /// <summary>One label per row: the class index 0..K-1 as a float, or the regression target.</summary>
    public float[] Labels { get; }

    /// <summary>Number of classes K, or 0 for regression.</summary>
    public int ClassCount { get; }

    /// <summary>Names of the features, <see cref="FeatureCount"/> of them.</summary>
    public string[] FeatureNames { get; }

    /// <summary>Number of rows.</summary>
    public int RowCount => Labels.Length;

    /// <summary>True when the labels are class indices (<see cref="ClassCount"/> &gt; 0).</summary>
    public bool IsClassification => ClassCount > 0;

    /// <summary>The features of one row, without copying.</summary>
    /// <param name="row">Row index, 0..RowCount-1.</param>
    public ReadOnlySpan<float> Row(int row)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(row);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(row, RowCount);
        return Features.AsSpan(row * FeatureCount, FeatureCount);
    }

    /// <summary>A new data set with copies of the given rows, in the given order (repeats allowed).</summary>
    /// <param name="rows">Row indices into this data set.</param>
    public Dataset Subset(int[] rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var features = new float[rows.Length * FeatureCount];
        var labels = new float[rows.Length];
        for (int i = 0; i < rows.Length; i++)
        {
            Row(rows[i]).CopyTo(features.AsSpan(i * FeatureCount, FeatureCount));
            labels[i] = Labels[rows[i]];
        }

        return new Dataset(Name, features, FeatureCount, labels, ClassCount, FeatureNames);
    }

    /// <summary>A new data set with copies of the first <paramref name="n"/> rows (all rows when fewer).</summary>
    /// <param name="n">Number of rows to keep, at least 0.</param>
    public Dataset Take(int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        return Subset(Enumerable.Range(0, Math.Min(n, RowCount)).ToArray());
    }

    /// <summary>Number of rows of each class (length <see cref="ClassCount"/>; empty for regression).</summary>
    public int[] ClassCounts()
    {
        var counts = new int[ClassCount];
        if (ClassCount > 0)
        {
            foreach (float y in Labels)
            {
                counts[(int)y]++;
            }
        }

        return counts;
    }

    /// <inheritdoc/>
    public override string ToString() =>
        $"{Name}: {RowCount} x {FeatureCount}, " + (IsClassification ? $"{ClassCount} classes" : "regression");
}
