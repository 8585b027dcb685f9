namespace Microsoft.ML.AdaptiveWidth.Training;

/// <summary>
/// Per-feature standardisation inside the model, z_j = (x_j − m_j)/s_j with the training rows' mean and standard
/// deviation, at least an eighth of the feature's range (docs/method.md §5.9), so that the network sees the same inputs whatever affine normalizer (MinMax,
/// MeanVariance, none) precedes it in the user's pipeline. Training feeds z; the exporter folds the map into the first
/// layer (W' = W·diag(1/s), b' = b − W'·m), so the managed scorer, ONNX export and truncation see a plain network and
/// the model format is unchanged. A feature that is constant on the training rows has scale +∞: it maps to 0 whatever its
/// value, so its folded weights are exactly 0 (see <see cref="Scale"/>).
/// </summary>
internal sealed class InputStandardization
{
    private InputStandardization(float[] mean, float[] scale)
    {
        Mean = mean;
        Scale = scale;
        IsIdentity = mean.All(m => m == 0) && scale.All(v => v == 1);
    }

    /// <summary>True when the map changes nothing (standardisation off), so the batch sources skip it.</summary>
    public bool IsIdentity { get; }

    /// <summary>m_j, the training mean of each feature.</summary>
    public float[] Mean { get; }

    /// <summary>
    /// s_j, the training standard deviation of each feature; +∞ for a feature that is constant on the training rows (its
    /// deviation zero, or negligible against its magnitude), so that (x − m)/s is 0 for every finite value. Such a
    /// feature carries nothing the network could learn, but a value it never took in training (a one-hot category absent
    /// from the training rows, or from a member's training rows and present in its held-out rows) would otherwise reach
    /// the first layer through weights that never had a gradient, and in proportion to the user's normalizer: a category
    /// of 1 row in 2,000 is 1 after <c>NormalizeMinMax</c> and about 45 after <c>NormalizeMeanVariance</c>. At scale +∞
    /// the model ignores it, as a tree ignores a feature it never splits on.
    /// </summary>
    public float[] Scale { get; }

    /// <summary>The identity map (standardisation switched off).</summary>
    public static InputStandardization Identity(int features)
        => new(new float[features], Enumerable.Repeat(1f, features).ToArray());

    /// <summary>Applies the map to one row in place, in float arithmetic (the same as the tensor ops on the in-memory path).</summary>
    public void Apply(Span<float> row)
    {
        for (int j = 0; j < row.Length; j++)
        {
            row[j] = (row[j] - Mean[j]) / Scale[j];
        }
    }

    /// <summary>Welford accumulators per feature, fed row by row in the data's order (in memory and streaming alike).</summary>
    public sealed class Accumulator(int features)
    {
        /// <summary>
        /// The scale is at least the feature's range over this many: a rare non-zero value (a one-hot category seen in
        /// 1 row of 1,000, a border pixel) would otherwise be standardised to 30 or more and dominate its unit; with the
        /// floor no training value lies more than 8 scales from the mean. Like the deviation, the range follows any affine
        /// map of the feature, so the normalizer before the trainer still does not matter. A Gaussian feature keeps its
        /// deviation up to about 30,000 rows (its range is then about 8 deviations).
        /// </summary>
        public const double RangeOverScale = 8;

        private readonly double[] _mean = new double[features];
        private readonly double[] _m2 = new double[features];
        private readonly float[] _min = Enumerable.Repeat(float.PositiveInfinity, features).ToArray();
        private readonly float[] _max = Enumerable.Repeat(float.NegativeInfinity, features).ToArray();
        // Distinct values seen per feature, up to 3 (more than two); while there are two, they are the minimum and maximum.
        private readonly byte[] _distinct = new byte[features];
        private long _rows;

        public void Add(ReadOnlySpan<float> row)
        {
            _rows++;
            for (int j = 0; j < _mean.Length; j++)
            {
                CountDistinct(j, row[j]);
                double delta = row[j] - _mean[j];
                _mean[j] += delta / _rows;
                _m2[j] += delta * (row[j] - _mean[j]);
                _min[j] = Math.Min(_min[j], row[j]);
                _max[j] = Math.Max(_max[j], row[j]);
            }
        }

        /// <summary>
        /// A feature with two values (a one-hot category, a flag, a missing-value indicator) has its scale floored at half
        /// its range, the deviation of a balanced one: a category in 1 row of 50 has deviation 0.14 and would be
        /// standardised to 7 where it is present, so the first layer fits those rows through that one input (on mlc_churn's
        /// 51 one-hot states the validation loss rose from the fifth epoch); floored, it is at most 2 from its mean, and a
        /// balanced two-valued feature keeps its deviation.
        /// </summary>
        public const double TwoValuedRangeOverScale = 2;

        /// <summary>Counts <paramref name="value"/> against the values seen so far; call before the minimum and maximum take it in.</summary>
        private void CountDistinct(int j, float value)
        {
            if (_distinct[j] == 0 || (_distinct[j] < 3 && value != _min[j] && value != _max[j]))
            {
                _distinct[j]++;
            }
        }

        /// <summary>The map: a feature whose deviation is zero, or negligible against its magnitude, gets scale +∞ (it is
        /// constant on the training rows, so every value maps to 0).</summary>
        public InputStandardization Result()
        {
            var mean = new float[_mean.Length];
            var scale = new float[_mean.Length];
            for (int j = 0; j < mean.Length; j++)
            {
                double sd = _rows > 0 ? Math.Sqrt(_m2[j] / _rows) : 0;
                double floor = _rows > 0 ? ((double)_max[j] - _min[j]) / (_distinct[j] == 2 ? TwoValuedRangeOverScale : RangeOverScale) : 0;
                mean[j] = (float)_mean[j];
                scale[j] = sd > 1e-6 * (Math.Abs(_mean[j]) + 1e-6) && double.IsFinite(sd) ? (float)Math.Max(sd, floor) : float.PositiveInfinity;
            }
            return new InputStandardization(mean, scale);
        }
    }

    /// <summary>The map of in-memory rows.</summary>
    public static InputStandardization Of(TrainingData data)
    {
        var accumulator = new Accumulator(data.FeatureCount);
        for (int r = 0; r < data.RowCount; r++)
        {
            accumulator.Add(data.Row(r));
        }
        return accumulator.Result();
    }
}
