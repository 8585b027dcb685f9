using Microsoft.ML.Data;

namespace AdaptiveWidth.Samples.Tabular;

/// <summary>One row: the feature vector and the label (class index or value), as Model Builder would generate it.</summary>
public sealed class ModelInput
{
    /// <summary>The features; the vector's size is set per data set with a schema definition (<see cref="Schema"/>).</summary>
    public float[] Features { get; set; } = [];

    /// <summary>0/1 for binary, the class index for multiclass, the value for regression.</summary>
    public float Label { get; set; }

    /// <summary>The schema of <see cref="ModelInput"/> with a known-size feature vector.</summary>
    public static SchemaDefinition Schema(int featureCount)
    {
        SchemaDefinition schema = SchemaDefinition.Create(typeof(ModelInput));
        schema[nameof(Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, featureCount);
        return schema;
    }
}

/// <summary>A binary prediction.</summary>
public sealed class BinaryOutput
{
    public bool PredictedLabel { get; set; }

    public float Probability { get; set; }

    public float Score { get; set; }
}

/// <summary>A multiclass prediction (the label mapped back to its value).</summary>
public sealed class MulticlassOutput
{
    public float PredictedLabel { get; set; }

    public float[] Score { get; set; } = [];
}

/// <summary>A regression prediction.</summary>
public sealed class RegressionOutput
{
    public float Score { get; set; }
}
