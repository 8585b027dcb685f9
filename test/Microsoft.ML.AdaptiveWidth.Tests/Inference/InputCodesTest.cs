using System.Buffers.Binary;
using Microsoft.ML.AdaptiveWidth.Inference;
using Microsoft.ML.AdaptiveWidth.Tests.Infrastructure;

namespace Microsoft.ML.AdaptiveWidth.Tests.Inference;

[TestClass]
public sealed class InputCodesTest
{
    [TestMethod]
    public void Code_IsPiecewiseLinearThroughTheKnots_ClampedOutside()
    {
        var codes = new InputCodes(2, [1], [[0f, 1f, 3f]]);
        Assert.AreEqual(0f, codes.Code(0, -5f));
        Assert.AreEqual(0f, codes.Code(0, 0f));
        Assert.AreEqual(0.25f, codes.Code(0, 0.5f), 1e-7f);
        Assert.AreEqual(0.5f, codes.Code(0, 1f), 1e-7f);
        Assert.AreEqual(0.75f, codes.Code(0, 2f), 1e-7f);
        Assert.AreEqual(1f, codes.Code(0, 3f));
        Assert.AreEqual(1f, codes.Code(0, 9f));
        Assert.IsTrue(float.IsNaN(codes.Code(0, float.NaN)));
        Assert.AreEqual(0.5f, codes.Slope(0, 0.5f), 1e-7f);
        Assert.AreEqual(0.25f, codes.Slope(0, 1f), 1e-7f, "at a knot, the right-hand segment");
        Assert.AreEqual(0f, codes.Slope(0, 4f));

        var extended = new float[3];
        codes.Apply([7f, 2f], extended);
        CollectionAssert.AreEqual(new[] { 7f, 2f, 0.75f }, extended);
    }

