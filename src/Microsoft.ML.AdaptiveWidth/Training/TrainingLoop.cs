using System.Diagnostics;
using Microsoft.ML.AdaptiveWidth.Inference;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.AdaptiveWidth.Training;

/// <summary>
/// Epochs of shuffled mini-batches with Adam: widths updated before every batch, one dispose scope per batch, no host
/// read-back inside a batch except the rates (needed to know the widths) and the importance gradients (for the rates'
/// analytic gradient, docs/method.md §5.2). After each epoch: validation under
/// no_grad, a history record, best-epoch snapshot (weights and widths) and early stopping.
/// </summary>
internal sealed class TrainingLoop : IDisposable
{
    /// <summary>Evaluation runs in chunks of at most this many rows ...</summary>
    private const int EvaluationChunk = 8192;

    /// <summary>... and at most this many hidden activations per chunk (4 MB), so a wide layer does not make evaluation
    /// the memory peak (8,192 rows × 1,500 units would be 50 MB per intermediate tensor).</summary>
    private const int EvaluationActivations = 1 << 20;

    /// <summary>The learning-rate schedule does not go below this fraction of the initial rate.</summary>
    private const double MinimumLearningRateFraction = 1e-3;

    private readonly NetworkTask _task;
    private readonly TrainingSettings _settings;
    private readonly Generator _generator;
    private readonly AdaptiveWidthNetwork _network;
    private readonly WidthObjective _objective;
    private readonly BatchSource _train;
    private readonly BatchSource? _validation;
    private readonly double _targetMean;
    private readonly double _targetScale;
    private readonly InputStandardization _standardization;
    // Scalars passed to TorchSharp are held here for the run (Training/TorchScalars.cs).
    private readonly ScalarCache _constants = new();
    private readonly ScalarSlot _batchLength = new();

    /// <summary>Trains on data held in memory.</summary>
    public TrainingLoop(NetworkTask task, int outputs, TrainingData train, TrainingData? validation, TrainingSettings settings,
        AdaptiveWidthModel? initial = null)
        : this(task, outputs, train.FeatureCount, settings, Target(task, train.Labels), initial,
            // Sparse rows are not standardised (docs/method.md, "Sparse inputs"): centring would make them dense, and scaling
            // each feature by its deviation inflates rare n-grams, which the first layer then memorises.
            !settings.StandardizeInputs || train.Sparse is not null ? InputStandardization.Identity(train.FeatureCount) : InputStandardization.Of(train),
            (mean, scale, inputs) => InMemory(train, task, mean, scale, inputs),
            validation is null ? null : (mean, scale, inputs) => InMemory(validation, task, mean, scale, inputs),
            train.Sparse is SparseRows sparse ? (double)sparse.NonZeroCount / sparse.RowCount : null)
    {
        if ((validation is not null) && (validation.Sparse is null) != (train.Sparse is null))
        {
            throw new ArgumentException("The training and validation data must both be sparse or both dense.", nameof(validation));
        }
    }

    private static BatchSource InMemory(TrainingData data, NetworkTask task, double mean, double scale, InputStandardization inputs)
        => data.Sparse is null ? new InMemoryBatchSource(data, task, mean, scale, inputs) : new SparseBatchSource(data, task, mean, scale, inputs);

    /// <summary>Trains on rows streamed from a source once per epoch, shuffled through a buffer of <paramref name="bufferRows"/> rows.</summary>
    public TrainingLoop(NetworkTask task, int outputs, StreamingTrainingData train, StreamingTrainingData? validation, TrainingSettings settings, int bufferRows,
        AdaptiveWidthModel? initial = null)
        : this(task, outputs, train.FeatureCount, settings, Target(task, train.LabelMean, train.LabelVariance), initial,
            settings.StandardizeInputs ? train.Standardization : InputStandardization.Identity(train.FeatureCount),
            (mean, scale, inputs) => new StreamingBatchSource(train, task, mean, scale, bufferRows, inputs),
            validation is null ? null : (mean, scale, inputs) => new StreamingBatchSource(validation, task, mean, scale, bufferRows, inputs))
    {
    }

