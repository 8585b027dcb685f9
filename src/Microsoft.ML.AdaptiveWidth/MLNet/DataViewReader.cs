using Microsoft.ML.AdaptiveWidth.Training;
using Microsoft.ML.Data;

namespace Microsoft.ML.Trainers.AdaptiveWidth;

/// <summary>
/// Reads the feature, label and weight columns of a <see cref="RoleMappedData"/> into row-major arrays for the
/// training loop, checking the column types and skipping unusable rows as ML.NET's own trainers do.
/// </summary>
internal static class DataViewReader
{
    /// <summary>What was read, and how many rows were skipped for each reason (a row counts once, for its first reason).</summary>
    internal sealed record Result(TrainingData? Data, long RowsRead, long NonFiniteFeatureRows, long MissingLabelRows, long BadWeightRows,
        string FeatureColumn, string LabelColumn, string? WeightColumn)
    {
        /// <summary>Rows skipped for any reason.</summary>
        public long RowsSkipped => NonFiniteFeatureRows + MissingLabelRows + BadWeightRows;

        /// <summary>Why rows were skipped, naming the columns and what to do about each reason.</summary>
        public string SkipReasons()
        {
            var parts = new List<string>();
            if (NonFiniteFeatureRows > 0)
            {
                parts.Add($"{NonFiniteFeatureRows} with a NaN or infinite value in column '{FeatureColumn}' (replace missing values, for example with " +
                    "mlContext.Transforms.ReplaceMissingValues, or filter them with mlContext.Data.FilterRowsByMissingValues)");
            }
            if (MissingLabelRows > 0)
            {
                parts.Add($"{MissingLabelRows} with a missing (NaN, infinite or key 0) label in column '{LabelColumn}'");
            }
            if (BadWeightRows > 0)
            {
                parts.Add($"{BadWeightRows} with a NaN, infinite or negative weight in column '{WeightColumn}'");
            }
            return string.Join("; ", parts);
        }
    }

    /// <summary>
    /// Reads every row into memory. Rows with a NaN or infinite feature, a missing label (NaN, or key value 0) or a NaN,
    /// infinite or negative weight are skipped and counted. <see cref="Result.Data"/> is null when no row is usable. A key
    /// label above the key's count, or a feature vector whose length differs from the column's declared size, throws.
    /// </summary>
    /// <param name="data">The data with its feature, label and optional weight roles.</param>
    /// <param name="task">Fixes the label type: Boolean or Single (&gt; 0 is positive) for binary, a key for multiclass, Single for regression.</param>
    /// <exception cref="ArgumentException">A role is missing or a column has the wrong type; the message names the column.</exception>
    public static Result Read(RoleMappedData data, NetworkTask task) => TryRead(data, task, long.MaxValue)!;

    /// <summary>
    /// As <see cref="Read"/> for a wide column (<see cref="IsWide"/>), but returns null as soon as the sparse rows would
    /// take more than <paramref name="maxBytes"/> (<see cref="SparseStreamingData.InMemoryBytes"/>: 8 bytes a non-zero,
    /// 16 a row). With <paramref name="keepSparse"/> set, the rows stay sparse (true) or are made dense (false) whatever
    /// their density, so that validation rows take the training rows' form.
    /// </summary>
    public static Result? TryReadSparse(RoleMappedData data, NetworkTask task, long maxBytes, bool? keepSparse = null)
    {
        using var rows = new RowCursor(data, task);
        return ReadSparse(rows, maxBytes, keepSparse);
    }

    /// <summary>
    /// A feature column at least this wide is read as sparse rows (<see cref="SparseRows"/>: only the non-zeros, whatever
    /// the vector's own representation) and trained through the sparse first layer, unless more than
    /// <see cref="DenseFraction"/> of its values turn out non-zero.
    /// </summary>
    public const int SparseFeatureThreshold = 4096;

    /// <summary>Sparse rows denser than this (non-zeros over rows × features) are made dense when they fit in one array.</summary>
    public const double DenseFraction = 0.25;

