using Microsoft.ML.AdaptiveWidth.Inference;

namespace Microsoft.ML.AdaptiveWidth.Training;

/// <summary>
/// The one definition of every training hyper-parameter's default (docs/method.md §3). <see cref="TrainingSettings"/>
/// initialises from these, and the ML.NET options (<c>AdaptiveWidthOptionsBase</c>, its <c>Defaults</c> and the catalog
/// methods' simple overloads) take them from here, so the two layers cannot drift apart.
/// </summary>
public static class TrainingDefaults
{
    /// <summary>
    /// Adaptive hidden layers: 2, chosen on the public real-data suite (docs/realdata.md): over its sets two layers were
    /// ahead of one on average (by about half a point, clearly on ames and sacramento) and behind on Fashion-MNIST.
    /// </summary>
    public const int NumberOfLayers = 2;

    /// <summary>
    /// Width every adaptive layer starts from: 128 (λ0 ≈ 0.018 at k = 0.9). The paper starts at 232 (λ0 = 0.01); on the
    /// public real-data suite (docs/realdata.md) one network of 128 was as accurate on average. This is the core API's
    /// single network; the ML.NET trainers' default ensemble of eight starts each member at 32
    /// (<c>AdaptiveWidthOptionsBase.Defaults.InitialWidth</c>).
    /// </summary>
    public const int InitialWidth = 128;

    /// <summary>The paper's initial width, 232 (λ0 ≈ 0.01 at k = 0.9), for studies that reproduce it.</summary>
    public const int PaperInitialWidth = 232;

    /// <summary>The widest a layer may grow: 4607 (a rate bound of about 5e-4 at k = 0.9).</summary>
    public const int MaximumWidth = 4607;

    /// <summary>
    /// The most weights the first layer may hold: 8,388,608 (2^23, 32 MB as float32). Inputs × the first layer's width
    /// stays within it, so a 553,889-slot FeaturizeText column gets a first layer of at most 15 neurons, while inputs of
    /// up to 1,820 features keep <see cref="MaximumWidth"/> (docs/method.md, "Wide inputs").
    /// </summary>
    public const long MaximumInputLayerWeights = 1L << 23;

    /// <summary>Quantile level k that turns a rate into a width: 0.9.</summary>
    public const double Quantile = 0.9;

    /// <summary>Adam learning rate: 0.01.</summary>
    public const double LearningRate = 0.01;

    /// <summary>Mini-batch size: 128.</summary>
    public const int BatchSize = 128;

    /// <summary>Maximum number of epochs: 200.</summary>
    public const int MaxEpoch = 200;

    /// <summary>Epochs without a better validation metric before stopping: 30.</summary>
    public const int EarlyStoppingPatience = 30;

    /// <summary>
    /// Optimizer steps without a better validation metric after which training stops on large data, once at least
    /// <see cref="MinimumPatienceEpochs"/> epochs have passed without one: 5,000. Sets of up to about 21,000 rows in
    /// batches of 128 keep the whole <see cref="EarlyStoppingPatience"/> (every set of the public real-data suite); at
    /// 100,000 rows training stops after 10 epochs without improvement instead of 30, in about half the time and with
    /// the same test accuracy (docs/realdata-recipe.md, ninth round).
    /// </summary>
    public const int EarlyStoppingPatienceSteps = 5_000;

    /// <summary>The fewest epochs without improvement that <see cref="EarlyStoppingPatienceSteps"/> stops after: 10.</summary>
    public const int MinimumPatienceEpochs = 10;

    /// <summary>A linear path from the inputs to the outputs beside the network: off.</summary>
    public const bool LinearPath = false;

    /// <summary>
    /// A linear model fitted before the network trains, kept fixed beside it, in the core API: off (the paper's network;
    /// the ML.NET trainers default to on, docs/method.md §5.17).
    /// </summary>
    public const bool LinearBaseline = false;

    /// <summary>
    /// New neurons of a growing layer in the core API: drawn from N(0, 1), the paper's rule (false; the ML.NET trainers
    /// default to true, docs/method.md §5.15).
    /// </summary>
    public const bool PreserveFunctionOnGrowth = false;

    /// <summary>A learned scale per input feature in front of the first layer: off.</summary>
    public const bool FeatureScales = false;

    /// <summary>Share of hidden activations dropped in each training step: 0 (none).</summary>
    public const double Dropout = 0;