    /// <summary>
    /// Trains on sparse rows streamed from a source once per epoch, shuffled through a buffer of <paramref name="bufferRows"/>
    /// rows held as their non-zeros; not standardised, as sparse rows in memory are not.
    /// </summary>
    public TrainingLoop(NetworkTask task, int outputs, SparseStreamingData train, SparseStreamingData? validation, TrainingSettings settings,
        int bufferRows, AdaptiveWidthModel? initial = null)
        : this(task, outputs, train.FeatureCount, settings, Target(task, train.LabelMean, train.LabelVariance), initial,
            InputStandardization.Identity(train.FeatureCount),
            (mean, scale, _) => new SparseStreamingBatchSource(train, task, mean, scale, bufferRows),
            validation is null ? null : (mean, scale, _) => new SparseStreamingBatchSource(validation, task, mean, scale, bufferRows),
            (double)train.NonZeroCount / train.RowCount)
    {
    }

    private TrainingLoop(NetworkTask task, int outputs, int featureCount, TrainingSettings settings, (double Mean, double Scale) target,
        AdaptiveWidthModel? initial, InputStandardization standardization,
        Func<double, double, InputStandardization, BatchSource> train, Func<double, double, InputStandardization, BatchSource>? validation,
        double? sparseFanIn = null)
    {
        _task = task;
        _settings = settings;
        _generator = new Generator((ulong)(uint)settings.Seed);
        (_targetMean, _targetScale) = target;
        _standardization = standardization;
        _train = train(_targetMean, _targetScale, standardization);
        _validation = validation?.Invoke(_targetMean, _targetScale, standardization);
        _network = new AdaptiveWidthNetwork(featureCount, outputs, settings, _generator, sparseFanIn);
        if (initial is not null)
        {
            // Continued training: the same function as the given model; the optimizer state and the schedule restart.
            _network.Load(initial, standardization, _targetMean, _targetScale);
        }
        if (settings.LinearBaseline && _network.Layout.LinearPath && (initial is not null || _train is not InMemoryBatchSource))
        {
            throw new ArgumentException($"{nameof(TrainingSettings.LinearBaseline)} fits a linear model on rows held in memory before the network trains: " +
                "it is not for streamed rows or continued training.", nameof(settings));
        }
        _objective = new WidthObjective(task, settings, settings.ObservationCount ?? _train.RowCount);
    }

    /// <summary>
    /// Regression learns a standardised target (raw targets such as prices would need a different learning rate); the
    /// exporter folds the scale and mean back into the output layer, so scores come out in the original units.
    /// </summary>
    private static (double Mean, double Scale) Target(NetworkTask task, double mean, double variance)
        => task == NetworkTask.Regression ? (mean, variance > 1e-24 ? Math.Sqrt(variance) : 1) : (0, 1);

    private static (double Mean, double Scale) Target(NetworkTask task, float[] labels)
    {
        if (task != NetworkTask.Regression)
        {
            return (0, 1);
        }
        double mean = labels.Average(v => (double)v);
        return Target(task, mean, labels.Average(v => (v - mean) * (v - mean)));
    }

    public AdaptiveWidthNetwork Network => _network;

