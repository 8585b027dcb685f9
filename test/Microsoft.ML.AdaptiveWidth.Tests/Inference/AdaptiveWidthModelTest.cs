using Microsoft.ML.AdaptiveWidth.Inference;
using Microsoft.ML.AdaptiveWidth.Tests.Infrastructure;

namespace Microsoft.ML.AdaptiveWidth.Tests.Inference;

[TestClass]
public sealed class AdaptiveWidthModelTest
{
    private const int Rows = 20;

    [TestMethod]
    [DataRow(new[] { 17 }, ActivationKind.ReLU6)]
    [DataRow(new[] { 33, 5 }, ActivationKind.ReLU)]
    [DataRow(new[] { 9, 33, 16 }, ActivationKind.LeakyReLU)]
    [DataRow(new[] { 1, 2, 3 }, ActivationKind.Identity)]
    public void AdaptiveWidthModel_Score_HiddenLayers_MatchesReference(int[] widths, ActivationKind activation)
    {
        var random = new Random(widths.Length);
        var sut = RandomModels.Model(random, inputs: 7, widths, outputs: 3, activation);

        for (int row = 0; row < Rows; row++)
        {
            float[] features = RandomModels.Values(random, sut.InputCount, 2f);

            float[] output = RandomModels.Score(sut, features);

            FloatAssert.WithinBound(ScalarReference.Score(sut, features), output, $"row {row}");
        }
    }

    [TestMethod]
    [DataRow(ActivationKind.ReLU6)]
    [DataRow(ActivationKind.ReLU)]
    [DataRow(ActivationKind.LeakyReLU)]
    [DataRow(ActivationKind.Identity)]
    public void AdaptiveWidthModel_Score_NaNFeature_GivesNaNInEveryOutput(ActivationKind activation)
    {
        var random = new Random(5);
        var sut = RandomModels.Model(random, inputs: 6, [9, 4], outputs: 3, activation);
        for (int feature = 0; feature < sut.InputCount; feature++)
        {
            float[] features = RandomModels.Values(random, sut.InputCount);
            features[feature] = float.NaN;

            float[] output = RandomModels.Score(sut, features);

            Assert.IsTrue(output.All(float.IsNaN), $"NaN feature {feature} gave [{string.Join(", ", output)}].");
        }
    }

    [TestMethod]
    public void AdaptiveWidthModel_Score_WidthAbove8192_UsesHeapScratchAndMatchesReference()
    {
        var random = new Random(9000);
        var sut = RandomModels.Model(random, inputs: 2, [9000], outputs: 2);

        for (int row = 0; row < 3; row++)
        {
            float[] features = RandomModels.Values(random, 2);

            float[] output = RandomModels.Score(sut, features);

            FloatAssert.WithinBound(ScalarReference.Score(sut, features), output, $"row {row}");
        }
    }

    [TestMethod]
    [DataRow(6)]
    [DataRow(8)]
    [DataRow(0)]
    public void AdaptiveWidthModel_Score_WrongFeatureCount_ThrowsNamingFeatures(int featureCount)
    {
        var sut = RandomModels.Model(new Random(1), inputs: 7, [4], outputs: 2);

        var e = Assert.ThrowsExactly<ArgumentException>(() => sut.Score(new float[featureCount], new float[2]));

        Assert.AreEqual("features", e.ParamName);
    }

    [TestMethod]
    public void AdaptiveWidthModel_Score_TooShortOutput_ThrowsNamingOutput()
    {
        var sut = RandomModels.Model(new Random(1), inputs: 7, [4], outputs: 2);

        var e = Assert.ThrowsExactly<ArgumentException>(() => sut.Score(new float[7], new float[1]));

        Assert.AreEqual("output", e.ParamName);
    }

    [TestMethod]
    [DataRow(0)]
    [DataRow(1)]
    public void AdaptiveWidthModel_Score_OutputOverlapsFeatures_ThrowsNamingOutput(int hiddenLayers)
    {
        var sut = RandomModels.Model(new Random(1), inputs: 3, Enumerable.Repeat(4, hiddenLayers).ToArray(), outputs: 2);
        var buffer = new float[4];

        var e = Assert.ThrowsExactly<ArgumentException>(() => sut.Score(buffer.AsSpan(0, 3), buffer.AsSpan(2, 2)));

        Assert.AreEqual("output", e.ParamName);
    }

