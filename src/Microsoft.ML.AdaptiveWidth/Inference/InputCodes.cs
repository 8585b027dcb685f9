using System.Numerics;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Microsoft.ML.AdaptiveWidth.Inference;

/// <summary>
/// Quantile codes of numeric features (docs/method.md §5.13): for each coded feature, a piecewise-linear map through
/// its knots t_0 &lt; … &lt; t_{K−1} (quantiles of the training rows) to [0, 1], knot k going to k/(K − 1), 0 below the
/// first knot and 1 above the last. A model with codes feeds its first layer the features followed by their codes, so
/// the network sees both a feature's value and its rank among the training rows; the codes do not change when the
/// features go through any increasing affine map that the knots went through too (a normalizer fitted on the same rows).
/// </summary>
public sealed class InputCodes
{
    private readonly int[] _features;

    // Every code's knots in one array, code c's _counts[c] knots starting at _starts[c] and padded with +∞ to a whole
    // number of vectors: the segment of a value is then the count of knots at or below it, a few vector compares without a branch
    // to mispredict (a bisection over 64 knots mispredicts about half its six steps: 35-65 ns a code, which made the codes
    // of Fashion-MNIST's 784 pixels cost twice the first layer's multiply-adds).
    private readonly float[] _padded;
    private readonly int[] _starts;
    private readonly int[] _counts;

    // Coded feature c's codes are inputs [_offsets[c], _offsets[c + 1]) after the features: one per bin.
    private readonly int[] _offsets;

    // The bin of each segment, coded feature c's K_c − 1 segments from _segmentStarts[c] (only when Bins > 1): the scorer
    // finds a value's bin from its segment without a division.
    private readonly byte[] _segmentBins = [];
    private readonly int[] _segmentStarts = [];

    /// <summary>Creates the codes; the arrays are copied.</summary>
    /// <param name="featureCount">Number of features of the model's input.</param>
    /// <param name="features">The coded features, increasing, each in [0, <paramref name="featureCount"/>).</param>
    /// <param name="knots">Per coded feature, at least two finite, strictly increasing knots.</param>
    /// <exception cref="ArgumentException">A count, an index or a knot is out of range.</exception>
    public InputCodes(int featureCount, IReadOnlyList<int> features, IReadOnlyList<float[]> knots)
        : this(featureCount, features, knots, bins: 1)
    {
    }

    /// <summary>Creates codes that split each coded feature's segments into up to <paramref name="bins"/> bins, one code
    /// each (docs/method.md §5.13); the arrays are copied.</summary>
    /// <param name="featureCount">Number of features of the model's input.</param>
    /// <param name="features">The coded features, increasing, each in [0, <paramref name="featureCount"/>).</param>
    /// <param name="knots">Per coded feature, at least two finite, strictly increasing knots.</param>
    /// <param name="bins">Codes per coded feature, at least 1 (1: the feature's rank in [0, 1]); a feature with fewer
    /// segments than this gets one code per segment.</param>
    /// <exception cref="ArgumentException">A count, an index or a knot is out of range.</exception>
    public InputCodes(int featureCount, IReadOnlyList<int> features, IReadOnlyList<float[]> knots, int bins)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(featureCount, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(bins, 1);
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(knots);
        if (features.Count != knots.Count || features.Count < 1)
        {
            throw new ArgumentException($"Expected one knot array per coded feature and at least one coded feature; got {features.Count} features and {knots.Count} knot arrays.", nameof(knots));
        }
        for (int c = 0; c < features.Count; c++)
        {
            if (features[c] < 0 || features[c] >= featureCount || (c > 0 && features[c] <= features[c - 1]))
            {
                throw new ArgumentException($"Coded features must be increasing and in [0, {featureCount}); got {features[c]} at position {c}.", nameof(features));
            }
            float[] t = knots[c] ?? throw new ArgumentException($"The knots of coded feature {c} are null.", nameof(knots));
            if (t.Length < 2 || !t.All(float.IsFinite) || t.Zip(t.Skip(1)).Any(p => p.First >= p.Second))
            {
                throw new ArgumentException($"Coded feature {c} needs at least two finite, strictly increasing knots.", nameof(knots));
            }
        }
        FeatureCount = featureCount;
        _features = features.ToArray();
        int lanes = Vector512<float>.Count;
        _counts = knots.Select(k => k.Length).ToArray();
        _starts = new int[_counts.Length + 1];
        for (int c = 0; c < _counts.Length; c++)
        {
            _starts[c + 1] = _starts[c] + (_counts[c] + lanes - 1) / lanes * lanes;
        }
        Bins = bins;
        _offsets = new int[_counts.Length + 1];
        for (int c = 0; c < _counts.Length; c++)
        {
            _offsets[c + 1] = _offsets[c] + Math.Min(bins, _counts[c] - 1);
        }
        if (bins > 1)
        {
            _segmentStarts = new int[_counts.Length + 1];
            for (int c = 0; c < _counts.Length; c++)
            {
                _segmentStarts[c + 1] = _segmentStarts[c] + _counts[c] - 1;
            }
            _segmentBins = new byte[_segmentStarts[^1]];
            for (int c = 0; c < _counts.Length; c++)
            {
                for (int b = 0; b < BinCount(c); b++)
                {
                    _segmentBins.AsSpan(_segmentStarts[c] + BinStart(c, b), BinStart(c, b + 1) - BinStart(c, b)).Fill((byte)b);
                }
            }
        }
        _padded = new float[_starts[^1]];
        Array.Fill(_padded, float.PositiveInfinity);
        for (int c = 0; c < _counts.Length; c++)
        {
            knots[c].CopyTo(_padded, _starts[c]);
        }
    }

