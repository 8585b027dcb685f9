using Microsoft.ML.AdaptiveWidth.Inference;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.AdaptiveWidth;

namespace Microsoft.ML.AdaptiveWidth.Tests.MLNet;

/// <summary>EnsembleSize (docs/method.md §5.10): the model is the average of members trained alone with their seeds.</summary>
[TestClass]
public sealed class AdaptiveWidthEnsembleTest
{
    private static AdaptiveWidthRegressionTrainer.Options Options(int members, int seed)
    {
        AdaptiveWidthRegressionTrainer.Options options = MLNetTestData.Fast(new AdaptiveWidthRegressionTrainer.Options());
        options.NumberOfLayers = 2;
        options.InitialWidth = 12;
        options.MaxEpoch = 8;
        options.EnsembleSize = members;
        options.Seed = seed;
        // The networks alone: with a linear baseline each member alone carries its own term's neurons, and the ensemble
        // one averaged term (docs/method.md §5.17), so the sum of the members alone is not neuron for neuron the ensemble.
        options.LinearBaseline = false;
        return options;
    }

    [TestMethod]
    public void Ensemble_IsExactlyTheAverageOfItsMembersTrainedAloneWithTheirSeeds()
    {
        var ml = new MLContext(seed: 1);
        IDataView train = ml.Data.LoadFromEnumerable(MLNetTestData.Linear(300, seed: 3));
        IDataView test = ml.Data.LoadFromEnumerable(MLNetTestData.Linear(100, seed: 4));

        AdaptiveWidthModel ensemble = ml.Regression.Trainers.AdaptiveWidth(Options(3, seed: 5)).Fit(train).Model.Network;
        AdaptiveWidthModel[] alone = Enumerable.Range(0, 3)
            .Select(m => ml.Regression.Trainers.AdaptiveWidth(Options(1, AdaptiveWidthTrainingDriver.MemberSeed(5, m))).Fit(train).Model.Network)
            .ToArray();
        AdaptiveWidthModel averaged = ModelAveraging.Average(alone);

        Assert.AreEqual(3, ensemble.BlockCount, "three independent members");
        CollectionAssert.AreEqual(averaged.LayerWidths.ToArray(), ensemble.LayerWidths.ToArray());
        Assert.AreNotEqual(alone[0].Layers[0].Weight(0, 0), alone[1].Layers[0].Weight(0, 0), "the members differ");
        float[][] rows = test.GetColumn<float[]>("Features").ToArray();
        foreach (float[] row in rows)
        {
            var a = new float[1];
            var b = new float[1];
            ensemble.Score(row, a);
            averaged.Score(row, b);
            Assert.AreEqual(b[0], a[0]);
        }
    }

    [TestMethod]
    public void Ensemble_SavesAndLoadsAsOneNetwork_ScoredBlockByBlock()
    {
        var ml = new MLContext(seed: 1);
        IDataView train = ml.Data.LoadFromEnumerable(MLNetTestData.Linear(300, seed: 3));
        IDataView test = ml.Data.LoadFromEnumerable(MLNetTestData.Linear(100, seed: 4));
        var model = ml.Regression.Trainers.AdaptiveWidth(Options(3, seed: 6)).Fit(train);
        string path = Path.Combine(Path.GetTempPath(), $"aw-ensemble-{Guid.NewGuid():N}.zip");
        try
        {
            ml.Model.Save(model, train.Schema, path);
            ITransformer loaded = new MLContext(seed: 2).Model.Load(path, out _);
            var parameters = (AdaptiveWidthRegressionModelParameters)((RegressionPredictionTransformer<AdaptiveWidthRegressionModelParameters>)loaded).Model;
            Assert.AreEqual(3, parameters.Network.BlockCount);
            MLNetAssert.BitIdentical(MLNetAssert.Floats(model.Transform(test), "Score"), MLNetAssert.Floats(loaded.Transform(test), "Score"), "Score");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [TestMethod]
    public void Ensemble_TrainedInParallelOrOneAfterTheOther_IsTheSameModel()
    {
        if (Environment.ProcessorCount < 2)
        {
            Assert.Inconclusive("One core: members always train one after the other.");
        }
        var ml = new MLContext(seed: 1);
        IDataView train = ml.Data.LoadFromEnumerable(MLNetTestData.Linear(300, seed: 3));
        IDataView test = ml.Data.LoadFromEnumerable(MLNetTestData.Linear(100, seed: 4));
        // One intra-op thread each: members train side by side, or (the test hook) one at a time.
        AdaptiveWidthRegressionTrainer.Options parallel = Options(3, seed: 7);
        AdaptiveWidthRegressionTrainer.Options sequential = Options(3, seed: 7);
        sequential.MaximumParallelMembers = 1;
        // As many intra-op threads as cores: one member at a time too, but libtorch may split its sums differently (on
        // an AMD EPYC with AVX-512 the scores moved in the last bit), so that model is only close.
        AdaptiveWidthRegressionTrainer.Options threaded = Options(3, seed: 7);
        threaded.NumberOfThreads = Environment.ProcessorCount;
        var log = new List<string>();
        ml.Log += (_, e) => { lock (log) { log.Add(e.RawMessage); } };

        var a = ml.Regression.Trainers.AdaptiveWidth(parallel).Fit(train);
        var b = ml.Regression.Trainers.AdaptiveWidth(sequential).Fit(train);
        var c = ml.Regression.Trainers.AdaptiveWidth(threaded).Fit(train);

        float[] expected = MLNetAssert.Floats(a.Transform(test), "Score");
        MLNetAssert.BitIdentical(MLNetAssert.Floats(b.Transform(test), "Score"), expected, "Score");
        float[] close = MLNetAssert.Floats(c.Transform(test), "Score");
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.AreEqual(expected[i], close[i], 1e-3f * Math.Max(1f, Math.Abs(expected[i])), $"Score {i} with {threaded.NumberOfThreads} intra-op threads");
        }
        Assert.AreEqual(3 * 3, log.Count(m => m.StartsWith("Held out", StringComparison.Ordinal)), "each member of each fit holds out its rows");
    }

    [TestMethod]
    public void Ensemble_AMembersFailure_StopsFitWithThatException()
    {
        var ml = new MLContext(seed: 1);
        IDataView train = ml.Data.LoadFromEnumerable(MLNetTestData.Linear(300, seed: 3));
        AdaptiveWidthRegressionTrainer.Options options = Options(3, seed: 8);
        options.ProgressCallback = m =>
        {
            if (m.Member == 1 && m.Epoch == 2)
            {
                throw new TimeoutException("member 2 stops");
            }
        };

        TimeoutException error = Assert.ThrowsExactly<TimeoutException>(() => ml.Regression.Trainers.AdaptiveWidth(options).Fit(train));
        Assert.AreEqual("member 2 stops", error.Message);
    }

    [TestMethod]
    [DataRow(0)]
    [DataRow(17)]
    public void EnsembleSize_OutOfRange_ThrowsNamingTheOption(int members)
    {
        var ml = new MLContext(seed: 1);
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(
            () => ml.BinaryClassification.Trainers.AdaptiveWidth(new AdaptiveWidthBinaryTrainer.Options { EnsembleSize = members }));
        StringAssert.Contains(e.Message, "EnsembleSize");
    }
}
