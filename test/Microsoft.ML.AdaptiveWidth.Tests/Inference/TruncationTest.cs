using Microsoft.ML.AdaptiveWidth.Inference;
using Microsoft.ML.AdaptiveWidth.Tests.Infrastructure;

namespace Microsoft.ML.AdaptiveWidth.Tests.Inference;

[TestClass]
public sealed class TruncationTest
{
    private const int Rows = 10;

    public static IEnumerable<object[]> FullTargets =>
    [
        [TruncationTarget.Fraction(1)],
        [TruncationTarget.MaxUnits(33)],
        [TruncationTarget.MultiplyAdds(long.MaxValue)],
        [TruncationTarget.Widths([13, 33, 6])],
    ];

    [TestMethod]
    [DynamicData(nameof(FullTargets))]
    public void AdaptiveWidthModel_TruncateTarget_FullWidth_GivesBitIdenticalScores(TruncationTarget target)
    {
        var random = new Random(21);
        var sut = RandomModels.Model(random, inputs: 4, [13, 33, 6], outputs: 2);

        AdaptiveWidthModel truncated = sut.Truncate(target);

        CollectionAssert.AreEqual(sut.LayerWidths.ToArray(), truncated.LayerWidths.ToArray());
        for (int row = 0; row < Rows; row++)
        {
            float[] features = RandomModels.Values(random, sut.InputCount, 2f);
            FloatAssert.BitIdentical(RandomModels.Score(sut, features), RandomModels.Score(truncated, features), $"row {row}");
        }
    }

    [TestMethod]
    public void AdaptiveWidthModel_TruncateTarget_Twice_EqualsOnceToTheSmaller()
    {
        var random = new Random(22);
        var sut = RandomModels.Model(random, inputs: 5, [40, 20], outputs: 3);

        AdaptiveWidthModel twice = sut.Truncate(TruncationTarget.Fraction(0.5)).Truncate(TruncationTarget.MaxUnits(7));
        AdaptiveWidthModel once = sut.Truncate(TruncationTarget.Widths([7, 7]));

        CollectionAssert.AreEqual(new[] { 7, 7 }, twice.LayerWidths.ToArray());
        for (int row = 0; row < Rows; row++)
        {
            float[] features = RandomModels.Values(random, sut.InputCount, 2f);
            FloatAssert.BitIdentical(RandomModels.Score(once, features), RandomModels.Score(twice, features), $"row {row}");
        }
    }

    [TestMethod]
    [DataRow(0.5, new[] { 20, 10, 1 })]
    [DataRow(0.26, new[] { 11, 6, 1 })]
    [DataRow(1e-9, new[] { 1, 1, 1 })]
    public void Truncation_WidthsForFraction_RoundsUpAndKeepsAtLeastOne(double fraction, int[] expected)
        => CollectionAssert.AreEqual(expected, Truncation.WidthsForFraction([40, 20, 1], fraction));

    [TestMethod]
    public void Truncation_WidthsForMaxUnits_CapsOnlyTheWiderLayers()
        => CollectionAssert.AreEqual(new[] { 15, 15, 3 }, Truncation.WidthsForMaxUnits([40, 20, 3], 15, allowAboveWidth: false));

    [TestMethod]
    [DataRow(3, new[] { 40, 20 }, 2)]
    [DataRow(7, new[] { 33, 5, 17 }, 4)]
    [DataRow(2, new[] { 1, 64 }, 10)]
    public void Truncation_WidthsForMultiplyAdds_IsTheLargestProportionalTruncationUnderTheBudget(int inputs, int[] widths, int outputs)
    {
        long full = Truncation.MultiplyAdds(inputs, widths, outputs);
        long smallest = Truncation.MultiplyAdds(inputs, widths.Select(_ => 1).ToArray(), outputs);
        // Every proportional truncation, by brute force over fractions k/D_l.
        int[][] all = widths.SelectMany(d => Enumerable.Range(1, d).Select(k => (double)k / d))
            .Select(s => Truncation.WidthsForFraction(widths, s)).ToArray();
        for (long budget = smallest; budget <= full + 1; budget += Math.Max(1, (full - smallest) / 37))
        {
            int[] kept = Truncation.WidthsForMultiplyAdds(inputs, widths, outputs, budget);

            long cost = Truncation.MultiplyAdds(inputs, kept, outputs);
            Assert.IsLessThanOrEqualTo(budget, cost, $"budget {budget}");
            long best = all.Select(w => Truncation.MultiplyAdds(inputs, w, outputs)).Where(c => c <= budget).Max();
            Assert.AreEqual(best, cost, $"budget {budget}: a wider proportional truncation fits");
            CollectionAssert.Contains(all.Select(w => string.Join(",", w)).ToList(), string.Join(",", kept), "proportional");
        }
    }