    /// <summary>Number of features of the model's input.</summary>
    public int FeatureCount { get; }

    /// <summary>Number of codes (every coded feature's bins); the first layer takes <see cref="FeatureCount"/> + this many inputs.</summary>
    public int CodeCount => _offsets[^1];

    /// <summary>Number of coded features.</summary>
    public int CodedFeatureCount => _features.Length;

    /// <summary>Codes per coded feature asked for: 1 codes a feature by its rank alone; more split its segments into bins.</summary>
    public int Bins { get; }

    /// <summary>The number of codes (bins) of coded feature <paramref name="code"/>: <see cref="Bins"/>, or its segment count when fewer.</summary>
    public int BinCount(int code) => _offsets[code + 1] - _offsets[code];

    /// <summary>The first segment of bin <paramref name="bin"/> of coded feature <paramref name="code"/> (bin count: the segment count).</summary>
    public int BinStart(int code, int bin) => bin * (_counts[code] - 1) / BinCount(code);

    /// <summary>The coded features, increasing.</summary>
    public ReadOnlySpan<int> Features => _features;

    /// <summary>The knots of code <paramref name="code"/>.</summary>
    public ReadOnlySpan<float> Knots(int code) => _padded.AsSpan(_starts[code], _counts[code]);

    /// <summary>The code of value <paramref name="x"/> for code <paramref name="code"/> (NaN stays NaN).</summary>
    public float Code(int code, float x) => (float)(Position(code, x) / (_counts[code] - 1));

    /// <summary>The derivative of the code at <paramref name="x"/>: the segment's slope inside the knots (the right-hand one at
    /// a knot), 0 outside; NaN for NaN.</summary>
    public float Slope(int code, float x)
    {
        ReadOnlySpan<float> t = Knots(code);
        if (float.IsNaN(x))
        {
            return float.NaN;
        }
        if (x < t[0] || x >= t[^1])
        {
            return 0f;
        }
        int k = Segment(code, x);
        return (float)(1.0 / (((double)t[k + 1] - t[k]) * (t.Length - 1)));
    }

    /// <summary>The k with t_k ≤ x &lt; t_{k+1}, for t_0 ≤ x &lt; t_{K−1}: the number of knots at or below x, less one
    /// (the knots increase strictly).</summary>
    private int Segment(int code, float x)
    {
        int start = _starts[code], end = _starts[code + 1];
        if (Vector512.IsHardwareAccelerated)
        {
            ref float t = ref MemoryMarshal.GetArrayDataReference(_padded);
            Vector512<float> xv = Vector512.Create(x);
            int count = 0;
            for (int i = start; i < end; i += Vector512<float>.Count)
            {
                count += BitOperations.PopCount(Vector512.LessThanOrEqual(Vector512.LoadUnsafe(ref t, (nuint)i), xv).ExtractMostSignificantBits());
            }
            return count - 1;
        }
        if (Vector256.IsHardwareAccelerated)
        {
            ref float t = ref MemoryMarshal.GetArrayDataReference(_padded);
            Vector256<float> xv = Vector256.Create(x);
            int count = 0;
            for (int i = start; i < end; i += Vector256<float>.Count)
            {
                count += BitOperations.PopCount(Vector256.LessThanOrEqual(Vector256.LoadUnsafe(ref t, (nuint)i), xv).ExtractMostSignificantBits());
            }
            return count - 1;
        }
        int lo = start, hi = start + _counts[code] - 1;
        while (hi - lo > 1)
        {
            int mid = (lo + hi) >>> 1;
            if (_padded[mid] <= x)
            {
                lo = mid;
            }
            else
            {
                hi = mid;
            }
        }
        return lo - start;
    }

