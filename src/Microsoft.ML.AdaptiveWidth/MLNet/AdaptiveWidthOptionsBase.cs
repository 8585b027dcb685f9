using Microsoft.ML.AdaptiveWidth.Inference;
using Microsoft.ML.AdaptiveWidth.Training;

namespace Microsoft.ML.Trainers.AdaptiveWidth;

/// <summary>
/// Options shared by the adaptive-width trainers for binary classification, multiclass classification and regression.
/// The defaults were chosen on the public real-data suite (docs/realdata.md): the average of eight networks of two adaptive
/// layers that each start 32 neurons wide, ReLU6, Adam at 0.01, inputs standardised inside the model and their quantile codes.
/// </summary>
/// <remarks>
/// <para><b>Width regularization.</b> Each adaptive layer has a rate λ; its width is the k-quantile of an exponential
/// distribution, D = ⌊−ln(1−k)/λ⌋ + 2, so a larger λ means a narrower layer. <see cref="WidthRegularization"/> is one
/// knob over the Gaussian prior on λ of the method (mean μλ, scale σλ, divided like every prior by the number of
/// training rows N): a strength s &gt; 0 switches that prior on with μλ = <see cref="RatePriorMean"/> and σλ = 1/s, which
/// adds s²·(λ − μλ)²/(2N) to the objective per layer. With μλ above the current rate (0.05 is a width of 48 at k = 0.9)
/// the prior pulls λ up, that is toward narrower layers, and the larger s is, the harder it pulls against the data.
/// Useful strengths grow with N: start near √N (about 30 for 1,000 rows) and go up by factors of 3 until the accuracy
/// drops. 0 (the default) switches the prior off, as the paper does by default; widths are then learned from the data
/// and the weight prior alone.</para>
/// <para><b>Truncation budget.</b> After training, the shipped model keeps the first (most important) neurons of each
/// layer: <see cref="TruncationBudget"/> × the learned width (rounded up, at least 1), then at most
/// <see cref="MaxUnitsPerLayer"/>. Nothing is retrained: accuracy degrades gracefully because importance decreases
/// with the neuron index. This is the same operation as truncating the trained model afterwards with
/// <c>Truncate(TruncationTarget.Fraction(TruncationBudget))</c> then <c>TruncationTarget.MaxUnits(MaxUnitsPerLayer)</c>
/// (same widths, bit-identical scores), except that a cap above a learned width is accepted here (it was chosen before
/// the width was known) and keeps that width, whereas <c>TruncationTarget.MaxUnits</c> rejects a cap above every layer.
/// Truncating afterwards keeps the full model at hand, so several sizes can be compared without retraining; for a
/// compute budget use <c>TruncationTarget.MultiplyAdds</c>.</para>
/// </remarks>
public abstract class AdaptiveWidthOptionsBase : TrainerInputBaseWithWeight
{
    private protected AdaptiveWidthOptionsBase()
    {
    }

    /// <summary>
    /// The default values, shared by the options and by the catalog methods' simple overloads. The training
    /// hyper-parameters' defaults are defined once, in <see cref="TrainingDefaults"/>; these name them for ML.NET users.
    /// </summary>
    public static class Defaults
    {
        /// <summary>Default of <see cref="NumberOfLayers"/>: 2.</summary>
        public const int NumberOfLayers = TrainingDefaults.NumberOfLayers;

        /// <summary>Default of <see cref="MaxEpoch"/>: 200.</summary>
        public const int MaxEpoch = TrainingDefaults.MaxEpoch;

        /// <summary>Default of <see cref="InitialWidth"/>: 32 for each of the 8 ensemble members (rate 0.076 at k = 0.9;
        /// chosen on the public real-data suite, docs/realdata-recipe.md). A single network of the core API starts at
        /// <see cref="TrainingDefaults.InitialWidth"/>.</summary>
        public const int InitialWidth = 32;

        /// <summary>Default of <see cref="MaximumWidth"/>: 4607 (rate bound 5e-4 at k = 0.9).</summary>
        public const int MaximumWidth = TrainingDefaults.MaximumWidth;

        /// <summary>Default of <see cref="MaximumInputLayerWeights"/>: 8,388,608 (2^23).</summary>
        public const long MaximumInputLayerWeights = TrainingDefaults.MaximumInputLayerWeights;

        /// <summary>Default of <see cref="Quantile"/>: 0.9.</summary>
        public const double Quantile = TrainingDefaults.Quantile;

        /// <summary>Default of <see cref="LearningRate"/>: 0.01.</summary>
        public const double LearningRate = TrainingDefaults.LearningRate;

        /// <summary>Default of <see cref="BatchSize"/>: 128.</summary>
        public const int BatchSize = TrainingDefaults.BatchSize;

