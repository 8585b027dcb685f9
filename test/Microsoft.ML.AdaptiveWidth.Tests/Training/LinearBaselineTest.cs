using Microsoft.ML.AdaptiveWidth.Inference;
using Microsoft.ML.AdaptiveWidth.Training;
using static TorchSharp.torch;

namespace Microsoft.ML.AdaptiveWidth.Tests.Training;

/// <summary>The linear baseline fitted before the network trains (docs/method.md §5.17).</summary>
[TestClass]
public sealed class LinearBaselineTest
{
    /// <summary>Rows of three standard-normal features with y = 2·x0 − x1 + 0.05·noise (x2 carries nothing).</summary>
    private static (float[] X, float[] Y) LinearRows(int n, int seed)
    {
        var random = new Random(seed);
        double Normal() => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
        float[] x = Enumerable.Range(0, n * 3).Select(_ => (float)Normal()).ToArray();
        float[] y = Enumerable.Range(0, n).Select(i => (float)(2 * x[3 * i] - x[3 * i + 1] + 0.05 * Normal())).ToArray();
        return (x, y);
    }

    private static Tensor SquaredError(Tensor output, Batch rows)
    {
        Tensor d = output.view(-1).sub(rows.Labels);
        return d.mul(d).mean();
    }

    [TestMethod]
    public void Run_Regression_RecoversTheLinearModel_AndLeavesAMaskedInputAtExactlyZero()
    {
        using var scope = NewDisposeScope();
        (float[] x, float[] y) = LinearRows(400, seed: 1);
        (float[] vx, float[] vy) = LinearRows(100, seed: 2);
        var train = new Batch(tensor(x, [400, 3]), tensor(y), null, 400);
        var validation = new Batch(tensor(vx, [100, 3]), tensor(vy), null, 100);

        LinearBaseline.Fit all = LinearBaseline.Run(NetworkTask.Regression, 1, train, validation, null, 0, 0.01, SquaredError);
        LinearBaseline.Fit masked = LinearBaseline.Run(NetworkTask.Regression, 1, train, validation, [1, 0, 1], 0, 0.01, SquaredError);

        // The noise is 0.05: one of the weakest penalties of the path wins, and the weights are the generating ones.
        Assert.IsLessThanOrEqualTo(0.001, all.Penalty, $"chose λ = {all.Penalty}");
        Assert.AreEqual(2, all.Weights[0], 0.02);
        Assert.AreEqual(-1, all.Weights[1], 0.02);
        Assert.AreEqual(0, all.Weights[2], 0.02);
        Assert.AreEqual(0, all.Bias[0], 0.02);
        Assert.IsLessThan(0.01, all.ValidationLoss);
        // Without x1 the fit keeps x0 and leaves x1's weight exactly 0; the held-out loss then carries x1's variance.
        Assert.AreEqual(0f, masked.Weights[1]);
        // (With x1's variance in the residual the held-out loss is flat over a wider range of penalties, and the strongest
        // within 0.5% of the least shrinks x0's weight a little.)
        Assert.AreEqual(2, masked.Weights[0], 0.15);
        Assert.IsGreaterThan(0.3, masked.ValidationLoss);
    }

    [TestMethod]
    public void Choose_KeepsTheStrongestPenaltyWithinHalfAPercentOfTheLeastHeldOutLoss()
    {
        LinearBaseline.Fit Fit(double penalty, double loss) => new([], [], penalty, loss);
        // Flat at the weak end, as held-out losses are: 0.4040 is within 0.5% of 0.4030, 0.4100 is not.
        var path = new[] { Fit(1, 0.50), Fit(0.1, 0.4100), Fit(0.01, 0.4040), Fit(0.001, 0.4031), Fit(0.0001, 0.4030) };
        Assert.AreEqual(0.01, LinearBaseline.Choose(path).Penalty);
        // A clear minimum in the middle is kept.
        Assert.AreEqual(0.1, LinearBaseline.Choose([Fit(1, 0.5), Fit(0.1, 0.3), Fit(0.01, 0.4)]).Penalty);
        // Without held-out rows (NaN losses) the single fit of the path is kept.
        Assert.AreEqual(0.02, LinearBaseline.Choose([Fit(0.02, double.NaN)]).Penalty);
    }

    [TestMethod]
    public void Run_ManyRows_FitsOnAnEvenlySpacedSubset_AndStillRecoversTheModel()
    {
        using var scope = NewDisposeScope();
        int n = 3 * LinearBaseline.MaximumRows + 5;
        (float[] x, float[] y) = LinearRows(n, seed: 6);
        (float[] vx, float[] vy) = LinearRows(200, seed: 7);
        var train = new Batch(tensor(x, [n, 3]), tensor(y), null, n);
        var validation = new Batch(tensor(vx, [200, 3]), tensor(vy), null, 200);

        LinearBaseline.Fit fit = LinearBaseline.Run(NetworkTask.Regression, 1, train, validation, null, 0, 0.01, SquaredError);

        Assert.AreEqual(2, fit.Weights[0], 0.02);
        Assert.AreEqual(-1, fit.Weights[1], 0.02);
    }