    /// <summary>True when the feature column is read sparse (<see cref="SparseFeatureThreshold"/>).</summary>
    public static bool IsWide(DataViewSchema.Column featureColumn) => FeatureCount(featureColumn) >= SparseFeatureThreshold;

    /// <summary>As <see cref="Read"/>, but returns null as soon as more than <paramref name="maxRows"/> usable rows are found.</summary>
    /// <remarks>A wide column (<see cref="IsWide"/>) is read sparse and whole: <paramref name="maxRows"/> does not apply.</remarks>
    public static Result? TryRead(RoleMappedData data, NetworkTask task, long maxRows)
    {
        using var rows = new RowCursor(data, task);
        int featureCount = rows.FeatureCount;
        if (featureCount >= SparseFeatureThreshold)
        {
            return ReadSparse(rows, long.MaxValue, keepSparse: null);
        }
        // Chunked rather than List<float>: a list's doubling plus the final copy would peak at 3x the features. With a
        // known row count the arrays are allocated once at their final size.
        long expected = data.Data.GetRowCount() is long known && known <= maxRows && known * featureCount <= Array.MaxLength ? known : 0;
        var features = new ChunkedFloats(expected * featureCount);
        var labels = new ChunkedFloats(expected);
        ChunkedFloats? weights = rows.HasWeight ? new ChunkedFloats(expected) : null;
        var row = new float[featureCount];
        long count = 0;
        while (rows.MoveNext(row, out float label, out float weight))
        {
            if (count >= maxRows)
            {
                return null;
            }
            if ((count + 1) * featureCount > Array.MaxLength)
            {
                throw new ArgumentException(
                    $"The training data has more than {count} rows of {featureCount} features, more than one array holds: " +
                    "train it with DataMode = TrainingDataMode.Streaming.", "data");
            }
            features.Add(row);
            labels.Add(label);
            weights?.Add(weight);
            count++;
        }
        TrainingData? result = count == 0 ? null
            : new TrainingData(features.ToArray(), featureCount, labels.ToArray(), weights?.ToArray());
        return rows.Summary(result);
    }

    /// <summary>
    /// Reads every usable row keeping only its non-zeros (memory ∝ non-zeros, 8 bytes each); makes the rows dense when
    /// more than <see cref="DenseFraction"/> of the values are non-zero and they fit in one array.
    /// </summary>
    private static Result? ReadSparse(RowCursor rows, long maxBytes, bool? keepSparse)
    {
        int featureCount = rows.FeatureCount;
        var starts = new List<long> { 0 };
        var indices = new List<int>();
        var values = new List<float>();
        var labels = new List<float>();
        var weights = rows.HasWeight ? new List<float>() : null;
        while (rows.MoveNextSparse(indices, values, out float label, out float weight))
        {
            if (SparseStreamingData.InMemoryBytes(labels.Count + 1, indices.Count) > maxBytes)
            {
                return null;
            }
            starts.Add(indices.Count);
            labels.Add(label);
            weights?.Add(weight);
        }
        if (labels.Count == 0)
        {
            return rows.Summary(null);
        }
        var sparse = new SparseRows(featureCount, starts.ToArray(), indices.ToArray(), values.ToArray());
        long cells = (long)labels.Count * featureCount;
        bool makeDense = keepSparse is bool keep ? !keep : sparse.NonZeroCount > DenseFraction * cells;
        if (makeDense && cells <= Array.MaxLength)
        {
            var dense = new float[cells];
            sparse.CopyDense(0, sparse.RowCount, dense);
            return rows.Summary(new TrainingData(dense, featureCount, labels.ToArray(), weights?.ToArray()));
        }
        return rows.Summary(new TrainingData(sparse, labels.ToArray(), weights?.ToArray()));
    }

