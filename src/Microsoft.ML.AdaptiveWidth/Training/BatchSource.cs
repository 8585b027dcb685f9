using static TorchSharp.torch;

namespace Microsoft.ML.AdaptiveWidth.Training;

/// <summary>
/// One mini-batch as tensors: features [n × F] (or, for a sparse input, null and <paramref name="Sparse"/>), labels
/// (float, or int64 classes), weights scaled to mean 1.
/// </summary>
internal readonly record struct Batch(Tensor? Features, Tensor Labels, Tensor? Weights, int Length, SparseBatch? Sparse = null);

/// <summary>
/// Where the training loop's mini-batches come from: the whole data set as tensors (<see cref="InMemoryBatchSource"/>)
/// or rows read in passes through a bounded shuffle buffer (<see cref="StreamingBatchSource"/>). Labels arrive as the
/// loop wants them: 0/1 floats for binary, int64 classes for multiclass, standardised floats for regression.
/// </summary>
internal abstract class BatchSource : IDisposable
{
    protected BatchSource(NetworkTask task, double targetMean, double targetScale)
    {
        Task = task;
        TargetMean = targetMean;
        TargetScale = targetScale;
    }

    public NetworkTask Task { get; }

    public double TargetMean { get; }

    public double TargetScale { get; }

    /// <summary>Rows in one pass.</summary>
    public abstract long RowCount { get; }

    /// <summary>
    /// Starts a pass in batches of <paramref name="batchSize"/> rows, shuffled with <paramref name="shuffle"/> or in
    /// order when it is null. Tensors the pass needs for its whole length belong to the caller's dispose scope.
    /// </summary>
    public abstract BatchPass StartPass(int batchSize, Generator? shuffle);

    public abstract void Dispose();
}

/// <summary>One pass: <see cref="MoveNext"/> prepares the next batch on the host; <see cref="Current"/> makes its tensors
/// in the caller's (per-batch) dispose scope.</summary>
internal abstract class BatchPass : IDisposable
{
    public abstract bool MoveNext();

    public abstract Batch Current();

    public virtual void Dispose()
    {
    }
}

/// <summary>The data set held as tensors; each pass shuffles it once and hands out views (no copy per batch).</summary>
internal sealed class InMemoryBatchSource : BatchSource
{
    private readonly Tensor _features;
    private readonly Tensor _labels;
    private readonly Tensor? _weights;
    private readonly int _rows;

    private readonly long _maximumShuffledCopyBytes;

    // maximumShuffledCopyBytes: features up to this size are copied whole in shuffled order each pass, larger ones gathered
    // batch by batch (the batches are the same either way).
    public InMemoryBatchSource(TrainingData data, NetworkTask task, double targetMean, double targetScale, InputStandardization standardization,
        long maximumShuffledCopyBytes = MaximumShuffledCopyBytes)
        : base(task, targetMean, targetScale)
    {
        _maximumShuffledCopyBytes = maximumShuffledCopyBytes;
        _rows = data.RowCount;
        _features = NativeRows(data).DetachFromDisposeScope();
        if (!standardization.IsIdentity)
        {
            using Tensor mean = tensor(standardization.Mean);
            using Tensor scale = tensor(standardization.Scale);
            // (x − m)/s in float, as StreamingBatchSource computes it on the host row by row: both paths see the same inputs.
            _features.sub_(mean).div_(scale);
        }
        _labels = (task switch
        {
            NetworkTask.MulticlassClassification => NativeCopy<long>(data.Labels.Select(v => (long)v).ToArray(), data.RowCount),
            NetworkTask.Regression => NativeCopy<float>(data.Labels.Select(v => (float)((v - targetMean) / targetScale)).ToArray(), data.RowCount),
            _ => NativeCopy<float>(data.Labels, data.RowCount),
        }).DetachFromDisposeScope();
        if (data.Weights is float[] w)
        {
            double mean = w.Average(v => (double)v);
            if (mean <= 0)
            {
                throw new ArgumentException("All example weights are zero.", nameof(data));
            }
            _weights = NativeCopy<float>(w.Select(v => (float)(v / mean)).ToArray(), data.RowCount).DetachFromDisposeScope();
        }
    }

