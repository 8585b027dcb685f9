using Microsoft.ML;
using Microsoft.ML.Data;

namespace AdaptiveWidth.Samples.Tabular;

/// <summary>The Predict helper Model Builder generates: one PredictionEngine, reused row after row.</summary>
public static class Predictions
{
    /// <summary>
    /// Predicts the first <paramref name="rows"/> rows of <paramref name="data"/> (raw rows, with their label) with a
    /// saved and reloaded model, and describes each prediction with the class names.
    /// </summary>
    /// <param name="model">Featurization, then the trainer's part (as <see cref="Showcase"/> saves it): the
    /// featurization turns the rows' columns into <c>Features</c> (for a CSV those are the file's columns, which no
    /// fixed input class can hold), and one PredictionEngine over the chain's <c>LastTransformer</c> scores each
    /// <see cref="ModelInput"/>.</param>
    public static IEnumerable<string> Predict(MLContext mlContext, ITransformer model, TabularData data, IDataView rows, int count)
    {
        var chain = (TransformerChain<ITransformer>)model;
        ITransformer featurizer = chain.First();
        IDataView some = mlContext.Data.TakeRows(rows, count);
        float[][] features = featurizer.Transform(some).GetColumn<float[]>("Features").ToArray();
        int featureCount = features.Length == 0 ? 0 : features[0].Length;
        SchemaDefinition schema = ModelInput.Schema(featureCount);
        var input = new ModelInput();
        switch (data.Task)
        {
            case TaskKind.Binary:
            {
                using var engine = mlContext.Model.CreatePredictionEngine<ModelInput, BinaryOutput>(chain.LastTransformer, inputSchemaDefinition: schema);
                var output = new BinaryOutput();
                string[] actual = some.GetColumn<string>("Label").ToArray();
                for (int i = 0; i < features.Length; i++)
                {
                    input.Features = features[i];
                    engine.Predict(input, ref output);
                    yield return $"predicted {data.Classes[output.PredictedLabel ? 1 : 0]} (probability of {data.Classes[1]} {output.Probability:F3}), actual {actual[i]}";
                }
                break;
            }
            case TaskKind.Multiclass:
            {
                using var engine = mlContext.Model.CreatePredictionEngine<ModelInput, MulticlassOutput>(chain.LastTransformer, inputSchemaDefinition: schema);
                var output = new MulticlassOutput();
                string[] actual = some.GetColumn<string>("Label").ToArray();
                for (int i = 0; i < features.Length; i++)
                {
                    input.Features = features[i];
                    engine.Predict(input, ref output);
                    yield return $"predicted {output.PredictedLabel} (probability {output.Score.Max():F3}), actual {actual[i]}";
                }
                break;
            }
            default:
            {
                using var engine = mlContext.Model.CreatePredictionEngine<ModelInput, RegressionOutput>(chain.LastTransformer, inputSchemaDefinition: schema);
                var output = new RegressionOutput();
                float[] actual = some.GetColumn<float>("Label").ToArray();
                for (int i = 0; i < features.Length; i++)
                {
                    input.Features = features[i];
                    engine.Predict(input, ref output);
                    yield return $"predicted {output.Score:F1}, actual {actual[i]:F1}";
                }
                break;
            }
        }
    }
}