    [TestMethod]
    public void Bins_SplitTheSegmentsIntoRamps_EachZeroBelowItsBinAndOneAbove()
    {
        // Knots 0..6: six segments; three bins of two segments, and a three-knot feature with fewer segments than bins.
        var codes = new InputCodes(3, [0, 2], [[0f, 1f, 2f, 3f, 4f, 5f, 6f], [0f, 1f, 3f]], bins: 3);
        Assert.AreEqual(3, codes.Bins);
        Assert.AreEqual(2, codes.CodedFeatureCount);
        Assert.AreEqual(3 + 2, codes.CodeCount, "three bins, then one per segment where there are two segments");
        Assert.AreEqual(2, codes.BinCount(1));
        var extended = new float[3 + 5];
        codes.Apply([2.5f, 9f, 2f], extended);
        CollectionAssert.AreEqual(new[] { 2.5f, 9f, 2f, 1f, 0.25f, 0f, 1f, 0.5f }, extended);
        codes.Apply([-1f, 0f, 7f], extended);
        CollectionAssert.AreEqual(new[] { -1f, 0f, 7f, 0f, 0f, 0f, 1f, 1f }, extended);
        codes.Apply([6f, 0f, 0.5f], extended);
        CollectionAssert.AreEqual(new[] { 6f, 0f, 0.5f, 1f, 1f, 1f, 0.5f, 0f }, extended);
        codes.Apply([float.NaN, 0f, 1f], extended);
        Assert.IsTrue(extended.AsSpan(3, 3).ToArray().All(float.IsNaN), "a missing value stays missing in every bin");

        // Every bin's code is the rank code's share of that bin: the bins' mean is the single code.
        var single = new InputCodes(3, [0, 2], [[0f, 1f, 2f, 3f, 4f, 5f, 6f], [0f, 1f, 3f]]);
        var one = new float[5];
        var random = new Random(2);
        for (int i = 0; i < 50; i++)
        {
            float[] x = [(float)(random.NextDouble() * 8 - 1), 0f, (float)(random.NextDouble() * 4 - 0.5)];
            codes.Apply(x, extended);
            single.Apply(x, one);
            Assert.AreEqual(one[3], extended.AsSpan(3, 3).ToArray().Average(), 1e-6, $"x = {x[0]}");
        }
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new InputCodes(3, [0], [[0f, 1f]], bins: 0));
    }

    [TestMethod]
    public void Code_AnyKnotCount_MatchesTheDefinitionAtAndBetweenEveryKnot()
    {
        // The segment is found by counting knots at or below the value, in vectors padded with +∞: knot counts on and
        // off a vector's length, values on every knot, just above and below it, and between knots.
        var random = new Random(11);
        int[] counts = [2, 3, 7, 8, 9, 15, 16, 17, 33, 64];
        float[][] knots = counts.Select(n =>
        {
            var t = new float[n];
            t[0] = (float)(random.NextDouble() * 4 - 2);
            for (int k = 1; k < n; k++)
            {
                t[k] = t[k - 1] + 0.01f + (float)random.NextDouble();
            }
            return t;
        }).ToArray();
        var codes = new InputCodes(counts.Length, Enumerable.Range(0, counts.Length).ToArray(), knots);
        for (int c = 0; c < counts.Length; c++)
        {
            float[] t = knots[c];
            var values = new List<float> { t[0] - 1f, t[^1] + 1f };
            for (int k = 0; k < t.Length; k++)
            {
                values.AddRange([t[k], MathF.BitDecrement(t[k]), MathF.BitIncrement(t[k])]);
                if (k + 1 < t.Length)
                {
                    values.Add(t[k] + (t[k + 1] - t[k]) * (float)random.NextDouble());
                }
            }
            foreach (float x in values)
            {
                Assert.AreEqual(Definition(t, x), codes.Code(c, x), $"{t.Length} knots, x = {x:R}");
            }
        }

        static float Definition(float[] t, float x)
        {
            if (x <= t[0])
            {
                return 0f;
            }
            if (x >= t[^1])
            {
                return 1f;
            }
            int k = 0;
            while (t[k + 1] <= x)
            {
                k++;
            }
            return (float)((k + ((double)x - t[k]) / ((double)t[k + 1] - t[k])) / (t.Length - 1));
        }
    }

    [TestMethod]
    public void FromRows_CodesFeaturesWithManyValues_AndIsInvariantToAnIncreasingAffineMap()
    {
        var random = new Random(3);
        const int rows = 500, features = 4;
        var values = new float[rows * features];
        for (int i = 0; i < rows; i++)
        {
            values[i * features] = (float)Math.Exp(3 * random.NextDouble()); // skewed
            values[i * features + 1] = random.Next(2);                      // binary: not coded
            values[i * features + 2] = 5f;                                   // constant: not coded
            values[i * features + 3] = random.Next(4);                      // four levels: coded
        }
        InputCodes codes = InputCodes.FromRows(values, features, maximumKnots: 32)!;

        CollectionAssert.AreEqual(new[] { 0, 3 }, codes.Features.ToArray());
        Assert.AreEqual(32, codes.Knots(0).Length);
        Assert.AreEqual(4, codes.Knots(1).Length, "duplicate quantiles merged");

        // The same rows through x → 0.01·x − 7 (a normalizer fitted on them): the same codes.
        float[] scaled = values.Select(v => 0.01f * v - 7f).ToArray();
        InputCodes again = InputCodes.FromRows(scaled, features, maximumKnots: 32)!;
        for (int i = 0; i < rows; i++)
        {
            Assert.AreEqual(codes.Code(0, values[i * features]), again.Code(0, scaled[i * features]), 1e-4f, $"row {i}");
        }
        Assert.IsNull(InputCodes.FromRows(new float[] { 1, 0, 1, 0, 1, 0 }, 2), "nothing to code");
    }

    private static (AdaptiveWidthModel Coded, AdaptiveWidthModel Network, InputCodes Codes) CodedModel(Random random, int[] widths, int bins = 1)
    {
        const int features = 5;
        var codes = new InputCodes(features, [0, 3], [[-1f, -0.2f, 0.4f, 1f, 1.5f], [-0.5f, 0f, 0.5f]], bins);
        AdaptiveWidthModel network = RandomModels.Model(random, features + codes.CodeCount, widths, 3);
        var coded = new AdaptiveWidthModel(network.Layers, Enumerable.Range(0, widths.Length).Select(l => network.Importance(l).ToArray()).ToArray(), codes);
        return (coded, network, codes);
    }

    [TestMethod]
    [DataRow(1)]
    [DataRow(2)]
    [DataRow(3)]
    public void Model_WithCodes_ScoresTheNetworkOnTheFeaturesAndTheirCodes(int bins)
    {
        var random = new Random(4);
        (AdaptiveWidthModel coded, AdaptiveWidthModel network, InputCodes codes) = CodedModel(random, [6, 4], bins);
        Assert.AreEqual(5, coded.InputCount);
        // Binned codes are scored from two columns per coded feature (the bin and the sum of the full bins below it):
        // the same function up to float rounding. Rows on, below and above the knots, with zeros, and one NaN.
        var rows = Enumerable.Range(0, 20).Select(_ => RandomModels.Values(random, 5, 1.5f)).ToList();
        rows.AddRange([[-1f, 0f, 0f, -0.5f, 0f], [1.5f, 1f, 1f, 0.5f, 1f], [0.4f, 0f, 2f, 0f, -1f], [9f, 0f, 0f, -9f, 0f], [-0.2f, 3f, 0f, 0.25f, 0f]]);
        AdaptiveWidthModel averaged = ModelAveraging.Average([coded, CodedModel(new Random(40), [5, 3], bins).Coded]);
        AdaptiveWidthModel averagedNetwork = ModelAveraging.Average([network, CodedModel(new Random(40), [5, 3], bins).Network]);
        Assert.AreEqual(2, averaged.BlockCount, "the members' chains are scored apart");
        for (int row = 0; row < rows.Count; row++)
        {
            float[] x = rows[row];
            var extended = new float[5 + codes.CodeCount];
            codes.Apply(x, extended);
            AssertClose(RandomModels.Score(network, extended), RandomModels.Score(coded, x), bins, $"row {row}");
            AssertClose(RandomModels.Score(averagedNetwork, extended), RandomModels.Score(averaged, x), bins, $"row {row}, averaged");
        }
        float[] missing = RandomModels.Score(coded, [float.NaN, 0f, 0f, 0f, 0f]);
        Assert.IsTrue(missing.All(float.IsNaN), "a missing coded feature gives NaN, as in the dense layers");
        Assert.ThrowsExactly<ArgumentException>(() => coded.Score(new float[5 + codes.CodeCount], new float[3]), "the features alone, not the codes");
        Assert.ThrowsExactly<InvalidOperationException>(() => coded.ScoreSparse([0], [1f], new float[3]));
        Assert.ThrowsExactly<ArgumentException>(() => new AdaptiveWidthModel(network.Layers, [network.Importance(0).ToArray(), network.Importance(1).ToArray()],
            new InputCodes(6, [0, 3], [[0f, 1f], [0f, 1f]])), "5 + 2 inputs is not 6 + 2");
    }

    private static void AssertClose(float[] expected, float[] actual, int bins, string message)
    {
        if (bins == 1)
        {
            CollectionAssert.AreEqual(expected, actual, message);
            return;
        }
        for (int k = 0; k < expected.Length; k++)
        {
            Assert.AreEqual(expected[k], actual[k], 1e-5 * (1 + Math.Abs(expected[k])), $"{message}, output {k}");
        }
    }

    [TestMethod]
    [DataRow(1)]
    [DataRow(3)]
    public void Model_WithCodes_InputGradient_MatchesFiniteDifferences(int bins)
    {
        var random = new Random(5);
        (AdaptiveWidthModel coded, _, _) = CodedModel(random, [8, 6], bins);
        int checkedEntries = 0;
        for (int row = 0; row < 10; row++)
        {
            float[] x = RandomModels.Values(random, 5, 1.2f);
            var gradient = new float[5];
            coded.InputGradient(x, 1, gradient);
            for (int j = 0; j < 5; j++)
            {
                const float h = 1e-3f;
                float[] plus = (float[])x.Clone(), minus = (float[])x.Clone();
                plus[j] += h;
                minus[j] -= h;
                double numeric = (RandomModels.Score(coded, plus)[1] - RandomModels.Score(coded, minus)[1]) / (2.0 * h);
                // Skip rows where a kink (a knot or an activation bound) lies within h: the one-sided derivatives differ there.
                double left = (RandomModels.Score(coded, x)[1] - RandomModels.Score(coded, minus)[1]) / h;
                double right = (RandomModels.Score(coded, plus)[1] - RandomModels.Score(coded, x)[1]) / h;
                if (Math.Abs(left - right) > 1e-2 * (1 + Math.Abs(numeric)))
                {
                    continue;
                }
                checkedEntries++;
                Assert.AreEqual(numeric, gradient[j], 2e-2 * (1 + Math.Abs(numeric)), $"row {row}, feature {j}");
            }
        }
        Assert.IsGreaterThan(30, checkedEntries);
    }

    [TestMethod]
    public void Model_WithCodes_SavesAsFormatVersion2_AndLoadsWithTheSameScores_WhileAModelWithoutCodesStaysVersion1()
    {
        var random = new Random(6);
        (AdaptiveWidthModel coded, AdaptiveWidthModel network, InputCodes codes) = CodedModel(random, [6, 4]);
        using var stream = new MemoryStream();
        AdaptiveWidthModelFormat.Write(coded, stream);
        Assert.AreEqual(2, BinaryPrimitives.ReadInt32LittleEndian(stream.ToArray().AsSpan(4)));
        stream.Position = 0;
        AdaptiveWidthModel loaded = AdaptiveWidthModelFormat.Read(stream);

        Assert.IsTrue(codes.SameAs(loaded.Codes));
        float[] x = RandomModels.Values(random, 5);
        CollectionAssert.AreEqual(RandomModels.Score(coded, x), RandomModels.Score(loaded, x));

        using var plain = new MemoryStream();
        AdaptiveWidthModelFormat.Write(network, plain);
        Assert.AreEqual(1, BinaryPrimitives.ReadInt32LittleEndian(plain.ToArray().AsSpan(4)), "readable by every earlier release");

        // A damaged code section is an InvalidDataException (the CRC is recomputed so that the parser sees it).
        byte[] bytes = stream.ToArray();
        int knotCountOffset = bytes.Length - 4 - (4 * 3 + 8) - (4 * 5) - 4;
        AssertDamageIsInvalidData(bytes, knotCountOffset, 1);
    }

    [TestMethod]
    public void Model_WithBinnedCodes_SavesAsFormatVersion3_AndLoadsWithTheSameScores()
    {
        var random = new Random(8);
        (AdaptiveWidthModel coded, _, InputCodes codes) = CodedModel(random, [6, 4], bins: 3);
        using var stream = new MemoryStream();
        AdaptiveWidthModelFormat.Write(coded, stream);
        Assert.AreEqual(3, BinaryPrimitives.ReadInt32LittleEndian(stream.ToArray().AsSpan(4)));
        stream.Position = 0;
        AdaptiveWidthModel loaded = AdaptiveWidthModelFormat.Read(stream);
        Assert.IsTrue(codes.SameAs(loaded.Codes));
        Assert.AreEqual(3, loaded.Codes!.Bins);
        Assert.IsFalse(codes.SameAs(CodedModel(new Random(8), [6, 4], bins: 2).Codes), "other bins are other codes");
        for (int row = 0; row < 10; row++)
        {
            float[] x = RandomModels.Values(random, 5, 1.5f);
            CollectionAssert.AreEqual(RandomModels.Score(coded, x), RandomModels.Score(loaded, x), $"row {row}");
        }

        // A bin count below 2 in a version-3 model is damage, not a model (the CRC is recomputed so that the parser sees it).
        byte[] bytes = stream.ToArray();
        int binsOffset = bytes.Length - 4 - (4 * 3 + 8) - (4 * 5 + 8) - 4 - 4;
        Assert.AreEqual(3, BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(binsOffset)));
        AssertDamageIsInvalidData(bytes, binsOffset, 1);
    }

    /// <summary>Writes <paramref name="value"/> at <paramref name="offset"/>, recomputes the CRC so that the parser sees the
    /// damage, and expects an InvalidDataException.</summary>
    private static void AssertDamageIsInvalidData(byte[] bytes, int offset, int value)
    {
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(offset), value);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(bytes.Length - 4), Crc32.Append(0, bytes.AsSpan(0, bytes.Length - 4)));
        Assert.ThrowsExactly<InvalidDataException>(() => AdaptiveWidthModelFormat.Read(new MemoryStream(bytes)));
    }

    [TestMethod]
    public void Model_WithCodes_KeepsThemThroughTruncationAveragingAndALinearTerm()
    {
        var random = new Random(7);
        (AdaptiveWidthModel a, _, InputCodes codes) = CodedModel(random, [6, 4]);
        (AdaptiveWidthModel b, _, _) = CodedModel(random, [5, 5]);

        Assert.IsTrue(codes.SameAs(a.Truncate([3, 2]).Codes));
        Assert.IsTrue(codes.SameAs(a.KeepNeurons([[0, 2], [1]]).Codes));
        AdaptiveWidthModel mean = ModelAveraging.Average([a, b]);
        Assert.IsTrue(codes.SameAs(mean.Codes));
        float[] x = RandomModels.Values(random, 5);
        float[] expected = RandomModels.Score(a, x).Zip(RandomModels.Score(b, x), (p, q) => (p + q) / 2).ToArray();
        float[] actual = RandomModels.Score(mean, x);
        for (int k = 0; k < 3; k++)
        {
            Assert.AreEqual(expected[k], actual[k], 1e-4);
        }

        var term = new LinearTerm(5, Enumerable.Repeat(0.5f, 15).ToArray(), [0f, 1f, 2f], [-5, -5, -5], [5, 5, 5]);
        AdaptiveWidthModel embedded = term.Embed(a);
        Assert.IsTrue(codes.SameAs(embedded.Codes));
        float[] plain = RandomModels.Score(a, x), withTerm = RandomModels.Score(embedded, x);
        for (int k = 0; k < 3; k++)
        {
            Assert.AreEqual(plain[k] + 0.5 * x.Sum() + k, withTerm[k], 1e-3);
        }

        AdaptiveWidthModel uncoded = RandomModels.Model(random, 7, [4, 4], 3);
        Assert.ThrowsExactly<ArgumentException>(() => ModelAveraging.Average([a, uncoded]), "codes must match");
    }
}
