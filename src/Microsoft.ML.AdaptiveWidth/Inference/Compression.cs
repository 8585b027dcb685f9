namespace Microsoft.ML.AdaptiveWidth.Inference;

/// <summary>One truncation the compression search measured.</summary>
/// <param name="Widths">The kept width of each hidden layer.</param>
/// <param name="MultiplyAdds">Its cost per row.</param>
/// <param name="Metric">Its metric on the rows searched (accuracy in percent, or RMSE).</param>
/// <param name="WithinTolerance">Whether the metric is within the tolerance of the full model's.</param>
public sealed record CompressionPoint(IReadOnlyList<int> Widths, long MultiplyAdds, double Metric, bool WithinTolerance);

/// <summary>The outcome of <see cref="Compression.Compress"/>.</summary>
/// <param name="Model">The compressed model: the input model truncated to <see cref="Widths"/>.</param>
/// <param name="Widths">The kept width of each hidden layer.</param>
/// <param name="FullMetric">The full model's metric on the rows searched.</param>
/// <param name="Metric">The compressed model's metric on the same rows.</param>
/// <param name="Curve">Every truncation measured, in the order measured (the full model first).</param>
public sealed record CompressionResult(
    AdaptiveWidthModel Model, IReadOnlyList<int> Widths, double FullMetric, double Metric, IReadOnlyList<CompressionPoint> Curve)
{
    /// <summary>How many times the search scored the rows (the length of <see cref="Curve"/>).</summary>
    public int Evaluations => Curve.Count;
}

/// <summary>
/// Automatic compression: the smallest prefix of each hidden layer whose metric on given rows stays within a tolerance
/// of the full model's, found without retraining. Because importance decreases with the neuron index, the only
/// truncations worth trying are prefixes, so this is a search over one width per layer.
/// </summary>
/// <remarks>
/// <para><b>Tolerance.</b> For <see cref="QualityMetric.Accuracy"/>, percentage points of accuracy lost (0.5 allows
/// 95.0% → 94.5%); for <see cref="QualityMetric.Rmse"/>, percent of RMSE added (1 allows 0.200 → 0.202). 0 asks for no
/// loss at all. The metric is measured on the rows given, so the guarantee holds on them; on new data the loss may differ.</para>
/// <para><b>One hidden layer</b>: a binary search over K in [1, D], assuming monotonicity (if K neurons are within
/// tolerance, so are more). Cost: ⌈log₂ D⌉ + 1 evaluations. If the metric is not monotone in K the result still
/// respects the tolerance (only measured widths are returned) but may not be the smallest.</para>
/// <para><b>Several hidden layers</b>: a greedy coordinate search from the full widths. Each layer l has a step, first
/// ⌈D_l/8⌉. Each round tries shrinking every still-active layer by its step (one evaluation per layer), then takes the
/// candidate within tolerance that saves the most multiply-adds per point of metric lost (a loss ≤ 0 counts as a tiny
/// positive loss, so free savings win by size). A layer whose candidate breaks the tolerance halves its step, and stops
/// once a one-neuron step breaks it or it reaches one neuron; steps are recomputed as ⌈width/8⌉ after each accepted
/// shrink, so layers shrink geometrically. The search ends when no layer is active. Cost: at most L evaluations per
/// round; rounds are bounded by the accepted shrinks (about 8·ln D_l per layer) plus the halvings (log₂ of the step
/// per layer), so a few hundred evaluations for typical widths, each scoring every row once at the candidate's cost.</para>
/// </remarks>
public static class Compression
{
    private const int StepDivisor = 8;

    /// <summary>Finds the smallest per-layer prefixes of <paramref name="model"/> within <paramref name="tolerance"/> on <paramref name="rows"/>.</summary>
    /// <param name="model">The model to compress.</param>
    /// <param name="rows">Rows with labels, and the metric to use.</param>
    /// <param name="tolerance">Accuracy points lost, or percent RMSE added; finite and ≥ 0.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="tolerance"/> is negative or not finite.</exception>
    /// <exception cref="ArgumentException">The rows do not fit the model.</exception>
    public static CompressionResult Compress(AdaptiveWidthModel model, LabeledRows rows, double tolerance)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(rows);
        if (!(double.IsFinite(tolerance) && tolerance >= 0))
        {
            throw new ArgumentOutOfRangeException(nameof(tolerance), tolerance, "The tolerance must be finite and at least 0.");
        }