    /// <summary>The rows' features as a [rows × features] tensor in libtorch's memory, read row by row (a view's rows from its parent).</summary>
    private static Tensor NativeRows(TrainingData data)
    {
        Tensor result = empty(data.RowCount, data.FeatureCount);
        using TorchSharp.Utils.TensorAccessor<float> storage = result.data<float>();
        for (int r = 0; r < data.RowCount; r++)
        {
            storage.CopyFrom(data.Row(r), 0, (long)r * data.FeatureCount);
        }
        return result;
    }

    /// <summary>
    /// A tensor in libtorch's own memory holding a copy of <paramref name="values"/>. <c>torch.tensor(array)</c> instead keeps
    /// a pinned managed copy of the array as the tensor's storage, which after Dispose stays in the large-object heap until
    /// a full garbage collection: on 50,000 rows of 450 inputs (features and codes) that was 90 MB a member, and eight
    /// members peaked at 1.7 GB. Memory from here goes back to the system on Dispose.
    /// </summary>
    internal static Tensor NativeCopy<T>(ReadOnlySpan<T> values, params long[] shape) where T : unmanaged
    {
        ScalarType type = typeof(T) == typeof(float) ? ScalarType.Float32
            : typeof(T) == typeof(long) ? ScalarType.Int64
            : throw new ArgumentException($"Float32 or Int64 values only, not {typeof(T).Name}.", nameof(values));
        if (shape.Aggregate(1L, (a, b) => a * b) != values.Length)
        {
            throw new ArgumentException($"{values.Length} values do not fill the shape [{string.Join(", ", shape)}].", nameof(shape));
        }
        Tensor result = empty(shape, type);
        using (TorchSharp.Utils.TensorAccessor<T> storage = result.data<T>())
        {
            storage.CopyFrom(values, 0, 0);
        }
        return result;
    }

    public override long RowCount => _rows;

    public override BatchPass StartPass(int batchSize, Generator? shuffle)
    {
        if (shuffle is null)
        {
            return new Pass(_features, _labels, _weights, _rows, batchSize);
        }
        Tensor permutation = randperm(_rows, generator: shuffle);
        if (_features.NumberOfElements * sizeof(float) > _maximumShuffledCopyBytes)
        {
            // Large data: each batch gathers its own rows of the features (the same rows, in the same order, as a view of
            // a shuffled copy would hold). A shuffled copy of 200,000 rows of 450 inputs is 324 MB a member and a pass:
            // faulting in that much fresh memory and copying it took half of all training time on two cores.
            return new Pass(_features, _labels.index_select(0, permutation), _weights?.index_select(0, permutation), _rows, batchSize, permutation);
        }
        // Shuffle once per pass; each batch is then a view of the shuffled copy (one op a batch instead of two).
        return new Pass(_features.index_select(0, permutation), _labels.index_select(0, permutation),
            _weights?.index_select(0, permutation), _rows, batchSize);
    }

    /// <summary>Above this size the features are gathered batch by batch instead of copied whole in shuffled order each pass.</summary>
    internal const long MaximumShuffledCopyBytes = 8L << 20;

    public override void Dispose()
    {
        _features.Dispose();
        _labels.Dispose();
        _weights?.Dispose();
    }

    /// <summary>Batches in order: views of <paramref name="features"/>, or, with <paramref name="order"/>, its rows
    /// <c>order[start..start+length)</c> gathered per batch (the labels and weights are already in that order).</summary>
    private sealed class Pass(Tensor features, Tensor labels, Tensor? weights, int rows, int batchSize, Tensor? order = null) : BatchPass
    {
        private int _start = -batchSize;

        public override bool MoveNext()
        {
            _start += batchSize;
            return _start < rows;
        }

        public override Batch Current()
        {
            int length = Math.Min(batchSize, rows - _start);
            Tensor batch = order is null ? features.narrow(0, _start, length) : features.index_select(0, order.narrow(0, _start, length));
            return new Batch(batch, labels.narrow(0, _start, length), weights?.narrow(0, _start, length), length);
        }
    }
}

