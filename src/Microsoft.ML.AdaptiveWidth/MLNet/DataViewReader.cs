using Microsoft.ML.AdaptiveWidth.Training;
using Microsoft.ML.Data;

namespace Microsoft.ML.Trainers.AdaptiveWidth;

/// <summary>
/// Reads the feature, label and weight columns of a <see cref="RoleMappedData"/> into row-major arrays for the
/// training loop, checking the column types and skipping unusable rows as ML.NET's own trainers do.
/// </summary>
internal static class DataViewReader
{
    /// <summary>What was read, and how many rows were skipped for each reason (a row counts once, for its first reason).</summary>
    internal sealed record Result(TrainingData? Data, long RowsRead, long NonFiniteFeatureRows, long MissingLabelRows, long BadWeightRows,
        string FeatureColumn, string LabelColumn, string? WeightColumn)
    {
        /// <summary>Rows skipped for any reason.</summary>
        public long RowsSkipped => NonFiniteFeatureRows + MissingLabelRows + BadWeightRows;

        /// <summary>Why rows were skipped, naming the columns and what to do about each reason.</summary>
        public string SkipReasons()
        {
            var parts = new List<string>();
            if (NonFiniteFeatureRows > 0)
            {
                parts.Add($"{NonFiniteFeatureRows} with a NaN or infinite value in column '{FeatureColumn}' (replace missing values, for example with " +
                    "mlContext.Transforms.ReplaceMissingValues, or filter them with mlContext.Data.FilterRowsByMissingValues)");
            }
            if (MissingLabelRows > 0)
            {
                parts.Add($"{MissingLabelRows} with a missing (NaN, infinite or key 0) label in column '{LabelColumn}'");
            }
            if (BadWeightRows > 0)
            {
                parts.Add($"{BadWeightRows} with a NaN, infinite or negative weight in column '{WeightColumn}'");
            }
            return string.Join("; ", parts);
        }
    }

    /// <summary>
    /// Reads every row. Rows with a NaN or infinite feature, a missing label (NaN, or key value 0) or a NaN, infinite or
    /// negative weight are skipped and counted. <see cref="Result.Data"/> is null when no row is usable. A key label above
    /// the key's count, or a feature vector whose length differs from the column's declared size, throws.
    /// </summary>
    /// <param name="data">The data with its feature, label and optional weight roles.</param>
    /// <param name="task">Fixes the label type: Boolean or Single (&gt; 0 is positive) for binary, a key for multiclass, Single for regression.</param>
    /// <exception cref="ArgumentException">A role is missing or a column has the wrong type; the message names the column.</exception>
    public static Result Read(RoleMappedData data, NetworkTask task)
    {
        ArgumentNullException.ThrowIfNull(data);
        DataViewSchema.Column featureColumn = data.Schema.Feature
            ?? throw new ArgumentException("The data must have a feature column.", nameof(data));
        DataViewSchema.Column labelColumn = data.Schema.Label
            ?? throw new ArgumentException("The data must have a label column.", nameof(data));
        DataViewSchema.Column? weightColumn = data.Schema.Weight;
        int featureCount = FeatureCount(featureColumn);
        CheckLabel(labelColumn, task);
        if (weightColumn is { } w && w.Type != NumberDataViewType.Single)
        {
            throw new ArgumentException($"Column '{w.Name}' (example weight) must be Single, but is {w.Type}.", nameof(data));
        }

        var columns = new List<DataViewSchema.Column> { featureColumn, labelColumn };
        if (weightColumn is { } wc)
        {
            columns.Add(wc);
        }
        var features = new List<float>();
        var labels = new List<float>();
        List<float>? weights = weightColumn is null ? null : new List<float>();
        long read = 0;
        long badFeatures = 0, missingLabels = 0, badWeights = 0;
        var row = new float[featureCount];
        using (DataViewRowCursor cursor = data.Data.GetRowCursor(columns))
        {
            ValueGetter<VBuffer<float>> getFeatures = cursor.GetGetter<VBuffer<float>>(featureColumn);
            Func<long, float> getLabel = LabelGetter(cursor, labelColumn, task);
            ValueGetter<float>? getWeight = weightColumn is { } wcol ? cursor.GetGetter<float>(wcol) : null;
            VBuffer<float> buffer = default;
            float weight = 1;
            while (cursor.MoveNext())
            {
                read++;
                getFeatures(ref buffer);
                if (buffer.Length != featureCount)
                {
                    // A custom IDataView can declare a size and deliver another; ML.NET's own sources cannot.
                    throw new ArgumentException(
                        $"Column '{featureColumn.Name}' (features) declares {featureCount} values per row, but row {read - 1} has {buffer.Length}. " +
                        "Every row of the feature column must have the declared length.", nameof(data));
                }
                buffer.CopyTo(row);
                float label = getLabel(read - 1);
                getWeight?.Invoke(ref weight);
                if (!AllFinite(row))
                {
                    badFeatures++;
                    continue;
                }
                if (float.IsNaN(label))
                {
                    missingLabels++;
                    continue;
                }
                if (getWeight is not null && !(float.IsFinite(weight) && weight >= 0))
                {
                    badWeights++;
                    continue;
                }
                features.AddRange(row);
                labels.Add(label);
                weights?.Add(weight);
            }
        }
        TrainingData? result = labels.Count == 0 ? null
            : new TrainingData(features.ToArray(), featureCount, labels.ToArray(), weights?.ToArray());
        return new Result(result, read, badFeatures, missingLabels, badWeights, featureColumn.Name, labelColumn.Name, weightColumn?.Name);
    }