    [TestMethod]
    public void AdaptiveWidthModel_Score_EightThreads_EqualSingleThreadedExactly()
    {
        const int Threads = 8, CallsPerThread = 1000;
        var random = new Random(8);
        var sut = RandomModels.Model(random, inputs: 5, [24, 11], outputs: 3);
        float[][] rows = Enumerable.Range(0, 64).Select(_ => RandomModels.Values(random, sut.InputCount, 2f)).ToArray();
        float[][] expected = rows.Select(r => RandomModels.Score(sut, r)).ToArray();
        var mismatches = new int[Threads];
        using var start = new Barrier(Threads);

        var threads = Enumerable.Range(0, Threads).Select(t => new Thread(() =>
        {
            var output = new float[sut.OutputCount];
            start.SignalAndWait();
            for (int call = 0; call < CallsPerThread; call++)
            {
                int row = (call * 7 + t) % rows.Length;
                sut.Score(rows[row], output);
                if (!output.AsSpan().SequenceEqual(expected[row]))
                {
                    mismatches[t]++;
                }
            }
        })).ToList();
        threads.ForEach(thread => thread.Start());
        threads.ForEach(thread => thread.Join());

        CollectionAssert.AreEqual(new int[Threads], mismatches, "Calls per thread whose scores differ from single-threaded scoring.");
    }

    [TestMethod]
    public void AdaptiveWidthModel_Truncate_FullWidths_GivesBitIdenticalScores()
    {
        var random = new Random(11);
        var sut = RandomModels.Model(random, inputs: 4, [13, 33, 6], outputs: 2);

        var truncated = sut.Truncate(sut.LayerWidths);

        for (int row = 0; row < Rows; row++)
        {
            float[] features = RandomModels.Values(random, sut.InputCount, 2f);
            FloatAssert.BitIdentical(RandomModels.Score(sut, features), RandomModels.Score(truncated, features), $"row {row}");
        }
    }

    [TestMethod]
    public void AdaptiveWidthModel_Truncate_Twice_EqualsTruncatingOnceToTheSmaller()
    {
        var random = new Random(12);
        var sut = RandomModels.Model(random, inputs: 5, [33, 20], outputs: 3, ActivationKind.LeakyReLU);

        var twice = sut.Truncate([17, 9]).Truncate([5, 9]);
        var once = sut.Truncate([5, 9]);

        CollectionAssert.AreEqual(once.LayerWidths.ToArray(), twice.LayerWidths.ToArray());
        for (int row = 0; row < Rows; row++)
        {
            float[] features = RandomModels.Values(random, sut.InputCount, 2f);
            FloatAssert.BitIdentical(RandomModels.Score(once, features), RandomModels.Score(twice, features), $"row {row}");
        }
    }

    [TestMethod]
    public void AdaptiveWidthModel_Truncate_ToK_MatchesReferenceOnFirstKNeuronsAndKeepsImportance()
    {
        var random = new Random(13);
        var sut = RandomModels.Model(random, inputs: 3, [33, 17], outputs: 2);

        for (int k1 = 1; k1 <= 33; k1 += 2)
        {
            int[] widths = [k1, 1 + (k1 * 7) % 17];

            var truncated = sut.Truncate(widths);

            CollectionAssert.AreEqual(widths, truncated.LayerWidths.ToArray());
            for (int l = 0; l < widths.Length; l++)
            {
                // The first K entries as they were: truncation does not renormalise.
                FloatAssert.BitIdentical(sut.Importance(l)[..widths[l]], truncated.Importance(l), $"importance {l}, widths {k1}/{widths[1]}");
            }
            float[] features = RandomModels.Values(random, sut.InputCount, 2f);
            FloatAssert.WithinBound(ScalarReference.Score(sut, features, widths), RandomModels.Score(truncated, features),
                $"widths {widths[0]}/{widths[1]}");
        }
    }

    [TestMethod]
    public void AdaptiveWidthModel_Truncate_LeavesOriginalUnchanged()
    {
        var random = new Random(14);
        var sut = RandomModels.Model(random, inputs: 3, [10], outputs: 1);
        float[] features = RandomModels.Values(random, 3);
        float[] before = RandomModels.Score(sut, features);

        _ = sut.Truncate([4]);

        CollectionAssert.AreEqual(new[] { 10 }, sut.LayerWidths.ToArray());
        FloatAssert.BitIdentical(before, RandomModels.Score(sut, features), "original after truncation");
    }

    [TestMethod]
    [DataRow(new[] { 0, 3 })]
    [DataRow(new[] { 5, 0 })]
    [DataRow(new[] { -1, 3 })]
    [DataRow(new[] { 6, 3 })]
    [DataRow(new[] { 5, 4 })]
    public void AdaptiveWidthModel_Truncate_WidthOutOfRange_ThrowsNamingWidths(int[] widths)
    {
        var sut = RandomModels.Model(new Random(1), inputs: 2, [5, 3], outputs: 1);

        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => sut.Truncate(widths));

        Assert.AreEqual("widths", e.ParamName);
    }

    [TestMethod]
    [DataRow(new[] { 5 })]
    [DataRow(new[] { 5, 3, 1 })]
    [DataRow(new int[0])]
    public void AdaptiveWidthModel_Truncate_WrongWidthCount_ThrowsNamingWidths(int[] widths)
    {
        var sut = RandomModels.Model(new Random(1), inputs: 2, [5, 3], outputs: 1);

        var e = Assert.ThrowsExactly<ArgumentException>(() => sut.Truncate(widths));

        Assert.AreEqual("widths", e.ParamName);
    }
}