    /// <summary>Writes the features then their codes into <paramref name="extended"/> (<see cref="FeatureCount"/> + <see cref="CodeCount"/> values).</summary>
    public void Apply(ReadOnlySpan<float> features, Span<float> extended)
    {
        if (features.Length != FeatureCount || extended.Length != FeatureCount + CodeCount)
        {
            throw new ArgumentException($"Expected {FeatureCount} features and room for {FeatureCount + CodeCount} values.");
        }
        features.CopyTo(extended);
        if (Bins == 1)
        {
            for (int c = 0; c < _features.Length; c++)
            {
                extended[FeatureCount + c] = Code(c, features[_features[c]]);
            }
            return;
        }
        for (int c = 0; c < _features.Length; c++)
        {
            Span<float> codes = extended.Slice(FeatureCount + _offsets[c], BinCount(c));
            double p = Position(c, features[_features[c]]);
            for (int b = 0; b < codes.Length; b++)
            {
                int from = BinStart(c, b), to = BinStart(c, b + 1);
                codes[b] = double.IsNaN(p) ? float.NaN : (float)Math.Clamp((p - from) / (to - from), 0, 1);
            }
        }
    }

    /// <summary>Where <paramref name="x"/> lies in segment units: k + (x − t_k)/(t_{k+1} − t_k) inside the knots, 0 below,
    /// the segment count above, NaN for NaN.</summary>
    private double Position(int code, float x)
    {
        ReadOnlySpan<float> t = Knots(code);
        if (float.IsNaN(x))
        {
            return double.NaN;
        }
        if (x <= t[0])
        {
            return 0;
        }
        if (x >= t[^1])
        {
            return t.Length - 1;
        }
        int k = Segment(code, x);
        return k + ((double)x - t[k]) / ((double)t[k + 1] - t[k]);
    }

    /// <summary>
    /// The first layer's inputs of one row in the form of <see cref="BinnedLayer"/>: the non-zero features, then for every
    /// coded feature whose value lies above its first knot the bin that holds it (its code, in [0, 1]) and, past the first
    /// bin, the sum of the full bins below it (value 1). A NaN feature puts NaN on its first bin. Returns the count written;
    /// at most <see cref="FeatureCount"/> + 2 × <see cref="CodedFeatureCount"/>.
    /// </summary>
    internal int GatherBinned(ReadOnlySpan<float> features, Span<int> indices, Span<float> values)
    {
        int n = 0;
        for (int j = 0; j < features.Length; j++)
        {
            // Without a branch: every feature is written at n, which moves on only past a non-zero.
            float v = features[j];
            indices[n] = j;
            values[n] = v;
            n += v != 0f ? 1 : 0;
        }
        for (int c = 0; c < _features.Length; c++)
        {
            float x = features[_features[c]];
            ReadOnlySpan<float> t = Knots(c);
            int column = FeatureCount + 2 * _offsets[c];
            if (float.IsNaN(x))
            {
                indices[n] = column;
                values[n++] = float.NaN;
                continue;
            }
            if (x <= t[0])
            {
                continue;
            }
            // The bin a of the value's segment k: bins below a are 1, bin a is (k + f − s_a)/(s_{a+1} − s_a) (at a bin's
            // start it is 0 and the bins below sum to the same as the bin before at 1); above the last knot, the last bin at 1.
            int a;
            float code;
            if (x >= t[^1])
            {
                a = BinCount(c) - 1;
                code = 1f;
            }
            else
            {
                int k = Segment(c, x);
                a = _segmentBins[_segmentStarts[c] + k];
                int from = BinStart(c, a), to = BinStart(c, a + 1);
                code = (float)((k - from + ((double)x - t[k]) / ((double)t[k + 1] - t[k])) / (to - from));
            }
            indices[n] = column + 2 * a;
            values[n] = code;
            n += code != 0f ? 1 : 0;
            if (a > 0)
            {
                indices[n] = column + 2 * a + 1;
                values[n++] = 1f;
            }
        }
        return n;
    }

