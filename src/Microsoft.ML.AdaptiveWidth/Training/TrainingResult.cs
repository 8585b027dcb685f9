using Microsoft.ML.AdaptiveWidth.Inference;

namespace Microsoft.ML.AdaptiveWidth.Training;

/// <summary>The outcome of training: the best network as plain arrays, and the per-epoch history.</summary>
/// <param name="Model">The network of the best epoch (weights and widths), exported for managed scoring.</param>
/// <param name="History">One record per epoch run.</param>
/// <param name="BestEpoch">The 1-based epoch whose network <paramref name="Model"/> is.</param>
/// <param name="Stopped">Why training ended.</param>
public sealed record TrainingResult(
    AdaptiveWidthModel Model,
    IReadOnlyList<EpochRecord> History,
    int BestEpoch,
    StopReason Stopped)
{
    /// <summary>With a linear path: <see cref="Model"/> without it (the ensemble averages these, then embeds the mean
    /// term once); otherwise <see cref="Model"/>.</summary>
    internal AdaptiveWidthModel WithoutLinearPath { get; init; } = Model;

    /// <summary>The linear path's term, or null without one.</summary>
    internal LinearTerm? Linear { get; init; }
}

/// <summary>Why training ended.</summary>
public enum StopReason
{
    /// <summary>All epochs ran.</summary>
    MaxEpochs,

    /// <summary>The validation metric did not improve for the configured patience.</summary>
    EarlyStopping,
}
