namespace Microsoft.ML.AdaptiveWidth.Training;

/// <summary>What one epoch of training did.</summary>
/// <param name="Epoch">1-based epoch number.</param>
/// <param name="TrainingLoss">Mean data loss over the epoch's mini-batches (cross-entropy, against the smoothed targets
/// when <see cref="TrainingSettings.LabelSmoothing"/> is above 0, or ½·squared error), without the priors.</param>
/// <param name="Objective">Mean minimised objective: data loss plus the weight and rate priors divided by N (method §2).</param>
/// <param name="ValidationLoss">Data loss on the validation set, or NaN without one.</param>
/// <param name="ValidationAccuracy">Accuracy on the validation set for classification; NaN for regression or without one.</param>
/// <param name="Widths">Width of each adaptive hidden layer at the end of the epoch.</param>
/// <param name="Elapsed">Wall time of the epoch, validation included.</param>
public sealed record EpochRecord(
    int Epoch,
    double TrainingLoss,
    double Objective,
    double ValidationLoss,
    double ValidationAccuracy,
    IReadOnlyList<int> Widths,
    TimeSpan Elapsed);
