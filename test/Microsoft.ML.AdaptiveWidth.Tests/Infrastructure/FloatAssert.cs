using System.Globalization;

namespace Microsoft.ML.AdaptiveWidth.Tests.Infrastructure;

/// <summary>
/// Comparisons of float32 kernel results with the <see cref="ScalarReference"/> oracle. Tolerances are named and
/// derived, never tuned to a seed: the oracle gives a worst-case rounding-error bound per value, and the assertion
/// allows <see cref="BoundSafetyFactor"/> times that bound.
/// </summary>
internal static class FloatAssert
{
    /// <summary>Unit roundoff of float32, u = 2^-24 (IEEE 754 binary32, round to nearest).</summary>
    public const double UnitRoundoff = 1.0 / (1 << 24);

    /// <summary>
    /// Slack over the worst-case bound, for what the bound leaves out: the oracle's own double rounding (about
    /// 2^-53 relative) and LeakyReLU's slope being the float 0.01f rather than 0.01 (2.2e-8 relative, below u).
    /// Both are far below the bound, so 2 is generous; a real kernel bug (a dropped or doubled term) is not.
    /// </summary>
    public const double BoundSafetyFactor = 2.0;

    /// <summary>γ(n) = n·u / (1 − n·u): the relative error bound of n float32 roundings (Higham, §3.1).</summary>
    public static double Gamma(int n) => n * UnitRoundoff / (1 - n * UnitRoundoff);

    /// <summary>Asserts that every <paramref name="actual"/> value is within the oracle's error bound (NaN only
    /// where the oracle has NaN), and that <paramref name="actual"/> has exactly the oracle's length.</summary>
    public static void WithinBound(Reference expected, ReadOnlySpan<float> actual, string context)
    {
        Assert.AreEqual(expected.Values.Length, actual.Length, $"Length ({context})");
        for (int i = 0; i < actual.Length; i++)
        {
            double e = expected.Values[i];
            double a = actual[i];
            if (double.IsNaN(e) || double.IsNaN(a))
            {
                if (double.IsNaN(e) != double.IsNaN(a))
                {
                    Assert.Fail($"Output {i}: expected {e.ToString("R", CultureInfo.InvariantCulture)}, got {a.ToString("R", CultureInfo.InvariantCulture)} ({context}).");
                }
                continue;
            }
            double tolerance = BoundSafetyFactor * expected.ErrorBounds[i];
            if (!(Math.Abs(a - e) <= tolerance))
            {
                Assert.Fail(string.Create(CultureInfo.InvariantCulture,
                    $"Output {i}: expected {e:R} ± {tolerance:R}, got {a:R} (error {Math.Abs(a - e):R}) ({context})."));
            }
        }
    }

    /// <summary>Asserts that two float sequences are identical bit for bit.</summary>
    public static void BitIdentical(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string context)
    {
        Assert.AreEqual(expected.Length, actual.Length, $"Length ({context})");
        for (int i = 0; i < expected.Length; i++)
        {
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
            {
                Assert.Fail(string.Create(CultureInfo.InvariantCulture,
                    $"Value {i}: expected {expected[i]:R}, got {actual[i]:R}; not bit-identical ({context})."));
            }
        }
    }

    /// <summary>Managed scoring of an exported network vs libtorch's forward: the importance is folded into the next
    /// layer's weights (a different order of float32 roundings) and computed in double rather than float32.</summary>
    public const double ExportTolerance = 1e-4;

    /// <summary>Asserts |a − e| ≤ tol·max(1, |e|) elementwise.</summary>
    public static void AreClose(IReadOnlyList<float> expected, IReadOnlyList<float> actual, double tolerance, string? what = null)
    {
        Assert.AreEqual(expected.Count, actual.Count, $"{what} length");
        for (int i = 0; i < expected.Count; i++)
        {
            double scale = Math.Max(1, Math.Abs(expected[i]));
            Assert.IsTrue(Math.Abs(expected[i] - actual[i]) <= tolerance * scale,
                $"{what}[{i}]: expected {expected[i]}, got {actual[i]} (tolerance {tolerance} relative)");
        }
    }
}
