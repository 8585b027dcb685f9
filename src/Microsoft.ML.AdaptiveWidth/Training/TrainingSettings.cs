using Microsoft.ML.AdaptiveWidth.Inference;

namespace Microsoft.ML.AdaptiveWidth.Training;

/// <summary>
/// Everything the training loop needs to know, with the paper's defaults (method.md §3). A plain record: no ML.NET
/// or TorchSharp types, so the ML.NET options map onto it and tests can build it directly.
/// </summary>
public sealed record TrainingSettings
{
    /// <summary>Number of adaptive hidden layers. (Default is 1.)</summary>
    public int HiddenLayerCount { get; init; } = 1;

    /// <summary>Quantile level k that turns the rate into a width, D = floor(−ln(1−k)/λ) + 2. Range (0, 1). (Default is 0.9.)</summary>
    public double Quantile { get; init; } = 0.9;

    /// <summary>Initial rate λ0 of every layer; 0.01 gives an initial width of 232 at k = 0.9. Must be &gt; 0. (Default is 0.01.)</summary>
    public double InitialRate { get; init; } = 0.01;

    /// <summary>
    /// Lower bound on λ, which caps the width: 5e-4 caps it at 4607 neurons (k = 0.9). Null disables the cap.
    /// (Default is 5e-4.)
    /// </summary>
    public double? RateLowerBound { get; init; } = 5e-4;

    /// <summary>Hidden activation. (Default is ReLU6, bounded, as the paper recommends.)</summary>
    public ActivationKind Activation { get; init; } = ActivationKind.ReLU6;

    /// <summary>Adam learning rate, also for the rates λ. (Default is 0.01.)</summary>
    public double LearningRate { get; init; } = 0.01;

    /// <summary>Mini-batch size. (Default is 128.)</summary>
    public int BatchSize { get; init; } = 128;

    /// <summary>Maximum number of epochs. (Default is 200.)</summary>
    public int MaxEpochs { get; init; } = 200;

    /// <summary>Stop after this many epochs without a better validation metric; 0 disables early stopping. (Default is 30.)</summary>
    public int EarlyStoppingPatience { get; init; } = 30;

    /// <summary>
    /// What selects the best epoch and drives early stopping: the validation loss (default; smooth, and for
    /// classification a proper scoring rule) or, as the paper does, the validation accuracy (ties broken by loss).
    /// Accuracy saturates on small validation sets and then keeps an early, under-trained epoch.
    /// </summary>
    public EarlyStoppingMetric EarlyStoppingMetric { get; init; } = EarlyStoppingMetric.Loss;

    /// <summary>Scale σθ of the Gaussian prior on all weights and biases: an L2 penalty Σθ²/(2σθ²N). (Default is 1.)</summary>
    public double WeightPriorScale { get; init; } = 1.0;

    /// <summary>Mean μλ of the Gaussian prior on each rate λ; a higher mean pulls toward narrower layers. (Default is 0.05.)</summary>
    public double RatePriorMean { get; init; } = 0.05;

    /// <summary>Scale σλ of the prior on each rate; null switches the rate prior off (the paper's default). (Default is null.)</summary>
    public double? RatePriorScale { get; init; }

    /// <summary>
    /// First epoch (1-based) of the annealed rate prior (method.md §2, "dynamic compression"); null (default) applies
    /// <see cref="RatePriorScale"/> at every epoch. When set, the rate prior is off before this epoch; from it on, σλ
    /// starts at <see cref="RatePriorScale"/> and decreases every epoch (see <see cref="RatePriorScaleAt"/>). Needs
    /// <see cref="RatePriorScale"/>.
    /// </summary>
    public int? AnnealingStartEpoch { get; init; }

    /// <summary>Last epoch whose σλ decreases; later epochs keep the final σλ. Null (default) is <see cref="MaxEpochs"/>.</summary>
    public int? AnnealingEndEpoch { get; init; }

