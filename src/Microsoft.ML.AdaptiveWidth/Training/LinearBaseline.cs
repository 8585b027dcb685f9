using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Microsoft.ML.AdaptiveWidth.Training;

/// <summary>
/// The linear baseline (<see cref="TrainingSettings.LinearBaseline"/>, docs/method.md §5.17): a linear model fitted before
/// the network trains (least squares, logistic or softmax, with the training loss's label smoothing), penalised by
/// λ/2·‖W‖² on the mean loss. Full-batch Adam steps on at most <see cref="MaximumRows"/> rows follow a path of
/// decreasing penalties, each started from the last one's weights, and the strongest penalty whose held-out loss is
/// within 0.5% of the least is kept (<see cref="Choose"/>; without held-out rows, the weight prior's 1/(σθ²N) alone). The gradient is written out (no autograd): the model is linear, so it is Rᵀ·X/N + λW with R the residual
/// (prediction − smoothed target), a few ops a step.
/// </summary>
internal static class LinearBaseline
{
    /// <summary>The penalty path, strongest first.</summary>
    internal static readonly double[] Penalties = [1, 0.3, 0.1, 0.03, 0.01, 0.003, 0.001, 0.0003];

    /// <summary>Full-batch steps per penalty.</summary>
    internal const int StepsPerPenalty = 300;

    /// <summary>The most training rows the fit reads: 4,096, evenly spaced over the rows.</summary>
    internal const int MaximumRows = 4096;

    /// <summary>Adam's step size for the fit (the features are standardised).</summary>
    private const double LearningRate = 0.02;

    /// <summary>
    /// The most rows × inputs × outputs the ML.NET trainers fit a baseline for, rows counted up to <see cref="MaximumRows"/>:
    /// 2²³. The fit takes <see cref="StepsPerPenalty"/> × 8 = 2,400 full-batch passes over its rows, each that many
    /// multiply-adds twice; above this (Fashion-MNIST's 784 pixels and 10 classes, letter's 26 classes and 144 inputs with
    /// codes) the network has the rows to learn any linear part itself.
    /// </summary>
    internal const long MaximumWork = 1L << 23;

    /// <summary>The fitted model: weights [outputs × inputs] row-major and a bias per output, in the standardised input space.</summary>
    internal readonly record struct Fit(float[] Weights, float[] Bias, double Penalty, double ValidationLoss);

    /// <param name="task">The task (its loss).</param>
    /// <param name="outputs">1 for binary and regression, the class count for multiclass.</param>
    /// <param name="train">Every training row as one batch (standardised features, labels as the loop gives them).</param>
    /// <param name="validation">The held-out rows as one batch, or null.</param>
    /// <param name="inputs">Per input, 1 to fit on it or 0 to leave it out (its weight stays 0); null for every input.</param>
    /// <param name="labelSmoothing">The training loss's label smoothing ε.</param>
    /// <param name="fallbackPenalty">The penalty without held-out rows.</param>
    /// <param name="validationLoss">The task's held-out loss of outputs [B × outputs] (a tensor with one value).</param>
    public static Fit Run(NetworkTask task, int outputs, Batch train, Batch? validation, float[]? inputs, double labelSmoothing,
        double fallbackPenalty, Func<Tensor, Batch, Tensor> validationLoss)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        // Every Scalar lives until the fit ends (Training/TorchScalars.cs).
        using var constants = new ScalarCache();
        Tensor all = train.Features ?? throw new ArgumentException("The linear baseline takes dense rows.", nameof(train));
        int features = (int)all.size(1);
        if (inputs is not null && inputs.Length != features)
        {
            throw new ArgumentException($"{nameof(TrainingSettings.LinearBaselineInputs)} has {inputs.Length} entries for {features} inputs.", nameof(inputs));
        }
        Tensor? mask = inputs is null ? null : tensor(inputs).view(1, -1);
        if (train.Length > MaximumRows)
        {
            // Evenly spaced rows: the linear model has few parameters, and the fit's cost stays bounded whatever the rows.
            int stride = train.Length / MaximumRows;
            Tensor rows = arange(constants[0], constants[(double)stride * MaximumRows], constants[stride], ScalarType.Int64);
            train = new Batch(all.index_select(0, rows), train.Labels.index_select(0, rows), train.Weights?.index_select(0, rows), MaximumRows);
        }
        Tensor x = mask is null ? train.Features! : train.Features!.mul(mask);
        Tensor? held = validation is Batch v ? (mask is null ? v.Features! : v.Features!.mul(mask)) : null;
        Tensor target = Target(task, outputs, train.Labels, labelSmoothing, constants);
        Tensor? rowWeights = train.Weights?.view(-1, 1);

