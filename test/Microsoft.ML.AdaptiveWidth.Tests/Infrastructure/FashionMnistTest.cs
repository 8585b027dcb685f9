using Microsoft.ML.AdaptiveWidth.Datasets;

namespace Microsoft.ML.AdaptiveWidth.Tests.Infrastructure;

[TestClass]
public sealed class FashionMnistTest
{
    [TestMethod]
    public void FashionMnist_TryLoad_ReturnsFalseWhenFilesAreAbsent()
    {
        string empty = Path.Combine(Path.GetTempPath(), "aw-no-fashion-mnist-" + Guid.NewGuid().ToString("N"));
        Assert.IsFalse(FashionMnist.TryLoad(empty, out Dataset? train, out Dataset? test));
        Assert.IsNull(train);
        Assert.IsNull(test);
    }

    [TestMethod]
    public void FashionMnist_TryLoad_ReadsCachedFilesWithPixelsInUnitInterval()
    {
        // Needs build/fetch-fashion-mnist.sh to have run; the data is not committed.
        if (!FashionMnist.TryLoad(null, out Dataset? train, out Dataset? test))
        {
            Assert.Inconclusive($"Fashion-MNIST is not cached in {FashionMnist.DefaultCacheDirectory}; run build/fetch-fashion-mnist.sh.");
            return;
        }

        Assert.AreEqual(60000, train.RowCount);
        Assert.AreEqual(10000, test.RowCount);
        Assert.AreEqual(784, train.FeatureCount);
        Assert.AreEqual(10, train.ClassCount);
        CollectionAssert.AreEqual(Enumerable.Repeat(1000, 10).ToArray(), test.ClassCounts());
        CollectionAssert.AreEqual(Enumerable.Repeat(6000, 10).ToArray(), train.ClassCounts());
        Assert.IsTrue(test.Features.All(v => v >= 0f && v <= 1f));
        Assert.AreEqual(1f, test.Features.Max());
    }
}
