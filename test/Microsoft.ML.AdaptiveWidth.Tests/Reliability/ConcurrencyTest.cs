using Microsoft.ML.AdaptiveWidth.Tests.MLNet;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.AdaptiveWidth;

namespace Microsoft.ML.AdaptiveWidth.Tests.Reliability;

/// <summary>
/// Extends MLNet/AdaptiveWidthScoringThreadSafetyTest (binary engines on 8 threads; multiclass parallel cursors) to
/// the other tasks and to mixed use: N threads × M predictions through their own PredictionEngines over one loaded
/// model of each task, while other threads run batch Transforms over the same model, all equal to single-threaded
/// scoring bit for bit.
/// </summary>
[TestClass]
public sealed class ConcurrencyTest
{
    private const int Threads = 6;
    private const int Predictions = 2000;

    [TestMethod]
    public void Concurrency_RegressionEnginesAndTransformsOnOneLoadedModel_EqualSingleThreaded()
    {
        var ml = new MLContext(seed: 1);
        List<RegressionRow> rows = MLNetTestData.Linear(Predictions, seed: 4);
        IDataView data = ml.Data.LoadFromEnumerable(rows);
        ITransformer model = Reload(ml, ml.Regression.Trainers.AdaptiveWidth(MLNetTestData.Fast(new AdaptiveWidthRegressionTrainer.Options())).Fit(data), data);
        float[] expected = MLNetAssert.Floats(model.Transform(data), "Score");

        float[][] results = RunMixed(Threads, t => t % 3 == 2
            ? MLNetAssert.Floats(model.Transform(ml.Data.LoadFromEnumerable(rows)), "Score")
            : Predict(ml, model, rows, t, (RegressionRow r, ScalarPrediction p) => [p.Score]));

        for (int t = 0; t < Threads; t++)
        {
            MLNetAssert.BitIdentical(expected, results[t], $"thread {t}");
        }
    }

    [TestMethod]
    public void Concurrency_MulticlassEnginesAndTransformsOnOneLoadedModel_EqualSingleThreaded()
    {
        var ml = new MLContext(seed: 1);
        IDataView all = ml.Data.LoadFromEnumerable(MLNetTestData.Mixture(Predictions, seed: 5));
        IDataView data = ml.Data.Cache(ml.Transforms.Concatenate("Features", "F1", "F2", "F3").Append(ml.Transforms.Conversion.MapValueToKey("Label")).Fit(all).Transform(all));
        ITransformer model = Reload(ml, ml.MulticlassClassification.Trainers.AdaptiveWidth(MLNetTestData.Fast(new AdaptiveWidthMulticlassTrainer.Options())).Fit(data), data);
        List<RegressionRow> rows = data.GetColumn<VBuffer<float>>("Features").Select(f => new RegressionRow { Features = f.DenseValues().ToArray() }).ToList();
        float[] expected = MLNetAssert.Vectors(model.Transform(data), "Score").SelectMany(v => v).ToArray();

        float[][] results = RunMixed(Threads, t => t % 3 == 2
            ? MLNetAssert.Vectors(model.Transform(data), "Score").SelectMany(v => v).ToArray()
            : Predict(ml, model, rows, t, (RegressionRow r, VectorPrediction p) => p.Score));

        for (int t = 0; t < Threads; t++)
        {
            MLNetAssert.BitIdentical(expected, results[t], $"thread {t}");
        }
    }

    private static ITransformer Reload(MLContext ml, ITransformer model, IDataView data)
    {
        using var stream = new MemoryStream();
        ml.Model.Save(model, data.Schema, stream);
        stream.Position = 0;
        return ml.Model.Load(stream, out _);
    }

    private static float[][] RunMixed(int threads, Func<int, float[]> work)
    {
        var results = new float[threads][];
        using var start = new Barrier(threads);
        var tasks = Enumerable.Range(0, threads).Select(t => Task.Factory.StartNew(() =>
        {
            start.SignalAndWait();
            results[t] = work(t);
        }, TaskCreationOptions.LongRunning)).ToArray();
        Task.WaitAll(tasks);
        return results;
    }

    /// <summary>One engine per thread, rows visited from a thread-dependent offset, results put back in row order.</summary>
    private static float[] Predict<TPrediction>(MLContext ml, ITransformer model, List<RegressionRow> rows, int thread, Func<RegressionRow, TPrediction, float[]> values)
        where TPrediction : class, new()
    {
        using var engine = ml.Model.CreatePredictionEngine<RegressionRow, TPrediction>(model);
        var perRow = new float[rows.Count][];
        for (int k = 0; k < rows.Count; k++)
        {
            int i = (k + thread * 97) % rows.Count;
            perRow[i] = values(rows[i], engine.Predict(rows[i])).ToArray();
        }
        return perRow.SelectMany(v => v).ToArray();
    }

    private sealed class ScalarPrediction
    {
        public float Score { get; set; }
    }

    private sealed class VectorPrediction
    {
        public float[] Score { get; set; } = [];
    }
}
