namespace Microsoft.ML.AdaptiveWidth.Training;

/// <summary>
/// Rows that are read in passes rather than held in memory: one pass per epoch (and one to scan them first), so data
/// larger than memory can train. Every pass must return the same rows in the same order.
/// </summary>
public interface ITrainingRowSource
{
    /// <summary>Number of features per row.</summary>
    int FeatureCount { get; }

    /// <summary>Starts a new pass over the rows, from the first.</summary>
    ITrainingRowReader OpenReader();
}

/// <summary>One pass over an <see cref="ITrainingRowSource"/>.</summary>
public interface ITrainingRowReader : IDisposable
{
    /// <summary>
    /// Fills the next rows: row-major features (<c>features.Length / FeatureCount</c> rows at most), one label and one
    /// weight (1 when the data has none) per row. Returns the number of rows filled; 0 only at the end of the pass.
    /// </summary>
    int ReadRows(Span<float> features, Span<float> labels, Span<float> weights);
}

/// <summary>
/// A scanned <see cref="ITrainingRowSource"/>: the scan reads every row once, checks it (finite features, labels and
/// non-negative weights) and keeps what training needs to know before the first epoch (row count, label mean and
/// variance, mean weight, the distinct labels of a classifier). Memory use does not depend on the number of rows.
/// </summary>
public sealed class StreamingTrainingData
{
    private const int ScanBlockRows = 1024;
    private const int MaxTrackedLabels = 1024;

    private StreamingTrainingData(ITrainingRowSource source, long rows, double labelMean, double labelVariance, double weightMean,
        bool hasWeights, IReadOnlyList<float>? distinctLabels, InputStandardization standardization)
    {
        Standardization = standardization;
        Source = source;
        RowCount = rows;
        LabelMean = labelMean;
        LabelVariance = labelVariance;
        WeightMean = weightMean;
        HasWeights = hasWeights;
        DistinctLabels = distinctLabels;
    }

    /// <summary>The rows.</summary>
    public ITrainingRowSource Source { get; }

    /// <summary>Number of features per row.</summary>
    public int FeatureCount => Source.FeatureCount;

    /// <summary>Rows in one pass.</summary>
    public long RowCount { get; }

    /// <summary>Mean of the labels.</summary>
    public double LabelMean { get; }

    /// <summary>Population variance of the labels.</summary>
    public double LabelVariance { get; }

    /// <summary>Mean example weight (1 without weights).</summary>
    public double WeightMean { get; }

    /// <summary>Whether some row has a weight other than 1.</summary>
    public bool HasWeights { get; }

    /// <summary>The features' mean and standard deviation over the scanned rows (the model's input standardisation).</summary>
    internal InputStandardization Standardization { get; }

    /// <summary>The distinct label values in ascending order, or null when there are more than 1,024 (regression targets).</summary>
    public IReadOnlyList<float>? DistinctLabels { get; }

    /// <summary>Reads every row of <paramref name="source"/> once to check it and collect the statistics above.</summary>
    /// <exception cref="ArgumentException">There are no rows, or a value is NaN, infinite or (a weight) negative; the message gives the row.</exception>
    public static StreamingTrainingData Scan(ITrainingRowSource source, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        int featureCount = source.FeatureCount;
        if (featureCount < 1)
        {
            throw new ArgumentException($"The source has {featureCount} features; there must be at least one.", nameof(source));
        }
        var features = new float[(long)BlockRows(ScanBlockRows, featureCount) * featureCount];
        var labels = new float[ScanBlockRows];
        var weights = new float[ScanBlockRows];
        long rows = 0;
        double mean = 0, m2 = 0, weightSum = 0;
        bool hasWeights = false;
        var distinct = new HashSet<float>();
        bool tracking = true;
        var featureStatistics = new InputStandardization.Accumulator(featureCount);
        using (ITrainingRowReader reader = source.OpenReader())
        {
            int read;
            while ((read = ReadBlock(reader, features, labels, weights, featureCount)) > 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
                for (int r = 0; r < read; r++)
                {
                    long row = rows + r;
                    ReadOnlySpan<float> x = features.AsSpan(r * featureCount, featureCount);
                    for (int j = 0; j < featureCount; j++)
                    {
                        if (!float.IsFinite(x[j]))
                        {
                            throw new ArgumentException($"Feature {j} of row {row} is {x[j]}; features must be finite.", nameof(source));
                        }
                    }
                    featureStatistics.Add(x);
                    float y = labels[r];
                    if (!float.IsFinite(y))
                    {
                        throw new ArgumentException($"The label of row {row} is {y}; labels must be finite.", nameof(source));
                    }
                    float w = weights[r];
                    if (!float.IsFinite(w) || w < 0)
                    {
                        throw new ArgumentException($"The weight of row {row} is {w}; weights must be finite and non-negative.", nameof(source));
                    }
                    hasWeights |= w != 1;
                    weightSum += w;
                    // Welford's update: stable for millions of rows.
                    double delta = y - mean;
                    mean += delta / (row + 1);
                    m2 += delta * (y - mean);
                    if (tracking && distinct.Add(y) && distinct.Count > MaxTrackedLabels)
                    {
                        tracking = false;
                        distinct.Clear();
                    }
                }
                rows += read;
            }
        }
        if (rows == 0)
        {
            throw new ArgumentException("The data set is empty: there must be at least one row.", nameof(source));
        }
        return new StreamingTrainingData(source, rows, mean, m2 / rows, weightSum / rows, hasWeights,
            tracking ? distinct.Order().ToArray() : null, featureStatistics.Result());
    }

    /// <summary>
    /// Rows per read block: <paramref name="wanted"/>, fewer when the rows are wide, so that a block holds at most 16 Mi
    /// values (64 MB) and its size never overflows; at least 1.
    /// </summary>
    internal static int BlockRows(int wanted, int featureCount) => (int)Math.Max(1, Math.Min(wanted, (1L << 24) / Math.Max(1, featureCount)));

    /// <summary>Reads one block and checks that the reader kept to its contract.</summary>
    internal static int ReadBlock(ITrainingRowReader reader, Span<float> features, Span<float> labels, Span<float> weights, int featureCount)
    {
        int capacity = Math.Min(labels.Length, features.Length / featureCount);
        weights[..capacity].Fill(1);
        int read = reader.ReadRows(features[..(capacity * featureCount)], labels[..capacity], weights[..capacity]);
        if (read < 0 || read > capacity)
        {
            throw new InvalidOperationException($"{reader.GetType().Name}.ReadRows returned {read} rows for room for {capacity}.");
        }
        return read;
    }
}