        /// <summary>Default of <see cref="EarlyStoppingPatience"/>: 30.</summary>
        public const int EarlyStoppingPatience = TrainingDefaults.EarlyStoppingPatience;

        /// <summary>Default of <see cref="EarlyStoppingPatienceSteps"/>: 5,000.</summary>
        public const int EarlyStoppingPatienceSteps = TrainingDefaults.EarlyStoppingPatienceSteps;

        /// <summary>Default of <see cref="QuantileCodes"/>: true (chosen on the public real-data suite, docs/realdata-recipe.md).</summary>
        public const bool QuantileCodes = true;

        /// <summary>Default of <see cref="QuantileCodeBins"/>: 0, automatic (chosen on the public real-data suite, docs/realdata-recipe.md).</summary>
        public const int QuantileCodeBins = 0;

        /// <summary>Default of <see cref="LinearPath"/>.</summary>
        public const bool LinearPath = TrainingDefaults.LinearPath;

        /// <summary>Default of <see cref="LinearBaseline"/>: true for the ML.NET trainers (docs/method.md §5.17; the core API keeps
        /// the paper's network, <see cref="TrainingDefaults.LinearBaseline"/>).</summary>
        public const bool LinearBaseline = true;

        /// <summary>Default of <see cref="PreserveFunctionOnGrowth"/>: true for the ML.NET trainers (docs/method.md §5.15; the core
        /// API keeps the paper's rule, <see cref="TrainingDefaults.PreserveFunctionOnGrowth"/>).</summary>
        public const bool PreserveFunctionOnGrowth = true;

        /// <summary>Default of <see cref="TemperatureScaling"/> (docs/method.md §5.16).</summary>
        public const bool TemperatureScaling = true;

        /// <summary>Default of <see cref="FeatureScales"/>.</summary>
        public const bool FeatureScales = TrainingDefaults.FeatureScales;

        /// <summary>Default of <see cref="Dropout"/>.</summary>
        public const double Dropout = TrainingDefaults.Dropout;

        /// <summary>Default of <see cref="LabelSmoothing"/>: 0.05, chosen on the public real-data suite (docs/realdata-recipe.md,
        /// twelfth round; the core API's single network keeps 0).</summary>
        public const double LabelSmoothing = 0.05;

        /// <summary>Default of <see cref="LearningRateDecay"/>.</summary>
        public const double LearningRateDecay = TrainingDefaults.LearningRateDecay;

        /// <summary>Default of <see cref="LearningRateDecayPatience"/>.</summary>
        public const int LearningRateDecayPatience = TrainingDefaults.LearningRateDecayPatience;

        /// <summary>Default of <see cref="EnsembleSize"/>: 8 (chosen on the public real-data suite, docs/realdata-recipe.md).</summary>
        public const int EnsembleSize = 8;

        /// <summary>The most members <see cref="EnsembleSize"/> may ask for.</summary>
        public const int MaxEnsembleSize = 16;

        /// <summary>Default of <see cref="ValidationFraction"/>: 0.1.</summary>
        public const double ValidationFraction = 0.1;

        /// <summary>Default of <see cref="WeightPriorScale"/>: 0.7 for the ensemble of small members (chosen on the public
        /// real-data suite, docs/realdata-recipe.md); the core API's single network keeps the paper's 1,
        /// <see cref="TrainingDefaults.WeightPriorScale"/>.</summary>
        public const double WeightPriorScale = 0.7;

        /// <summary>Default of <see cref="RatePriorMean"/>: 0.05.</summary>
        public const double RatePriorMean = TrainingDefaults.RatePriorMean;

        /// <summary>Default of <see cref="InMemoryLimitMegabytes"/>: 512 MB.</summary>
        public const int InMemoryLimitMegabytes = 512;

        /// <summary>Default of <see cref="ShuffleBufferRows"/>: 65,536 rows.</summary>
        public const int ShuffleBufferRows = 65536;

        /// <summary>The largest width any layer may reach.</summary>
        public const int LargestSupportedWidth = ExponentialImportance.MaxSupportedWidth;
    }

    /// <summary>Strength s of the width regularization (see the remarks): 0 is off, larger gives narrower layers.</summary>
    /// <value>Finite and ≥ 0. Default 0 (off).</value>
    public double WidthRegularization = TrainingDefaults.WidthRegularization;

