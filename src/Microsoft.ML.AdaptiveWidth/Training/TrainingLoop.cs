using System.Diagnostics;
using Microsoft.ML.AdaptiveWidth.Inference;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.AdaptiveWidth.Training;

/// <summary>
/// Epochs of shuffled mini-batches with Adam: widths updated before every batch, one dispose scope per batch, no host
/// read-back inside a batch except the rates (needed to know the widths). After each epoch: validation under
/// no_grad, a history record, best-epoch snapshot (weights and widths) and early stopping.
/// </summary>
internal sealed class TrainingLoop : IDisposable
{
    private const int EvaluationChunk = 8192;

    private readonly NetworkTask _task;
    private readonly TrainingSettings _settings;
    private readonly Generator _generator;
    private readonly AdaptiveWidthNetwork _network;
    private readonly WidthObjective _objective;
    private readonly DeviceData _train;
    private readonly DeviceData? _validation;
    private readonly double _targetMean;
    private readonly double _targetScale;

    public TrainingLoop(NetworkTask task, int outputs, TrainingData train, TrainingData? validation, TrainingSettings settings)
    {
        _task = task;
        _settings = settings;
        _generator = new Generator((ulong)(uint)settings.Seed);
        if (task == NetworkTask.Regression)
        {
            // Learn a standardised target (raw targets such as prices would need a different learning rate); the
            // exporter folds the scale and mean back into the output layer, so scores come out in the original units.
            double mean = train.Labels.Average(v => (double)v);
            double variance = train.Labels.Average(v => (v - mean) * (v - mean));
            _targetMean = mean;
            _targetScale = variance > 1e-24 ? Math.Sqrt(variance) : 1;
        }
        else
        {
            _targetScale = 1;
        }
        _train = DeviceData.From(train, task, _targetMean, _targetScale);
        _validation = validation is null ? null : DeviceData.From(validation, task, _targetMean, _targetScale);
        _network = new AdaptiveWidthNetwork(train.FeatureCount, outputs, settings, _generator);
        _objective = new WidthObjective(task, settings, settings.ObservationCount ?? train.RowCount);
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
        StopReason stopped = StopReason.MaxEpochs;

        for (int epoch = 1; epoch <= _settings.MaxEpochs; epoch++)
        {
            var clock = Stopwatch.StartNew();
            // The annealing scheduler runs at the start of each epoch, as in the reference (method.md §2).
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
            }
            else
            {
                sinceBest++;
            }
            progress?.Report(record);

            if (!double.IsFinite(trainingLoss))
            {
                throw new InvalidOperationException(
                    $"Training diverged at epoch {epoch} (loss {trainingLoss}). Lower {nameof(TrainingSettings.LearningRate)} or normalize the features.");
            }
            if (_settings.EarlyStoppingPatience > 0 && _validation is not null && sinceBest >= _settings.EarlyStoppingPatience)
            {
                stopped = StopReason.EarlyStopping;
                break;
            }
        }