    /// <summary>Label smoothing of the classifiers' training loss in the core API: 0 (none; the ML.NET trainers default to 0.05).</summary>
    public const double LabelSmoothing = 0;

    /// <summary>Factor the learning rate is multiplied by on a plateau: 1, constant.</summary>
    public const double LearningRateDecay = 1;

    /// <summary>Epochs without a better validation metric before the learning rate decays: 10.</summary>
    public const int LearningRateDecayPatience = 10;

    /// <summary>Scale σθ of the weight prior: 1.</summary>
    public const double WeightPriorScale = 1.0;

    /// <summary>Mean μλ of the rate prior: 0.05 (a width of 48 at k = 0.9).</summary>
    public const double RatePriorMean = 0.05;

    /// <summary>Strength s of the width regularization (the rate prior, σλ = 1/s): 0, off.</summary>
    public const double WidthRegularization = 0;

    /// <summary>Fraction of σλ0 removed over the annealing epochs: 0.9.</summary>
    public const double WidthRegularizationAnnealing = 0.9;

    /// <summary>libtorch intra-op threads: 1.</summary>
    public const int NumberOfThreads = 1;

    /// <summary>The best epoch is the one with the lowest validation loss.</summary>
    public const EarlyStoppingMetric EarlyStoppingMetric = Training.EarlyStoppingMetric.Loss;

    /// <summary>Hidden activation: ReLU6 (bounded, which keeps widths stable).</summary>
    public const ActivationKind Activation = ActivationKind.ReLU6;
}

/// <summary>
/// Everything the training loop needs to know, with the defaults of <see cref="TrainingDefaults"/>. A plain record: no
/// ML.NET or TorchSharp types. Where the ML.NET options have the same hyper-parameter it has the same name, and the
/// options map onto it one to one; <see cref="Validate"/> holds the one set of rules for both layers.
/// </summary>
public sealed record TrainingSettings
{
    /// <summary>Number of adaptive hidden layers, 1 to 16. (Default is 2.)</summary>
    public int NumberOfLayers { get; init; } = TrainingDefaults.NumberOfLayers;

    /// <summary>Quantile level k that turns the rate into a width, D = floor(−ln(1−k)/λ) + 2. Range (0, 1). (Default is 0.9.)</summary>
    public double Quantile { get; init; } = TrainingDefaults.Quantile;

    /// <summary>
    /// Width every adaptive layer starts from, 2 to <see cref="MaximumWidth"/>; it sets the initial rate
    /// λ0 = −ln(1−k)/(D0 − 1.5) (<see cref="InitialRate"/>), whose width is exactly D0. (Default is 128, λ0 ≈ 0.018; the paper's is 232, λ0 ≈ 0.01.)
    /// </summary>
    public int InitialWidth { get; init; } = TrainingDefaults.InitialWidth;

    /// <summary>
    /// The widest a layer may grow, turned into a lower bound on λ (<see cref="RateLowerBound"/>): a rate below it is
    /// reset to it. Null removes the bound (widths are then only clamped to the supported maximum, 65,536).
    /// (Default is 4607, a bound of about 5e-4.)
    /// </summary>
    public int? MaximumWidth { get; init; } = TrainingDefaults.MaximumWidth;

    /// <summary>
    /// The most weights the first layer may hold (inputs × width). For a wide input it caps the first layer's width at
    /// floor(this / inputs) (below <see cref="MaximumWidth"/>) and lowers its start to that cap when
    /// <see cref="InitialWidth"/> is larger; the width is still learned below the cap. It bounds training memory (the
    /// first layer and its two Adam moments, 12 bytes a weight) and the saved model. 2 to 2,147,483,591 (one array).
    /// (Default is 8,388,608.)
    /// </summary>
    public long MaximumInputLayerWeights { get; init; } = TrainingDefaults.MaximumInputLayerWeights;

    /// <summary>Hidden activation. (Default is ReLU6, bounded, as the paper recommends.)</summary>
    public ActivationKind Activation { get; init; } = TrainingDefaults.Activation;

    /// <summary>Adam learning rate, also for the rates λ. (Default is 0.01.)</summary>
    public double LearningRate { get; init; } = TrainingDefaults.LearningRate;

    /// <summary>Mini-batch size. (Default is 128.)</summary>
    public int BatchSize { get; init; } = TrainingDefaults.BatchSize;

