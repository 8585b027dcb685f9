using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace Microsoft.ML.AdaptiveWidth.Training;

/// <summary>
/// Sparse rows read from an <see cref="ISparseRowSource"/> once per pass, never all held: memory is the shuffle buffer
/// (at most B rows, each kept as its non-zeros only) plus one batch. The shuffle is <see cref="StreamingBatchSource"/>'s:
/// the buffer fills in the data's order, then each incoming row replaces a uniformly chosen buffered row, which goes to
/// the batch, and the rest of the buffer is emitted in random order at the end of the pass. Batches are built as
/// <see cref="SparseBatchSource"/> builds them (the batch's distinct features, and each non-zero's row and local feature),
/// so the training loop cannot tell the two apart. Sparse rows are never standardised.
/// </summary>
internal sealed class SparseStreamingBatchSource : BatchSource
{
    private readonly SparseStreamingData _data;
    private readonly int _bufferRows;
    // Local position of each feature in the current batch, −1 when absent; reset after each batch (cost ∝ its features).
    private readonly int[] _local;

    public SparseStreamingBatchSource(SparseStreamingData data, NetworkTask task, double targetMean, double targetScale, int bufferRows)
        : base(task, targetMean, targetScale)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfLessThan(bufferRows, 1);
        if (data.WeightMean <= 0)
        {
            throw new ArgumentException("All example weights are zero.", nameof(data));
        }
        _data = data;
        _bufferRows = (int)Math.Max(1, Math.Min(bufferRows, data.RowCount));
        _local = new int[data.FeatureCount];
        Array.Fill(_local, -1);
    }

    public override long RowCount => _data.RowCount;

    /// <summary>The shuffle buffer's size in rows: the option, or the row count when smaller.</summary>
    public int BufferRows => _bufferRows;

    /// <summary>The most rows the shuffle buffer has held at once, over every pass so far.</summary>
    public int PeakHeldRows { get; private set; }

    /// <summary>The most non-zeros the shuffle buffer has held at once, over every pass so far.</summary>
    public long PeakHeldNonZeros { get; private set; }

    /// <summary>The most non-zeros the shuffle buffer's arrays have had room for at once (its memory is 8 bytes each).</summary>
    public long PeakAllocatedNonZeros { get; private set; }

    public override BatchPass StartPass(int batchSize, Generator? shuffle)
    {
        // One seed per pass drawn from the loop's generator, as the dense streaming source: passes differ, runs repeat.
        Random? random = shuffle is null ? null : new Random((int)randint(int.MaxValue, [1], generator: shuffle).item<long>());
        return new Pass(this, batchSize, random);
    }

    public override void Dispose()
    {
    }

    private sealed class Pass : BatchPass
    {
        private readonly SparseStreamingBatchSource _owner;
        private readonly int _batchSize;
        private readonly Random? _random;
        private readonly ISparseRowReader _reader;
        private readonly int _featureCount;

        // The row just read.
        private readonly List<int> _rowIndices = [];
        private readonly List<float> _rowValues = [];
        private long _rowsRead;
        private bool _sourceEnded;

        // The shuffle buffer (only when shuffling): each slot holds one row's non-zeros in arrays that grow to the longest
        // row the slot has held. Then, after the source ends, the order it is emptied in.
        private readonly int[][] _slotIndices;
        private readonly float[][] _slotValues;
        private readonly int[] _slotLength;
        private readonly float[] _slotLabels;
        private readonly float[] _slotWeights;
        private int _bufferCount;
        private long _heldNonZeros;
        private long _allocatedNonZeros;
        private int[]? _drainOrder;
        private int _drainNext;

        // The batch being assembled, as compressed sparse rows.
        private readonly long[] _batchStarts;
        private readonly List<int> _batchIndices = [];
        private readonly List<float> _batchValues = [];
        private readonly float[] _batchLabels;
        private readonly float[] _batchWeights;
        private int _batchCount;
        private long _rowsDelivered;

        public Pass(SparseStreamingBatchSource owner, int batchSize, Random? random)
        {
            _owner = owner;
            _batchSize = batchSize;
            _random = random;
            _featureCount = owner._data.FeatureCount;
            int buffer = random is null ? 0 : owner._bufferRows;
            _slotIndices = new int[buffer][];
            _slotValues = new float[buffer][];
            _slotLength = new int[buffer];
            _slotLabels = new float[buffer];
            _slotWeights = new float[buffer];
            _batchStarts = new long[batchSize + 1];
            _batchLabels = new float[batchSize];
            _batchWeights = new float[batchSize];
            _reader = owner._data.Source.OpenReader();
        }

        public override bool MoveNext()
        {
            _batchCount = 0;
            _batchIndices.Clear();
            _batchValues.Clear();
            while (_batchCount < _batchSize)
            {
                if (!_sourceEnded)
                {
                    _rowIndices.Clear();
                    _rowValues.Clear();
                    if (_reader.ReadRow(_rowIndices, _rowValues, out float label, out float weight))
                    {
                        SparseStreamingData.CheckRow(_rowIndices, _rowValues, _featureCount, _rowsRead++);
                        Place(label, weight);
                    }
                    else
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
                    Emit(_slotIndices[slot].AsSpan(0, _slotLength[slot]), _slotValues[slot].AsSpan(0, _slotLength[slot]), _slotLabels[slot], _slotWeights[slot]);
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

        /// <summary>Sends the row just read to the batch, directly or through the shuffle buffer.</summary>
        private void Place(float label, float weight)
        {
            ReadOnlySpan<int> indices = CollectionsMarshal.AsSpan(_rowIndices);
            ReadOnlySpan<float> values = CollectionsMarshal.AsSpan(_rowValues);
            if (_random is null)
            {
                Emit(indices, values, label, weight);
                return;
            }
            int slot;
            if (_bufferCount < _slotLabels.Length)
            {
                slot = _bufferCount++;
                _owner.PeakHeldRows = Math.Max(_owner.PeakHeldRows, _bufferCount);
            }
            else
            {
                slot = _random.Next(_bufferCount);
                Emit(_slotIndices[slot].AsSpan(0, _slotLength[slot]), _slotValues[slot].AsSpan(0, _slotLength[slot]), _slotLabels[slot], _slotWeights[slot]);
            }
            Store(slot, indices, values);
            _slotLabels[slot] = label;
            _slotWeights[slot] = weight;
        }

        private void Store(int slot, ReadOnlySpan<int> indices, ReadOnlySpan<float> values)
        {
            int capacity = _slotIndices[slot]?.Length ?? 0;
            if (capacity < indices.Length)
            {
                _slotIndices[slot] = new int[indices.Length];
                _slotValues[slot] = new float[indices.Length];
                _allocatedNonZeros += indices.Length - capacity;
                _owner.PeakAllocatedNonZeros = Math.Max(_owner.PeakAllocatedNonZeros, _allocatedNonZeros);
            }
            indices.CopyTo(_slotIndices[slot]);
            values.CopyTo(_slotValues[slot]);
            _heldNonZeros += indices.Length - _slotLength[slot];
            _slotLength[slot] = indices.Length;
            _owner.PeakHeldNonZeros = Math.Max(_owner.PeakHeldNonZeros, _heldNonZeros);
        }

        private void Emit(ReadOnlySpan<int> indices, ReadOnlySpan<float> values, float label, float weight)
        {
            int i = _batchCount++;
            _batchIndices.AddRange(indices);
            _batchValues.AddRange(values);
            _batchStarts[i + 1] = _batchIndices.Count;
            _batchLabels[i] = _owner.Task == NetworkTask.Regression ? (float)((label - _owner.TargetMean) / _owner.TargetScale) : label;
            _batchWeights[i] = (float)(weight / _owner._data.WeightMean);
        }

        public override Batch Current()
        {
            int n = _batchCount;
            int nnz = _batchIndices.Count;
            int[] local = _owner._local;
            var coordinates = new long[2L * nnz];
            var values = new float[nnz];
            var features = new List<long>();
            for (int r = 0; r < n; r++)
            {
                for (long k = _batchStarts[r]; k < _batchStarts[r + 1]; k++)
                {
                    int feature = _batchIndices[(int)k];
                    if (local[feature] < 0)
                    {
                        local[feature] = features.Count;
                        features.Add(feature);
                    }
                    coordinates[k] = r;
                    coordinates[nnz + k] = local[feature];
                    values[k] = _batchValues[(int)k];
                }
            }
            foreach (long feature in features)
            {
                local[feature] = -1;
            }
            Tensor labels = _owner.Task == NetworkTask.MulticlassClassification
                ? tensor(_batchLabels.AsSpan(0, n).ToArray().Select(v => (long)v).ToArray())
                : tensor(_batchLabels.AsSpan(0, n).ToArray());
            Tensor? weights = _owner._data.HasWeights ? tensor(_batchWeights.AsSpan(0, n).ToArray()) : null;
            var sparse = new SparseBatch(tensor(coordinates, [2, nnz]), tensor(values), tensor(features.ToArray()));
            return new Batch(null, labels, weights, n, sparse);
        }

        public override void Dispose() => _reader.Dispose();
    }
}
