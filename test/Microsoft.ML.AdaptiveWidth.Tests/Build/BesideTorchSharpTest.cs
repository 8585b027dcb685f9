namespace Microsoft.ML.AdaptiveWidth.Tests.Build;

/// <summary>
/// Runs build/check-beside-torchsharp.sh: an application outside the repository references both the packed library and
/// Microsoft.ML.TorchSharp 0.23.1, trains our trainer, builds ML.NET's TorchSharp text classifier and computes its output
/// schema, and asserts one TorchSharp assembly, one libtorch_cpu and one (fixed) TorchSharp glue in the process, with a
/// tensor operation working after all that. About two minutes.
/// </summary>
[TestClass]
public sealed class BesideTorchSharpTest
{
    [TestMethod]
    [TestCategory("Package")]
    public void Package_BesideMicrosoftMLTorchSharp_SharesOneTorchSharpAndOneLibtorch()
        => BuildTools.RunBashScript("build/check-beside-torchsharp.sh", "BESIDE TORCHSHARP OK", TimeSpan.FromMinutes(8));
}
