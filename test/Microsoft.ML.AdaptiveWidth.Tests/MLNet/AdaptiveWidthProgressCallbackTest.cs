using Microsoft.ML.Trainers.AdaptiveWidth;

namespace Microsoft.ML.AdaptiveWidth.Tests.MLNet;

/// <summary>The options' ProgressCallback (issue 16 §2): once per epoch, in order, with the final widths; its exceptions stop Fit.</summary>
[TestClass]
public sealed class AdaptiveWidthProgressCallbackTest
{
    [TestMethod]
    public void ProgressCallback_Binary_IsCalledOncePerEpochInOrderEndingWithTheFinalWidths()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = ml.Data.LoadFromEnumerable(MLNetTestData.Blobs(200, seed: 1));
        var calls = new List<AdaptiveWidthEpochMetrics>();
        AdaptiveWidthBinaryTrainer.Options options = MLNetTestData.Fast(new AdaptiveWidthBinaryTrainer.Options());
        options.ValidationFraction = 0; // keeps the last epoch, so the model's widths are the last epoch's
        options.ProgressCallback = calls.Add;
        options.EnsembleSize = 1;

        var model = ml.BinaryClassification.Trainers.AdaptiveWidth(options).Fit(data);

        AdaptiveWidthBinaryModelParameters trained = model.Model.SubModel;
        Assert.HasCount(trained.TrainingHistory.Count, calls);
        Assert.HasCount(options.MaxEpoch, calls, "no early stopping without validation rows");
        CollectionAssert.AreEqual(Enumerable.Range(1, calls.Count).ToArray(), calls.Select(c => c.Epoch).ToArray());
        // The model's layers also carry the linear baseline's neuron (one output: one neuron a layer, docs/method.md §5.17).
        CollectionAssert.AreEqual(trained.LayerWidths.ToArray(), calls[^1].Widths.Select(w => w + 1).ToArray(), "the last call has the final widths");
        for (int i = 0; i < calls.Count; i++)
        {
            AdaptiveWidthEpochMetrics c = calls[i];
            Assert.AreEqual(options.MaxEpoch, c.MaxEpoch);
            Assert.AreEqual(trained.TrainingHistory[i].TrainingLoss, c.TrainingLoss);
            CollectionAssert.AreEqual(trained.TrainingHistory[i].Widths.ToArray(), c.Widths.ToArray());
            Assert.IsTrue(double.IsFinite(c.TrainingLoss) && c.TrainingLoss > 0, $"epoch {c.Epoch}: loss {c.TrainingLoss}");
            Assert.IsTrue(double.IsNaN(c.ValidationLoss) && double.IsNaN(c.ValidationAccuracy), "no validation rows");
            Assert.AreEqual(trained.TrainingHistory[i].Elapsed, c.EpochDuration);
            Assert.AreEqual(calls.Take(i + 1).Aggregate(TimeSpan.Zero, (sum, e) => sum + e.EpochDuration), c.Elapsed);
        }
    }

    [TestMethod]
    public void ProgressCallback_Ensemble_ReportsEveryMembersEpochsInTurn_AndTheHistoryKeepsThem()
    {
        var ml = new MLContext(seed: 1);
        var calls = new List<AdaptiveWidthEpochMetrics>();
        AdaptiveWidthBinaryTrainer.Options options = MLNetTestData.Fast(new AdaptiveWidthBinaryTrainer.Options());
        options.ValidationFraction = 0;
        options.MaxEpoch = 5;
        options.EnsembleSize = 3;
        options.ProgressCallback = calls.Add;

        AdaptiveWidthBinaryModelParameters trained = ml.BinaryClassification.Trainers.AdaptiveWidth(options)
            .Fit(ml.Data.LoadFromEnumerable(MLNetTestData.Blobs(200, seed: 1))).Model.SubModel;

        Assert.HasCount(15, calls);
        // Members may train in parallel and interleave; each member's epochs come in order.
        for (int m = 0; m < 3; m++)
        {
            CollectionAssert.AreEqual(Enumerable.Range(1, 5).ToArray(), calls.Where(c => c.Member == m).Select(c => c.Epoch).ToArray(), $"member {m}");
        }
        Assert.IsTrue(calls.All(c => c.EnsembleSize == 3));
        Assert.HasCount(15, trained.TrainingHistory);
        CollectionAssert.AreEqual(Enumerable.Repeat(Enumerable.Range(1, 5), 3).SelectMany(e => e).ToArray(),
            trained.TrainingHistory.Select(h => h.Epoch).ToArray(), "the history holds the members one after the other");
        // The model holds every member's neurons: its width is the sum of the members' last widths, plus one neuron for
        // the members' linear baselines averaged into one term.
        Assert.AreEqual(calls.Where(c => c.Epoch == 5).Sum(c => c.Widths[0]) + 1, trained.LayerWidths[0]);
    }

    [TestMethod]
    public void ProgressCallback_WithValidation_GivesValidationLossAndAccuracyForClassifiersAndNaNAccuracyForRegression()
    {
        var ml = new MLContext(seed: 1);
        var binaryCalls = new List<AdaptiveWidthEpochMetrics>();
        AdaptiveWidthBinaryTrainer.Options binary = MLNetTestData.Fast(new AdaptiveWidthBinaryTrainer.Options());
        binary.ProgressCallback = binaryCalls.Add;
        ml.BinaryClassification.Trainers.AdaptiveWidth(binary).Fit(ml.Data.LoadFromEnumerable(MLNetTestData.Blobs(200, seed: 2)));
        var regressionCalls = new List<AdaptiveWidthEpochMetrics>();
        AdaptiveWidthRegressionTrainer.Options regression = MLNetTestData.Fast(new AdaptiveWidthRegressionTrainer.Options());
        regression.ProgressCallback = regressionCalls.Add;
        ml.Regression.Trainers.AdaptiveWidth(regression).Fit(ml.Data.LoadFromEnumerable(MLNetTestData.Linear(200, seed: 2)));

        Assert.IsNotEmpty(binaryCalls);
        Assert.IsTrue(binaryCalls.All(c => double.IsFinite(c.ValidationLoss) && c.ValidationAccuracy is >= 0 and <= 1));
        Assert.IsNotEmpty(regressionCalls);
        Assert.IsTrue(regressionCalls.All(c => double.IsFinite(c.ValidationLoss) && double.IsNaN(c.ValidationAccuracy)));
    }

    [TestMethod]
    public void ProgressCallback_Throwing_StopsFitWithThatException()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = ml.Data.LoadFromEnumerable(MLNetTestData.Mixture(150, seed: 1));
        int calls = 0;
        AdaptiveWidthMulticlassTrainer.Options options = MLNetTestData.Fast(new AdaptiveWidthMulticlassTrainer.Options());
        options.FeatureColumnName = "Features";
        options.EnsembleSize = 1; // one member: the count of calls is exact
        options.ProgressCallback = m =>
        {
            calls++;
            if (m.Epoch == 3)
            {
                throw new TimeoutException("stop at epoch 3");
            }
        };
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.Transforms.Concatenate("Features", "F1", "F2", "F3"))
            .Append(ml.MulticlassClassification.Trainers.AdaptiveWidth(options));

        TimeoutException error = Assert.ThrowsExactly<TimeoutException>(() => pipeline.Fit(data));

        Assert.AreEqual("stop at epoch 3", error.Message);
        Assert.AreEqual(3, calls, "training stopped at the epoch whose callback threw");
    }
}