    /// <param name="progress">Receives a record after every epoch, or null.</param>
    /// <param name="cancellationToken">Checked before every mini-batch.</param>
    /// <param name="beforeBatch">Called before every mini-batch, right after the token is checked (the ML.NET driver
    /// checks the host's cancellation there); may throw to stop training.</param>
    public TrainingResult Run(IProgress<EpochRecord>? progress, CancellationToken cancellationToken, Action? beforeBatch = null)
    {
        var history = new List<EpochRecord>();
        NetworkSnapshot? best = null;
        int bestEpoch = 0;
        (double Loss, double Accuracy) bestMetric = (double.PositiveInfinity, double.NegativeInfinity);
        int sinceBest = 0;
        int sinceDecay = 0;
        double minimumRate = _settings.LearningRate * MinimumLearningRateFraction;
        StopReason stopped = StopReason.MaxEpochs;
        int patience = _settings.PatienceEpochs(_train.RowCount);
        if (_settings.LinearBaseline && _network.Layout.LinearPath)
        {
            FitLinearBaseline();
            if (_validation is not null)
            {
                // Epoch 0, the linear model beside the untrained network, is the first candidate of early stopping.
                bestMetric = Evaluate(_validation);
                best = _network.Snapshot();
            }
        }

        for (int epoch = 1; epoch <= _settings.MaxEpoch; epoch++)
        {
            var clock = Stopwatch.StartNew();
            // The annealing scheduler runs at the start of each epoch, as in the reference (docs/method.md §2.4).
            _objective.StartEpoch(epoch);
            double trainingLoss = RunEpoch(cancellationToken, beforeBatch);
            (double validationLoss, double validationAccuracy) = _validation is null ? (double.NaN, double.NaN) : Evaluate(_validation);
            double objective = trainingLoss / (_targetScale * _targetScale) + _objective.WeightPrior(_network)
                + _objective.RatePriorValue(_network.Rates());
            var record = new EpochRecord(epoch, trainingLoss, objective, validationLoss, validationAccuracy,
                _network.Widths.ToArray(), clock.Elapsed);
            history.Add(record);

            bool improved = _validation is null || IsBetter((validationLoss, validationAccuracy), bestMetric);
            if (improved)
            {
                best = _network.Snapshot();
                bestEpoch = epoch;
                bestMetric = (validationLoss, validationAccuracy);
                sinceBest = 0;
                sinceDecay = 0;
            }
            else
            {
                sinceBest++;
                sinceDecay++;
                if (_validation is not null && _settings.LearningRateDecay < 1 && sinceDecay >= _settings.LearningRateDecayPatience
                    && _network.LearningRate > minimumRate)
                {
                    // A plateau: smaller steps from here (the schedule of the run, not of the network, restarts with it).
                    _network.LearningRate = Math.Max(minimumRate, _network.LearningRate * _settings.LearningRateDecay);
                    sinceDecay = 0;
                }
            }
            progress?.Report(record);

            if (!double.IsFinite(trainingLoss))
            {
                throw new InvalidOperationException(
                    $"Training diverged at epoch {epoch} (loss {trainingLoss}). Lower {nameof(TrainingSettings.LearningRate)} or normalize the features.");
            }
            if (patience > 0 && _validation is not null && sinceBest >= patience)
            {
                stopped = StopReason.EarlyStopping;
                break;
            }
        }

        AdaptiveWidthModel network = InferenceExporter.Export(best!, _settings, _targetScale, _targetMean, _standardization);
        LinearTerm? linear = AdaptiveWidthNetwork.SkipWeights(best!) is float[] skip
            ? InferenceExporter.ExportLinearPath(skip, SkipRange(skip), _targetScale, _standardization)
            : null;
        return new TrainingResult(linear?.Embed(network) ?? network, history, bestEpoch, stopped) { WithoutLinearPath = network, Linear = linear };
    }

    /// <summary>
    /// Fits the linear baseline (<see cref="LinearBaseline"/>) on the training rows, choosing its penalty on the held-out
    /// rows, and writes it into the linear path's skip weight and the output bias; the network's own weights keep their
    /// initialisation.
    /// </summary>
    private void FitLinearBaseline()
    {
        ParameterLayout layout = _network.Layout;
        ParameterBlock skip = layout.Skip!.Value;
        using var scope = NewDisposeScope();
        Batch train = Whole(_train);
        Batch? validation = _validation is null ? null : Whole(_validation);
        LinearBaseline.Fit fit = LinearBaseline.Run(_task, layout.Outputs, train, validation, _settings.LinearBaselineInputs, _settings.LabelSmoothing,
            _objective.WeightDecay, (output, rows) => _objective.DataLoss(output, rows.Labels, rows.Weights));
        using var noGrad = no_grad();
        _network.Parameters.narrow(0, skip.Offset, skip.Length).copy_(tensor(fit.Weights));
        _network.Parameters.narrow(0, layout.OutputBias.Offset, layout.Outputs).copy_(tensor(fit.Bias));
    }

    /// <summary>Every row of an in-memory source as one batch of views (no copy).</summary>
    private static Batch Whole(BatchSource source)
    {
        using BatchPass pass = source.StartPass((int)source.RowCount, shuffle: null);
        pass.MoveNext();
        return pass.Current();
    }

    /// <summary>Per output, the smallest and largest value of the linear path's term over the training rows (one pass, no_grad).</summary>
    private (double[] Low, double[] High) SkipRange(float[] skip)
    {
        int outputs = skip.Length / _network.Layout.Inputs;
        var low = Enumerable.Repeat(double.PositiveInfinity, outputs).ToArray();
        var high = Enumerable.Repeat(double.NegativeInfinity, outputs).ToArray();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        Tensor weights = tensor(skip, [outputs, _network.Layout.Inputs]).t();
        using BatchPass pass = _train.StartPass(EvaluationChunk, shuffle: null);
        while (pass.MoveNext())
        {
            using var chunkScope = NewDisposeScope();
            Tensor z = pass.Current().Features!.mm(weights);
            float[] min = z.amin([0]).data<float>().ToArray();
            float[] max = z.amax([0]).data<float>().ToArray();
            for (int k = 0; k < outputs; k++)
            {
                low[k] = Math.Min(low[k], min[k]);
                high[k] = Math.Max(high[k], max[k]);
            }
        }
        for (int k = 0; k < outputs; k++)
        {
            if (low[k] > high[k])
            {
                (low[k], high[k]) = (0, 0);
            }
        }
        return (low, high);
    }