/// <summary>
/// Rows read from an <see cref="ITrainingRowSource"/> once per pass, never all held: memory is the shuffle buffer
/// plus one batch. Shuffling uses a buffer of B rows, filled from the source in order; once it is full, each incoming
/// row replaces a uniformly chosen row of the buffer, which goes to the batch; at the end of the pass the rest of the
/// buffer is emitted in random order. With B at least the row count this is a full shuffle; with a smaller B a row
/// moves at most about B positions earlier, so data sorted by label needs a buffer that spans its classes (or shuffled
/// storage).
/// </summary>
internal sealed class StreamingBatchSource : BatchSource
{
    private const int ReadBlockRows = 1024;

    private readonly StreamingTrainingData _data;
    private readonly int _bufferRows;
    private readonly InputStandardization _standardization;

    public StreamingBatchSource(StreamingTrainingData data, NetworkTask task, double targetMean, double targetScale, int bufferRows,
        InputStandardization standardization)
        : base(task, targetMean, targetScale)
    {
        _standardization = standardization;
        if (data.WeightMean <= 0)
        {
            throw new ArgumentException("All example weights are zero.", nameof(data));
        }
        _data = data;
        _bufferRows = (int)Math.Max(1, Math.Min(bufferRows, data.RowCount));
        // Issue 17: 4,837 rows × 553,889 features asked `new float[long]` for more than an array holds and threw
        // OverflowException; say which size does not fit instead (every size here is computed in 64 bits).
        long buffer = (long)_bufferRows * data.FeatureCount;
        if (buffer > Array.MaxLength)
        {
            throw new ArgumentException(
                $"A shuffle buffer of {_bufferRows:N0} rows × {data.FeatureCount:N0} features is {buffer:N0} values, more than one array holds " +
                $"({Array.MaxLength:N0}): use at most {Array.MaxLength / data.FeatureCount:N0} shuffle-buffer rows (ShuffleBufferRows), or sparse rows in memory.",
                nameof(bufferRows));
        }
    }

    public override long RowCount => _data.RowCount;

    public override BatchPass StartPass(int batchSize, Generator? shuffle)
    {
        // One seed per pass drawn from the loop's generator: passes differ, runs repeat.
        Random? random = shuffle is null ? null : new Random((int)randint(int.MaxValue, [1], generator: shuffle).item<long>());
        return new Pass(this, batchSize, random);
    }

    public override void Dispose()
    {
    }

    private sealed class Pass : BatchPass
    {
        private readonly StreamingBatchSource _owner;
        private readonly int _featureCount;
        private readonly int _batchSize;
        private readonly Random? _random;
        private readonly ITrainingRowReader _reader;

        // Rows read from the source and not yet placed.
        private readonly float[] _blockFeatures;
        private readonly float[] _blockLabels;
        private readonly float[] _blockWeights;
        private int _blockCount;
        private int _blockNext;
        private bool _sourceEnded;

        // The shuffle buffer (only when shuffling) and, after the source ends, the order it is emptied in.
        private readonly float[] _bufferFeatures;
        private readonly float[] _bufferLabels;
        private readonly float[] _bufferWeights;
        private int _bufferCount;
        private int[]? _drainOrder;
        private int _drainNext;

        // The batch being assembled.
        private readonly float[] _batchFeatures;
        private readonly float[] _batchLabels;
        private readonly long[]? _batchClasses;
        private readonly float[] _batchWeights;
        private int _batchCount;
        private long _rowsDelivered;

        public Pass(StreamingBatchSource owner, int batchSize, Random? random)
        {
            _owner = owner;
            _featureCount = owner._data.FeatureCount;
            _batchSize = batchSize;
            _random = random;
            int block = StreamingTrainingData.BlockRows(Math.Min(ReadBlockRows, batchSize * 4), _featureCount);
            long batchValues = (long)batchSize * _featureCount;
            if (batchValues > Array.MaxLength)
            {
                throw new ArgumentException(
                    $"A batch of {batchSize:N0} rows × {_featureCount:N0} features is {batchValues:N0} values, more than one array holds: lower BatchSize.",
                    nameof(batchSize));
            }
            _blockFeatures = new float[(long)block * _featureCount];
            _blockLabels = new float[block];
            _blockWeights = new float[block];
            int buffer = random is null ? 0 : owner._bufferRows;
            _bufferFeatures = new float[(long)buffer * _featureCount];
            _bufferLabels = new float[buffer];
            _bufferWeights = new float[buffer];
            _batchFeatures = new float[batchValues];
            _batchLabels = new float[batchSize];
            _batchClasses = owner.Task == NetworkTask.MulticlassClassification ? new long[batchSize] : null;
            _batchWeights = new float[batchSize];
            _reader = owner._data.Source.OpenReader();
        }

