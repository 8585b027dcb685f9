using Microsoft.ML.AdaptiveWidth.Inference;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.AdaptiveWidth;

namespace Microsoft.ML.AdaptiveWidth.Tests.MLNet;

/// <summary>The <c>LinearPath</c> and <c>LinearBaseline</c> options (docs/method.md §5.12, §5.17) through the ML.NET trainers.</summary>
[TestClass]
public sealed class AdaptiveWidthLinearPathTest
{
    private static (double RSquared, AdaptiveWidthRegressionModelParameters Parameters, ITransformer Model) Regression(bool linearPath, int epochs,
        bool linearBaseline = false)
    {
        var ml = new MLContext(seed: 1);
        IDataView train = ml.Data.LoadFromEnumerable(MLNetTestData.Linear(400, seed: 1));
        IDataView test = ml.Data.LoadFromEnumerable(MLNetTestData.Linear(300, seed: 2));
        AdaptiveWidthRegressionTrainer.Options options = MLNetTestData.Fast(new AdaptiveWidthRegressionTrainer.Options());
        options.MaxEpoch = epochs;
        options.LinearPath = linearPath;
        options.LinearBaseline = linearBaseline;
        // The linear path alone: without quantile codes the first layer's inputs are the three features.
        options.QuantileCodes = false;
        var model = ml.Regression.Trainers.AdaptiveWidth(options).Fit(train);
        return (ml.Regression.Evaluate(model.Transform(test)).RSquared, model.Model, model);
    }

    [TestMethod]
    public void LinearPath_LearnsALinearTargetAsSuch_AndAddsOneNeuronPerOutputAndLayer()
    {
        (double with, AdaptiveWidthRegressionModelParameters withParameters, _) = Regression(linearPath: true, epochs: 8);
        (double without, _, _) = Regression(linearPath: false, epochs: 8);
        Console.WriteLine($"R² with the linear path {with:F4}, without {without:F4}");

        // y = 2·x0 − x1 + 0.5·x2 + 0.1·noise: the best possible R² is about 0.994.
        Assert.IsGreaterThan(0.985, with, $"with the linear path R² = {with}");
        Assert.IsGreaterThan(without, with, $"the linear path must help on a linear target (without it R² = {without})");
        // The first neuron is the linear path (the two members' terms averaged into one): on the training rows its
        // pre-activation stays in the middle of ReLU6's linear part, [1.5, 4.5] (Inference/LinearTerm.cs), where it is exact.
        DenseLayer first = withParameters.Network.Layers[0];
        double[] z = MLNetTestData.Linear(400, seed: 1).Select(r => first.Bias[0] + (double)first.Weights[0] * r.Features[0]
            + first.Weights[1] * r.Features[1] + first.Weights[2] * r.Features[2]).ToArray();
        Assert.IsTrue(z.Min() >= 1.5 - 0.01 && z.Max() <= 4.5 + 0.01, $"pre-activations in [{z.Min()}, {z.Max()}]");
        Assert.IsGreaterThan(1.0, z.Max() - z.Min(), "the linear neuron carries a varying term");
    }

    [TestMethod]
    public void LinearBaseline_IsOnByDefault_AndLearnsALinearTargetAsSuch()
    {
        Assert.IsTrue(new AdaptiveWidthRegressionTrainer.Options().LinearBaseline);
        (double with, AdaptiveWidthRegressionModelParameters parameters, _) = Regression(linearPath: false, epochs: 8, linearBaseline: true);
        (double without, _, _) = Regression(linearPath: false, epochs: 8, linearBaseline: false);
        Console.WriteLine($"R² after 8 epochs with the linear baseline {with:F4}, without {without:F4}");

        // y = 2·x0 − x1 + 0.5·x2 + 0.1·noise (best R² about 0.994): the baseline fits it before the network trains.
        Assert.IsGreaterThan(0.99, with, $"with the baseline R² = {with}");
        Assert.IsGreaterThan(without, with, $"without it R² = {without}");
        // The model carries the baseline as the linear path: one neuron per output in each hidden layer, the first.
        float[] p = parameters.Network.Importance(0).ToArray();
        Assert.AreEqual(p.Max(), p[0]);
    }

    [TestMethod]
    public void LinearPath_Model_SavesAndLoads_WithTheSameScores()
    {
        var ml = new MLContext(seed: 1);
        (_, _, ITransformer model) = Regression(linearPath: true, epochs: 3);
        IDataView rows = ml.Data.LoadFromEnumerable(MLNetTestData.Linear(50, seed: 9));
        using var stream = new MemoryStream();
        ml.Model.Save(model, rows.Schema, stream);
        stream.Position = 0;
        ITransformer loaded = ml.Model.Load(stream, out _);

        float[] before = model.Transform(rows).GetColumn<float>("Score").ToArray();
        float[] after = loaded.Transform(rows).GetColumn<float>("Score").ToArray();
        CollectionAssert.AreEqual(before, after);
    }

    [TestMethod]
    public void LinearPath_Multiclass_KeepsOneNeuronPerClass_AndClassifies()
    {
        var ml = new MLContext(seed: 1);
        IDataView train = ml.Data.LoadFromEnumerable(MLNetTestData.Mixture(300, seed: 1));
        IDataView test = ml.Data.LoadFromEnumerable(MLNetTestData.Mixture(150, seed: 2));
        AdaptiveWidthMulticlassTrainer.Options options = MLNetTestData.Fast(new AdaptiveWidthMulticlassTrainer.Options());
        options.LinearPath = true;
        options.EnsembleSize = 1;
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.Transforms.Concatenate("Features", "F1", "F2", "F3"))
            .Append(ml.MulticlassClassification.Trainers.AdaptiveWidth(options));
        var model = pipeline.Fit(train);
        var metrics = ml.MulticlassClassification.Evaluate(model.Transform(test));
        AdaptiveWidthMulticlassModelParameters parameters = model.LastTransformer.Model;

        Assert.IsGreaterThan(0.95, metrics.MicroAccuracy);
        // The first three neurons are the linear path's (one per class), with the layer's largest importance.
        float[] p = parameters.Network.Importance(0).ToArray();
        Assert.AreEqual(p.Max(), p[0]);
        Assert.AreEqual(p[0], p[2]);
        Assert.IsGreaterThan(3, p.Length);
    }
}
