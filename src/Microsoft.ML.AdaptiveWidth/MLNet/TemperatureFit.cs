using Microsoft.ML.AdaptiveWidth.Inference;
using Microsoft.ML.AdaptiveWidth.Training;

namespace Microsoft.ML.Trainers.AdaptiveWidth;

/// <summary>
/// The held-out cross-entropy of a classifier's logits divided by each temperature T = 2^(g/20), g ∈ [−20, 20] (0.5 to
/// 2), summed over the rows as they are added (docs/method.md §5.16). Nothing is kept per row, so streamed held-out
/// rows are fitted as rows in memory are; each ensemble member adds its own logits on its own held-out rows, and the
/// members' sums are added together.
/// </summary>
/// <remarks>The floor of 0.5 undoes at most the squeeze of label smoothing ε = 0.05 (a binary logit capped at 3.66
/// stretched to 7.3, p ≈ 0.999): a set whose held-out rows are all right with a margin would otherwise sharpen without
/// limit (docs/realdata-recipe.md, fifteenth round: wine).</remarks>
internal sealed class TemperatureFit
{
    private const int Steps = 20;

    /// <summary>The grid, T_g = 2^((g − 20)/20) for g = 0…40, computed once rather than for every row.</summary>
    private static readonly double[] s_temperatures = Enumerable.Range(0, 2 * Steps + 1).Select(g => Math.Pow(2, (double)(g - Steps) / Steps)).ToArray();

    private readonly NetworkTask _task;
    private readonly double[] _loss = new double[2 * Steps + 1];
    private readonly float[] _outputs;

    public TemperatureFit(NetworkTask task, int outputs)
    {
        if (task == NetworkTask.Regression)
        {
            throw new ArgumentException("A temperature applies to a classifier's logits.", nameof(task));
        }
        _task = task;
        _outputs = new float[outputs];
    }

    /// <summary>Rows added.</summary>
    public long Rows { get; private set; }

    /// <summary>Their total weight.</summary>
    public double Weight { get; private set; }

    /// <summary>The sums of <paramref name="model"/>'s rows in memory (dense, or a wide column's sparse rows).</summary>
    public static TemperatureFit Of(NetworkTask task, AdaptiveWidthModel model, TrainingData rows, CancellationToken cancellation)
    {
        var fit = new TemperatureFit(task, model.OutputCount);
        for (int i = 0; i < rows.RowCount; i++)
        {
            if ((i & 1023) == 0)
            {
                cancellation.ThrowIfCancellationRequested();
            }
            if (rows.Sparse is SparseRows sparse)
            {
                model.ScoreSparse(sparse.RowIndices(i), sparse.RowValues(i), fit._outputs);
            }
            else
            {
                model.Score(rows.Features.AsSpan(i * rows.FeatureCount, rows.FeatureCount), fit._outputs);
            }
            fit.AddOutputs((int)rows.Labels[i], rows.Weights?[i] ?? 1);
        }
        return fit;
    }

    /// <summary>The sums of <paramref name="model"/>'s streamed rows, read in one pass.</summary>
    public static TemperatureFit Of(NetworkTask task, AdaptiveWidthModel model, StreamingTrainingData rows, CancellationToken cancellation)
    {
        const int Block = 256;
        var fit = new TemperatureFit(task, model.OutputCount);
        int f = rows.FeatureCount;
        var features = new float[Block * f];
        var labels = new float[Block];
        var weights = new float[Block];
        using ITrainingRowReader reader = rows.Source.OpenReader();
        for (int n; (n = reader.ReadRows(features, labels, weights)) > 0;)
        {
            cancellation.ThrowIfCancellationRequested();
            for (int i = 0; i < n; i++)
            {
                model.Score(features.AsSpan(i * f, f), fit._outputs);
                fit.AddOutputs((int)labels[i], weights[i]);
            }
        }
        return fit;
    }

    /// <summary>The sums of <paramref name="model"/>'s streamed sparse rows, read in one pass.</summary>
    public static TemperatureFit Of(NetworkTask task, AdaptiveWidthModel model, SparseStreamingData rows, CancellationToken cancellation)
    {
        var fit = new TemperatureFit(task, model.OutputCount);
        var indices = new List<int>();
        var values = new List<float>();
        using ISparseRowReader reader = rows.Source.OpenReader();
        for (long i = 0; reader.ReadRow(indices, values, out float label, out float weight); i++)
        {
            if ((i & 1023) == 0)
            {
                cancellation.ThrowIfCancellationRequested();
            }
            model.ScoreSparse(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(indices),
                System.Runtime.InteropServices.CollectionsMarshal.AsSpan(values), fit._outputs);
            fit.AddOutputs((int)label, weight);
            indices.Clear();
            values.Clear();
        }
        return fit;
    }

    /// <summary>Adds another member's sums.</summary>
    public void Add(TemperatureFit other)
    {
        for (int g = 0; g < _loss.Length; g++)
        {
            _loss[g] += other._loss[g];
        }
        Rows += other.Rows;
        Weight += other.Weight;
    }

    /// <summary>The temperature of least summed cross-entropy (1 on a tie or without rows), with the mean cross-entropy
    /// there and at T = 1.</summary>
    public (double Temperature, double Loss, double LossAtOne) Best()
    {
        int best = Steps;
        for (int g = 0; g < _loss.Length; g++)
        {
            if (_loss[g] < _loss[best])
            {
                best = g;
            }
        }
        double rows = Math.Max(Weight, double.Epsilon);
        return (s_temperatures[best], _loss[best] / rows, _loss[Steps] / rows);
    }

    private void AddOutputs(int label, double weight)
    {
        for (int g = 0; g < _loss.Length; g++)
        {
            _loss[g] += weight * CrossEntropy(label, s_temperatures[g]);
        }
        Rows++;
        Weight += weight;
    }

    /// <summary>The cross-entropy of the current row at logits / <paramref name="temperature"/>.</summary>
    private double CrossEntropy(int label, double temperature)
    {
        if (_task == NetworkTask.BinaryClassification)
        {
            double s = _outputs[0] / temperature;
            return Math.Max(s, 0) + Math.Log(1 + Math.Exp(-Math.Abs(s))) - label * s;
        }
        double max = double.NegativeInfinity;
        foreach (float v in _outputs)
        {
            max = Math.Max(max, v / temperature);
        }
        double sum = 0;
        foreach (float v in _outputs)
        {
            sum += Math.Exp(v / temperature - max);
        }
        return max + Math.Log(sum) - _outputs[label] / temperature;
    }
}