    /// <summary>
    /// Annealing amount a in [0, 1): the fraction of σλ0 removed over the annealing epochs, in equal steps of
    /// a·σλ0/(end − start + 1). (Default is 0.9, the paper's.)
    /// </summary>
    public double AnnealingAmount { get; init; } = 0.9;

    /// <summary>
    /// σλ at the 1-based <paramref name="epoch"/>, set at the start of each epoch; null when the rate prior is off. Without
    /// annealing it is <see cref="RatePriorScale"/> throughout. With annealing (start s, end e, amount a, σλ0 =
    /// <see cref="RatePriorScale"/>): off before s; σλ0 − k·a·σλ0/(e − s + 1) at epoch s + k for 0 ≤ k ≤ e − s; then
    /// constant at its value at e, which stays positive because a &lt; 1.
    /// </summary>
    public double? RatePriorScaleAt(int epoch)
    {
        if (RatePriorScale is not double initial)
        {
            return null;
        }
        if (AnnealingStartEpoch is not int start)
        {
            return initial;
        }
        if (epoch < start)
        {
            return null;
        }
        int end = AnnealingEndEpoch ?? MaxEpochs;
        double step = AnnealingAmount * initial / (end - start + 1);
        return initial - step * (Math.Min(epoch, end) - start);
    }

    /// <summary>
    /// The "number of observations" N that divides the priors (method.md §2); null uses the training row count.
    /// (Default is null.)
    /// </summary>
    public double? ObservationCount { get; init; }

    /// <summary>Initialise layers fed by an adaptive layer with Var = 2/Σp² (Theorem 3.1) rather than plain Kaiming. (Default is true.)</summary>
    public bool RescaledInitialization { get; init; } = true;

    /// <summary>Learn the widths. False freezes λ at <see cref="InitialRate"/>: a fixed-width network through the same code. (Default is true.)</summary>
    public bool AdaptWidth { get; init; } = true;

    /// <summary>
    /// Fold the importance into a plain network even when the width is fixed; with <see cref="AdaptWidth"/> false and
    /// this false, the hidden layers carry no importance at all (a plain MLP of width D0). (Default is true.)
    /// </summary>
    public bool UseImportance { get; init; } = true;

    /// <summary>
    /// On a width change, zero the Adam moments of every resized parameter tensor (the layer's weights and bias and the
    /// next layer's weights and bias), as the reference implementation does. By default only the new neurons start from
    /// zero moments and surviving neurons keep theirs. (Default is false.)
    /// </summary>
    public bool ResetOptimizerStateOnResize { get; init; }

    /// <summary>Seed of the private random generator (initial weights, grown neurons, shuffling). (Default is 0.)</summary>
    public int Seed { get; init; }

    /// <summary>libtorch intra-op threads; 1 is fastest for small networks on a shared machine. (Default is 1.)</summary>
    public int IntraOpThreads { get; init; } = 1;

    /// <summary>The width that <see cref="InitialRate"/> gives at <see cref="Quantile"/>.</summary>
    public int InitialWidth => ExponentialImportance.Width(InitialRate, Quantile);

    /// <summary>The largest width the rate bound allows, or null when uncapped.</summary>
    public int? MaxWidth => RateLowerBound is double b ? ExponentialImportance.Width(b, Quantile) : null;

