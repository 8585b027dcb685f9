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
        Features = features;
        FeatureCount = featureCount;
        Labels = labels;
        Metric = metric;
    }

    /// <summary>Row-major features.</summary>
    public float[] Features { get; }

    /// <summary>Features per row.</summary>
    public int FeatureCount { get; }

    /// <summary>One label per row.</summary>
    public float[] Labels { get; }

    /// <summary>The metric the rows are measured by.</summary>
    public QualityMetric Metric { get; }

    /// <summary>Number of rows.</summary>
    public int RowCount => Labels.Length;

    /// <summary>Whether a larger value of <see cref="Metric"/> is better.</summary>
    public bool HigherIsBetter => Metric == QualityMetric.Accuracy;

    /// <summary>The metric of <paramref name="model"/> on these rows (accuracy in percent, or RMSE).</summary>
    /// <exception cref="ArgumentException">The model takes a different number of features, or has several outputs for RMSE.</exception>
    public double Evaluate(AdaptiveWidthModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.InputCount != FeatureCount)
        {
            throw new ArgumentException($"The model takes {model.InputCount} features, the rows have {FeatureCount}.", nameof(model));
        }
        if (Metric == QualityMetric.Rmse && model.OutputCount != 1)
        {
            throw new ArgumentException("RMSE needs a single-output (regression) model.", nameof(model));
        }
        var output = new float[model.OutputCount];
        double sum = 0;
        for (int r = 0; r < RowCount; r++)
        {
            model.Score(Features.AsSpan(r * FeatureCount, FeatureCount), output);
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
