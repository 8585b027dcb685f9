using Microsoft.ML;
using Microsoft.ML.Data;

namespace Microsoft.ML.AdaptiveWidth.ScoringProbe;

/// <summary>Scores rows with a loaded model: every Score value, then the Probability if there is one, row after row.</summary>
internal static class ProbeScoring
{
    public static float[] Score(MLContext mlContext, ITransformer model, float[][] rows, int featureCount)
        => ScoreRows(mlContext, model, rows, featureCount).SelectMany(values => values).ToArray();

    /// <summary>Per row: the Score value(s), then the Probability if the model has one.</summary>
    public static List<float[]> ScoreRows(MLContext mlContext, ITransformer model, float[][] rows, int featureCount)
    {
        var definition = SchemaDefinition.Create(typeof(FeatureRow));
        definition[nameof(FeatureRow.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, featureCount);
        IDataView data = mlContext.Data.LoadFromEnumerable(rows.Select(r => new FeatureRow { Features = r }), definition);
        IDataView scored = model.Transform(data);
        DataViewSchema.Column score = scored.Schema["Score"];
        DataViewSchema.Column? probability = scored.Schema.GetColumnOrNull("Probability");
        var active = probability is { } p ? new[] { score, p } : new[] { score };
        var result = new List<float[]>();
        using DataViewRowCursor cursor = scored.GetRowCursor(active);
        bool vector = score.Type is VectorDataViewType;
        ValueGetter<float>? getScalar = vector ? null : cursor.GetGetter<float>(score);
        ValueGetter<VBuffer<float>>? getVector = vector ? cursor.GetGetter<VBuffer<float>>(score) : null;
        ValueGetter<float>? getProbability = probability is { } pc ? cursor.GetGetter<float>(pc) : null;
        float s = 0, prob = 0;
        VBuffer<float> v = default;
        while (cursor.MoveNext())
        {
            var values = new List<float>();
            if (getVector is not null)
            {
                getVector(ref v);
                values.AddRange(v.DenseValues());
            }
            else
            {
                getScalar!(ref s);
                values.Add(s);
            }
            if (getProbability is not null)
            {
                getProbability(ref prob);
                values.Add(prob);
            }
            result.Add(values.ToArray());
        }
        return result;
    }

    /// <summary>The feature count a saved model expects, from its saved input schema.</summary>
    public static int FeatureCount(DataViewSchema inputSchema)
        => inputSchema["Features"].Type is VectorDataViewType { IsKnownSize: true } v
            ? v.Size
            : throw new InvalidOperationException("The model's input schema has no known-size 'Features' vector.");

    /// <summary>Fixed rows for a feature count: 15 rows uniform in [−2, 2] from a fixed seed, and a row of zeros.</summary>
    public static float[][] FixedRows(int featureCount)
    {
        var random = new Random(12345);
        return Enumerable.Range(0, 16)
            .Select(i => Enumerable.Range(0, featureCount).Select(_ => i == 15 ? 0f : (float)(random.NextDouble() * 4 - 2)).ToArray())
            .ToArray();
    }

    internal sealed class FeatureRow
    {
        public float[] Features { get; set; } = [];
    }
}