    /// <summary>
    /// Anneals the width regularization (the paper's "dynamic compression", docs/method.md §2.4): off before this epoch, then
    /// switched on at σλ0 = 1/<see cref="WidthRegularization"/> and made stronger every epoch until
    /// <see cref="WidthRegularizationEndEpoch"/>: σλ falls by <see cref="WidthRegularizationAnnealing"/>·σλ0/(end − start + 1)
    /// per epoch, so that the last annealed epoch has σλ0·(1 − a·(end − start)/(end − start + 1)). Use it to let the
    /// network first fit the data at its natural width, then ask for a narrower network at similar accuracy in one run.
    /// </summary>
    /// <value>Null (default): the regularization, if on, has the same strength at every epoch. Otherwise 1 to
    /// <see cref="MaxEpoch"/>; needs <see cref="WidthRegularization"/> &gt; 0. The paper started at 40% of training.
    /// Training keeps the epoch with the best validation loss, which may come before the narrowing; set
    /// <see cref="EarlyStoppingPatience"/> high enough for the annealing to run.</value>
    public int? WidthRegularizationStartEpoch;

    /// <summary>Last epoch at which the annealed regularization grows stronger; later epochs keep its final strength.</summary>
    /// <value>Null (default) is <see cref="MaxEpoch"/>; otherwise at least <see cref="WidthRegularizationStartEpoch"/>.</value>
    public int? WidthRegularizationEndEpoch;

    /// <summary>Annealing amount a: the fraction of σλ0 removed over the annealing epochs.</summary>
    /// <value>In [0, 1). Default 0.9, the paper's; 0 keeps σλ0 constant from the start epoch on.</value>
    public double WidthRegularizationAnnealing = TrainingDefaults.WidthRegularizationAnnealing;

    /// <summary>Mean μλ of the prior on each layer's rate, used when <see cref="WidthRegularization"/> is on.</summary>
    /// <value>A positive rate; 0.05 corresponds to a width of 48 at k = 0.9. Default 0.05.</value>
    public double RatePriorMean = Defaults.RatePriorMean;

    /// <summary>Fraction of each layer's learned width kept in the shipped model (the most important neurons).</summary>
    /// <value>In (0, 1]. Default 1 (keep every neuron). Lower it to trade accuracy for scoring speed and size.</value>
    public double TruncationBudget = 1.0;

    /// <summary>Cap on the neurons kept per layer in the shipped model, applied after <see cref="TruncationBudget"/>.</summary>
    /// <value>Null (no cap) or ≥ 1; a cap above a layer's learned width keeps that width. Default null.</value>
    public int? MaxUnitsPerLayer;

    /// <summary>
    /// Automatic compression at the end of training: after <see cref="TruncationBudget"/> and
    /// <see cref="MaxUnitsPerLayer"/>, the smallest per-layer prefixes whose metric on the validation rows (those given
    /// to <c>Fit(train, validation)</c>, or held out by <see cref="ValidationFraction"/>) stays within this tolerance of
    /// the trained network's (see <see cref="Compression"/> for the search and its cost). For classifiers it is the
    /// accuracy points that may be lost (0.5 allows 95.0% → 94.5%); for regression, the percent of RMSE that may be added.
    /// The search and its curve are in the model parameters' <c>Compression</c> property.
    /// </summary>
    /// <value>Null (default, off) or finite and ≥ 0. Needs validation rows. Because the same rows choose the best epoch
    /// and the widths, check the result on separate test data.</value>
    public double? CompressionTolerance;

    /// <summary>Number of adaptive hidden layers.</summary>
    /// <value>1 to 16. Default 2 (chosen on the public real-data suite, docs/realdata.md); 1 is faster and enough for
    /// nearly linear data.</value>
    public int NumberOfLayers = Defaults.NumberOfLayers;

    /// <summary>
    /// Width every adaptive layer starts from. It is turned into the initial rate λ0 = −ln(1−k)/(D0 − 1.5), the rate
    /// whose width ⌊−ln(1−k)/λ0⌋ + 2 is exactly D0. Training then grows or shrinks each layer.
    /// </summary>
    /// <value>2 to <see cref="MaximumWidth"/>. Default 32 (λ0 ≈ 0.076 at k = 0.9; the paper starts at 232, λ0 = 0.01). Each ensemble
    /// member starts this wide: on the public real-data suite eight members of 32 were more accurate than four of 128, and
    /// score a row in about a third of the time (docs/realdata-recipe.md). A single network (<see cref="EnsembleSize"/> = 1)
    /// usually wants 128 or more.</value>
    public int InitialWidth = Defaults.InitialWidth;

    /// <summary>Quantile level k that turns a rate into a width.</summary>
    /// <value>In (0, 1). Default 0.9, the paper's.</value>
    public double Quantile = Defaults.Quantile;

    /// <summary>
    /// The widest a layer may grow; turned into the lower bound on the rate, −ln(1−k)/(<see cref="MaximumWidth"/> − 1.5).
    /// </summary>
    /// <value><see cref="InitialWidth"/> to 65,536. Default 4607 (rate bound 5e-4 at k = 0.9).</value>
    public int MaximumWidth = Defaults.MaximumWidth;