    [TestMethod]
    public void AdaptiveWidthModel_TruncateToMultiplyAdds_CostsAtMostTheBudget()
    {
        var sut = RandomModels.Model(new Random(23), inputs: 6, [50, 25], outputs: 3);

        AdaptiveWidthModel truncated = sut.Truncate(TruncationTarget.MultiplyAdds(sut.MultiplyAdds / 4));

        Assert.IsLessThanOrEqualTo(sut.MultiplyAdds / 4, truncated.MultiplyAdds);
        Assert.AreEqual(Truncation.MultiplyAdds(6, truncated.LayerWidths, 3), truncated.MultiplyAdds);
        Assert.AreEqual(2.0, (double)truncated.LayerWidths[0] / truncated.LayerWidths[1], 0.2, "the proportions are kept");
    }

    [TestMethod]
    [DataRow(0.0)]
    [DataRow(-0.5)]
    [DataRow(1.0000001)]
    [DataRow(double.NaN)]
    public void TruncationTarget_Fraction_OutOfRange_ThrowsNamingFraction(double fraction)
        => Assert.AreEqual("fraction", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => TruncationTarget.Fraction(fraction)).ParamName);

    [TestMethod]
    public void TruncationTarget_MaxUnits_BelowOneOrAboveEveryWidth_ThrowsNamingMaxUnitsPerLayer()
    {
        var sut = RandomModels.Model(new Random(24), inputs: 3, [10, 12], outputs: 1);

        Assert.AreEqual("maxUnitsPerLayer", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => TruncationTarget.MaxUnits(0)).ParamName);
        Assert.AreEqual("maxUnitsPerLayer", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => sut.Truncate(TruncationTarget.MaxUnits(13))).ParamName);
        CollectionAssert.AreEqual(new[] { 10, 11 }, sut.Truncate(TruncationTarget.MaxUnits(11)).LayerWidths.ToArray());
    }

    [TestMethod]
    public void TruncationTarget_MultiplyAdds_NotPositiveOrBelowTheSmallestNetwork_ThrowsNamingMultiplyAddsPerRow()
    {
        var sut = RandomModels.Model(new Random(25), inputs: 3, [10, 12], outputs: 2);
        long smallest = Truncation.MultiplyAdds(3, [1, 1], 2);

        Assert.AreEqual("multiplyAddsPerRow", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => TruncationTarget.MultiplyAdds(0)).ParamName);
        Assert.AreEqual("multiplyAddsPerRow", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => sut.Truncate(TruncationTarget.MultiplyAdds(smallest - 1))).ParamName);
        CollectionAssert.AreEqual(new[] { 1, 1 }, sut.Truncate(TruncationTarget.MultiplyAdds(smallest)).LayerWidths.ToArray());
    }

    [TestMethod]
    public void TruncationTarget_Widths_OutOfRange_ThrowsNamingWidths()
    {
        var sut = RandomModels.Model(new Random(26), inputs: 3, [10, 12], outputs: 2);

        Assert.AreEqual("widths", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => sut.Truncate(TruncationTarget.Widths([11, 12]))).ParamName);
        Assert.AreEqual("widths", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => sut.Truncate(TruncationTarget.Widths([5]))).ParamName);
    }
}