    /// <summary>Lower loss; or, when selecting by accuracy (classification), higher accuracy with ties broken by lower loss.</summary>
    private bool IsBetter((double Loss, double Accuracy) candidate, (double Loss, double Accuracy) best)
    {
        if (_task == NetworkTask.Regression || _settings.EarlyStoppingMetric == EarlyStoppingMetric.Loss || candidate.Accuracy == best.Accuracy)
        {
            return candidate.Loss < best.Loss;
        }
        return candidate.Accuracy > best.Accuracy;
    }

    private double RunEpoch(CancellationToken cancellationToken, Action? beforeBatch)
    {
        long rows = _train.RowCount;
        int batchSize = (int)Math.Min(_settings.BatchSize, rows);
        using var lossSum = zeros(1).DetachFromDisposeScope();
        using (var epochScope = NewDisposeScope())
        using (BatchPass pass = _train.StartPass(batchSize, _generator))
        {
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                beforeBatch?.Invoke();
                if (!pass.MoveNext())
                {
                    break;
                }
                _network.UpdateWidths();
                using var batchScope = NewDisposeScope();
                Batch batch = pass.Current();
                _network.Gradient.zero_();
                Tensor output = _network.Forward(batch, train: true);
                Tensor loss = _objective.DataLoss(output, batch.Labels, batch.Weights, training: true);
                loss.backward();
                _network.AccumulateRateGradients(_objective.RatePriorGradient);
                _objective.AddWeightPriorGradient(_network.Parameters, _network.Gradient, _network.Layout.ThetaLength);
                if (_settings.LinearBaseline && !_settings.LinearPath && _network.Layout.Skip is ParameterBlock fixedPath)
                {
                    // The baseline stays as fitted: a zero gradient leaves Adam's moments, and so the weights, unmoved.
                    _network.Gradient.narrow(0, fixedPath.Offset, fixedPath.Length).zero_();
                }
                _network.Optimizer.Step(_network.Parameters, _network.Gradient);
                _network.StepSparseInput(_objective.WeightDecay);
                using (no_grad())
                {
                    lossSum.add_(loss, _batchLength.Of(batch.Length));
                }
            }
        }
        // Reported in the target's original units (regression learns a standardised target).
        return lossSum.item<float>() / rows * _targetScale * _targetScale;
    }

    /// <summary>Mean data loss (original units) and accuracy (classification) over a data set, under no_grad.</summary>
    internal (double Loss, double Accuracy) Evaluate(BatchSource data)
    {
        // The method recomputes the widths before every forward pass, evaluation included.
        _network.UpdateWidths();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        double lossSum = 0;
        long correct = 0;
        int chunkRows = Math.Clamp(EvaluationActivations / Math.Max(1, _network.Widths.Max()), 256, EvaluationChunk);
        using BatchPass pass = data.StartPass(chunkRows, shuffle: null);
        while (pass.MoveNext())
        {
            using var chunkScope = NewDisposeScope();
            Batch chunk = pass.Current();
            Tensor output = _network.Forward(chunk, train: false);
            lossSum += _objective.DataLoss(output, chunk.Labels, chunk.Weights).item<float>() * chunk.Length;
            if (_task == NetworkTask.BinaryClassification)
            {
                correct += output.view(-1).gt(_constants[0]).eq(chunk.Labels.gt(_constants[0.5])).sum().item<long>();
            }
            else if (_task == NetworkTask.MulticlassClassification)
            {
                correct += output.argmax(1).eq(chunk.Labels).sum().item<long>();
            }
        }
        double accuracy = _task == NetworkTask.Regression ? double.NaN : (double)correct / data.RowCount;
        return (lossSum / data.RowCount * _targetScale * _targetScale, accuracy);
    }

    public void Dispose()
    {
        _network.Dispose();
        _objective.Dispose();
        _constants.Dispose();
        _batchLength.Dispose();
        _train.Dispose();
        _validation?.Dispose();
        _generator.Dispose();
    }
}