        AdaptiveWidthModel model = InferenceExporter.Export(best!, _settings, _targetScale, _targetMean);
        return new TrainingResult(model, history, bestEpoch, stopped);
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
        int rows = _train.RowCount;
        int batchSize = Math.Min(_settings.BatchSize, rows);
        using var lossSum = zeros(1).DetachFromDisposeScope();
        using (var epochScope = NewDisposeScope())
        {
            // Shuffle once per epoch; each batch is then a view (no copy per batch).
            Tensor permutation = randperm(rows, generator: _generator);
            Tensor features = _train.Features.index_select(0, permutation);
            Tensor labels = _train.Labels.index_select(0, permutation);
            Tensor? weights = _train.Weights?.index_select(0, permutation);

            for (int start = 0; start < rows; start += batchSize)
            {
                cancellationToken.ThrowIfCancellationRequested();
                beforeBatch?.Invoke();
                int length = Math.Min(batchSize, rows - start);
                _network.UpdateWidths();
                using var batchScope = NewDisposeScope();
                _network.Gradient.zero_();
                Tensor output = _network.Forward(features.narrow(0, start, length));
                Tensor loss = _objective.DataLoss(output, labels.narrow(0, start, length), weights?.narrow(0, start, length));
                loss.backward();
                _network.AccumulateRateGradients(_objective);
                _objective.AddWeightPriorGradient(_network.Parameters, _network.Gradient, _network.Layout.ThetaLength);
                _network.Optimizer.Step(_network.Parameters, _network.Gradient);
                using (no_grad())
                {
                    lossSum.add_(loss, length);
                }
            }
        }
        // Reported in the target's original units (regression learns a standardised target).
        return lossSum.ToDouble() / rows * _targetScale * _targetScale;
    }

    /// <summary>Mean data loss (original units) and accuracy (classification) over a data set, under no_grad.</summary>
    internal (double Loss, double Accuracy) Evaluate(DeviceData data)
    {
        // The method recomputes the widths before every forward pass, evaluation included.
        _network.UpdateWidths();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        double lossSum = 0;
        long correct = 0;
        for (int start = 0; start < data.RowCount; start += EvaluationChunk)
        {
            int length = Math.Min(EvaluationChunk, data.RowCount - start);
            Tensor output = _network.Forward(data.Features.narrow(0, start, length));
            Tensor labels = data.Labels.narrow(0, start, length);
            lossSum += _objective.DataLoss(output, labels, data.Weights?.narrow(0, start, length)).ToDouble() * length;
            if (_task == NetworkTask.BinaryClassification)
            {
                correct += output.view(-1).gt(0).eq(labels.gt(0.5)).sum().ToInt64();
            }
            else if (_task == NetworkTask.MulticlassClassification)
            {
                correct += output.argmax(1).eq(labels).sum().ToInt64();
            }
        }
        double accuracy = _task == NetworkTask.Regression ? double.NaN : (double)correct / data.RowCount;
        return (lossSum / data.RowCount * _targetScale * _targetScale, accuracy);
    }

    public void Dispose()
    {
        _network.Dispose();
        _train.Dispose();
        _validation?.Dispose();
        _generator.Dispose();
    }

    /// <summary>A data set as tensors: features [N × F], labels (float, or int64 classes), weights scaled to mean 1.</summary>
    internal sealed class DeviceData : IDisposable
    {
        private DeviceData(Tensor features, Tensor labels, Tensor? weights, int rows)
        {
            Features = features;
            Labels = labels;
            Weights = weights;
            RowCount = rows;
        }

        public Tensor Features { get; }

        public Tensor Labels { get; }

        public Tensor? Weights { get; }

        public int RowCount { get; }

        public static DeviceData From(TrainingData data, NetworkTask task, double targetMean, double targetScale)
        {
            Tensor features = tensor(data.Features, new long[] { data.RowCount, data.FeatureCount }).DetachFromDisposeScope();
            Tensor labels = task switch
            {
                NetworkTask.MulticlassClassification => tensor(data.Labels.Select(v => (long)v).ToArray()),
                NetworkTask.Regression => tensor(data.Labels.Select(v => (float)((v - targetMean) / targetScale)).ToArray()),
                _ => tensor(data.Labels),
            };
            Tensor? weights = null;
            if (data.Weights is float[] w)
            {
                double mean = w.Average(v => (double)v);
                if (mean <= 0)
                {
                    throw new ArgumentException("All example weights are zero.", nameof(data));
                }
                weights = tensor(w.Select(v => (float)(v / mean)).ToArray()).DetachFromDisposeScope();
            }
            return new DeviceData(features, labels.DetachFromDisposeScope(), weights, data.RowCount);
        }

        public void Dispose()
        {
            Features.Dispose();
            Labels.Dispose();
            Weights?.Dispose();
        }
    }
}
