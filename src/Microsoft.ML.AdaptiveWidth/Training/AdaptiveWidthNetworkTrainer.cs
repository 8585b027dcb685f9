using Microsoft.ML.AdaptiveWidth.Inference;

namespace Microsoft.ML.AdaptiveWidth.Training;

/// <summary>Trains an adaptive-width network on data held in memory or streamed from a source, and returns it as a TorchSharp-free model.</summary>
public static class AdaptiveWidthNetworkTrainer
{
    /// <summary>
    /// Trains with mini-batch Adam, learning the widths; with a validation set, keeps the best epoch (weights and
    /// widths) and stops early after <see cref="TrainingSettings.PatienceEpochs"/> epochs without improvement.
    /// </summary>
    /// <param name="task">Binary, multiclass or regression.</param>
    /// <param name="classCount">Number of classes for multiclass (labels 0..classCount−1); ignored otherwise.</param>
    /// <param name="train">Training data.</param>
    /// <param name="validation">Validation data for early stopping and best-epoch selection, or null (the last epoch is kept).</param>
    /// <param name="settings">Hyper-parameters; validated first.</param>
    /// <param name="progress">Receives a record after every epoch, or null.</param>
    /// <param name="cancellationToken">Checked before every mini-batch; cancelling throws <see cref="OperationCanceledException"/>.</param>
    public static TrainingResult Train(NetworkTask task, int classCount, TrainingData train, TrainingData? validation,
        TrainingSettings settings, IProgress<EpochRecord>? progress = null, CancellationToken cancellationToken = default)
        => Train(task, classCount, train, validation, settings, progress, cancellationToken, beforeBatch: null);

    /// <summary>As the public overload, calling <paramref name="beforeBatch"/> before every mini-batch (after the token
    /// is checked); the ML.NET driver uses it to honour <c>MLContext.CancelExecution</c> within one mini-batch.</summary>
    internal static TrainingResult Train(NetworkTask task, int classCount, TrainingData train, TrainingData? validation,
        TrainingSettings settings, IProgress<EpochRecord>? progress, CancellationToken cancellationToken, Action? beforeBatch,
        AdaptiveWidthModel? initial = null)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        int outputs = CheckLabels(task, classCount, train, nameof(train));
        if (validation is not null)
        {
            if (validation.FeatureCount != train.FeatureCount)
            {
                throw new ArgumentException(
                    $"The validation data has {validation.FeatureCount} features but the training data has {train.FeatureCount}.", nameof(validation));
            }
            CheckLabels(task, classCount, validation, nameof(validation));
        }

