namespace Microsoft.ML.AdaptiveWidth.Training;

/// <summary>
/// Sparse rows read in passes rather than held in memory (<see cref="ITrainingRowSource"/>'s counterpart for a wide
/// input): one pass per epoch and one to scan them first. Every pass must return the same rows in the same order.
/// </summary>
internal interface ISparseRowSource
{
    /// <summary>Number of features (slots) per row.</summary>
    int FeatureCount { get; }

    /// <summary>Starts a new pass over the rows, from the first.</summary>
    ISparseRowReader OpenReader();
}

/// <summary>One pass over an <see cref="ISparseRowSource"/>.</summary>
internal interface ISparseRowReader : IDisposable
{
    /// <summary>
    /// Appends the next row's non-zeros (feature index and value, indices ascending) to <paramref name="indices"/> and
    /// <paramref name="values"/>, and gives its label and weight (1 when the data has none). False at the end of the pass.
    /// </summary>
    bool ReadRow(List<int> indices, List<float> values, out float label, out float weight);
}

/// <summary>
/// A scanned <see cref="ISparseRowSource"/>: the scan reads every row once, checks it (indices inside the features,
/// finite values and labels, non-negative weights) and keeps what training needs before the first epoch: row and
/// non-zero counts, label mean and variance, mean weight, the distinct labels of a classifier. Memory use depends on
/// neither the number of rows nor the number of features. Sparse rows are never standardised, so there are no feature
/// statistics.
/// </summary>
internal sealed class SparseStreamingData
{
    private const int MaxTrackedLabels = 1024;

    private SparseStreamingData(ISparseRowSource source, long rows, long nonZeros, int maxRowNonZeros, double labelMean, double labelVariance,
        double weightMean, bool hasWeights, IReadOnlyList<float>? distinctLabels)
    {
        Source = source;
        RowCount = rows;
        NonZeroCount = nonZeros;
        MaxRowNonZeros = maxRowNonZeros;
        LabelMean = labelMean;
        LabelVariance = labelVariance;
        WeightMean = weightMean;
        HasWeights = hasWeights;
        DistinctLabels = distinctLabels;
    }

    /// <summary>The rows.</summary>
    public ISparseRowSource Source { get; }

    /// <summary>Number of features per row.</summary>
    public int FeatureCount => Source.FeatureCount;

    /// <summary>Rows in one pass.</summary>
    public long RowCount { get; }

    /// <summary>Non-zeros in one pass.</summary>
    public long NonZeroCount { get; }

    /// <summary>The most non-zeros of one row.</summary>
    public int MaxRowNonZeros { get; }

    /// <summary>Mean of the labels.</summary>
    public double LabelMean { get; }

    /// <summary>Population variance of the labels.</summary>
    public double LabelVariance { get; }

    /// <summary>Mean example weight (1 without weights).</summary>
    public double WeightMean { get; }

    /// <summary>Whether some row has a weight other than 1.</summary>
    public bool HasWeights { get; }

    /// <summary>The distinct label values in ascending order, or null when there are more than 1,024 (regression targets).</summary>
    public IReadOnlyList<float>? DistinctLabels { get; }

    /// <summary>Reads every row of <paramref name="source"/> once to check it and collect the statistics above.</summary>
    /// <exception cref="ArgumentException">There are no rows, or a row is invalid; the message gives the row.</exception>
    public static SparseStreamingData Scan(ISparseRowSource source, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        int featureCount = source.FeatureCount;
        if (featureCount < 1)
        {
            throw new ArgumentException($"The source has {featureCount} features; there must be at least one.", nameof(source));
        }
        var indices = new List<int>();
        var values = new List<float>();
        long rows = 0, nonZeros = 0;
        int maxRow = 0;
        double mean = 0, m2 = 0, weightSum = 0;
        bool hasWeights = false;
        var distinct = new HashSet<float>();
        bool tracking = true;
        using (ISparseRowReader reader = source.OpenReader())
        {
            while (true)
            {
                if ((rows & 1023) == 0)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                }
                indices.Clear();
                values.Clear();
                if (!reader.ReadRow(indices, values, out float y, out float w))
                {
                    break;
                }
                CheckRow(indices, values, featureCount, rows);
                if (!float.IsFinite(y))
                {
                    throw new ArgumentException($"The label of row {rows} is {y}; labels must be finite.", nameof(source));
                }
                if (!float.IsFinite(w) || w < 0)
                {
                    throw new ArgumentException($"The weight of row {rows} is {w}; weights must be finite and non-negative.", nameof(source));
                }
                hasWeights |= w != 1;
                weightSum += w;
                nonZeros += indices.Count;
                maxRow = Math.Max(maxRow, indices.Count);
                // Welford's update: stable for millions of rows.
                double delta = y - mean;
                mean += delta / (rows + 1);
                m2 += delta * (y - mean);
                if (tracking && distinct.Add(y) && distinct.Count > MaxTrackedLabels)
                {
                    tracking = false;
                    distinct.Clear();
                }
                rows++;
            }
        }
        if (rows == 0)
        {
            throw new ArgumentException("The data set is empty: there must be at least one row.", nameof(source));
        }
        return new SparseStreamingData(source, rows, nonZeros, maxRow, mean, m2 / rows, weightSum / rows, hasWeights,
            tracking ? distinct.Order().ToArray() : null);
    }

    /// <summary>Checks one row: as many values as indices, indices inside the features, values finite.</summary>
    internal static void CheckRow(List<int> indices, List<float> values, int featureCount, long row)
    {
        if (indices.Count != values.Count)
        {
            throw new ArgumentException($"Row {row} has {indices.Count} indices but {values.Count} values.", "source");
        }
        for (int k = 0; k < indices.Count; k++)
        {
            if ((uint)indices[k] >= (uint)featureCount)
            {
                throw new ArgumentException($"Row {row} has feature index {indices[k]}, outside the {featureCount} features.", "source");
            }
            if (!float.IsFinite(values[k]))
            {
                throw new ArgumentException($"Feature {indices[k]} of row {row} is {values[k]}; features must be finite.", "source");
            }
        }
    }

    /// <summary>
    /// The first rows of a pass in memory, as long as their non-zeros and labels fit in <paramref name="maxBytes"/>
    /// (<see cref="InMemoryBytes"/>); null when not even one row fits.
    /// </summary>
    public TrainingData? ReadIntoMemory(long maxBytes)
    {
        var starts = new List<long> { 0 };
        var indices = new List<int>();
        var values = new List<float>();
        var labels = new List<float>();
        var weights = new List<float>();
        using (ISparseRowReader reader = Source.OpenReader())
        {
            int before = 0;
            while (reader.ReadRow(indices, values, out float label, out float weight))
            {
                if (InMemoryBytes(labels.Count + 1, indices.Count) > maxBytes || indices.Count > Array.MaxLength - 1)
                {
                    indices.RemoveRange(before, indices.Count - before);
                    values.RemoveRange(before, values.Count - before);
                    break;
                }
                before = indices.Count;
                starts.Add(before);
                labels.Add(label);
                weights.Add(weight);
            }
        }
        if (labels.Count == 0)
        {
            return null;
        }
        var rows = new SparseRows(FeatureCount, starts.ToArray(), indices.ToArray(), values.ToArray());
        return new TrainingData(rows, labels.ToArray(), HasWeights ? weights.ToArray() : null);
    }

    /// <summary>Bytes of sparse rows in memory: 8 a non-zero (index and value), 16 a row (offset, label, weight).</summary>
    public static long InMemoryBytes(long rows, long nonZeros) => 8 * nonZeros + 16 * rows;
}
