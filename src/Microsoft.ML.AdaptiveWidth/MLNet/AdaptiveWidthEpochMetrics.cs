namespace Microsoft.ML.Trainers.AdaptiveWidth;

/// <summary>
/// What one epoch of training did, as the trainers' <see cref="AdaptiveWidthOptionsBase.ProgressCallback"/> receives it
/// after every epoch.
/// </summary>
/// <param name="Epoch">1-based epoch number; increases by one from call to call of the same ensemble member
/// (<see cref="Member"/>). Members training in parallel interleave their calls; the callback is never called by two
/// threads at once.</param>
/// <param name="MaxEpoch">The most epochs training may run (<see cref="AdaptiveWidthOptionsBase.MaxEpoch"/>); early
/// stopping may end it sooner.</param>
/// <param name="TrainingLoss">Mean data loss over the epoch's mini-batches (cross-entropy for classifiers, against the
/// smoothed targets when <c>LabelSmoothing</c> is above 0; ½·squared error in the label's units for regression), without
/// the priors.</param>
/// <param name="ValidationLoss">The same loss on the validation rows (classifiers: plain cross-entropy, never smoothed),
/// or NaN without validation rows.</param>
/// <param name="ValidationAccuracy">Accuracy on the validation rows for classifiers; NaN for regression or without
/// validation rows.</param>
/// <param name="Widths">The width of each adaptive hidden layer at the end of the epoch (before any truncation the
/// options ask for when training ends).</param>
/// <param name="EpochDuration">Wall time of this epoch, validation included.</param>
/// <param name="Elapsed">Wall time of this member's epochs so far, this one included (reading the data before the first epoch
/// is not counted).</param>
public sealed record AdaptiveWidthEpochMetrics(
    int Epoch,
    int MaxEpoch,
    double TrainingLoss,
    double ValidationLoss,
    double ValidationAccuracy,
    IReadOnlyList<int> Widths,
    TimeSpan EpochDuration,
    TimeSpan Elapsed)
{
    /// <summary>0-based index of the ensemble member this epoch trained (<see cref="AdaptiveWidthOptionsBase.EnsembleSize"/>); 0 for a single network.</summary>
    public int Member { get; init; }

    /// <summary>Number of members the model averages; 1 for a single network.</summary>
    public int EnsembleSize { get; init; } = 1;
}