        TorchRuntime.Initialize(settings.NumberOfThreads);
        using var loop = new TrainingLoop(task, outputs, train, validation, settings, initial);
        return loop.Run(progress, cancellationToken, beforeBatch);
    }

    /// <summary>
    /// Trains on rows streamed from their source once per epoch instead of held in memory, so data larger than memory
    /// trains: memory holds the shuffle buffer (<paramref name="shuffleBufferRows"/> rows) and one mini-batch, not the
    /// data set. Shuffling is approximate when the buffer is smaller than the data (see <see cref="StreamingTrainingData"/>
    /// and docs/reliability.md). Otherwise as the in-memory overload.
    /// </summary>
    /// <param name="task">Binary, multiclass or regression.</param>
    /// <param name="classCount">Number of classes for multiclass (labels 0..classCount−1); ignored otherwise.</param>
    /// <param name="train">Scanned training rows (<see cref="StreamingTrainingData.Scan"/>).</param>
    /// <param name="validation">Scanned validation rows, read once per epoch, or null.</param>
    /// <param name="settings">Hyper-parameters; validated first.</param>
    /// <param name="shuffleBufferRows">Rows in the shuffle buffer; at least 1.</param>
    /// <param name="progress">Receives a record after every epoch, or null.</param>
    /// <param name="cancellationToken">Checked before every mini-batch.</param>
    public static TrainingResult Train(NetworkTask task, int classCount, StreamingTrainingData train, StreamingTrainingData? validation,
        TrainingSettings settings, int shuffleBufferRows, IProgress<EpochRecord>? progress = null, CancellationToken cancellationToken = default)
        => Train(task, classCount, train, validation, settings, shuffleBufferRows, progress, cancellationToken, beforeBatch: null);

    /// <summary>The streaming overload with a callback before every mini-batch, as the in-memory one.</summary>
    internal static TrainingResult Train(NetworkTask task, int classCount, StreamingTrainingData train, StreamingTrainingData? validation,
        TrainingSettings settings, int shuffleBufferRows, IProgress<EpochRecord>? progress, CancellationToken cancellationToken, Action? beforeBatch,
        AdaptiveWidthModel? initial = null)
    {
        ArgumentNullException.ThrowIfNull(train);
        int outputs = CheckStreamed(task, classCount, settings, shuffleBufferRows, train.FeatureCount, train.DistinctLabels,
            validation?.FeatureCount, validation?.DistinctLabels);

        TorchRuntime.Initialize(settings.NumberOfThreads);
        using var loop = new TrainingLoop(task, outputs, train, validation, settings, shuffleBufferRows, initial);
        return loop.Run(progress, cancellationToken, beforeBatch);
    }

    /// <summary>
    /// Trains on sparse rows (a wide input) streamed from their source once per epoch, through a shuffle buffer of
    /// <paramref name="shuffleBufferRows"/> rows held as their non-zeros; otherwise as the dense streaming overload.
    /// </summary>
    internal static TrainingResult Train(NetworkTask task, int classCount, SparseStreamingData train, SparseStreamingData? validation,
        TrainingSettings settings, int shuffleBufferRows, IProgress<EpochRecord>? progress, CancellationToken cancellationToken, Action? beforeBatch,
        AdaptiveWidthModel? initial = null)
    {
        ArgumentNullException.ThrowIfNull(train);
        int outputs = CheckStreamed(task, classCount, settings, shuffleBufferRows, train.FeatureCount, train.DistinctLabels,
            validation?.FeatureCount, validation?.DistinctLabels);

        TorchRuntime.Initialize(settings.NumberOfThreads);
        using var loop = new TrainingLoop(task, outputs, train, validation, settings, shuffleBufferRows, initial);
        return loop.Run(progress, cancellationToken, beforeBatch);
    }

    /// <summary>What both streaming overloads check before training: the settings, the buffer, and the training and validation
    /// rows' features and labels. Returns the number of outputs.</summary>
    private static int CheckStreamed(NetworkTask task, int classCount, TrainingSettings settings, int shuffleBufferRows,
        int trainFeatures, IReadOnlyList<float>? trainLabels, int? validationFeatures, IReadOnlyList<float>? validationLabels)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        if (shuffleBufferRows < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(shuffleBufferRows), shuffleBufferRows, "The shuffle buffer needs at least one row.");
        }
        int outputs = CheckLabels(task, classCount, trainLabels, "train");
        if (validationFeatures is int features)
        {
            if (features != trainFeatures)
            {
                throw new ArgumentException(
                    $"The validation data has {features} features but the training data has {trainFeatures}.", "validation");
            }
            CheckLabels(task, classCount, validationLabels, "validation");
        }
        return outputs;
    }

    /// <summary>Checks the distinct labels of streamed data (null: more than a classifier can have) against the task.</summary>
    private static int CheckLabels(NetworkTask task, int classCount, IReadOnlyList<float>? distinct, string parameter)
    {
        if (task != NetworkTask.Regression && distinct is null)
        {
            throw new ArgumentException($"The labels take more than 1,024 distinct values, which is not a classification label.", parameter);
        }
        return CheckLabels(task, classCount, distinct?.ToArray() ?? [0f], parameter, rowNumbers: false);
    }

    /// <summary>Checks labels against the task and returns the number of network outputs.</summary>
    private static int CheckLabels(NetworkTask task, int classCount, TrainingData data, string parameter)
        => CheckLabels(task, classCount, data.Labels, parameter, rowNumbers: true);

    /// <summary>Checks labels (all rows, or the distinct values) against the task and returns the number of network outputs.</summary>
    private static int CheckLabels(NetworkTask task, int classCount, float[] labels, string parameter, bool rowNumbers)
    {
        string Where(int i) => rowNumbers ? $"row {i} has" : "one row has";
        switch (task)
        {
            case NetworkTask.BinaryClassification:
            {
                int bad = Array.FindIndex(labels, v => v != 0f && v != 1f);
                if (bad >= 0)
                {
                    throw new ArgumentException($"Binary labels must be 0 or 1; {Where(bad)} {labels[bad]}.", parameter);
                }
                return 1;
            }
            case NetworkTask.MulticlassClassification:
            {
                if (classCount < 2)
                {
                    throw new ArgumentOutOfRangeException(nameof(classCount), classCount, "Multiclass classification needs at least 2 classes.");
                }
                int bad = Array.FindIndex(labels, v => v < 0 || v >= classCount || v != MathF.Floor(v));
                if (bad >= 0)
                {
                    throw new ArgumentException(
                        $"Class labels must be integers in [0, {classCount - 1}]; {Where(bad)} {labels[bad]}.", parameter);
                }
                return classCount;
            }
            case NetworkTask.Regression:
                return 1;
            default:
                throw new ArgumentOutOfRangeException(nameof(task), task, "Unknown task.");
        }
    }
}