    /// <summary>
    /// The most weights the first layer may hold (features × its width). For a wide feature column, such as
    /// <c>FeaturizeText</c>'s hundreds of thousands of n-gram slots, it caps the first layer's width at floor(this /
    /// features), below <see cref="MaximumWidth"/>, and the first layer starts at that cap when <see cref="InitialWidth"/>
    /// is larger; the width is still learned under the cap. It bounds training memory (12 bytes a weight: the weight and
    /// two Adam moments) and the saved model (4 bytes a weight). Inputs of up to 1,820 features are not affected.
    /// </summary>
    /// <value>2 to 2,147,483,591. Default 8,388,608 (a 553,889-slot column gets at most 15 first-layer neurons).</value>
    public long MaximumInputLayerWeights = Defaults.MaximumInputLayerWeights;

    /// <summary>Nonlinearity of the adaptive layers.</summary>
    /// <value>ReLU6, ReLU or LeakyReLU. Default ReLU6: bounded, which the paper recommends for stable widths.</value>
    public ActivationKind Activation = TrainingDefaults.Activation;

    /// <summary>Adam learning rate, for the weights and the rates alike.</summary>
    /// <value>Positive. Default 0.01.</value>
    public double LearningRate = Defaults.LearningRate;

    /// <summary>Mini-batch size.</summary>
    /// <value>≥ 1. Default 128.</value>
    public int BatchSize = Defaults.BatchSize;

    /// <summary>Maximum number of passes over the training data.</summary>
    /// <value>≥ 1. Default 200; early stopping usually ends training sooner.</value>
    public int MaxEpoch = Defaults.MaxEpoch;

    /// <summary>Stop after this many epochs without a better validation loss; the best epoch's network is kept.</summary>
    /// <value>≥ 0; 0 switches early stopping off. Default 30.</value>
    public int EarlyStoppingPatience = Defaults.EarlyStoppingPatience;

    /// <summary>
    /// On large data, stop sooner than <see cref="EarlyStoppingPatience"/> epochs: once this many optimizer steps, and at
    /// least 10 epochs, have passed without a better validation metric. Sets of up to about 21,000 training rows (167
    /// batches of 128 an epoch) keep the whole <see cref="EarlyStoppingPatience"/>; 100,000 rows stop after 10 epochs
    /// without improvement.
    /// </summary>
    /// <value>≥ 0; 0 counts epochs alone. Default 5,000.</value>
    public int EarlyStoppingPatienceSteps = Defaults.EarlyStoppingPatienceSteps;

    /// <summary>
    /// The learning-rate schedule: after <see cref="LearningRateDecayPatience"/> epochs without a better validation metric
    /// (counted again from each decay), the learning rate is multiplied by this factor, down to 1/1000 of
    /// <see cref="LearningRate"/>; early stopping still ends training after <see cref="EarlyStoppingPatience"/> epochs
    /// without improvement (or <see cref="EarlyStoppingPatienceSteps"/> steps), and the best epoch's network is kept.
    /// </summary>
    /// <value>In (0, 1]; 1 keeps the learning rate constant. Needs validation rows (held out or given to Fit). Default 1
    /// (constant: on the public real-data suite the decay changed nothing, docs/realdata-recipe.md).</value>
    public double LearningRateDecay = Defaults.LearningRateDecay;

    /// <summary>
    /// A linear path from the inputs to the outputs beside the network, trained with it under the same weight prior, so
    /// that a nearly linear relation is learned as such and the hidden neurons learn what is left (docs/method.md §5.12).
    /// The model carries it as one extra neuron per output in every hidden layer, exact within twice the range its term
    /// took on the training rows and saturating beyond; saving, ONNX export, explanations and truncation are unchanged.
    /// </summary>
    /// <value>Default False (off: on the public real-data suite it helped some small sets and hurt others, docs/realdata-recipe.md).
    /// Ignored for a sparse (wide) feature column.</value>
    public bool LinearPath = Defaults.LinearPath;

    /// <summary>
    /// Fits a linear model (least squares, logistic or softmax regression, ridge-penalised with a penalty chosen on the
    /// held-out rows) before the networks train, and keeps it fixed beside them: each network learns what the linear model
    /// misses, and early stopping weighs the start (the linear model beside the untrained network, epoch 0) against every
    /// epoch, so that on small, nearly
    /// linear data the model is not worse than a linear trainer (docs/method.md §5.17). It reads the quantile codes of
    /// numeric features (bounded, so it cannot extrapolate beyond the training range) and the features with two values.
    /// The model carries it as a linear path: one extra neuron per output in every hidden layer.
    /// </summary>
    /// <value>Default True (chosen on the public real-data suite, docs/realdata-recipe.md, twenty-first round). Applies when the
    /// training rows are dense and held in memory and min(rows, 4,096) × inputs × outputs is at most 2²³ (8.4 million);
    /// not for continued training.</value>
    public bool LinearBaseline = Defaults.LinearBaseline;

