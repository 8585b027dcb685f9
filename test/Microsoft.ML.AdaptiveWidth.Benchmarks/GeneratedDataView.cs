using Microsoft.ML;
using Microsoft.ML.Data;

namespace Microsoft.ML.AdaptiveWidth.Benchmarks;

/// <summary>
/// An <see cref="IDataView"/> of any number of rows made on the fly from the row index, so a 10-million-row data set
/// (1.3 GB as floats at 32 features) costs no memory: <c>Features</c> is a vector of uniform values in [−1, 1] and
/// <c>Label</c> (Boolean) is the sign of a fixed random teacher, w·x + sin(3·x0)·x1, with 5% of the labels flipped.
/// Every pass returns the same rows.
/// </summary>
internal sealed class GeneratedDataView : IDataView
{
    private readonly long _rows;
    private readonly int _features;
    private readonly ulong _seed;
    private readonly long _firstRow;
    private readonly float[] _teacher;

    /// <param name="rows">Number of rows.</param>
    /// <param name="features">Features per row.</param>
    /// <param name="seed">Fixes the teacher and the rows.</param>
    /// <param name="firstRow">Index of the first row: a test set of the same task starts far beyond the training rows.</param>
    public GeneratedDataView(long rows, int features, int seed, long firstRow = 0)
    {
        _rows = rows;
        _firstRow = firstRow;
        _features = features;
        _seed = (ulong)seed;
        var random = new Random(seed);
        _teacher = Enumerable.Range(0, features).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var builder = new DataViewSchema.Builder();
        builder.AddColumn("Features", new VectorDataViewType(NumberDataViewType.Single, features));
        builder.AddColumn("Label", BooleanDataViewType.Instance);
        Schema = builder.ToSchema();
    }

    public bool CanShuffle => false;

    public DataViewSchema Schema { get; }

    public long? GetRowCount() => _rows;

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) => new Cursor(this);

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) => [new Cursor(this)];

    /// <summary>Row <paramref name="index"/>'s features and label.</summary>
    internal bool Row(long index, Span<float> x)
    {
        ulong state = _seed * 0x9E3779B97F4A7C15UL + (ulong)index * 0xD1B54A32D192ED03UL;
        float score = 0;
        for (int j = 0; j < x.Length; j++)
        {
            x[j] = (float)((Next(ref state) >> 40) * (2.0 / (1UL << 24)) - 1);
            score += _teacher[j] * x[j];
        }
        score += MathF.Sin(3 * x[0]) * x[1];
        bool flip = (Next(ref state) >> 40) < 0.05 * (1UL << 24);
        return (score > 0) ^ flip;
    }

    private static ulong Next(ref ulong state)
    {
        ulong z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    private sealed class Cursor(GeneratedDataView owner) : DataViewRowCursor
    {
        private readonly float[] _x = new float[owner._features];
        private bool _label;
        private long _position = -1;

        public override DataViewSchema Schema => owner.Schema;

        public override long Position => _position;

        public override long Batch => 0;

        public override bool MoveNext()
        {
            if (_position + 1 >= owner._rows)
            {
                return false;
            }
            _position++;
            _label = owner.Row(owner._firstRow + _position, _x);
            return true;
        }

        public override bool IsColumnActive(DataViewSchema.Column column) => true;

        public override ValueGetter<DataViewRowId> GetIdGetter() => (ref DataViewRowId id) => id = new DataViewRowId((ulong)_position, 0);

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            if (column.Index == 0 && typeof(TValue) == typeof(VBuffer<float>))
            {
                ValueGetter<VBuffer<float>> features = (ref VBuffer<float> value) =>
                {
                    var editor = VBufferEditor.Create(ref value, _x.Length);
                    _x.CopyTo(editor.Values);
                    value = editor.Commit();
                };
                return (ValueGetter<TValue>)(Delegate)features;
            }
            if (column.Index == 1 && typeof(TValue) == typeof(bool))
            {
                ValueGetter<bool> label = (ref bool value) => value = _label;
                return (ValueGetter<TValue>)(Delegate)label;
            }
            throw new InvalidOperationException($"Column '{column.Name}' has no getter of type {typeof(TValue).Name}.");
        }
    }
}
