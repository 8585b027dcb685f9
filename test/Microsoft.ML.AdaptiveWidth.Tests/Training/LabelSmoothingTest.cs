using Microsoft.ML.AdaptiveWidth.Training;
using static TorchSharp.torch;

namespace Microsoft.ML.AdaptiveWidth.Tests.Training;

/// <summary>
/// <see cref="TrainingSettings.LabelSmoothing"/>: the training loss is cross-entropy against the smoothed target, the
/// validation loss is not smoothed, and regression ignores it.
/// </summary>
[TestClass]
public sealed class LabelSmoothingTest
{
    private static double Loss(NetworkTask task, double smoothing, float[] output, int outputs, float[] labels, bool training)
    {
        using var scope = NewDisposeScope();
        using var objective = new WidthObjective(task, new TrainingSettings { LabelSmoothing = smoothing }, 100);
        Tensor y = tensor(output, [output.Length / outputs, outputs]);
        Tensor target = task == NetworkTask.MulticlassClassification ? tensor(labels.Select(v => (long)v).ToArray()) : tensor(labels);
        return objective.DataLoss(y, target, null, training).item<float>();
    }

    [TestMethod]
    public void DataLoss_Binary_IsCrossEntropyAgainstTheSmoothedTarget_InTrainingOnly()
    {
        const double e = 0.1;
        float[] logits = [2.5f, -1f, 0.3f];
        float[] labels = [1f, 0f, 0f];
        // The smoothed targets are 1 − ε/2 and ε/2; the loss is the mean of −t·ln σ(z) − (1 − t)·ln(1 − σ(z)).
        double expected = logits.Zip(labels).Average(p =>
        {
            double t = p.Second * (1 - e) + e / 2, s = 1 / (1 + Math.Exp(-p.First));
            return -t * Math.Log(s) - (1 - t) * Math.Log(1 - s);
        });
        double plain = logits.Zip(labels).Average(p => p.Second == 1 ? -Math.Log(1 / (1 + Math.Exp(-p.First))) : -Math.Log(1 - 1 / (1 + Math.Exp(-p.First))));

        Assert.AreEqual(expected, Loss(NetworkTask.BinaryClassification, e, logits, 1, labels, training: true), 1e-5);
        Assert.AreEqual(plain, Loss(NetworkTask.BinaryClassification, e, logits, 1, labels, training: false), 1e-5, "validation is not smoothed");
        Assert.AreEqual(plain, Loss(NetworkTask.BinaryClassification, 0, logits, 1, labels, training: true), 1e-5, "ε = 0 is plain cross-entropy");
    }

    [TestMethod]
    public void DataLoss_Multiclass_SpreadsEpsilonOverEveryClass_InTrainingOnly()
    {
        const double e = 0.2;
        float[] logits = [2f, 0f, -1f, /* row 2 */ 0.5f, 1.5f, 0f];
        float[] labels = [0f, 2f];
        double expected = 0, plain = 0;
        for (int r = 0; r < 2; r++)
        {
            double[] z = logits.Skip(3 * r).Take(3).Select(v => (double)v).ToArray();
            double logSum = Math.Log(z.Sum(Math.Exp));
            double[] logp = z.Select(v => v - logSum).ToArray();
            int label = (int)labels[r];
            // Target: 1 − ε + ε/K on the label, ε/K on every other class.
            expected += -Enumerable.Range(0, 3).Sum(k => ((k == label ? 1 - e : 0) + e / 3) * logp[k]) / 2;
            plain += -logp[label] / 2;
        }

        Assert.AreEqual(expected, Loss(NetworkTask.MulticlassClassification, e, logits, 3, labels, training: true), 1e-5);
        Assert.AreEqual(plain, Loss(NetworkTask.MulticlassClassification, e, logits, 3, labels, training: false), 1e-5, "validation is not smoothed");
    }

    [TestMethod]
    public void DataLoss_Regression_IgnoresSmoothing()
    {
        float[] output = [1f, 2f, -0.5f];
        float[] labels = [0.5f, 2f, 1f];
        Assert.AreEqual(Loss(NetworkTask.Regression, 0, output, 1, labels, training: true),
            Loss(NetworkTask.Regression, 0.3, output, 1, labels, training: true), 1e-7);
    }
}
