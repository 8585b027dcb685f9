using Microsoft.ML.AdaptiveWidth.Training;

namespace Microsoft.ML.AdaptiveWidth.Tests.Training;

[TestClass]
public sealed class TrainingInputValidationTest
{
    private static readonly TrainingData Good = new([0f, 1f, 1f, 0f], 2, [0f, 1f]);

    private static TrainingResult Train(TrainingData data, TrainingSettings? settings = null, NetworkTask task = NetworkTask.BinaryClassification, int classes = 2)
        => AdaptiveWidthNetworkTrainer.Train(task, classes, data, null, settings ?? new TrainingSettings { MaxEpoch = 1 });

    [TestMethod]
    public void TrainingData_Constructor_RejectsEmptyNaNAndMismatchedData()
    {
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => new TrainingData([], 2, [])).Message, "empty");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => new TrainingData([0f, float.NaN], 2, [1f])).Message, "row 0");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => new TrainingData([0f, 1f], 2, [float.NaN])).Message, "label");
        Assert.AreEqual("features", Assert.ThrowsExactly<ArgumentException>(() => new TrainingData([0f, 1f, 2f], 2, [1f])).ParamName);
        Assert.AreEqual("weights", Assert.ThrowsExactly<ArgumentException>(() => new TrainingData([0f, 1f], 2, [1f], [-1f])).ParamName);
    }

    [TestMethod]
    public void AdaptiveWidthNetworkTrainer_Train_RejectsLabelsOutsideTheTask()
    {
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(() => Train(new TrainingData([0f, 1f], 2, [2f]))).Message, "0 or 1");
        StringAssert.Contains(Assert.ThrowsExactly<ArgumentException>(
            () => Train(new TrainingData([0f, 1f], 2, [3f]), task: NetworkTask.MulticlassClassification, classes: 3)).Message, "[0, 2]");
        Assert.AreEqual("classCount", Assert.ThrowsExactly<ArgumentOutOfRangeException>(
            () => Train(Good, task: NetworkTask.MulticlassClassification, classes: 1)).ParamName);
    }

    [TestMethod]
    [DataRow(nameof(TrainingSettings.Quantile), 1.0)]
    [DataRow(nameof(TrainingSettings.Quantile), 0.0)]
    [DataRow(nameof(TrainingSettings.InitialWidth), 1.0)]
    [DataRow(nameof(TrainingSettings.InitialWidth), -3.0)]
    [DataRow(nameof(TrainingSettings.InitialWidth), 5000.0)]
    [DataRow(nameof(TrainingSettings.MaximumWidth), 70000.0)]
    [DataRow(nameof(TrainingSettings.MaximumWidth), 1.0)]
    [DataRow(nameof(TrainingSettings.WidthRegularization), -1.0)]
    [DataRow(nameof(TrainingSettings.LearningRate), -1.0)]
    [DataRow(nameof(TrainingSettings.BatchSize), 0.0)]
    [DataRow(nameof(TrainingSettings.MaxEpoch), 0.0)]
    [DataRow(nameof(TrainingSettings.WeightPriorScale), 0.0)]
    [DataRow(nameof(TrainingSettings.NumberOfLayers), 0.0)]
    [DataRow(nameof(TrainingSettings.NumberOfThreads), 0.0)]
    [DataRow(nameof(TrainingSettings.LabelSmoothing), 1.0)]
    [DataRow(nameof(TrainingSettings.LabelSmoothing), -0.01)]
    public void TrainingSettings_Validate_NamesTheSettingAtFault(string name, double value)
    {
        var settings = new TrainingSettings();
        settings = name switch
        {
            nameof(TrainingSettings.Quantile) => settings with { Quantile = value },
            nameof(TrainingSettings.InitialWidth) => settings with { InitialWidth = (int)value },
            nameof(TrainingSettings.MaximumWidth) => settings with { MaximumWidth = (int)value },
            nameof(TrainingSettings.WidthRegularization) => settings with { WidthRegularization = value },
            nameof(TrainingSettings.LearningRate) => settings with { LearningRate = value },
            nameof(TrainingSettings.BatchSize) => settings with { BatchSize = (int)value },
            nameof(TrainingSettings.MaxEpoch) => settings with { MaxEpoch = (int)value },
            nameof(TrainingSettings.WeightPriorScale) => settings with { WeightPriorScale = value },
            nameof(TrainingSettings.NumberOfLayers) => settings with { NumberOfLayers = (int)value },
            nameof(TrainingSettings.LabelSmoothing) => settings with { LabelSmoothing = value },
            _ => settings with { NumberOfThreads = (int)value },
        };

        var error = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Train(Good, settings));

        Assert.AreEqual(name, error.ParamName);
        StringAssert.Contains(error.Message, name);
    }

    [TestMethod]
    public void AdaptiveWidthNetworkTrainer_Train_HonoursCancellation()
    {
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.ThrowsExactly<OperationCanceledException>(() => AdaptiveWidthNetworkTrainer.Train(
            NetworkTask.BinaryClassification, 2, Good, null, new TrainingSettings(), null, cancelled.Token));
    }

    [TestMethod]
    public void AdaptiveWidthNetworkTrainer_Train_NeverExceedsTheWidthCapEvenWithReLU()
    {
        // A high bound on λ caps the width low; with an unbounded activation and no prior, widths tend to drift up.
        var random = new Random(3);
        float[] x = Enumerable.Range(0, 400).Select(_ => (float)random.NextDouble()).ToArray();
        float[] y = Enumerable.Range(0, 200).Select(i => (float)(i % 2)).ToArray();
        var settings = new TrainingSettings { InitialWidth = 25, MaximumWidth = 25, Activation = Microsoft.ML.AdaptiveWidth.Inference.ActivationKind.ReLU, LearningRate = 0.1, MaxEpoch = 5, EarlyStoppingPatience = 0 };

        TrainingResult result = Train(new TrainingData(x, 2, y), settings);

        int cap = 25;
        Assert.IsTrue(result.History.All(r => r.Widths.All(w => w <= cap)), $"a width exceeded {cap}");
    }

    [TestMethod]
    public void AdaptiveWidthNetworkTrainer_Train_RegressionScoresInTheTargetsUnits()
    {
        // y = 300 + 50·x: a learned standardised target must come back in the original units.
        var random = new Random(4);
        float[] x = Enumerable.Range(0, 512).Select(_ => (float)random.NextDouble()).ToArray();
        float[] y = x.Select(v => 300 + 50 * v).ToArray();
        var settings = new TrainingSettings { InitialWidth = 25, MaxEpoch = 40, EarlyStoppingPatience = 0, WeightPriorScale = 10 };

        TrainingResult result = Train(new TrainingData(x, 1, y), settings, NetworkTask.Regression, 0);

        var output = new float[1];
        double squared = 0;
        for (int i = 0; i < x.Length; i++)
        {
            result.Model.Score(x.AsSpan(i, 1), output);
            squared += (output[0] - y[i]) * (output[0] - y[i]);
        }
        double rmse = Math.Sqrt(squared / x.Length);
        Assert.IsTrue(rmse < 3, $"RMSE {rmse} on a target with standard deviation ≈ 14.4");
    }
}
