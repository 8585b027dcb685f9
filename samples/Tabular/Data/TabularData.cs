using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.AdaptiveWidth;

namespace AdaptiveWidth.Samples.Tabular;

/// <summary>
/// A data set ready for the pipelines: the raw training and test rows, and the featurization (to fit on the training
/// rows) that makes <c>Features</c> and the <c>Label</c> the trainers want from their columns.
/// </summary>
/// <param name="Classes">The class names (binary: the false class first); empty for regression.</param>
/// <param name="NormalizeFeatures">Whether the trainers' pipelines start with <c>NormalizeMinMax</c>.</param>
/// <param name="Tune">Changes to our trainer's options for this data set.</param>
public sealed record TabularData(string Name, TaskKind Task, IDataView Train, IDataView Test, IEstimator<ITransformer> Featurizer,
    IReadOnlyList<string> Classes, bool NormalizeFeatures = true, Action<AdaptiveWidthOptionsBase>? Tune = null)
{
    /// <summary>
    /// A user's CSV (<see cref="CsvSchema"/>): loaded with <c>TextLoader</c>, rows without a label dropped for
    /// classification, 20% held out for testing (<c>TrainTestSplit</c>, seed 42).
    /// </summary>
    public static TabularData FromCsv(MLContext mlContext, CsvSchema schema)
    {
        IDataView all = schema.Load(mlContext);
        if (schema.Task != TaskKind.Regression)
        {
            all = mlContext.Data.FilterByCustomPredicate<TextLabel>(all, row => row.Label.Length == 0);
        }
        else
        {
            all = mlContext.Data.FilterRowsByMissingValues(all, "Label");
        }
        DataOperationsCatalog.TrainTestData split = mlContext.Data.TrainTestSplit(all, testFraction: 0.2, seed: 42);
        return new TabularData(System.IO.Path.GetFileNameWithoutExtension(schema.Path), schema.Task, split.TrainSet, split.TestSet,
            schema.Featurizer(mlContext), schema.Classes);
    }

    /// <summary>A built-in set, already split: a <c>Features</c> vector and the label (the class name, or the value).</summary>
    public static TabularData FromDataset(MLContext mlContext, TaskKind task, Dataset train, Dataset test,
        bool normalizeFeatures = true, Action<AdaptiveWidthOptionsBase>? tune = null)
    {
        IDataView Load(Dataset d)
        {
            if (task == TaskKind.Regression)
            {
                return mlContext.Data.LoadFromEnumerable(Enumerable.Range(0, d.RowCount)
                    .Select(i => new ValueRow { Features = d.Row(i).ToArray(), Label = d.Labels[i] }).ToList(), Schema<ValueRow>(d.FeatureCount));
            }
            return mlContext.Data.LoadFromEnumerable(Enumerable.Range(0, d.RowCount)
                .Select(i => new ClassRow { Features = d.Row(i).ToArray(), Label = d.ClassNames[(int)d.Labels[i]] }).ToList(), Schema<ClassRow>(d.FeatureCount));
        }
        IEstimator<ITransformer> label = Pipelines.LabelFor(mlContext, task, train.ClassNames);
        return new TabularData(train.Name, task, Load(train), Load(test), label, train.ClassNames, normalizeFeatures, tune);
    }

    private static SchemaDefinition Schema<T>(int featureCount)
    {
        SchemaDefinition schema = SchemaDefinition.Create(typeof(T));
        schema["Features"].ColumnType = new VectorDataViewType(NumberDataViewType.Single, featureCount);
        return schema;
    }

    /// <summary>The label column as text (ML.NET maps these public classes to and from rows).</summary>
    public sealed class TextLabel
    {
        public string Label { get; set; } = "";
    }

    /// <summary>A built-in classification row.</summary>
    public sealed class ClassRow
    {
        public float[] Features { get; set; } = [];

        public string Label { get; set; } = "";
    }

    /// <summary>A built-in regression row.</summary>
    public sealed class ValueRow
    {
        public float[] Features { get; set; } = [];

        public float Label { get; set; }
    }
}