        var search = new Search(model, rows, tolerance);
        int[] widths = model.HiddenLayerCount == 1 ? search.Bisect() : search.Greedy();
        CompressionPoint chosen = search.Measure(widths);
        return new CompressionResult(model.Truncate(widths), widths, search.FullMetric, chosen.Metric, search.Curve);
    }

    /// <summary>Whether <paramref name="metric"/> is within <paramref name="tolerance"/> of <paramref name="full"/>.</summary>
    internal static bool Within(double full, double metric, double tolerance, QualityMetric kind) => kind != QualityMetric.Rmse
        ? full - metric <= tolerance + 1e-9
        : metric <= full * (1 + tolerance / 100) + 1e-12;

    private sealed class Search
    {
        private readonly AdaptiveWidthModel _model;
        private readonly LabeledRows _rows;
        private readonly double _tolerance;
        private readonly Dictionary<string, CompressionPoint> _measured = [];

        public Search(AdaptiveWidthModel model, LabeledRows rows, double tolerance)
        {
            _model = model;
            _rows = rows;
            _tolerance = tolerance;
            FullMetric = rows.Evaluate(model);
            CompressionPoint full = new(model.LayerWidths.ToArray(), model.MultiplyAdds, FullMetric, true);
            Curve.Add(full);
            _measured[Key(full.Widths)] = full;
        }

        public double FullMetric { get; }

        public List<CompressionPoint> Curve { get; } = [];

        /// <summary>Measures a truncation once (later calls reuse the measurement).</summary>
        public CompressionPoint Measure(IReadOnlyList<int> widths)
        {
            string key = Key(widths);
            if (_measured.TryGetValue(key, out CompressionPoint? known))
            {
                return known;
            }
            AdaptiveWidthModel truncated = _model.Truncate(widths);
            double metric = _rows.Evaluate(truncated);
            var point = new CompressionPoint(widths.ToArray(), truncated.MultiplyAdds, metric, Within(FullMetric, metric, _tolerance, _rows.Metric));
            Curve.Add(point);
            _measured[key] = point;
            return point;
        }

        public int[] Bisect()
        {
            int lo = 1, hi = _model.LayerWidths[0]; // hi is within tolerance (the full model)
            while (lo < hi)
            {
                int mid = lo + (hi - lo) / 2;
                if (Measure([mid]).WithinTolerance)
                {
                    hi = mid;
                }
                else
                {
                    lo = mid + 1;
                }
            }
            return [hi];
        }

        public int[] Greedy()
        {
            int[] widths = _model.LayerWidths.ToArray();
            int[] steps = widths.Select(StepFor).ToArray();
            bool[] active = widths.Select(w => w > 1).ToArray();
            CompressionPoint current = Measure(widths);
            while (active.Any(a => a))
            {
                int best = -1;
                double bestRatio = double.NegativeInfinity;
                CompressionPoint? bestPoint = null;
                for (int l = 0; l < widths.Length; l++)
                {
                    if (!active[l])
                    {
                        continue;
                    }
                    int[] candidate = (int[])widths.Clone();
                    candidate[l] = Math.Max(1, widths[l] - steps[l]);
                    CompressionPoint point = Measure(candidate);
                    if (!point.WithinTolerance)
                    {
                        if (steps[l] == 1)
                        {
                            active[l] = false;
                        }
                        steps[l] = Math.Max(1, steps[l] / 2);
                        continue;
                    }
                    double lost = _rows.HigherIsBetter ? current.Metric - point.Metric : point.Metric - current.Metric;
                    double ratio = (current.MultiplyAdds - point.MultiplyAdds) / Math.Max(lost, 1e-12);
                    if (ratio > bestRatio)
                    {
                        (best, bestRatio, bestPoint) = (l, ratio, point);
                    }
                }
                if (bestPoint is null)
                {
                    continue;
                }
                widths = bestPoint.Widths.ToArray();
                current = bestPoint;
                steps[best] = StepFor(widths[best]);
                active[best] = widths[best] > 1;
            }
            return widths;
        }

        private static int StepFor(int width) => Math.Max(1, (width + StepDivisor - 1) / StepDivisor);

        private static string Key(IReadOnlyList<int> widths) => string.Join(",", widths);
    }
}