    /// <summary>
    /// <paramref name="layer"/> (taking the features then the codes) with, beside each code's column, the sum of the
    /// columns of the same coded feature's bins below it: inputs [features, code 0, sum below code 0, code 1, ...]. With
    /// <see cref="GatherBinned"/> it computes the layer on the codes from two adjacent columns per coded feature instead
    /// of one per bin.
    /// </summary>
    internal DenseLayer BinnedLayer(DenseLayer layer)
    {
        int inputs = FeatureCount + CodeCount, wide = inputs + CodeCount;
        if (layer.Inputs != inputs)
        {
            throw new ArgumentException($"The layer takes {layer.Inputs} inputs, not the {inputs} features and codes.", nameof(layer));
        }
        var weights = new float[(long)layer.Outputs * wide];
        ReadOnlySpan<float> w = layer.Weights;
        for (int o = 0; o < layer.Outputs; o++)
        {
            ReadOnlySpan<float> row = w.Slice(o * inputs, inputs);
            Span<float> target = weights.AsSpan(o * wide, wide);
            row[..FeatureCount].CopyTo(target);
            for (int c = 0; c < _features.Length; c++)
            {
                float below = 0f;
                for (int b = 0; b < BinCount(c); b++)
                {
                    int code = _offsets[c] + b;
                    target[FeatureCount + 2 * code] = row[FeatureCount + code];
                    target[FeatureCount + 2 * code + 1] = below;
                    below += row[FeatureCount + code];
                }
            }
        }
        return new DenseLayer(wide, layer.Outputs, weights, layer.Bias, layer.Activation);
    }

    /// <summary>Adds each code's gradient, times its slope at the row, to its feature's: the chain rule through the codes.</summary>
    internal void FoldGradient(ReadOnlySpan<float> features, ReadOnlySpan<float> extendedGradient, Span<float> gradient)
    {
        extendedGradient[..FeatureCount].CopyTo(gradient);
        for (int c = 0; c < _features.Length; c++)
        {
            int j = _features[c];
            float x = features[j];
            if (BinCount(c) == 1)
            {
                float g = extendedGradient[FeatureCount + _offsets[c]];
                if (g != 0f || float.IsNaN(g))
                {
                    gradient[j] += g * Slope(c, x);
                }
                continue;
            }
            // Only the bin holding x moves with it: its code's slope is the segment's over the bin's segment count.
            ReadOnlySpan<float> t = Knots(c);
            if (float.IsNaN(x))
            {
                gradient[j] = float.NaN;
                continue;
            }
            if (x < t[0] || x >= t[^1])
            {
                continue;
            }
            int k = Segment(c, x), b = _segmentBins[_segmentStarts[c] + k];
            float gb = extendedGradient[FeatureCount + _offsets[c] + b];
            gradient[j] += gb * (float)(1.0 / (((double)t[k + 1] - t[k]) * (BinStart(c, b + 1) - BinStart(c, b))));
        }
    }

    /// <summary>The same features and knots with <paramref name="bins"/> codes per coded feature.</summary>
    internal InputCodes WithBins(int bins)
        => bins == Bins ? this : new InputCodes(FeatureCount, _features, Enumerable.Range(0, _features.Length).Select(c => Knots(c).ToArray()).ToArray(), bins);

    /// <summary>True when both code the same features with the same knots.</summary>
    internal bool SameAs(InputCodes? other)
        => other is not null && other.FeatureCount == FeatureCount && other.Bins == Bins && other._features.AsSpan().SequenceEqual(_features)
           && _padded.AsSpan().SequenceEqual(other._padded);

    /// <summary>
    /// Codes for the rows in <paramref name="values"/> ([rows × <paramref name="featureCount"/>] row-major): every feature with at least
    /// <paramref name="minimumDistinct"/> distinct finite values gets knots at up to <paramref name="maximumKnots"/> evenly
    /// spaced quantiles (duplicates merged); null when no feature qualifies (binary and constant features are left alone).
    /// </summary>
    public static InputCodes? FromRows(ReadOnlySpan<float> values, int featureCount, int maximumKnots = 64, int minimumDistinct = 3)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(featureCount, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maximumKnots, 2);
        int rows = values.Length / featureCount;
        var features = new List<int>();
        var knots = new List<float[]>();
        var column = new float[rows];
        for (int j = 0; j < featureCount; j++)
        {
            int n = 0;
            for (int i = 0; i < rows; i++)
            {
                float v = values[i * featureCount + j];
                if (float.IsFinite(v))
                {
                    column[n++] = v;
                }
            }
            if (n < minimumDistinct)
            {
                continue;
            }
            Span<float> sorted = column.AsSpan(0, n);
            sorted.Sort();
            var chosen = new List<float>(maximumKnots);
            for (int k = 0; k < maximumKnots; k++)
            {
                float q = sorted[(int)Math.Round((double)k * (n - 1) / (maximumKnots - 1))];
                if (chosen.Count == 0 || q > chosen[^1])
                {
                    chosen.Add(q);
                }
            }
            if (chosen.Count >= minimumDistinct)
            {
                features.Add(j);
                knots.Add(chosen.ToArray());
            }
        }
        return features.Count == 0 ? null : new InputCodes(featureCount, features, knots);
    }
}