    /// <summary>
    /// How a layer's new neurons start when its learned width grows (docs/method.md §1.5, §5.15): true gives their incoming
    /// weights the initialisation's scale and their outgoing weights and bias 0, so the network computes the same function
    /// just after growing and learns the new neurons from there; false draws them from N(0, 1), the paper's rule, which
    /// with this library's rescaled importance moves the output by about the target's own scale at each growth.
    /// </summary>
    /// <value>Default True (the training loss no longer jumps when a layer grows, and widths follow the data; on the public
    /// real-data suite accuracy within noise of the paper's rule, docs/realdata-recipe.md).</value>
    public bool PreserveFunctionOnGrowth = Defaults.PreserveFunctionOnGrowth;

    /// <summary>
    /// Classifiers: after training, divides the model's output logits by a temperature T fitted on the held-out rows (the
    /// least cross-entropy of each member's logits on its own held-out rows, T from 0.5 to 2), so that the probabilities
    /// match how often the model is right (docs/method.md §5.16). A positive T changes no predicted class and no ranking:
    /// accuracy and AUC are the same as without it; it lowers the log-loss where label smoothing keeps confident
    /// probabilities near 1 − ε + ε/K (on the public real-data suite: digits 0.106 → 0.053, kr-vs-kp 0.050 → 0.017).
    /// </summary>
    /// <value>Default True (every accuracy unchanged; mean test log-loss 0.361 → 0.351 on the suite's 14 classification sets
    /// and 0.384 → 0.379 on 16 held-out ones, docs/realdata-recipe.md, fifteenth round). Needs held-out rows (<see cref="ValidationFraction"/> above 0 or validation
    /// data; streamed rows take one more pass over them), else the logits are left as trained; regression ignores it. Continued
    /// training keeps the scale of the model it starts from (a second temperature would compound with the first).</value>
    public bool TemperatureScaling = Defaults.TemperatureScaling;

    /// <summary>
    /// A learned scale per feature (starting at 1) in front of the first layer, so that training can turn a feature up or
    /// down as a whole (RealMLP's scaling layer). The scales are folded into the first layer when the model is exported:
    /// the model, its scoring, saving and ONNX export are unchanged. Ignored for a sparse (wide) feature column.
    /// </summary>
    /// <value>Default False.</value>
    public bool FeatureScales = Defaults.FeatureScales;

    /// <summary>
    /// Share of each hidden layer's activations dropped (set to zero) in each training step; nothing is dropped in scoring.
    /// </summary>
    /// <value>Default 0 (none). Must be in [0, 1).</value>
    public double Dropout = Defaults.Dropout;

    /// <summary>
    /// Label smoothing of the training loss (classification): the target keeps 1 − ε on the label and spreads ε over all
    /// classes; validation loss and the model are unchanged. Regression ignores it.
    /// </summary>
    /// <value>Default 0.05: the label's target is 1 − 0.05 + 0.05/K for K classes, every other class's 0.05/K (binary:
    /// 0.975 against 0.025); on the public real-data suite it raised mlc_churn by 1.2 points and hpc_data by 0.7 and left
    /// the other classification sets within noise. 0 switches it off. Must be in [0, 1).</value>
    public double LabelSmoothing = Defaults.LabelSmoothing;

    /// <summary>
    /// Feeds the first layer, beside the features, a quantile code of every feature with at least three distinct values
    /// (one-hot and constant columns are left alone): a piecewise-linear map through 64 quantiles of the training rows to
    /// [0, 1], so the network sees each value's rank as well as its size (docs/method.md §5.13). The codes are fitted once on
    /// all training rows, stored in the model (format version 2), applied by the managed scorer and the ONNX export, and do
    /// not depend on the user's normalizer.
    /// </summary>
    /// <value>Default True (on the public real-data suite it raised the tree-shaped sets by 1 to 3.6 points, docs/realdata-recipe.md).
    /// Applies when the rows are dense and read into memory (not streamed, not a sparse column). The rows with their codes
    /// are one array: when they would exceed .NET's largest (about 2.1 billion values, for example 7.4 million rows of 32
    /// features with eight bins each), the codes get fewer bins, or none, with a warning in the log.</value>
    public bool QuantileCodes = Defaults.QuantileCodes;

