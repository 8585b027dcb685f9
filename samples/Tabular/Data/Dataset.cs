namespace AdaptiveWidth.Samples.Tabular;

/// <summary>
/// An in-memory table of float features with one label per row: a class index (stored as a float) for classification,
/// or the target value for regression. Used for the built-in data sets; a user's CSV goes through <see cref="CsvSchema"/>.
/// </summary>
public sealed class Dataset
{
    /// <summary>Creates a data set; the arrays are kept, not copied.</summary>
    /// <param name="name">A short name for messages.</param>
    /// <param name="features">Row-major features, <c>labels.Length * featureCount</c> values.</param>
    /// <param name="featureCount">Number of features per row (at least 1).</param>
    /// <param name="labels">One label per row: class index 0..K-1, or the regression target.</param>
    /// <param name="classNames">The name of each class (K of them), or empty for regression.</param>
    public Dataset(string name, float[] features, int featureCount, float[] labels, string[] classNames)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(featureCount, 1);
        if ((long)labels.Length * featureCount != features.Length)
        {
            throw new ArgumentException($"{features.Length} feature values do not make {labels.Length} rows of {featureCount} features.", nameof(features));
        }
        if (classNames.Length > 0 && labels.Any(y => !(y >= 0 && y < classNames.Length) || y != MathF.Floor(y)))
        {
            throw new ArgumentException($"A label is not a class index in 0..{classNames.Length - 1}.", nameof(labels));
        }
        Name = name;
        Features = features;
        FeatureCount = featureCount;
        Labels = labels;
        ClassNames = classNames;
    }

    public string Name { get; }

    /// <summary>Row-major features: row <c>i</c> is <c>Features[i * FeatureCount .. (i + 1) * FeatureCount]</c>.</summary>
    public float[] Features { get; }

    public int FeatureCount { get; }

    /// <summary>The class index 0..K-1 as a float, or the regression target.</summary>
    public float[] Labels { get; }

    /// <summary>The class names (index 0 is the negative class of a binary set); empty for regression.</summary>
    public string[] ClassNames { get; }

    public int ClassCount => ClassNames.Length;

    public int RowCount => Labels.Length;

    public bool IsClassification => ClassCount > 0;

    /// <summary>The features of one row, without copying.</summary>
    public ReadOnlySpan<float> Row(int row) => Features.AsSpan(row * FeatureCount, FeatureCount);

    /// <summary>A new data set with copies of the given rows, in the given order.</summary>
    public Dataset Subset(int[] rows)
    {
        var features = new float[rows.Length * FeatureCount];
        var labels = new float[rows.Length];
        for (int i = 0; i < rows.Length; i++)
        {
            Row(rows[i]).CopyTo(features.AsSpan(i * FeatureCount, FeatureCount));
            labels[i] = Labels[rows[i]];
        }
        return new Dataset(Name, features, FeatureCount, labels, ClassNames);
    }
}