        long length = (long)outputs * features + outputs;
        Tensor parameters = zeros(length);
        Tensor gradient = zeros(length);
        Tensor weights = parameters.narrow(0, 0, (long)outputs * features).view(outputs, features);
        Tensor bias = parameters.narrow(0, (long)outputs * features, outputs);
        Tensor weightGradient = gradient.narrow(0, 0, (long)outputs * features).view(outputs, features);
        Tensor biasGradient = gradient.narrow(0, (long)outputs * features, outputs);
        using var adam = new FlatAdam(length, LearningRate);
        Scalar perRow = constants[1.0 / train.Length];
        Scalar one = constants[1];

        double[] path = validation is null ? [fallbackPenalty] : Penalties;
        var fits = new List<Fit>(path.Length);
        foreach (double penalty in path)
        {
            for (int step = 0; step < StepsPerPenalty; step++)
            {
                using var stepScope = NewDisposeScope();
                Tensor z = x.mm(weights.t()).add_(bias, one);
                Tensor residual = task switch
                {
                    NetworkTask.BinaryClassification => z.sigmoid_().sub_(target),
                    NetworkTask.MulticlassClassification => z.softmax(1).sub_(target),
                    _ => z.sub_(target),
                };
                if (rowWeights is not null)
                {
                    residual.mul_(rowWeights);
                }
                weightGradient.copy_(residual.t().mm(x)).mul_(perRow).add_(weights, constants[penalty]);
                biasGradient.copy_(residual.mean([0]));
                adam.Step(parameters, gradient);
            }
            double loss = validation is Batch rows
                ? validationLoss(held!.mm(weights.t()).add_(bias, one), rows).item<float>()
                : double.NaN;
            fits.Add(new Fit(weights.contiguous().data<float>().ToArray(), bias.data<float>().ToArray(), penalty, loss));
        }
        return Choose(fits);
    }

    /// <summary>
    /// The strongest penalty whose held-out loss is within <see cref="LossTolerance"/> of the least: near the weak end of
    /// the path the held-out loss is flat to a few parts in a million, and a choice among such ties would follow the float
    /// rounding of the user's normalizer (and move the whole training after it).
    /// </summary>
    internal static Fit Choose(IReadOnlyList<Fit> fits)
    {
        double least = fits.Min(f => f.ValidationLoss);
        return double.IsNaN(least) ? fits[^1] : fits.First(f => f.ValidationLoss <= least * (1 + LossTolerance));
    }

    /// <summary>The relative held-out loss within which a stronger penalty is preferred: 0.5%.</summary>
    internal const double LossTolerance = 0.005;

    /// <summary>The smoothed target the residual is taken against: [N × 1] for binary and regression, [N × classes] for multiclass.</summary>
    private static Tensor Target(NetworkTask task, int outputs, Tensor labels, double smoothing, ScalarCache constants) => task switch
    {
        NetworkTask.BinaryClassification => labels.view(-1, 1).mul(constants[1 - smoothing]).add_(constants[smoothing / 2], constants[1]),
        NetworkTask.MulticlassClassification => F.one_hot(labels, outputs).to_type(ScalarType.Float32)
            .mul_(constants[1 - smoothing]).add_(constants[smoothing / outputs], constants[1]),
        _ => labels.view(-1, 1),
    };
}