    /// <summary>
    /// Codes per coded feature when <see cref="QuantileCodes"/> is on: 1 gives each feature its rank in [0, 1]; more split
    /// its 63 quantile segments into that many bins of equal mass, one code each (a piecewise-linear encoding: code b is
    /// 0 below bin b, 1 above it, linear inside), so a threshold at a quantile is a single weight (docs/method.md §5.13).
    /// 0 chooses by the number of training rows: one bin per 256 rows, from 1 to 8, and at most 512 codes in all.
    /// </summary>
    /// <value>0 (automatic) to 63. Default 0 (on the public real-data suite it raised the tree-shaped sets by up to 1.6
    /// points and left the small ones, which get one bin, as they were; docs/realdata-recipe.md). The first layer takes the
    /// features plus this many inputs per coded feature; the scorer reads two columns per coded feature whatever the bins.</value>
    public int QuantileCodeBins = Defaults.QuantileCodeBins;

    /// <summary>Epochs without a better validation metric before each decay of the learning rate.</summary>
    /// <value>≥ 1. Default 10.</value>
    public int LearningRateDecayPatience = Defaults.LearningRateDecayPatience;

    /// <summary>
    /// What selects the best epoch (whose network is kept) and drives early stopping: the validation loss, or the
    /// validation accuracy with ties broken by the loss (classification only; regression always uses the loss).
    /// </summary>
    /// <value>Default <see cref="EarlyStoppingMetric.Loss"/>: smooth, and a proper scoring rule; accuracy saturates on small
    /// validation sets and then keeps an early, under-trained epoch.</value>
    public EarlyStoppingMetric EarlyStoppingMetric = TrainingDefaults.EarlyStoppingMetric;

    /// <summary>
    /// Fraction of the training rows held out for early stopping when neither <see cref="ValidationSet"/> nor <c>Fit</c>
    /// gives validation data (stratified
    /// by class for classifiers, chosen from the seed).
    /// </summary>
    /// <value>In [0, 1); 0 trains on every row and keeps the last epoch, as happens too (with a warning in the log) when
    /// the fraction of the rows rounds to none, on tiny data such as four rows. Default 0.1.</value>
    public double ValidationFraction = Defaults.ValidationFraction;

    /// <summary>
    /// Number of networks trained and averaged into the model (docs/method.md §5.10). Each member is a full adaptive-width
    /// network with its own initial weights, shuffling and, when the trainer holds out validation rows, its own held-out
    /// rows, so together the members learn from every row; the model outputs the mean of their raw outputs (logits for
    /// classifiers). The members are merged into one network whose hidden layers hold every member's neurons, ordered
    /// by importance: it scores, saves, explains, exports to ONNX and truncates as a single network. When the rows are
    /// read into memory, members train in parallel, as many at a time as there are processor cores per
    /// <see cref="NumberOfThreads"/> (the model does not depend on it); training takes about this many times as long as
    /// one network divided by that number.
    /// </summary>
    /// <value>1 to 16; 1 trains a single network. Default 8 (each starting <see cref="InitialWidth"/> = 32 wide): on the public
    /// real-data suite the average of several networks was more accurate than one network on most sets, and never more
    /// than a little less, and eight narrow members beat four wide ones (docs/realdata-recipe.md).
    /// Continued training (<c>Fit(trainData, modelParameters)</c>) trains the given network as one network.</value>
    public int EnsembleSize = Defaults.EnsembleSize;

    /// <summary>
    /// Validation data for early stopping and for choosing the best epoch, as the <c>ValidationSet</c> option of
    /// Microsoft.ML.TorchSharp's trainers; the same as passing it to <c>Fit(train, validation)</c>. It must have the
    /// columns the trainer sees (in a pipeline, transform it with the fitted preceding transforms first).
    /// </summary>
    /// <value>Null (default): use the data given to <c>Fit(train, validation)</c>, else hold out <see cref="ValidationFraction"/>.
    /// Giving both this option and different validation data to <c>Fit</c> is an error.</value>
    public IDataView? ValidationSet;

    /// <summary>
    /// How training reads the data: into memory once (fastest when it fits), or streamed through a cursor once per epoch
    /// in mini-batches with a bounded shuffle buffer, so data larger than memory trains. <see cref="TrainingDataMode.Auto"/>
    /// streams when the feature matrix, with the quantile codes the model would add (<see cref="QuantileCodes"/>), would
    /// exceed <see cref="InMemoryLimitMegabytes"/>; streamed rows get no codes. A feature column of 4,096 slots
    /// or more (such as <c>FeaturizeText</c>'s output) is read as sparse rows, whose size is their non-zeros (8 bytes each,
    /// plus 16 a row): <see cref="TrainingDataMode.Auto"/> streams them when that exceeds <see cref="InMemoryLimitMegabytes"/>,
    /// and streaming holds at most <see cref="ShuffleBufferRows"/> rows, as their non-zeros.
    /// </summary>
    /// <value>Default <see cref="TrainingDataMode.Auto"/>.</value>
    public TrainingDataMode DataMode = TrainingDataMode.Auto;

