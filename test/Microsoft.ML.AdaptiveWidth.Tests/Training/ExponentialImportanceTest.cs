using Microsoft.ML.AdaptiveWidth.Training;

namespace Microsoft.ML.AdaptiveWidth.Tests.Training;

[TestClass]
public sealed class ExponentialImportanceTest
{
    [TestMethod]
    [DataRow(0.1, 25)]
    [DataRow(0.05, 48)]
    [DataRow(0.02, 117)]
    [DataRow(0.01, 232)]
    [DataRow(0.005, 462)]
    [DataRow(0.004, 577)]
    [DataRow(0.001, 2304)]
    [DataRow(5e-4, 4607)]
    [DataRow(1e-4, 23027)]
    public void ExponentialImportance_Width_MatchesMethodTable(double rate, int expected)
        => Assert.AreEqual(expected, ExponentialImportance.Width(rate, 0.9));

    [TestMethod]
    [DataRow(0.01, 232)]
    [DataRow(0.3, 9)]
    [DataRow(0.001, 2304)]
    public void ExponentialImportance_Probabilities_AreRenormalisedDiscretizedExponential(double rate, int width)
    {
        double[] sut = ExponentialImportance.Probabilities(rate, width);

        double F(double x) => 1 - Math.Exp(-rate * x);
        double[] raw = Enumerable.Range(0, width).Select(i => F(i + 1) - F(i) + 1e-6).ToArray();
        double total = raw.Sum();
        for (int i = 0; i < width; i++)
        {
            Assert.AreEqual(raw[i] / total, sut[i], 1e-12, $"p[{i}]");
        }
        Assert.AreEqual(1.0, sut.Sum(), 1e-12);
        for (int i = 1; i < width; i++)
        {
            Assert.IsTrue(sut[i] < sut[i - 1], $"p must decrease: p[{i - 1}]={sut[i - 1]}, p[{i}]={sut[i]}");
        }
    }

    [TestMethod]
    [DataRow(1e-3)]
    [DataRow(0.01)]
    [DataRow(0.7)]
    [DataRow(5.0)]
    public void ExponentialImportance_InverseSoftplus_InvertsSoftplus(double rate)
        => Assert.AreEqual(rate, ExponentialImportance.Softplus(ExponentialImportance.InverseSoftplus(rate)), rate * 1e-9);

    [TestMethod]
    public void ExponentialImportance_InverseSoftplus_OfPaperDefaultIsAboutMinus4Point6()
        => Assert.AreEqual(-4.60, ExponentialImportance.InverseSoftplus(0.01), 0.01);

    [TestMethod]
    public void ExponentialImportance_Width_RejectsBadArguments()
    {
        Assert.AreEqual("rate", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ExponentialImportance.Width(0)).ParamName);
        Assert.AreEqual("rate", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ExponentialImportance.Width(-1)).ParamName);
        Assert.AreEqual("k", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ExponentialImportance.Width(0.01, 1.0)).ParamName);
        Assert.AreEqual("k", Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ExponentialImportance.Width(0.01, 0)).ParamName);
    }
}
