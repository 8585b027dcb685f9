using Microsoft.ML.Data;
using Microsoft.ML.Trainers.AdaptiveWidth;

namespace Microsoft.ML.AdaptiveWidth.Tests.MLNet;

[TestClass]
public sealed class AdaptiveWidthScoringThreadSafetyTest
{
    [TestMethod]
    public void AdaptiveWidthBinaryModelParameters_PredictionEnginesOnEightThreads_EqualSingleThreadedScores()
    {
        var ml = new MLContext(seed: 1);
        List<BinaryRow> rows = MLNetTestData.Blobs(500, seed: 1);
        IDataView data = ml.Data.LoadFromEnumerable(rows);
        var trained = ml.BinaryClassification.Trainers.AdaptiveWidth(MLNetTestData.Fast(new AdaptiveWidthBinaryTrainer.Options())).Fit(data);
        using var stream = new MemoryStream();
        ml.Model.Save(trained, data.Schema, stream);
        stream.Position = 0;
        ITransformer model = ml.Model.Load(stream, out _);
        float[] expected;
        using (var engine = ml.Model.CreatePredictionEngine<BinaryRow, Prediction>(model))
        {
            expected = rows.Select(r => engine.Predict(r).Score).ToArray();
        }

        var results = new float[8][];
        using var start = new Barrier(8);
        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, t =>
        {
            using var engine = ml.Model.CreatePredictionEngine<BinaryRow, Prediction>(model);
            start.SignalAndWait();
            // Each thread walks the rows from a different offset so that the threads score different rows at once.
            var scores = new float[rows.Count];
            for (int k = 0; k < rows.Count; k++)
            {
                int i = (k + t * 61) % rows.Count;
                scores[i] = engine.Predict(rows[i]).Score;
            }
            results[t] = scores;
        });

        for (int t = 0; t < 8; t++)
        {
            MLNetAssert.BitIdentical(expected, results[t], $"thread {t}");
        }
    }

    [TestMethod]
    public void AdaptiveWidthMulticlassModelParameters_ParallelTransform_EqualsSequentialTransform()
    {
        var ml = new MLContext(seed: 1);
        IDataView all = ml.Data.LoadFromEnumerable(MLNetTestData.Mixture(3000, seed: 2));
        IDataView data = ml.Transforms.Concatenate("Features", "F1", "F2", "F3")
            .Append(ml.Transforms.Conversion.MapValueToKey("Label")).Fit(all).Transform(all);
        IDataView cached = ml.Data.Cache(data);
        var model = ml.MulticlassClassification.Trainers.AdaptiveWidth(MLNetTestData.Fast(new AdaptiveWidthMulticlassTrainer.Options())).Fit(cached);
        float[] sequential = MLNetAssert.Vectors(model.Transform(cached), "Score").SelectMany(v => v).ToArray();

        // Four threads each cursor over the same transformed view at once; ML.NET's cursor sets split rows across threads too.
        IDataView scored = model.Transform(cached);
        float[][] parallel = new float[4][];
        Parallel.For(0, 4, t => parallel[t] = MLNetAssert.Vectors(scored, "Score").SelectMany(v => v).ToArray());
        float[] set = ReadWithCursorSet(scored, cursors: 4);

        foreach (float[] p in parallel)
        {
            MLNetAssert.BitIdentical(sequential, p, "parallel cursor");
        }
        MLNetAssert.BitIdentical(sequential, set, "cursor set");
    }

    /// <summary>Reads the score column with a set of cursors, each drained on its own thread, back in row order.</summary>
    private static float[] ReadWithCursorSet(IDataView scored, int cursors)
    {
        DataViewSchema.Column score = scored.Schema["Score"];
        DataViewRowCursor[] set = scored.GetRowCursorSet([score], cursors);
        // Row ids, not positions: a cursor of a set counts positions over its own rows only.
        var rows = new System.Collections.Concurrent.ConcurrentDictionary<DataViewRowId, float[]>();
        Parallel.ForEach(set, cursor =>
        {
            using (cursor)
            {
                ValueGetter<VBuffer<float>> get = cursor.GetGetter<VBuffer<float>>(score);
                ValueGetter<DataViewRowId> getId = cursor.GetIdGetter();
                VBuffer<float> value = default;
                DataViewRowId id = default;
                while (cursor.MoveNext())
                {
                    get(ref value);
                    getId(ref id);
                    rows[id] = value.DenseValues().ToArray();
                }
            }
        });
        return rows.OrderBy(r => r.Key).SelectMany(r => r.Value).ToArray();
    }

    private sealed class Prediction
    {
        public float Score { get; set; }
    }

}