    /// <summary>
    /// In <see cref="TrainingDataMode.Auto"/>, the largest training matrix read into memory: rows × (features + codes) × 4
    /// bytes, where codes is the most quantile codes the model can add (<see cref="QuantileCodes"/>: up to 8 a feature and 512
    /// in all with automatic bins, <see cref="QuantileCodeBins"/> a feature otherwise; none when off). 32 features count as
    /// 288 columns, so up to about 466,000 such rows train in memory at the default.
    /// </summary>
    /// <value>≥ 1. Default 512 (MB). In-memory training peaks at about 4x this matrix (the rows as read with their codes,
    /// and each member training in parallel holds its training and held-out rows in libtorch's memory): 460,000 rows × 32
    /// features, just under the default, peaked at 2.2 GB resident (470,000 rows streamed: 0.24 GB).</value>
    public int InMemoryLimitMegabytes = Defaults.InMemoryLimitMegabytes;

    /// <summary>
    /// Rows in the shuffle buffer when streaming. Rows enter in the data's order; once the buffer is full each new row
    /// replaces a randomly chosen one, which goes to the mini-batch. A buffer smaller than the data shuffles only locally:
    /// shuffle data that is sorted (for example by label) before streaming it, or raise this.
    /// </summary>
    /// <value>≥ 1. Default 65,536 (8 MB at 32 features).</value>
    public int ShuffleBufferRows = Defaults.ShuffleBufferRows;

    /// <summary>Seed of the trainer's private random generator (initial weights, shuffling, validation split).</summary>
    /// <value>Null (default): the <c>MLContext</c>'s seed, so <c>new MLContext(seed: 1)</c> reproduces runs and trains the same
    /// network whatever else the pipeline holds (a normalizer before the trainer, as the inputs are standardised inside the
    /// model, then changes nothing but float rounding); a context without a seed draws one from its generator.</value>
    public int? Seed;

    /// <summary>Threads libtorch may use for one operation.</summary>
    /// <value>≥ 1. Default 1, the fastest for the small matrices of tabular networks. With more, libtorch may split a sum
    /// differently, so on some processors the model differs in the last bits from the one trained with 1.</value>
    public int NumberOfThreads = TrainingDefaults.NumberOfThreads;

    /// <summary>For tests: at most this many ensemble members train at a time (null: as many as the cores allow at
    /// <see cref="NumberOfThreads"/> each).</summary>
    internal int? MaximumParallelMembers;

    /// <summary>For tests: the most values one array of rows with their quantile codes may hold (null: .NET's
    /// <see cref="Array.MaxLength"/>).</summary>
    internal long? MaximumArrayValues;

    /// <summary>Cancels training; checked before every mini-batch. <c>MLContext.CancelExecution</c> is also honoured, before every mini-batch.</summary>
    /// <value>Default: none.</value>
    public CancellationToken CancellationToken;

    /// <summary>
    /// Called after every epoch with its metrics (epoch, training and validation loss, validation accuracy, widths, time),
    /// as ML.NET's image classification trainer calls its <c>MetricsCallback</c>: for a live display or custom logging
    /// without parsing <c>MLContext.Log</c>. It runs on the training thread, between epochs, so it should be quick. An
    /// exception it throws propagates out of <c>Fit</c> and stops training (no model is returned).
    /// </summary>
    /// <value>Null (default): no callback; progress still goes to <c>MLContext.Log</c>.</value>
    public Action<AdaptiveWidthEpochMetrics>? ProgressCallback;

    /// <summary>Scale σθ of the Gaussian prior on all weights and biases: an L2 penalty Σθ²/(2σθ²N).</summary>
    /// <value>Positive. Default 0.7 (twice the paper's penalty: on the public real-data suite it held back overfitting on the
    /// sets with many one-hot columns, docs/realdata-recipe.md); smaller regularizes more.</value>
    public double WeightPriorScale = Defaults.WeightPriorScale;

