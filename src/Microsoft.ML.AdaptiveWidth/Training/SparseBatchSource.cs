using static TorchSharp.torch;

namespace Microsoft.ML.AdaptiveWidth.Training;

/// <summary>
/// Sparse rows held in memory (<see cref="SparseRows"/>); each pass draws a permutation and builds every mini-batch on
/// the host as a <see cref="SparseBatch"/>: the batch's distinct features, and each non-zero's row and local feature, with
/// the value divided by the feature's scale when a scale-only standardisation is given (the training loop gives none).
/// Host work per batch is proportional to its non-zeros.
/// </summary>
internal sealed class SparseBatchSource : BatchSource
{
    private readonly SparseRows _rows;
    private readonly float[] _labels;
    private readonly long[]? _classes;
    private readonly float[]? _weights;
    private readonly float[]? _inverseScale;

    public SparseBatchSource(TrainingData data, NetworkTask task, double targetMean, double targetScale, InputStandardization standardization)
        : base(task, targetMean, targetScale)
    {
        _rows = data.Sparse ?? throw new ArgumentException("The data is not sparse.", nameof(data));
        if (standardization.Mean.Any(m => m != 0))
        {
            throw new ArgumentException("Sparse rows are only scaled, never centred (the mean must be 0).", nameof(standardization));
        }
        _inverseScale = standardization.IsIdentity ? null : standardization.Scale.Select(s => 1f / s).ToArray();
        _labels = task == NetworkTask.Regression ? data.Labels.Select(v => (float)((v - targetMean) / targetScale)).ToArray() : data.Labels;
        _classes = task == NetworkTask.MulticlassClassification ? data.Labels.Select(v => (long)v).ToArray() : null;
        if (data.Weights is float[] w)
        {
            double mean = w.Average(v => (double)v);
            if (mean <= 0)
            {
                throw new ArgumentException("All example weights are zero.", nameof(data));
            }
            _weights = w.Select(v => (float)(v / mean)).ToArray();
        }
    }

    public override long RowCount => _rows.RowCount;

    public override BatchPass StartPass(int batchSize, Generator? shuffle)
    {
        int[] order;
        if (shuffle is null)
        {
            order = Enumerable.Range(0, _rows.RowCount).ToArray();
        }
        else
        {
            using Tensor permutation = randperm(_rows.RowCount, generator: shuffle);
            order = permutation.data<long>().Select(i => (int)i).ToArray();
        }
        return new Pass(this, order, batchSize);
    }

    public override void Dispose()
    {
    }

    private sealed class Pass(SparseBatchSource owner, int[] order, int batchSize) : BatchPass
    {
        // Local position of each feature in the current batch, −1 when absent; reset after each batch (cost ∝ its features).
        private readonly int[] _local = Enumerable.Repeat(-1, owner._rows.FeatureCount).ToArray();
        private readonly List<long> _features = [];
        private int _start = -batchSize;

        public override bool MoveNext()
        {
            _start += batchSize;
            return _start < order.Length;
        }

        public override Batch Current()
        {
            SparseRows rows = owner._rows;
            int n = Math.Min(batchSize, order.Length - _start);
            long nnz = 0;
            for (int r = 0; r < n; r++)
            {
                int row = order[_start + r];
                nnz += rows.RowStarts[row + 1] - rows.RowStarts[row];
            }
            var coordinates = new long[checked(2 * nnz)];
            var values = new float[nnz];
            var labels = new float[n];
            var classes = owner._classes is null ? null : new long[n];
            var weights = owner._weights is null ? null : new float[n];
            _features.Clear();
            long k = 0;
            for (int r = 0; r < n; r++)
            {
                int row = order[_start + r];
                ReadOnlySpan<int> idx = rows.RowIndices(row);
                ReadOnlySpan<float> val = rows.RowValues(row);
                for (int i = 0; i < idx.Length; i++, k++)
                {
                    int feature = idx[i];
                    if (_local[feature] < 0)
                    {
                        _local[feature] = _features.Count;
                        _features.Add(feature);
                    }
                    coordinates[k] = r;
                    coordinates[nnz + k] = _local[feature];
                    values[k] = owner._inverseScale is null ? val[i] : val[i] * owner._inverseScale[feature];
                }
                labels[r] = owner._labels[row];
                if (classes is not null)
                {
                    classes[r] = owner._classes![row];
                }
                if (weights is not null)
                {
                    weights[r] = owner._weights![row];
                }
            }
            foreach (long feature in _features)
            {
                _local[feature] = -1;
            }
            var sparse = new SparseBatch(tensor(coordinates, [2, nnz]), tensor(values), tensor(_features.ToArray()));
            return new Batch(null, classes is null ? tensor(labels) : tensor(classes), weights is null ? null : tensor(weights), n, sparse);
        }
    }
}