        public override bool MoveNext()
        {
            _batchCount = 0;
            while (_batchCount < _batchSize)
            {
                if (_blockNext < _blockCount)
                {
                    Place(_blockNext++);
                    continue;
                }
                if (!_sourceEnded)
                {
                    _blockCount = StreamingTrainingData.ReadBlock(_reader, _blockFeatures, _blockLabels, _blockWeights, _featureCount);
                    _blockNext = 0;
                    if (_blockCount == 0)
                    {
                        _sourceEnded = true;
                        _drainOrder = Enumerable.Range(0, _bufferCount).ToArray();
                        _random?.Shuffle(_drainOrder);
                    }
                    continue;
                }
                if (_drainOrder is not null && _drainNext < _drainOrder.Length)
                {
                    int slot = _drainOrder[_drainNext++];
                    Emit(_bufferFeatures.AsSpan(slot * _featureCount, _featureCount), _bufferLabels[slot], _bufferWeights[slot]);
                    continue;
                }
                break;
            }
            _rowsDelivered += _batchCount;
            if (_batchCount == 0 && _rowsDelivered != _owner.RowCount)
            {
                throw new InvalidOperationException(
                    $"The training rows changed between passes: the scan read {_owner.RowCount} rows, this pass {_rowsDelivered}. " +
                    "Streaming training reads the data once per epoch and needs the same rows every time.");
            }
            return _batchCount > 0;
        }

        /// <summary>Sends row <paramref name="r"/> of the read block to the batch, directly or through the shuffle buffer.</summary>
        private void Place(int r)
        {
            Span<float> features = _blockFeatures.AsSpan(r * _featureCount, _featureCount);
            if (_random is null)
            {
                Emit(features, _blockLabels[r], _blockWeights[r]);
                return;
            }
            if (_bufferCount < _bufferLabels.Length)
            {
                features.CopyTo(_bufferFeatures.AsSpan(_bufferCount * _featureCount, _featureCount));
                _bufferLabels[_bufferCount] = _blockLabels[r];
                _bufferWeights[_bufferCount] = _blockWeights[r];
                _bufferCount++;
                return;
            }
            int slot = _random.Next(_bufferCount);
            Span<float> held = _bufferFeatures.AsSpan(slot * _featureCount, _featureCount);
            Emit(held, _bufferLabels[slot], _bufferWeights[slot]);
            features.CopyTo(held);
            _bufferLabels[slot] = _blockLabels[r];
            _bufferWeights[slot] = _blockWeights[r];
        }

        private void Emit(ReadOnlySpan<float> features, float label, float weight)
        {
            int i = _batchCount++;
            Span<float> row = _batchFeatures.AsSpan(i * _featureCount, _featureCount);
            features.CopyTo(row);
            if (!_owner._standardization.IsIdentity)
            {
                _owner._standardization.Apply(row);
            }
            switch (_owner.Task)
            {
                case NetworkTask.MulticlassClassification:
                    _batchClasses![i] = (long)label;
                    break;
                case NetworkTask.Regression:
                    _batchLabels[i] = (float)((label - _owner.TargetMean) / _owner.TargetScale);
                    break;
                default:
                    _batchLabels[i] = label;
                    break;
            }
            _batchWeights[i] = (float)(weight / _owner._data.WeightMean);
        }

        public override Batch Current()
        {
            int n = _batchCount;
            Tensor features = tensor(_batchFeatures, new long[] { _batchSize, _featureCount });
            Tensor labels = _batchClasses is not null ? tensor(_batchClasses) : tensor(_batchLabels);
            Tensor? weights = _owner._data.HasWeights ? tensor(_batchWeights) : null;
            if (n < _batchSize)
            {
                features = features.narrow(0, 0, n);
                labels = labels.narrow(0, 0, n);
                weights = weights?.narrow(0, 0, n);
            }
            return new Batch(features, labels, weights, n);
        }

        public override void Dispose() => _reader.Dispose();
    }
}
