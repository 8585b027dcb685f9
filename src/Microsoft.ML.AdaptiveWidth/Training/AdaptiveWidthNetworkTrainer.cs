namespace Microsoft.ML.AdaptiveWidth.Training;

/// <summary>Trains an adaptive-width network on in-memory data and returns it as a TorchSharp-free model.</summary>
public static class AdaptiveWidthNetworkTrainer
{
    /// <summary>
    /// Trains with mini-batch Adam, learning the widths; with a validation set, keeps the best epoch (weights and
    /// widths) and stops early after <see cref="TrainingSettings.EarlyStoppingPatience"/> epochs without improvement.
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
        => throw new NotImplementedException("lands with the training loop");
}