    /// <summary>
    /// The usable rows of <paramref name="data"/> (skipped as <see cref="Read"/> skips them) as a source read once per
    /// pass. With a <paramref name="holdOut"/>, only the rows of one side of a seeded per-row random split.
    /// </summary>
    public static DataViewRowSource Stream(RoleMappedData data, NetworkTask task, HoldOut? holdOut = null) => new(data, task, holdOut);

    /// <summary>
    /// A per-row random split that needs no memory: usable row i goes to validation when a hash of (seed, i) falls below
    /// <see cref="Fraction"/>, so every pass splits the same way. Not stratified, unlike the in-memory hold-out.
    /// </summary>
    internal sealed record HoldOut(double Fraction, int Seed, bool Validation)
    {
        public bool Keeps(long row) => (Hash(row) < Fraction) == Validation;

        private double Hash(long row)
        {
            // SplitMix64 of the seed and the row index: uniform, stable across passes and platforms.
            ulong z = unchecked((ulong)row + 0x9E3779B97F4A7C15UL * (ulong)(uint)(Seed + 1));
            z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
            z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
            z ^= z >> 31;
            return (z >> 11) * (1.0 / (1UL << 53));
        }
    }

    /// <summary>The usable rows of an <see cref="IDataView"/> as an <see cref="ITrainingRowSource"/>; counts what it skipped in the last pass.</summary>
    internal sealed class DataViewRowSource : ITrainingRowSource
    {
        private readonly RoleMappedData _data;
        private readonly NetworkTask _task;
        private readonly HoldOut? _holdOut;

        public DataViewRowSource(RoleMappedData data, NetworkTask task, HoldOut? holdOut)
        {
            _data = data;
            _task = task;
            _holdOut = holdOut;
            // Checks the columns now, so a bad schema fails before any pass.
            using var probe = new RowCursor(data, task, open: false);
            FeatureCount = probe.FeatureCount;
        }

        public int FeatureCount { get; }

        /// <summary>What the last complete pass read and skipped.</summary>
        public Result? LastPass { get; private set; }

        public ITrainingRowReader OpenReader() => new Reader(this);

        private sealed class Reader(DataViewRowSource owner) : ITrainingRowReader
        {
            private readonly RowCursor _rows = new(owner._data, owner._task);
            private long _usable;
            private bool _ended;

            public int ReadRows(Span<float> features, Span<float> labels, Span<float> weights)
            {
                int n = 0;
                int f = owner.FeatureCount;
                while (!_ended && n < labels.Length)
                {
                    if (!_rows.MoveNext(features.Slice(n * f, f), out float label, out float weight))
                    {
                        _ended = true;
                        owner.LastPass = _rows.Summary(null);
                        break;
                    }
                    if (owner._holdOut is { } h && !h.Keeps(_usable++))
                    {
                        continue;
                    }
                    labels[n] = label;
                    weights[n] = weight;
                    n++;
                }
                return n;
            }

            public void Dispose() => _rows.Dispose();
        }
    }

    /// <summary>
    /// The usable rows of a wide column (<see cref="IsWide"/>) as sparse rows read once per pass (only the non-zeros,
    /// whatever the vector's own representation), skipped and held out as <see cref="Stream"/> does.
    /// </summary>
    public static SparseDataViewRowSource StreamSparse(RoleMappedData data, NetworkTask task, HoldOut? holdOut = null) => new(data, task, holdOut);

    /// <summary>The usable rows of an <see cref="IDataView"/> as an <see cref="ISparseRowSource"/>; counts what it skipped in the last pass.</summary>
    internal sealed class SparseDataViewRowSource : ISparseRowSource
    {
        private readonly RoleMappedData _data;
        private readonly NetworkTask _task;
        private readonly HoldOut? _holdOut;

        public SparseDataViewRowSource(RoleMappedData data, NetworkTask task, HoldOut? holdOut)
        {
            _data = data;
            _task = task;
            _holdOut = holdOut;
            // Checks the columns now, so a bad schema fails before any pass.
            using var probe = new RowCursor(data, task, open: false);
            FeatureCount = probe.FeatureCount;
        }

        public int FeatureCount { get; }

