using Microsoft.ML.AdaptiveWidth.Training;

namespace Microsoft.ML.AdaptiveWidth.Inference;

/// <summary>What a model's quality on <see cref="LabeledRows"/> is measured by.</summary>
public enum QualityMetric
{
    /// <summary>
    /// Classification accuracy, in percent. The predicted class is the largest output for several outputs, and
    /// output &gt; 0 (class 1) for a single output (a binary model's logit), as ML.NET's scorers decide.
    /// </summary>
    Accuracy,

    /// <summary>Root mean squared error of a single-output regression model (lower is better).</summary>
    Rmse,

    /// <summary>
    /// Area under the ROC curve of a single-output (binary) model's score, in percent (50 is chance), with tied scores
    /// counted as half: threshold-free, so it notices a truncation that shifts scores without flipping many predictions.
    /// Labels are 0/1 and both classes must be present.
    /// </summary>
    AreaUnderRocCurve,
}

/// <summary>
/// Rows with labels to measure a model on: row-major features and one label per row (the class index 0..K−1, or 0/1
/// for a binary model, for <see cref="QualityMetric.Accuracy"/>; the target for <see cref="QualityMetric.Rmse"/>).
/// </summary>
public sealed class LabeledRows
{
    /// <summary>Wraps the arrays (not copied).</summary>
    /// <param name="features">Row-major, <c>labels.Length × featureCount</c> values.</param>
    /// <param name="featureCount">Features per row, at least 1.</param>
    /// <param name="labels">One label per row; at least one row.</param>
    /// <param name="metric">The metric the rows are measured by.</param>
    /// <exception cref="ArgumentException">The sizes do not match or there is no row.</exception>
    public LabeledRows(float[] features, int featureCount, float[] labels, QualityMetric metric)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(labels);
        ArgumentOutOfRangeException.ThrowIfLessThan(featureCount, 1);
        if (labels.Length == 0)
        {
            throw new ArgumentException("There must be at least one row.", nameof(labels));
        }
        if ((long)labels.Length * featureCount != features.Length)
        {
            throw new ArgumentException($"{labels.Length} rows × {featureCount} features needs {(long)labels.Length * featureCount} values, got {features.Length}.", nameof(features));
        }
        if (!Enum.IsDefined(metric))
        {
            throw new ArgumentOutOfRangeException(nameof(metric), metric, "Unknown metric.");
        }
        if (metric == QualityMetric.AreaUnderRocCurve && (!labels.Contains(0f) || !labels.Contains(1f) || labels.Any(v => v != 0f && v != 1f)))
        {
            throw new ArgumentException("The area under the ROC curve needs 0/1 labels with both classes present.", nameof(labels));
        }
        Features = features;
        FeatureCount = featureCount;
        Labels = labels;
        Metric = metric;
    }

    /// <summary>
    /// Sparse rows (a wide input) with one label per row, scored with <see cref="AdaptiveWidthModel.ScoreSparse"/>: the
    /// cost follows the non-zeros, not rows × features. <see cref="Features"/> is then empty.
    /// </summary>
    internal LabeledRows(SparseRows rows, float[] labels, QualityMetric metric)
        : this([], rows.FeatureCount, labels, metric, rows)
    {
    }

    private LabeledRows(float[] features, int featureCount, float[] labels, QualityMetric metric, SparseRows sparse)
    {
        ArgumentNullException.ThrowIfNull(labels);
        if (labels.Length == 0 || sparse.RowCount != labels.Length)
        {
            throw new ArgumentException($"Expected one label per row ({sparse.RowCount}, at least one), got {labels.Length}.", nameof(labels));
        }
        if (!Enum.IsDefined(metric))
        {
            throw new ArgumentOutOfRangeException(nameof(metric), metric, "Unknown metric.");
        }
        if (metric == QualityMetric.AreaUnderRocCurve && (!labels.Contains(0f) || !labels.Contains(1f) || labels.Any(v => v != 0f && v != 1f)))
        {
            throw new ArgumentException("The area under the ROC curve needs 0/1 labels with both classes present.", nameof(labels));
        }
        Features = features;
        FeatureCount = featureCount;
        Labels = labels;
        Metric = metric;
        Sparse = sparse;
    }

    /// <summary>The rows of training data, sparse or dense as they are held.</summary>
    internal static LabeledRows Of(TrainingData data, QualityMetric metric)
        => data.Sparse is SparseRows sparse ? new LabeledRows(sparse, data.Labels, metric) : new LabeledRows(data.Features, data.FeatureCount, data.Labels, metric);

    /// <summary>Row-major features; empty when the rows are sparse.</summary>
    public float[] Features { get; }

    /// <summary>The rows in sparse form, or null for dense rows.</summary>
    internal SparseRows? Sparse { get; }

    /// <summary>Features per row.</summary>
    public int FeatureCount { get; }

    /// <summary>One label per row.</summary>
    public float[] Labels { get; }

    /// <summary>The metric the rows are measured by.</summary>
    public QualityMetric Metric { get; }

    /// <summary>Number of rows.</summary>
    public int RowCount => Labels.Length;

    /// <summary>Whether a larger value of <see cref="Metric"/> is better.</summary>
    public bool HigherIsBetter => Metric != QualityMetric.Rmse;

    /// <summary>The metric of <paramref name="model"/> on these rows (accuracy or AUC in percent, or RMSE).</summary>
    /// <exception cref="ArgumentException">The model takes a different number of features, or has several outputs for RMSE.</exception>
    public double Evaluate(AdaptiveWidthModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.InputCount != FeatureCount)
        {
            throw new ArgumentException($"The model takes {model.InputCount} features, the rows have {FeatureCount}.", nameof(model));
        }
        if (Metric != QualityMetric.Accuracy && model.OutputCount != 1)
        {
            throw new ArgumentException($"{Metric} needs a single-output (regression or binary) model.", nameof(model));
        }
        if (Metric == QualityMetric.AreaUnderRocCurve)
        {
            return AreaUnderRocCurve(model);
        }
        var output = new float[model.OutputCount];
        double sum = 0;
        for (int r = 0; r < RowCount; r++)
        {
            Score(model, r, output);
            if (Metric == QualityMetric.Rmse)
            {
                double e = output[0] - Labels[r];
                sum += e * e;
            }
            else
            {
                int predicted = output.Length == 1 ? (output[0] > 0 ? 1 : 0) : ArgMax(output);
                sum += predicted == (int)Labels[r] ? 1 : 0;
            }
        }
        return Metric == QualityMetric.Rmse ? Math.Sqrt(sum / RowCount) : 100.0 * sum / RowCount;
    }

    private void Score(AdaptiveWidthModel model, int row, Span<float> output)
    {
        if (Sparse is SparseRows sparse)
        {
            model.ScoreSparse(sparse.RowIndices(row), sparse.RowValues(row), output);
        }
        else
        {
            model.Score(Features.AsSpan(row * FeatureCount, FeatureCount), output);
        }
    }

    /// <summary>AUC in percent: the Mann–Whitney statistic over the scores, ties at half (average ranks).</summary>
    private double AreaUnderRocCurve(AdaptiveWidthModel model)
    {
        var scores = new float[RowCount];
        var output = new float[1];
        for (int r = 0; r < RowCount; r++)
        {
            Score(model, r, output);
            scores[r] = float.IsNaN(output[0]) ? float.NegativeInfinity : output[0];
        }
        int[] order = Enumerable.Range(0, RowCount).ToArray();
        Array.Sort(scores.ToArray(), order);
        double positiveRankSum = 0;
        long positives = 0;
        for (int i = 0; i < order.Length;)
        {
            int j = i;
            while (j + 1 < order.Length && scores[order[j + 1]] == scores[order[i]])
            {
                j++;
            }
            double averageRank = (i + j) / 2.0 + 1;
            for (int k = i; k <= j; k++)
            {
                if (Labels[order[k]] == 1f)
                {
                    positiveRankSum += averageRank;
                    positives++;
                }
            }
            i = j + 1;
        }
        long negatives = RowCount - positives;
        return 100.0 * (positiveRankSum - positives * (positives + 1) / 2.0) / ((double)positives * negatives);
    }

    /// <summary>The first index of the largest value (a NaN never wins), as ML.NET's multiclass scorer picks.</summary>
    private static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++)
        {
            if (values[i] > values[best] || float.IsNaN(values[best]))
            {
                best = i;
            }
        }
        return best;
    }
}