    /// <summary>Checks every setting and throws an exception that names the one at fault.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range.</exception>
    public void Validate()
    {
        Check(HiddenLayerCount is >= 1 and <= 16, nameof(HiddenLayerCount), HiddenLayerCount, "must be between 1 and 16");
        Check(Quantile > 0 && Quantile < 1, nameof(Quantile), Quantile, "must be in (0, 1), for example 0.9");
        Check(InitialRate > 0 && double.IsFinite(InitialRate), nameof(InitialRate), InitialRate, "must be a positive rate, for example 0.01 (width 232)");
        Check(RateLowerBound is null || (RateLowerBound > 0 && double.IsFinite(RateLowerBound.Value)), nameof(RateLowerBound), RateLowerBound, "must be positive or null");
        Check(RateLowerBound is null || RateLowerBound <= InitialRate, nameof(RateLowerBound), RateLowerBound, $"must not exceed {nameof(InitialRate)} ({InitialRate})");
        Check(InitialWidth <= ExponentialImportance.MaxSupportedWidth, nameof(InitialRate), InitialRate,
            $"gives an initial width of {InitialWidth}, above the supported {ExponentialImportance.MaxSupportedWidth}");
        Check(MaxWidth is null || MaxWidth <= ExponentialImportance.MaxSupportedWidth, nameof(RateLowerBound), RateLowerBound,
            $"allows widths up to {MaxWidth}, above the supported {ExponentialImportance.MaxSupportedWidth}; raise the bound");
        Check(Enum.IsDefined(Activation) && Activation != ActivationKind.Identity, nameof(Activation), Activation, "must be ReLU6, ReLU or LeakyReLU");
        Check(LearningRate > 0 && double.IsFinite(LearningRate), nameof(LearningRate), LearningRate, "must be positive, for example 0.01");
        Check(BatchSize >= 1, nameof(BatchSize), BatchSize, "must be at least 1, for example 128");
        Check(MaxEpochs >= 1, nameof(MaxEpochs), MaxEpochs, "must be at least 1");
        Check(EarlyStoppingPatience >= 0, nameof(EarlyStoppingPatience), EarlyStoppingPatience, "must be 0 (off) or positive");
        Check(Enum.IsDefined(EarlyStoppingMetric), nameof(EarlyStoppingMetric), EarlyStoppingMetric, "must be Loss or Accuracy");
        Check(WeightPriorScale > 0 && double.IsFinite(WeightPriorScale), nameof(WeightPriorScale), WeightPriorScale, "must be positive, for example 1");
        Check(double.IsFinite(RatePriorMean) && RatePriorMean > 0, nameof(RatePriorMean), RatePriorMean, "must be a positive rate");
        Check(RatePriorScale is null || (RatePriorScale > 0 && double.IsFinite(RatePriorScale.Value)), nameof(RatePriorScale), RatePriorScale, "must be positive or null (off)");
        Check(AnnealingStartEpoch is null || AnnealingStartEpoch >= 1, nameof(AnnealingStartEpoch), AnnealingStartEpoch, "must be null (no annealing) or at least 1");
        Check(AnnealingStartEpoch is null || RatePriorScale is not null, nameof(AnnealingStartEpoch), AnnealingStartEpoch, $"needs {nameof(RatePriorScale)} (the initial σλ)");
        Check(AnnealingEndEpoch is null || AnnealingEndEpoch >= (AnnealingStartEpoch ?? 1), nameof(AnnealingEndEpoch), AnnealingEndEpoch, $"must be null or at least {nameof(AnnealingStartEpoch)}");
        Check(AnnealingStartEpoch is null || AnnealingEndEpoch is not null || MaxEpochs >= AnnealingStartEpoch, nameof(AnnealingStartEpoch), AnnealingStartEpoch, $"must not exceed {nameof(MaxEpochs)} ({MaxEpochs})");
        Check(AnnealingAmount >= 0 && AnnealingAmount < 1, nameof(AnnealingAmount), AnnealingAmount, "must be in [0, 1)");
        Check(ObservationCount is null || (ObservationCount >= 1 && double.IsFinite(ObservationCount.Value)), nameof(ObservationCount), ObservationCount, "must be at least 1 or null");
        Check(IntraOpThreads >= 1, nameof(IntraOpThreads), IntraOpThreads, "must be at least 1");
    }

    private static void Check(bool ok, string name, object? value, string rule)
    {
        if (!ok)
        {
            throw new ArgumentOutOfRangeException(name, value, $"{name} {rule} (got {value?.ToString() ?? "null"}).");
        }
    }
}

/// <summary>The validation metric that selects the best epoch.</summary>
public enum EarlyStoppingMetric
{
    /// <summary>Lowest validation loss (negative log-likelihood).</summary>
    Loss = 0,

    /// <summary>Highest validation accuracy, ties broken by the lower loss (classification only; regression uses the loss).</summary>
    Accuracy = 1,
}