        /// <summary>What the last complete pass read and skipped.</summary>
        public Result? LastPass { get; private set; }

        public ISparseRowReader OpenReader() => new Reader(this);

        private sealed class Reader(SparseDataViewRowSource owner) : ISparseRowReader
        {
            private readonly RowCursor _rows = new(owner._data, owner._task);
            private long _usable;

            public bool ReadRow(List<int> indices, List<float> values, out float label, out float weight)
            {
                int start = indices.Count;
                while (_rows.MoveNextSparse(indices, values, out label, out weight))
                {
                    if (owner._holdOut is { } h && !h.Keeps(_usable++))
                    {
                        indices.RemoveRange(start, indices.Count - start);
                        values.RemoveRange(start, values.Count - start);
                        continue;
                    }
                    return true;
                }
                owner.LastPass = _rows.Summary(null);
                return false;
            }

            public void Dispose() => _rows.Dispose();
        }
    }

    /// <summary>A cursor over the feature, label and weight columns that returns usable rows and counts the others.</summary>
    private sealed class RowCursor : IDisposable
    {
        private readonly DataViewRowCursor? _cursor;
        private readonly ValueGetter<VBuffer<float>>? _getFeatures;
        private readonly Func<long, float>? _getLabel;
        private readonly ValueGetter<float>? _getWeight;
        private readonly DataViewSchema.Column _featureColumn;
        private readonly DataViewSchema.Column _labelColumn;
        private readonly DataViewSchema.Column? _weightColumn;
        private VBuffer<float> _buffer;
        private float _weight = 1;
        private long _read;
        private long _badFeatures, _missingLabels, _badWeights;

        public RowCursor(RoleMappedData data, NetworkTask task, bool open = true)
        {
            ArgumentNullException.ThrowIfNull(data);
            _featureColumn = data.Schema.Feature
                ?? throw new ArgumentException("The data must have a feature column.", nameof(data));
            _labelColumn = data.Schema.Label
                ?? throw new ArgumentException("The data must have a label column.", nameof(data));
            _weightColumn = data.Schema.Weight;
            FeatureCount = DataViewReader.FeatureCount(_featureColumn);
            CheckLabel(_labelColumn, task);
            if (_weightColumn is { } w && w.Type != NumberDataViewType.Single)
            {
                throw new ArgumentException($"Column '{w.Name}' (example weight) must be Single, but is {w.Type}.", nameof(data));
            }
            if (!open)
            {
                return;
            }
            var columns = new List<DataViewSchema.Column> { _featureColumn, _labelColumn };
            if (_weightColumn is { } wc)
            {
                columns.Add(wc);
            }
            _cursor = data.Data.GetRowCursor(columns);
            _getFeatures = _cursor.GetGetter<VBuffer<float>>(_featureColumn);
            _getLabel = LabelGetter(_cursor, _labelColumn, task);
            _getWeight = _weightColumn is { } wcol ? _cursor.GetGetter<float>(wcol) : null;
        }

        public int FeatureCount { get; }

        public bool HasWeight => _weightColumn is not null;

        /// <summary>Moves to the next usable row and copies it out; false at the end.</summary>
        public bool MoveNext(Span<float> row, out float label, out float weight)
        {
            while (_cursor!.MoveNext())
            {
                _read++;
                _getFeatures!(ref _buffer);
                if (_buffer.Length != FeatureCount)
                {
                    // A custom IDataView can declare a size and deliver another; ML.NET's own sources cannot.
                    throw new ArgumentException(
                        $"Column '{_featureColumn.Name}' (features) declares {FeatureCount} values per row, but row {_read - 1} has {_buffer.Length}. " +
                        "Every row of the feature column must have the declared length.", "data");
                }
                _buffer.CopyTo(row);
                label = _getLabel!(_read - 1);
                _getWeight?.Invoke(ref _weight);
                weight = _weight;
                if (!Usable(row, label, weight))
                {
                    continue;
                }
                return true;
            }
            label = 0;
            weight = 0;
            return false;
        }

