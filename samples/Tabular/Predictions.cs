using Microsoft.ML;
using Microsoft.ML.AdaptiveWidth.Datasets;

namespace AdaptiveWidth.Samples.Tabular;

/// <summary>The Predict helper Model Builder generates: one PredictionEngine, one row in, one prediction out.</summary>
public static class Predictions
{
    /// <summary>Predicts the first <paramref name="rows"/> rows of a data set and describes each prediction.</summary>
    public static IEnumerable<string> Predict(MLContext mlContext, ITransformer model, TaskKind task, Dataset data, int rows)
    {
        var schema = ModelInput.Schema(data.FeatureCount);
        for (int i = 0; i < Math.Min(rows, data.RowCount); i++)
        {
            var input = new ModelInput { Features = data.Row(i).ToArray() };
            yield return task switch
            {
                TaskKind.Binary => Describe(mlContext.Model.CreatePredictionEngine<ModelInput, BinaryOutput>(model, inputSchemaDefinition: schema).Predict(input), data.Labels[i]),
                TaskKind.Multiclass => Describe(mlContext.Model.CreatePredictionEngine<ModelInput, MulticlassOutput>(model, inputSchemaDefinition: schema).Predict(input), data.Labels[i]),
                _ => $"predicted {mlContext.Model.CreatePredictionEngine<ModelInput, RegressionOutput>(model, inputSchemaDefinition: schema).Predict(input).Score:F1}, actual {data.Labels[i]:F1}",
            };
        }
    }

    private static string Describe(BinaryOutput p, float actual) => $"predicted {(p.PredictedLabel ? 1 : 0)} (probability {p.Probability:F3}), actual {actual}";

    private static string Describe(MulticlassOutput p, float actual) => $"predicted {p.PredictedLabel} (probability {p.Score.Max():F3}), actual {actual}";
}