    /// <summary>Maximum number of epochs. (Default is 200.)</summary>
    public int MaxEpoch { get; init; } = TrainingDefaults.MaxEpoch;

    /// <summary>Stop after this many epochs without a better validation metric; 0 disables early stopping. (Default is 30.)</summary>
    public int EarlyStoppingPatience { get; init; } = TrainingDefaults.EarlyStoppingPatience;

    /// <summary>
    /// On large data, stop sooner: once this many optimizer steps and at least
    /// <see cref="TrainingDefaults.MinimumPatienceEpochs"/> epochs (or <see cref="EarlyStoppingPatience"/>, if fewer) have
    /// passed without a better validation metric; 0 counts epochs alone. (Default is 5,000; see
    /// <see cref="PatienceEpochs"/>.)
    /// </summary>
    public int EarlyStoppingPatienceSteps { get; init; } = TrainingDefaults.EarlyStoppingPatienceSteps;

    /// <summary>
    /// The epochs without a better validation metric after which training on <paramref name="rows"/> rows stops:
    /// <see cref="EarlyStoppingPatience"/>, lowered on large data to the epochs that make
    /// <see cref="EarlyStoppingPatienceSteps"/> optimizer steps, but not below
    /// <see cref="TrainingDefaults.MinimumPatienceEpochs"/>; 0 when early stopping is off.
    /// </summary>
    public int PatienceEpochs(long rows)
    {
        if (EarlyStoppingPatience == 0 || EarlyStoppingPatienceSteps == 0 || rows <= 0)
        {
            return EarlyStoppingPatience;
        }
        long batch = Math.Min(BatchSize, rows);
        long stepsPerEpoch = (rows + batch - 1) / batch;
        long epochs = (EarlyStoppingPatienceSteps + stepsPerEpoch - 1) / stepsPerEpoch;
        return (int)Math.Clamp(epochs, Math.Min(TrainingDefaults.MinimumPatienceEpochs, EarlyStoppingPatience), EarlyStoppingPatience);
    }

    /// <summary>
    /// Learning-rate schedule on validation plateaus: after <see cref="LearningRateDecayPatience"/> epochs without a better
    /// validation metric (counted again from each decay), the learning rate is multiplied by this factor, down to
    /// 1/1000 of <see cref="LearningRate"/>. 1 keeps the rate constant; needs validation rows. (Default is 1.)
    /// </summary>
    public double LearningRateDecay { get; init; } = TrainingDefaults.LearningRateDecay;

    /// <summary>
    /// Adds a linear path, a skip weight from the (standardised) inputs straight to the outputs trained with the network
    /// under the same weight prior, so that a nearly linear relation is learned as such (docs/method.md §5.12). The
    /// exported model carries it as one extra neuron per output in every hidden layer (Inference/LinearTerm.cs).
    /// Ignored for a sparse (wide) input. (Default is false.)
    /// </summary>
    public bool LinearPath { get; init; } = TrainingDefaults.LinearPath;

    /// <summary>
    /// Fits a ridge-penalised linear model (least squares, logistic or softmax) on the training rows before the network
    /// trains, with a penalty chosen on the held-out rows (docs/method.md §5.17), and keeps it as a fixed linear path
    /// beside the network, whose output layer still starts from the initialisation: the network learns what the linear
    /// model misses, and on a nearly linear set early stopping can keep little more than the linear model. With
    /// <see cref="LinearPath"/> as well, the path starts at the fit and trains on. Needs the rows in memory (and dense);
    /// not for continued training. (Default is false.)
    /// </summary>
    public bool LinearBaseline { get; init; } = TrainingDefaults.LinearBaseline;

    /// <summary>
    /// Per input (features then quantile codes), 1 where the <see cref="LinearBaseline"/> may use it and 0 where its weight
    /// stays 0; null for every input.
    /// </summary>
    public float[]? LinearBaselineInputs { get; init; }

    /// <summary>
    /// A learned scale per input feature (starting at 1) multiplies the standardised inputs in front of the first layer,
    /// so that training can turn a feature up or down as a whole before the neurons mix it (RealMLP's scaling layer);
    /// the exporter folds it into the first layer's columns, so the model and its scoring do not change. Ignored for a
    /// sparse (wide) input. (Default is false.)
    /// </summary>
    public bool FeatureScales { get; init; } = TrainingDefaults.FeatureScales;