        /// <summary>Whether a row can train (finite features, a label, a finite non-negative weight); counts why not.</summary>
        private bool Usable(ReadOnlySpan<float> features, float label, float weight)
        {
            if (!AllFinite(features))
            {
                _badFeatures++;
                return false;
            }
            if (float.IsNaN(label))
            {
                _missingLabels++;
                return false;
            }
            if (_getWeight is not null && !(float.IsFinite(weight) && weight >= 0))
            {
                _badWeights++;
                return false;
            }
            return true;
        }

        /// <summary>
        /// Moves to the next usable row and appends its non-zeros (feature index and value, ascending) to
        /// <paramref name="indices"/> and <paramref name="values"/>; a skipped row appends nothing. False at the end.
        /// </summary>
        public bool MoveNextSparse(List<int> indices, List<float> values, out float label, out float weight)
        {
            while (_cursor!.MoveNext())
            {
                _read++;
                _getFeatures!(ref _buffer);
                if (_buffer.Length != FeatureCount)
                {
                    throw new ArgumentException(
                        $"Column '{_featureColumn.Name}' (features) declares {FeatureCount} values per row, but row {_read - 1} has {_buffer.Length}. " +
                        "Every row of the feature column must have the declared length.", "data");
                }
                label = _getLabel!(_read - 1);
                _getWeight?.Invoke(ref _weight);
                weight = _weight;
                ReadOnlySpan<float> v = _buffer.GetValues();
                if (!Usable(v, label, weight))
                {
                    continue;
                }
                if ((long)indices.Count + v.Length > Array.MaxLength)
                {
                    throw new ArgumentException(
                        $"Column '{_featureColumn.Name}' (features) has more than {Array.MaxLength:N0} non-zero values over the first {_read:N0} rows, " +
                        "more than one array holds: train it with DataMode = TrainingDataMode.Streaming, on fewer rows, or produce fewer features.", "data");
                }
                ReadOnlySpan<int> idx = _buffer.IsDense ? default : _buffer.GetIndices();
                for (int k = 0; k < v.Length; k++)
                {
                    if (v[k] != 0)
                    {
                        indices.Add(_buffer.IsDense ? k : idx[k]);
                        values.Add(v[k]);
                    }
                }
                return true;
            }
            label = 0;
            weight = 0;
            return false;
        }

        public Result Summary(TrainingData? data)
            => new(data, _read, _badFeatures, _missingLabels, _badWeights, _featureColumn.Name, _labelColumn.Name, _weightColumn?.Name);

        public void Dispose() => _cursor?.Dispose();
    }

    /// <summary>
    /// Floats appended in chunks, then made into one array: the first chunk has the expected length (so data whose row
    /// count is known needs no copy at all), later ones 1 Mi values.
    /// </summary>
    private sealed class ChunkedFloats(long expected)
    {
        private const int ChunkLength = 1 << 20;
        private readonly List<float[]> _chunks = [];
        private int _used;

        public long Count { get; private set; }

        public void Add(float value) => Add([value]);

        public void Add(ReadOnlySpan<float> values)
        {
            while (!values.IsEmpty)
            {
                if (_chunks.Count == 0 || _used == _chunks[^1].Length)
                {
                    _chunks.Add(new float[_chunks.Count == 0 && expected > 0 ? expected : ChunkLength]);
                    _used = 0;
                }
                int n = Math.Min(values.Length, _chunks[^1].Length - _used);
                values[..n].CopyTo(_chunks[^1].AsSpan(_used, n));
                _used += n;
                values = values[n..];
                Count += n;
            }
        }

        public float[] ToArray()
        {
            if (_chunks.Count == 1 && _chunks[0].Length == Count)
            {
                return _chunks[0];
            }
            var result = new float[Count];
            long offset = 0;
            foreach (float[] chunk in _chunks)
            {
                int n = (int)Math.Min(chunk.Length, Count - offset);
                chunk.AsSpan(0, n).CopyTo(result.AsSpan((int)offset, n));
                offset += n;
            }
            return result;
        }
    }

