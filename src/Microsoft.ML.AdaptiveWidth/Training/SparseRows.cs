namespace Microsoft.ML.AdaptiveWidth.Training;

/// <summary>
/// Rows of a wide, mostly-zero feature vector in compressed sparse row form: row r's non-zeros are
/// <c>Indices[RowStarts[r]..RowStarts[r + 1]]</c> with <c>Values</c> alike. Memory is proportional to the
/// non-zeros, not to rows × features (text features from <c>FeaturizeText</c> have hundreds of thousands of slots and a
/// few hundred non-zeros per row). Offsets are 64-bit; each of the two arrays holds at most <see cref="Array.MaxLength"/>
/// non-zeros.
/// </summary>
internal sealed class SparseRows
{
    /// <summary>Wraps the arrays (not copied) after checking them.</summary>
    /// <exception cref="ArgumentException">Offsets are not ascending, an index is outside [0, features), or a value is not finite.</exception>
    public SparseRows(int featureCount, long[] rowStarts, int[] indices, float[] values)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(featureCount, 1);
        if (rowStarts.Length < 1 || rowStarts[0] != 0 || rowStarts[^1] != indices.Length || indices.Length != values.Length)
        {
            throw new ArgumentException($"Row offsets must start at 0 and end at the {indices.Length} non-zeros; there are {values.Length} values.", nameof(rowStarts));
        }
        for (int r = 0; r + 1 < rowStarts.Length; r++)
        {
            if (rowStarts[r + 1] < rowStarts[r])
            {
                throw new ArgumentException($"Row offsets must not decrease (row {r}).", nameof(rowStarts));
            }
        }
        for (long k = 0; k < indices.LongLength; k++)
        {
            if ((uint)indices[k] >= (uint)featureCount)
            {
                throw new ArgumentException($"Index {indices[k]} is outside the {featureCount} features.", nameof(indices));
            }
            if (!float.IsFinite(values[k]))
            {
                throw new ArgumentException($"Feature {indices[k]} of row {RowOf(rowStarts, k)} is {values[k]}; features must be finite.", nameof(values));
            }
        }
        FeatureCount = featureCount;
        RowStarts = rowStarts;
        Indices = indices;
        Values = values;
    }

    /// <summary>Number of features (slots) per row.</summary>
    public int FeatureCount { get; }

    /// <summary>Number of rows.</summary>
    public int RowCount => RowStarts.Length - 1;

    /// <summary>Start of each row's non-zeros, and the total at the end (length rows + 1).</summary>
    public long[] RowStarts { get; }

    /// <summary>Feature index of each non-zero.</summary>
    public int[] Indices { get; }

    /// <summary>Value of each non-zero.</summary>
    public float[] Values { get; }

    /// <summary>Total number of stored values.</summary>
    public long NonZeroCount => RowStarts[^1];

    /// <summary>The indices of row <paramref name="row"/>.</summary>
    public ReadOnlySpan<int> RowIndices(int row) => Indices.AsSpan((int)RowStarts[row], (int)(RowStarts[row + 1] - RowStarts[row]));

    /// <summary>The values of row <paramref name="row"/>.</summary>
    public ReadOnlySpan<float> RowValues(int row) => Values.AsSpan((int)RowStarts[row], (int)(RowStarts[row + 1] - RowStarts[row]));

    /// <summary>The given rows, in that order.</summary>
    public SparseRows Subset(IReadOnlyList<int> rows)
    {
        var starts = new long[rows.Count + 1];
        for (int r = 0; r < rows.Count; r++)
        {
            starts[r + 1] = starts[r] + RowStarts[rows[r] + 1] - RowStarts[rows[r]];
        }
        var indices = new int[starts[^1]];
        var values = new float[starts[^1]];
        for (int r = 0; r < rows.Count; r++)
        {
            RowIndices(rows[r]).CopyTo(indices.AsSpan((int)starts[r]));
            RowValues(rows[r]).CopyTo(values.AsSpan((int)starts[r]));
        }
        return new SparseRows(FeatureCount, starts, indices, values);
    }

    /// <summary>Row-major dense copy of rows [<paramref name="first"/>, first + count) into <paramref name="destination"/> (count × features).</summary>
    public void CopyDense(int first, int count, Span<float> destination)
    {
        destination[..checked(count * FeatureCount)].Clear();
        for (int r = 0; r < count; r++)
        {
            ReadOnlySpan<int> idx = RowIndices(first + r);
            ReadOnlySpan<float> val = RowValues(first + r);
            Span<float> row = destination.Slice(r * FeatureCount, FeatureCount);
            for (int k = 0; k < idx.Length; k++)
            {
                row[idx[k]] = val[k];
            }
        }
    }

    private static long RowOf(long[] rowStarts, long k)
    {
        int r = Array.BinarySearch(rowStarts, k);
        if (r < 0)
        {
            return ~r - 1;
        }
        while (r + 1 < rowStarts.Length && rowStarts[r + 1] == k)
        {
            r++;
        }
        return r;
    }
}