    /// <summary>The length of a known-size vector of Single; otherwise an exception naming the column.</summary>
    public static int FeatureCount(DataViewSchema.Column column)
    {
        if (column.Type is VectorDataViewType vector && vector.ItemType == NumberDataViewType.Single && vector.IsKnownSize)
        {
            return vector.Size;
        }
        string actual = column.Type is VectorDataViewType v
            ? v.IsKnownSize ? $"Vector<{v.ItemType}, {v.Size}>" : $"Vector<{v.ItemType}> of unknown size"
            : $"{column.Type}";
        throw new ArgumentException(
            $"Column '{column.Name}' (features) must be a known-size vector of Single, but is {actual}. " +
            "Concatenate the numeric columns into one vector, for example with mlContext.Transforms.Concatenate.", "data");
    }

    /// <summary>The number of classes of a key-typed label column; otherwise an exception naming the column.</summary>
    public static int ClassCount(DataViewSchema.Column label)
    {
        CheckLabel(label, NetworkTask.MulticlassClassification);
        return (int)((KeyDataViewType)label.Type).Count;
    }

    private static void CheckLabel(DataViewSchema.Column label, NetworkTask task)
    {
        DataViewType type = label.Type;
        string? expected = task switch
        {
            NetworkTask.BinaryClassification when type == BooleanDataViewType.Instance || type == NumberDataViewType.Single => null,
            NetworkTask.BinaryClassification => "Boolean (or Single, where values > 0 are positive)",
            NetworkTask.MulticlassClassification when type is KeyDataViewType { RawType: var raw, Count: > 0 and <= int.MaxValue } && raw == typeof(uint) => null,
            NetworkTask.MulticlassClassification => "a key type (UInt32 keys of known count; map the labels with mlContext.Transforms.Conversion.MapValueToKey)",
            NetworkTask.Regression when type == NumberDataViewType.Single => null,
            _ => "Single",
        };
        if (expected is not null)
        {
            throw new ArgumentException($"Column '{label.Name}' (label) must be {expected}, but is {type}.", "data");
        }
    }

    private static Func<long, float> LabelGetter(DataViewRowCursor cursor, DataViewSchema.Column label, NetworkTask task)
    {
        if (label.Type == BooleanDataViewType.Instance)
        {
            ValueGetter<bool> get = cursor.GetGetter<bool>(label);
            bool value = false;
            return _ =>
            {
                get(ref value);
                return value ? 1f : 0f;
            };
        }
        if (label.Type is KeyDataViewType key)
        {
            ValueGetter<uint> get = cursor.GetGetter<uint>(label);
            ulong count = key.Count;
            uint value = 0;
            string name = label.Name;
            return row =>
            {
                get(ref value);
                if (value > count)
                {
                    // Not a missing value but a broken key column: skipping it would silently drop a class.
                    throw new ArgumentException(
                        $"Column '{name}' (label) has key value {value} in row {row}, outside its key range 1..{count}. " +
                        "Build the label with mlContext.Transforms.Conversion.MapValueToKey so that every value has a key.", "data");
                }
                // Key value 0 is ML.NET's missing value: the row is skipped.
                return value == 0 ? float.NaN : value - 1;
            };
        }
        ValueGetter<float> getFloat = cursor.GetGetter<float>(label);
        float number = 0;
        return task == NetworkTask.BinaryClassification
            ? _ =>
            {
                getFloat(ref number);
                return float.IsNaN(number) ? float.NaN : number > 0 ? 1f : 0f;
            }
            : _ =>
            {
                getFloat(ref number);
                return float.IsFinite(number) ? number : float.NaN;
            };
    }

    private static bool AllFinite(ReadOnlySpan<float> values)
    {
        foreach (float v in values)
        {
            if (!float.IsFinite(v))
            {
                return false;
            }
        }
        return true;
    }
}
