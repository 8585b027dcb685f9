using Microsoft.ML.AdaptiveWidth.Training;

namespace Microsoft.ML.AdaptiveWidth.Tests.Training;

[TestClass]
public sealed class LearningRateDecayTest
{
    /// <summary>A noisy regression that overfits: validation stops improving early while training could go on.</summary>
    private static TrainingResult Train(double decay)
    {
        var random = new Random(8);
        TrainingData Rows(int n)
        {
            float[] x = Enumerable.Range(0, n * 4).Select(_ => (float)random.NextDouble()).ToArray();
            float[] y = Enumerable.Range(0, n).Select(i => x[4 * i] + (float)random.NextDouble()).ToArray();
            return new TrainingData(x, 4, y);
        }
        TrainingData train = Rows(200), validation = Rows(60);
        var settings = new TrainingSettings
        {
            InitialWidth = 32, MaxEpoch = 40, EarlyStoppingPatience = 0, BatchSize = 32, Seed = 3,
            LearningRateDecay = decay, LearningRateDecayPatience = 1,
        };
        return AdaptiveWidthNetworkTrainer.Train(NetworkTask.Regression, 0, train, validation, settings);
    }

    /// <summary>The largest relative change of the training loss between consecutive epochs after the first plateau epoch.</summary>
    private static double ChangeAfterFirstPlateau(TrainingResult result)
    {
        var history = result.History;
        double best = double.PositiveInfinity;
        int plateau = -1;
        for (int e = 0; e < history.Count && plateau < 0; e++)
        {
            if (history[e].ValidationLoss >= best)
            {
                plateau = e;
            }
            best = Math.Min(best, history[e].ValidationLoss);
        }
        Assert.IsTrue(plateau >= 0 && plateau + 3 < history.Count, $"no early plateau (at {plateau} of {history.Count})");
        return Enumerable.Range(plateau + 2, history.Count - plateau - 2)
            .Max(e => Math.Abs(history[e].TrainingLoss - history[e - 1].TrainingLoss) / history[e - 1].TrainingLoss);
    }

    [TestMethod]
    public void LearningRateDecay_LowersTheStepSize_AfterAValidationPlateau()
    {
        double constant = ChangeAfterFirstPlateau(Train(decay: 1));
        // 0.001 reaches the floor (1/1000 of the rate) at the first plateau: training then almost stops moving.
        double decayed = ChangeAfterFirstPlateau(Train(decay: 0.001));

        Assert.IsLessThan(0.01, decayed, $"after the decay the training loss still moved by {decayed:P2} an epoch");
        Assert.IsGreaterThan(decayed * 5, constant, $"at a constant rate it moved {constant:P2}, decayed {decayed:P2}");
    }

    [TestMethod]
    [DataRow(0.0)]
    [DataRow(1.5)]
    [DataRow(double.NaN)]
    public void LearningRateDecay_OutsideItsRange_IsRejectedByName(double decay)
    {
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new TrainingSettings { LearningRateDecay = decay }.Validate());
        StringAssert.Contains(e.Message, nameof(TrainingSettings.LearningRateDecay));
    }
}