    /// <summary>
    /// Share of each hidden layer's activations set to zero in each training step (the rest are scaled by 1/(1 − share));
    /// nothing is dropped in evaluation or in the exported model. The masks come from the run's seeded generator.
    /// (Default is 0.)
    /// </summary>
    public double Dropout { get; init; } = TrainingDefaults.Dropout;

    /// <summary>
    /// Label smoothing ε of the classifiers' training loss: the target puts 1 − ε on the label and spreads ε evenly
    /// over all classes (binary: the target 0/1 becomes ε/2 / 1 − ε/2), as RealMLP-TD does with ε = 0.1. Validation loss,
    /// best-epoch selection and the model are unchanged; regression ignores it. (Default is 0.)
    /// </summary>
    public double LabelSmoothing { get; init; } = TrainingDefaults.LabelSmoothing;

    /// <summary>Epochs without a better validation metric before each decay of the learning rate. (Default is 10.)</summary>
    public int LearningRateDecayPatience { get; init; } = TrainingDefaults.LearningRateDecayPatience;

    /// <summary>
    /// What selects the best epoch and drives early stopping: the validation loss (default; smooth, and for
    /// classification a proper scoring rule) or, as the paper does, the validation accuracy (ties broken by loss).
    /// Accuracy saturates on small validation sets and then keeps an early, under-trained epoch.
    /// </summary>
    public EarlyStoppingMetric EarlyStoppingMetric { get; init; } = TrainingDefaults.EarlyStoppingMetric;

    /// <summary>Scale σθ of the Gaussian prior on all weights and biases: an L2 penalty Σθ²/(2σθ²N). (Default is 1.)</summary>
    public double WeightPriorScale { get; init; } = TrainingDefaults.WeightPriorScale;

    /// <summary>Mean μλ of the Gaussian prior on each rate λ; a higher mean pulls toward narrower layers. (Default is 0.05.)</summary>
    public double RatePriorMean { get; init; } = TrainingDefaults.RatePriorMean;

    /// <summary>
    /// Strength s of the width regularization: the Gaussian prior on each rate λ with mean <see cref="RatePriorMean"/>
    /// and scale σλ = 1/s (<see cref="RatePriorScale"/>). 0 switches it off, as the paper does by default. (Default is 0.)
    /// </summary>
    public double WidthRegularization { get; init; } = TrainingDefaults.WidthRegularization;

    /// <summary>
    /// First epoch (1-based) of the annealed rate prior (docs/method.md §2.4, "dynamic compression"); null (default)
    /// applies the prior at every epoch. When set, the rate prior is off before this epoch; from it on, σλ starts at
    /// 1/<see cref="WidthRegularization"/> and decreases every epoch (see <see cref="RatePriorScaleAt"/>). Needs
    /// <see cref="WidthRegularization"/> &gt; 0.
    /// </summary>
    public int? WidthRegularizationStartEpoch { get; init; }

    /// <summary>Last epoch whose σλ decreases; later epochs keep the final σλ. Null (default) is <see cref="MaxEpoch"/>.</summary>
    public int? WidthRegularizationEndEpoch { get; init; }

    /// <summary>
    /// Annealing amount a in [0, 1): the fraction of σλ0 removed over the annealing epochs, in equal steps of
    /// a·σλ0/(end − start + 1). (Default is 0.9, the paper's.)
    /// </summary>
    public double WidthRegularizationAnnealing { get; init; } = TrainingDefaults.WidthRegularizationAnnealing;

    /// <summary>
    /// The "number of observations" N that divides the priors (docs/method.md §2.2, §5.6); null uses the training row count.
    /// (Default is null.)
    /// </summary>
    public double? ObservationCount { get; init; }

    /// <summary>
    /// Standardise every input feature inside the model with the training rows' mean and standard deviation (folded into
    /// the first layer at export), so the preceding normalizer, or none, does not change what the network learns.
    /// (Default is true.)
    /// </summary>
    public bool StandardizeInputs { get; init; } = true;

    /// <summary>
    /// Multiply activations by the importance rescaled to a mean square of 1, p·√D/‖p‖ (docs/method.md §5.8), rather
    /// than by p: same order and shape, but a uniform importance would be a plain layer, so the weights after an
    /// adaptive layer keep a plain network's scale whatever the width, and the weight prior and Adam's step act on them
    /// as on any other weight. (Default is true.)
    /// </summary>
    public bool NormalizeImportance { get; init; } = true;