    /// <summary>
    /// Checks every option; the exception names the option at fault and what would fix it. The training
    /// hyper-parameters are checked by <see cref="TrainingSettings.Validate"/>, whose names are the options' names; this
    /// adds only what the ML.NET layer owns (columns, truncation, compression, validation split, data reading).
    /// </summary>
    /// <exception cref="ArgumentException">A column name is empty.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    internal void Validate()
    {
        CheckName(FeatureColumnName, nameof(FeatureColumnName));
        CheckName(LabelColumnName, nameof(LabelColumnName));
        if (ExampleWeightColumnName is not null)
        {
            CheckName(ExampleWeightColumnName, nameof(ExampleWeightColumnName));
        }
        ToTrainingSettings(seed: 0).Validate();
        Check(TruncationBudget > 0 && TruncationBudget <= 1, nameof(TruncationBudget), TruncationBudget, "must be in (0, 1]; use 1 to keep every neuron");
        Check(MaxUnitsPerLayer is null || MaxUnitsPerLayer >= 1, nameof(MaxUnitsPerLayer), MaxUnitsPerLayer, "must be null (no cap) or at least 1");
        Check(CompressionTolerance is null || (double.IsFinite(CompressionTolerance.Value) && CompressionTolerance >= 0), nameof(CompressionTolerance),
            CompressionTolerance, "must be null (off) or a finite tolerance of at least 0");
        Check(EnsembleSize >= 1 && EnsembleSize <= Defaults.MaxEnsembleSize, nameof(EnsembleSize), EnsembleSize,
            $"must be 1 (one network) to {Defaults.MaxEnsembleSize}");
        Check(QuantileCodeBins >= 0 && QuantileCodeBins <= 63, nameof(QuantileCodeBins), QuantileCodeBins, "must be from 0 (automatic) to 63");
        Check(ValidationFraction >= 0 && ValidationFraction < 1, nameof(ValidationFraction), ValidationFraction,
            "must be in [0, 1); use 0 to train on every row, or pass validation data to Fit");
        // Throws for a metric the task cannot measure (the binary options' CompressionMetric).
        _ = ValidatedCompressionMetric(NetworkTask.BinaryClassification);
        Check(Enum.IsDefined(DataMode), nameof(DataMode), DataMode, "must be Auto, InMemory or Streaming");
        Check(InMemoryLimitMegabytes >= 1, nameof(InMemoryLimitMegabytes), InMemoryLimitMegabytes, "must be at least 1 (MB)");
        Check(ShuffleBufferRows >= 1, nameof(ShuffleBufferRows), ShuffleBufferRows, "must be at least 1, for example 65536");
    }

    /// <summary>The metric that <see cref="CompressionTolerance"/> is measured in: accuracy for classifiers, RMSE for regression.</summary>
    internal virtual QualityMetric ValidatedCompressionMetric(NetworkTask task) => task == NetworkTask.Regression ? QualityMetric.Rmse : QualityMetric.Accuracy;

    /// <summary>Maps the options onto the training loop's settings: the same hyper-parameters under the same names.</summary>
    internal TrainingSettings ToTrainingSettings(int seed) => new()
    {
        NumberOfLayers = NumberOfLayers,
        Quantile = Quantile,
        InitialWidth = InitialWidth,
        MaximumWidth = MaximumWidth,
        MaximumInputLayerWeights = MaximumInputLayerWeights,
        Activation = Activation,
        LearningRate = LearningRate,
        BatchSize = BatchSize,
        MaxEpoch = MaxEpoch,
        EarlyStoppingPatience = EarlyStoppingPatience,
        EarlyStoppingPatienceSteps = EarlyStoppingPatienceSteps,
        LinearPath = LinearPath,
        LinearBaseline = LinearBaseline,
        PreserveFunctionOnGrowth = PreserveFunctionOnGrowth,
        FeatureScales = FeatureScales,
        Dropout = Dropout,
        LabelSmoothing = LabelSmoothing,
        LearningRateDecay = LearningRateDecay,
        LearningRateDecayPatience = LearningRateDecayPatience,
        EarlyStoppingMetric = EarlyStoppingMetric,
        WeightPriorScale = WeightPriorScale,
        RatePriorMean = RatePriorMean,
        WidthRegularization = WidthRegularization,
        WidthRegularizationStartEpoch = WidthRegularizationStartEpoch,
        WidthRegularizationEndEpoch = WidthRegularizationEndEpoch,
        WidthRegularizationAnnealing = WidthRegularizationAnnealing,
        Seed = seed,
        NumberOfThreads = NumberOfThreads,
    };

    private static void CheckName(string? name, string option)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            throw new ArgumentException($"{option} must name a column (got '{name}').", option);
        }
    }

    private static void Check(bool ok, string option, object? value, string rule)
    {
        if (!ok)
        {
            throw new ArgumentOutOfRangeException(option, value, $"{option} {rule} (got {value?.ToString() ?? "null"}).");
        }
    }
}

/// <summary>How an AdaptiveWidth trainer reads its training data.</summary>
public enum TrainingDataMode
{
    /// <summary>In memory when the feature matrix with its quantile codes fits in <see cref="AdaptiveWidthOptionsBase.InMemoryLimitMegabytes"/>, else streamed.</summary>
    Auto,

    /// <summary>Read every row into memory once, then train from memory.</summary>
    InMemory,

    /// <summary>Read the data through a cursor once per epoch, shuffled through a bounded buffer.</summary>
    Streaming,
}
