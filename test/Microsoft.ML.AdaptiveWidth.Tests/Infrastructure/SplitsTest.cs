using Microsoft.ML.AdaptiveWidth.Datasets;

namespace Microsoft.ML.AdaptiveWidth.Tests.Infrastructure;

[TestClass]
public sealed class SplitsTest
{
    [TestMethod]
    public void Splits_PaperSplit_DoubleMoonAndSpiralGive3600_400_1000()
    {
        foreach (Dataset d in new[] { PaperDatasets.DoubleMoon(), PaperDatasets.Spiral() })
        {
            var (train, validation, test) = Splits.PaperSplit(d);
            Assert.AreEqual(3600, train.RowCount, d.Name);
            Assert.AreEqual(400, validation.RowCount, d.Name);
            Assert.AreEqual(1000, test.RowCount, d.Name);
            CollectionAssert.AreEqual(new[] { 1800, 1800 }, train.ClassCounts(), d.Name);
            CollectionAssert.AreEqual(new[] { 200, 200 }, validation.ClassCounts(), d.Name);
            CollectionAssert.AreEqual(new[] { 500, 500 }, test.ClassCounts(), d.Name);
        }
    }

    [TestMethod]
    public void Splits_PaperSplit_SpiralHardGives7200_800_2000()
    {
        var (train, validation, test) = Splits.PaperSplit(PaperDatasets.SpiralHard());
        Assert.AreEqual(7200, train.RowCount);
        Assert.AreEqual(800, validation.RowCount);
        Assert.AreEqual(2000, test.RowCount);
        CollectionAssert.AreEqual(new[] { 1000, 1000 }, test.ClassCounts());
    }

    [TestMethod]
    public void Splits_PaperSplit_PartitionsRowsWithoutOverlap()
    {
        Dataset d = Indexed(1000, classCount: 3);
        var (train, validation, test) = Splits.PaperSplit(d);
        int[] all = [.. Ids(train), .. Ids(validation), .. Ids(test)];
        CollectionAssert.AreEquivalent(Enumerable.Range(0, 1000).ToArray(), all);

        // Each row keeps its own label.
        foreach (Dataset part in new[] { train, validation, test })
        {
            for (int i = 0; i < part.RowCount; i++)
            {
                Assert.AreEqual(d.Labels[(int)part.Features[i]], part.Labels[i]);
            }
        }
    }

    [TestMethod]
    public void Splits_PaperSplit_ShufflesAcrossClasses()
    {
        var (train, _, test) = Splits.PaperSplit(PaperDatasets.DoubleMoon());
        Assert.AreNotEqual(0, train.Labels.Take(100).Count(y => y == 1f), "train should not be sorted by class");
        Assert.AreNotEqual(0, test.Labels.Take(100).Count(y => y == 1f), "test should not be sorted by class");
    }

    [TestMethod]
    public void Splits_PaperSplit_SameSeedSameSplitOtherSeedOtherSplit()
    {
        Dataset d = Indexed(500, classCount: 2);
        CollectionAssert.AreEqual(Ids(Splits.PaperSplit(d, 7).Test), Ids(Splits.PaperSplit(d, 7).Test));
        CollectionAssert.AreNotEqual(Ids(Splits.PaperSplit(d, 7).Test), Ids(Splits.PaperSplit(d, 8).Test));
    }

    [TestMethod]
    public void Splits_PaperSplit_RegressionIsSplitWithoutStratification()
    {
        var (train, validation, test) = Splits.PaperSplit(Indexed(442, classCount: 0));
        Assert.AreEqual(88, test.RowCount);
        Assert.AreEqual(35, validation.RowCount);
        Assert.AreEqual(319, train.RowCount);
        Assert.AreEqual(0, test.ClassCount);
    }

    [TestMethod]
    public void Splits_StratifiedTrainTest_KeepsClassProportions()
    {
        Dataset wine = SklearnDatasets.Wine();
        var (train, test) = Splits.StratifiedTrainTest(wine, 0.25, seed: 1);

        // Wine has 59/71/48 rows per class; a quarter of each, rounded half away from zero, is 15/18/12.
        CollectionAssert.AreEqual(new[] { 15, 18, 12 }, test.ClassCounts());
        CollectionAssert.AreEqual(new[] { 44, 53, 36 }, train.ClassCounts());
    }

    [TestMethod]
    public void Splits_StratifiedTrainTest_RejectsRegression()
    {
        Assert.ThrowsExactly<ArgumentException>(() => Splits.StratifiedTrainTest(Indexed(10, 0), 0.2, 0));
    }

    [TestMethod]
    public void Splits_TrainTest_RejectsFractionOutsideUnitInterval()
    {
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => Splits.TrainTest(Indexed(10, 0), 1.5, 0));
    }

    [TestMethod]
    public void Splits_TrainTest_SizesFollowFraction()
    {
        var (train, test) = Splits.TrainTest(Indexed(100, 0), 0.3, seed: 3);
        Assert.AreEqual(70, train.RowCount);
        Assert.AreEqual(30, test.RowCount);
        CollectionAssert.AreEquivalent(Enumerable.Range(0, 100).ToArray(), Ids(train).Concat(Ids(test)).ToArray());
    }

    /// <summary>A data set whose single feature is the row index, so splits can be traced back to rows.</summary>
    private static Dataset Indexed(int rows, int classCount)
    {
        float[] ids = Enumerable.Range(0, rows).Select(i => (float)i).ToArray();
        float[] labels = Enumerable.Range(0, rows).Select(i => classCount > 0 ? (float)(i % classCount) : i * 0.5f).ToArray();
        return new Dataset("Indexed", ids, 1, labels, classCount);
    }

    private static int[] Ids(Dataset d) => d.Features.Select(v => (int)v).ToArray();
}
