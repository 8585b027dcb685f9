namespace Microsoft.ML.AdaptiveWidth.Tests;

/// <summary>Float comparisons with named tolerances.</summary>
internal static class FloatAssert
{
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