    [TestMethod]
    public void Run_Multiclass_SeparatesClassesLinearly_AndAStrongPenaltyWinsOnNoise()
    {
        using var scope = NewDisposeScope();
        // Three classes by the value of x0 + x1: below −1, in [−1, 1], above 1.
        (float[] x, _) = LinearRows(600, seed: 3);
        long[] classes = Enumerable.Range(0, 600).Select(i => x[3 * i] + x[3 * i + 1] < -1 ? 0L : x[3 * i] + x[3 * i + 1] <= 1 ? 1L : 2L).ToArray();
        var train = new Batch(tensor(x.AsSpan(0, 1200).ToArray(), [400, 3]), tensor(classes.AsSpan(0, 400).ToArray()), null, 400);
        var validation = new Batch(tensor(x.AsSpan(1200).ToArray(), [200, 3]), tensor(classes.AsSpan(400).ToArray()), null, 200);
        static Tensor CrossEntropy(Tensor output, Batch rows) => nn.functional.cross_entropy(output, rows.Labels);

        LinearBaseline.Fit fit = LinearBaseline.Run(NetworkTask.MulticlassClassification, 3, train, validation, null, 0.05, 0.01, CrossEntropy);
        float[] w = fit.Weights;
        float[] bias = fit.Bias;
        int correct = 0;
        for (int i = 400; i < 600; i++)
        {
            double[] z = Enumerable.Range(0, 3).Select(k => (double)bias[k] + w[3 * k] * x[3 * i] + w[3 * k + 1] * x[3 * i + 1] + w[3 * k + 2] * x[3 * i + 2]).ToArray();
            correct += Array.IndexOf(z, z.Max()) == classes[i] ? 1 : 0;
        }
        Assert.IsGreaterThan(0.9, correct / 200.0, $"held-out accuracy {correct / 200.0}");

        // Labels unrelated to the features: the held-out loss is least at the strongest penalty.
        long[] noise = Enumerable.Range(0, 600).Select(i => (long)(i % 3)).ToArray();
        var noisyTrain = new Batch(tensor(x.AsSpan(0, 1200).ToArray(), [400, 3]), tensor(noise.AsSpan(0, 400).ToArray()), null, 400);
        var noisyValidation = new Batch(tensor(x.AsSpan(1200).ToArray(), [200, 3]), tensor(noise.AsSpan(400).ToArray()), null, 200);
        LinearBaseline.Fit none = LinearBaseline.Run(NetworkTask.MulticlassClassification, 3, noisyTrain, noisyValidation, null, 0.05, 0.01, CrossEntropy);
        Assert.IsGreaterThanOrEqualTo(0.1, none.Penalty, $"on noise the path chose λ = {none.Penalty}");
    }

    private static TrainingResult TrainNetwork(bool linearPath, int epochs, AdaptiveWidthModel? initial = null)
    {
        (float[] x, float[] y) = LinearRows(300, seed: 4);
        (float[] vx, float[] vy) = LinearRows(100, seed: 5);
        // A non-linear part for the network to learn beside the linear one.
        for (int i = 0; i < y.Length; i++)
        {
            y[i] += Math.Abs(x[3 * i + 2]);
        }
        for (int i = 0; i < vy.Length; i++)
        {
            vy[i] += Math.Abs(vx[3 * i + 2]);
        }
        var settings = new TrainingSettings
        {
            InitialWidth = 16, MaxEpoch = epochs, BatchSize = 32, Seed = 2, LinearBaseline = true, LinearPath = linearPath,
        };
        return AdaptiveWidthNetworkTrainer.Train(NetworkTask.Regression, 0, new TrainingData(x, 3, y), new TrainingData(vx, 3, vy), settings,
            progress: null, CancellationToken.None, beforeBatch: null, initial);
    }

    [TestMethod]
    public void LinearBaseline_StaysAsFittedWhileTheNetworkTrains_UnlessTheLinearPathTrainsToo()
    {
        TrainingResult short1 = TrainNetwork(linearPath: false, epochs: 2);
        TrainingResult long1 = TrainNetwork(linearPath: false, epochs: 8);
        TrainingResult trained = TrainNetwork(linearPath: true, epochs: 8);

        Assert.IsNotNull(short1.Linear);
        Assert.IsNotNull(long1.Linear);
        // The fitted term in raw units: y ≈ 2·x0 − x1 + |x2|, whose linear part in x2 is about 0.
        Assert.AreEqual(2, long1.Linear.Weights[0], 0.1);
        Assert.AreEqual(-1, long1.Linear.Weights[1], 0.1);
        CollectionAssert.AreEqual(short1.Linear.Weights, long1.Linear.Weights, "the baseline moved while the network trained");
        CollectionAssert.AreNotEqual(long1.Linear.Weights, trained.Linear!.Weights, "with LinearPath the term trains on");
        // The network learned the |x2| the linear model misses: the kept epoch is past epoch 0 and its loss below the baseline's.
        Assert.IsGreaterThan(0, long1.BestEpoch);
    }

    [TestMethod]
    public void LinearBaseline_ForContinuedTraining_IsRejectedByName()
    {
        AdaptiveWidthModel first = TrainNetwork(linearPath: false, epochs: 1).Model;
        var e = Assert.ThrowsExactly<ArgumentException>(() => TrainNetwork(linearPath: false, epochs: 1, initial: first));
        StringAssert.Contains(e.Message, nameof(TrainingSettings.LinearBaseline));
    }
}
