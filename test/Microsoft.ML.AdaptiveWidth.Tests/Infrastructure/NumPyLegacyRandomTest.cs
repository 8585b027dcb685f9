using Microsoft.ML.AdaptiveWidth.Datasets;

namespace Microsoft.ML.AdaptiveWidth.Tests.Infrastructure;

[TestClass]
public sealed class NumPyLegacyRandomTest
{
    // Reference values printed by NumPy after np.random.seed(0); they are exact doubles, so the comparison is exact.
    [TestMethod]
    public void NumPyLegacyRandom_NextDouble_MatchesNumPySeed0()
    {
        var rng = new NumPyLegacyRandom(0);
        Assert.AreEqual(0.5488135039273248, rng.NextDouble());
        Assert.AreEqual(0.7151893663724195, rng.NextDouble());
    }

    [TestMethod]
    public void NumPyLegacyRandom_NextGaussian_MatchesNumPySeed0()
    {
        var rng = new NumPyLegacyRandom(0);
        Assert.AreEqual(1.764052345967664, rng.NextGaussian(), 1e-15);
        Assert.AreEqual(0.4001572083672233, rng.NextGaussian(), 1e-15);
    }

    [TestMethod]
    public void NumPyLegacyRandom_NextUInt32_MatchesReferenceMt19937Seed0()
    {
        // First output of the reference MT19937 (init_genrand(0)).
        Assert.AreEqual(2357136044u, new NumPyLegacyRandom(0).NextUInt32());
    }

    [TestMethod]
    public void NumPyLegacyRandom_Randn_UsesCachedSecondValue()
    {
        var a = new NumPyLegacyRandom(7);
        var b = new NumPyLegacyRandom(7);
        double[] pair = a.Randn(2);
        Assert.AreEqual(b.NextGaussian(), pair[0]);
        Assert.AreEqual(b.NextGaussian(), pair[1]);

        // The cached value costs no uniform draws, so both generators are in the same state afterwards.
        Assert.AreEqual(b.NextDouble(), a.NextDouble());
    }
}