    /// <summary>Initialise layers fed by an adaptive layer with Var = 2/Σp² (Theorem 3.1) rather than plain Kaiming. (Default is true.)</summary>
    public bool RescaledInitialization { get; init; } = true;

    /// <summary>
    /// How a growing layer's new neurons start (docs/method.md §1.5, §5.15). False: every new weight and bias from N(0, 1),
    /// the paper's rule, which relies on the new neuron's small importance; with the importance rescaled to a mean square
    /// of 1 (<see cref="NormalizeImportance"/>) that neuron still moves the output by about the target's own scale, and the
    /// training loss jumps at each growth. True: incoming weights as the initialisation draws them (§1.4), outgoing
    /// weights and bias 0, so the network computes the same function just after growing and the new neuron's first
    /// steps move it from there. (Default is false.)
    /// </summary>
    public bool PreserveFunctionOnGrowth { get; init; } = TrainingDefaults.PreserveFunctionOnGrowth;

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
    public int NumberOfThreads { get; init; } = TrainingDefaults.NumberOfThreads;

    /// <summary>The rate whose width at quantile <paramref name="quantile"/> is exactly <paramref name="width"/>: −ln(1−k)/(D − 1.5).</summary>
    public static double RateForWidth(int width, double quantile) => -Math.Log(1 - quantile) / (width - 1.5);

    /// <summary>The initial rate λ0, whose width is <see cref="InitialWidth"/>.</summary>
    public double InitialRate => RateForWidth(InitialWidth, Quantile);

    /// <summary>The lower bound on λ that <see cref="MaximumWidth"/> sets, or null when uncapped.</summary>
    public double? RateLowerBound => MaximumWidth is int width ? RateForWidth(width, Quantile) : null;

    /// <summary>The largest width a layer may take: <see cref="MaximumWidth"/>, or the supported maximum when uncapped.</summary>
    internal int WidthCap => MaximumWidth ?? ExponentialImportance.MaxSupportedWidth;

    /// <summary>The largest width of the first layer for <paramref name="inputs"/> features: <see cref="WidthCap"/>, or less for a wide input.</summary>
    internal int InputLayerWidthCap(int inputs) => (int)Math.Min(WidthCap, MaximumInputLayerWeights / Math.Max(1, inputs));

    /// <summary>
    /// Throws before training when even a first layer of 2 neurons would exceed <see cref="MaximumInputLayerWeights"/>;
    /// <paramref name="what"/> names the input (the feature column).
    /// </summary>
    /// <exception cref="ArgumentException">The input is too wide for the limit.</exception>
    internal void CheckInputLayer(int inputs, string what)
    {
        if (InputLayerWidthCap(inputs) < 2)
        {
            throw new ArgumentException(
                $"{what} has {inputs:N0} features, so a first layer of 2 neurons needs {2L * inputs:N0} weights, more than " +
                $"{nameof(MaximumInputLayerWeights)} ({MaximumInputLayerWeights:N0}). Raise {nameof(MaximumInputLayerWeights)} to at least {2L * inputs:N0} " +
                "(memory: 12 bytes a weight while training) or produce fewer features (for FeaturizeText, smaller n-gram lengths or a maximum number of terms).",
                "data");
        }
    }

