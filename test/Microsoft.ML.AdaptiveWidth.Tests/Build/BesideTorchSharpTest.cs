namespace Microsoft.ML.AdaptiveWidth.Tests.Build;

/// <summary>
/// Runs build/check-beside-torchsharp.sh: for every supported ML.NET version, an application outside the repository
/// references the packed library, that Microsoft.ML and that release's Microsoft.ML.TorchSharp (0.24.0 for 6.0.0, 0.23.1
/// for 5.0.1) with no NU1608/NU1603 warning, trains our trainer, builds ML.NET's TorchSharp text classifier and computes
/// its output schema, and asserts one TorchSharp assembly, one libtorch_cpu and one (fixed) TorchSharp glue in the
/// process, with a tensor operation working after all that. About two minutes per ML.NET version.
/// </summary>
[TestClass]
public sealed class BesideTorchSharpTest
{
    [TestMethod]
    [TestCategory("Package")]
    public void Package_BesideMicrosoftMLTorchSharp_SharesOneTorchSharpAndOneLibtorch()
        => BuildTools.RunBashScript("build/check-beside-torchsharp.sh", "BESIDE TORCHSHARP OK", TimeSpan.FromMinutes(16));
}
