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

    /// <summary>Creates the codes; the arrays are copied.</summary>
    /// <param name="featureCount">Number of features of the model's input.</param>
    /// <param name="features">The coded features, increasing, each in [0, <paramref name="featureCount"/>).</param>
    /// <param name="knots">Per coded feature, at least two finite, strictly increasing knots.</param>
    /// <exception cref="ArgumentException">A count, an index or a knot is out of range.</exception>
    public InputCodes(int featureCount, IReadOnlyList<int> features, IReadOnlyList<float[]> knots)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(featureCount, 1);
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
        _padded = new float[_starts[^1]];
        Array.Fill(_padded, float.PositiveInfinity);
        for (int c = 0; c < _counts.Length; c++)
        {
            knots[c].CopyTo(_padded, _starts[c]);
        }
    }

    /// <summary>Number of features of the model's input.</summary>
    public int FeatureCount { get; }

    /// <summary>Number of codes, one per coded feature; the first layer takes <see cref="FeatureCount"/> + this many inputs.</summary>
    public int CodeCount => _features.Length;

    /// <summary>The coded features, increasing.</summary>
    public ReadOnlySpan<int> Features => _features;

    /// <summary>The knots of code <paramref name="code"/>.</summary>
    public ReadOnlySpan<float> Knots(int code) => _padded.AsSpan(_starts[code], _counts[code]);

    /// <summary>The code of value <paramref name="x"/> for code <paramref name="code"/> (NaN stays NaN).</summary>
    public float Code(int code, float x)
    {
        ReadOnlySpan<float> t = Knots(code);
        if (float.IsNaN(x))
        {
            return float.NaN;
        }
        if (x <= t[0])
        {
            return 0f;
        }
        if (x >= t[^1])
        {
            return 1f;
        }
        int k = Segment(code, x);
        return (float)((k + ((double)x - t[k]) / ((double)t[k + 1] - t[k])) / (t.Length - 1));
    }

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
        for (int c = 0; c < _features.Length; c++)
        {
            extended[FeatureCount + c] = Code(c, features[_features[c]]);
        }
    }

    /// <summary>Adds each code's gradient, times its slope at the row, to its feature's: the chain rule through the codes.</summary>
    internal void FoldGradient(ReadOnlySpan<float> features, ReadOnlySpan<float> extendedGradient, Span<float> gradient)
    {
        extendedGradient[..FeatureCount].CopyTo(gradient);
        for (int c = 0; c < _features.Length; c++)
        {
            int j = _features[c];
            float g = extendedGradient[FeatureCount + c];
            if (g != 0f || float.IsNaN(g))
            {
                gradient[j] += g * Slope(c, features[j]);
            }
        }
    }

    /// <summary>True when both code the same features with the same knots.</summary>
    internal bool SameAs(InputCodes? other)
        => other is not null && other.FeatureCount == FeatureCount && other._features.AsSpan().SequenceEqual(_features)
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
