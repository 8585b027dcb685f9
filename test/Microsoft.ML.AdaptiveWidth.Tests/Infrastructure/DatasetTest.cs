using Microsoft.ML.AdaptiveWidth.Datasets;

namespace Microsoft.ML.AdaptiveWidth.Tests.Infrastructure;

[TestClass]
public sealed class DatasetTest
{
    private static Dataset Sample() =>
        new("Sample", [0f, 1f, 10f, 11f, 20f, 21f], 2, [0f, 1f, 1f], 2, ["a", "b"]);

    [TestMethod]
    public void Dataset_Subset_CopiesRowsInGivenOrder()
    {
        Dataset s = Sample().Subset([2, 0, 2]);
        Assert.AreEqual(3, s.RowCount);
        CollectionAssert.AreEqual(new[] { 20f, 21f, 0f, 1f, 20f, 21f }, s.Features);
        CollectionAssert.AreEqual(new[] { 1f, 0f, 1f }, s.Labels);
        Assert.AreEqual(2, s.ClassCount);
        CollectionAssert.AreEqual(new[] { "a", "b" }, s.FeatureNames);
    }

    [TestMethod]
    public void Dataset_Take_KeepsFirstRowsAndClampsToRowCount()
    {
        Assert.AreEqual(2, Sample().Take(2).RowCount);
        Assert.AreEqual(10f, Sample().Take(2).Features[2]);
        Assert.AreEqual(3, Sample().Take(100).RowCount);
    }

    [TestMethod]
    public void Dataset_Constructor_RejectsMismatchedSizes()
    {
        Assert.ThrowsExactly<ArgumentException>(() => new Dataset("x", new float[5], 2, new float[3], 0));
    }

    [TestMethod]
    public void Dataset_Constructor_RejectsLabelOutsideClasses()
    {
        Assert.ThrowsExactly<ArgumentException>(() => new Dataset("x", new float[2], 1, [0f, 2f], 2));
    }

    [TestMethod]
    public void Dataset_Constructor_GivesGenericFeatureNames()
    {
        CollectionAssert.AreEqual(new[] { "f0", "f1" }, new Dataset("x", new float[4], 2, new float[2], 0).FeatureNames);
    }
}