    /// <summary>The length of a known-size vector of Single; otherwise an exception naming the column.</summary>
    public static int FeatureCount(DataViewSchema.Column column)
    {
        if (column.Type is VectorDataViewType vector && vector.ItemType == NumberDataViewType.Single && vector.IsKnownSize)
        {
            return vector.Size;
        }
        string actual = column.Type is VectorDataViewType v
            ? v.IsKnownSize ? $"Vector<{v.ItemType}, {v.Size}>" : $"Vector<{v.ItemType}> of unknown size"
            : $"{column.Type}";
        throw new ArgumentException(
            $"Column '{column.Name}' (features) must be a known-size vector of Single, but is {actual}. " +
            "Concatenate the numeric columns into one vector, for example with mlContext.Transforms.Concatenate.", "data");
    }

    /// <summary>The number of classes of a key-typed label column; otherwise an exception naming the column.</summary>
    public static int ClassCount(DataViewSchema.Column label)
    {
        CheckLabel(label, NetworkTask.MulticlassClassification);
        return (int)((KeyDataViewType)label.Type).Count;
    }

    private static void CheckLabel(DataViewSchema.Column label, NetworkTask task)
    {
        DataViewType type = label.Type;
        string? expected = task switch
        {
            NetworkTask.BinaryClassification when type == BooleanDataViewType.Instance || type == NumberDataViewType.Single => null,
            NetworkTask.BinaryClassification => "Boolean (or Single, where values > 0 are positive)",
            NetworkTask.MulticlassClassification when type is KeyDataViewType { RawType: var raw, Count: > 0 and <= int.MaxValue } && raw == typeof(uint) => null,
            NetworkTask.MulticlassClassification => "a key type (UInt32 keys of known count; map the labels with mlContext.Transforms.Conversion.MapValueToKey)",
            NetworkTask.Regression when type == NumberDataViewType.Single => null,
            _ => "Single",
        };
        if (expected is not null)
        {
            throw new ArgumentException($"Column '{label.Name}' (label) must be {expected}, but is {type}.", "data");
        }
    }

    private static Func<long, float> LabelGetter(DataViewRowCursor cursor, DataViewSchema.Column label, NetworkTask task)
    {
        if (label.Type == BooleanDataViewType.Instance)
        {
            ValueGetter<bool> get = cursor.GetGetter<bool>(label);
            bool value = false;
            return _ =>
            {
                get(ref value);
                return value ? 1f : 0f;
            };
        }
        if (label.Type is KeyDataViewType key)
        {
            ValueGetter<uint> get = cursor.GetGetter<uint>(label);
            ulong count = key.Count;
            uint value = 0;
            string name = label.Name;
            return row =>
            {
                get(ref value);
                if (value > count)
                {
                    // Not a missing value but a broken key column: skipping it would silently drop a class.
                    throw new ArgumentException(
                        $"Column '{name}' (label) has key value {value} in row {row}, outside its key range 1..{count}. " +
                        "Build the label with mlContext.Transforms.Conversion.MapValueToKey so that every value has a key.", "data");
                }
                // Key value 0 is ML.NET's missing value: the row is skipped.
                return value == 0 ? float.NaN : value - 1;
            };
        }
        ValueGetter<float> getFloat = cursor.GetGetter<float>(label);
        float number = 0;
        return task == NetworkTask.BinaryClassification
            ? _ =>
            {
                getFloat(ref number);
                return float.IsNaN(number) ? float.NaN : number > 0 ? 1f : 0f;
            }
            : _ =>
            {
                getFloat(ref number);
                return float.IsFinite(number) ? number : float.NaN;
            };
    }

    private static bool AllFinite(ReadOnlySpan<float> values)
    {
        foreach (float v in values)
        {
            if (!float.IsFinite(v))
            {
                return false;
            }
        }
        return true;
    }
}