    /// <summary>σλ0 = 1/<see cref="WidthRegularization"/>, or null when the rate prior is off.</summary>
    public double? RatePriorScale => WidthRegularization > 0 ? 1.0 / WidthRegularization : null;

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
        if (WidthRegularizationStartEpoch is not int start)
        {
            return initial;
        }
        if (epoch < start)
        {
            return null;
        }
        int end = WidthRegularizationEndEpoch ?? MaxEpoch;
        double step = WidthRegularizationAnnealing * initial / (end - start + 1);
        return initial - step * (Math.Min(epoch, end) - start);
    }

    /// <summary>
    /// Checks every setting and throws an exception that names the one at fault. The ML.NET options call this too (their
    /// names are the same), so each rule exists once.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A setting is out of range.</exception>
    public void Validate()
    {
        const int supported = ExponentialImportance.MaxSupportedWidth;
        Check(NumberOfLayers is >= 1 and <= 16, nameof(NumberOfLayers), NumberOfLayers, "must be between 1 and 16");
        Check(Quantile > 0 && Quantile < 1, nameof(Quantile), Quantile, "must be in (0, 1), for example 0.9");
        Check(MaximumWidth is null || MaximumWidth is >= 2 and <= supported, nameof(MaximumWidth), MaximumWidth,
            $"must be between 2 and {supported}");
        Check(InitialWidth >= 2 && InitialWidth <= WidthCap, nameof(InitialWidth), InitialWidth,
            $"must be between 2 and {nameof(MaximumWidth)} ({WidthCap}); raise {nameof(MaximumWidth)} for wider starts");
        Check(MaximumInputLayerWeights is >= 2 and <= 2_147_483_591, nameof(MaximumInputLayerWeights), MaximumInputLayerWeights,
            "must be between 2 and 2,147,483,591 (the first layer's weights are one array)");
        Check(Enum.IsDefined(Activation) && Activation != ActivationKind.Identity, nameof(Activation), Activation, "must be ReLU6, ReLU or LeakyReLU");
        Check(double.IsFinite(LearningRate) && LearningRate > 0, nameof(LearningRate), LearningRate, "must be positive, for example 0.01");
        Check(BatchSize >= 1, nameof(BatchSize), BatchSize, "must be at least 1, for example 128");
        Check(MaxEpoch >= 1, nameof(MaxEpoch), MaxEpoch, "must be at least 1");
        Check(EarlyStoppingPatience >= 0, nameof(EarlyStoppingPatience), EarlyStoppingPatience, "must be 0 (off) or positive");
        Check(EarlyStoppingPatienceSteps >= 0, nameof(EarlyStoppingPatienceSteps), EarlyStoppingPatienceSteps, "must be 0 (epochs alone) or positive");
        Check(LearningRateDecay > 0 && LearningRateDecay <= 1, nameof(LearningRateDecay), LearningRateDecay, "must be in (0, 1]; 1 keeps the learning rate constant");
        Check(LearningRateDecayPatience >= 1, nameof(LearningRateDecayPatience), LearningRateDecayPatience, "must be at least 1 (epochs)");
        Check(Enum.IsDefined(EarlyStoppingMetric), nameof(EarlyStoppingMetric), EarlyStoppingMetric, "must be Loss or Accuracy");
        Check(double.IsFinite(WeightPriorScale) && WeightPriorScale > 0, nameof(WeightPriorScale), WeightPriorScale, "must be positive, for example 1");
        Check(double.IsFinite(RatePriorMean) && RatePriorMean > 0, nameof(RatePriorMean), RatePriorMean, "must be a positive rate, for example 0.05");
        Check(double.IsFinite(WidthRegularization) && WidthRegularization >= 0, nameof(WidthRegularization), WidthRegularization, "must be 0 (off) or a positive strength");
        Check(WidthRegularizationStartEpoch is null || (WidthRegularizationStartEpoch >= 1 && WidthRegularizationStartEpoch <= MaxEpoch), nameof(WidthRegularizationStartEpoch),
            WidthRegularizationStartEpoch, $"must be null or between 1 and {nameof(MaxEpoch)} ({MaxEpoch})");
        Check(WidthRegularizationStartEpoch is null || WidthRegularization > 0, nameof(WidthRegularizationStartEpoch), WidthRegularizationStartEpoch,
            $"anneals the width regularization, so {nameof(WidthRegularization)} must be above 0");
        Check(WidthRegularizationEndEpoch is null || WidthRegularizationEndEpoch >= (WidthRegularizationStartEpoch ?? 1), nameof(WidthRegularizationEndEpoch),
            WidthRegularizationEndEpoch, $"must be null or at least {nameof(WidthRegularizationStartEpoch)}");
        Check(WidthRegularizationAnnealing >= 0 && WidthRegularizationAnnealing < 1, nameof(WidthRegularizationAnnealing), WidthRegularizationAnnealing, "must be in [0, 1)");
        Check(ObservationCount is null || (ObservationCount >= 1 && double.IsFinite(ObservationCount.Value)), nameof(ObservationCount), ObservationCount, "must be at least 1 or null");
        Check(NumberOfThreads >= 1, nameof(NumberOfThreads), NumberOfThreads, "must be at least 1");
        Check(Dropout >= 0 && Dropout < 1, nameof(Dropout), Dropout, "must be in [0, 1); 0 drops nothing");
        Check(LabelSmoothing >= 0 && LabelSmoothing < 1, nameof(LabelSmoothing), LabelSmoothing, "must be in [0, 1); 0 smooths nothing");
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
