using Microsoft.ML.Data;

namespace AdaptiveWidth.Samples.Tabular;

/// <summary>
/// The input of the trained pipeline after the featurization: the feature vector, as Model Builder would generate it.
/// The vector's size is set per data set with a schema definition (<see cref="Schema"/>).
/// </summary>
public sealed class ModelInput
{
    public float[] Features { get; set; } = [];

    /// <summary>The schema of <see cref="ModelInput"/> with a known-size feature vector.</summary>
    public static SchemaDefinition Schema(int featureCount)
    {
        SchemaDefinition schema = SchemaDefinition.Create(typeof(ModelInput));
        schema[nameof(Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, featureCount);
        return schema;
    }
}

/// <summary>A binary prediction (<c>PredictedLabel</c> true is the data set's second class).</summary>
public sealed class BinaryOutput
{
    public bool PredictedLabel { get; set; }

    public float Probability { get; set; }

    public float Score { get; set; }
}

/// <summary>A multiclass prediction: the class name (<c>MapKeyToValue</c>) and the probability of each class.</summary>
public sealed class MulticlassOutput
{
    public string PredictedLabel { get; set; } = "";

    public float[] Score { get; set; } = [];
}

/// <summary>A regression prediction.</summary>
public sealed class RegressionOutput
{
    public float Score { get; set; }
}
