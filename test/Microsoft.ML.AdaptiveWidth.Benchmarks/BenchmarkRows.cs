using Microsoft.ML.AdaptiveWidth.Datasets;
using Microsoft.ML.Data;

namespace Microsoft.ML.AdaptiveWidth.Benchmarks;

/// <summary>A row with a Boolean label (binary classification) and the raw features in one vector column.</summary>
public sealed class BoolLabelRow
{
    public bool Label { get; set; }

    public float[] X { get; set; } = [];
}

/// <summary>A row with a Single label (class index for multiclass, target for regression) and the raw features.</summary>
public sealed class FloatLabelRow
{
    public float Label { get; set; }

    public float[] X { get; set; } = [];
}

/// <summary>The scalar score of a binary or regression model (the only column the latency measurements read).</summary>
public sealed class ScalarScore
{
    public float Score { get; set; }
}

/// <summary>The per-class score vector of a multiclass model.</summary>
public sealed class VectorScore
{
    public float[] Score { get; set; } = [];
}

/// <summary>Turns a <see cref="Dataset"/> into rows and data views with a known-size "X" feature vector.</summary>
internal static class BenchmarkRows
{
    /// <summary>A schema for <typeparamref name="TRow"/> whose X column is a vector of <paramref name="featureCount"/> floats.</summary>
    public static SchemaDefinition Schema<TRow>(int featureCount)
    {
        SchemaDefinition definition = SchemaDefinition.Create(typeof(TRow));
        definition["X"].ColumnType = new VectorDataViewType(NumberDataViewType.Single, featureCount);
        return definition;
    }

    public static BoolLabelRow[] Binary(Dataset d) =>
        Enumerable.Range(0, d.RowCount).Select(i => new BoolLabelRow { Label = d.Labels[i] > 0, X = d.Row(i).ToArray() }).ToArray();

    public static FloatLabelRow[] Float(Dataset d) =>
        Enumerable.Range(0, d.RowCount).Select(i => new FloatLabelRow { Label = d.Labels[i], X = d.Row(i).ToArray() }).ToArray();
}
