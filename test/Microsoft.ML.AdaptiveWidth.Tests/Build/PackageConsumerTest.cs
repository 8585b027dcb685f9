namespace Microsoft.ML.AdaptiveWidth.Tests.Build;

/// <summary>
/// Runs build/check-package.sh: packs the library, then, for every supported ML.NET version, a console application
/// outside the repository restores the package, that Microsoft.ML and that release's OnnxConverter with plain
/// PackageReferences (no NU1608/NU1603 warning), builds (getting the buildTransitive TorchSharp fix), trains, saves,
/// loads, scores and exports to ONNX. This is how CI checks the package without a command of its own in .ci/run.
/// About a minute per ML.NET version.
/// </summary>
[TestClass]
public sealed class PackageConsumerTest
{
    [TestMethod]
    [TestCategory("Package")]
    public void Package_ConsumedByAnApplicationOutsideTheRepository_TrainsSavesLoadsAndScores()
        => BuildTools.RunBashScript("build/check-package.sh", "PACKAGE CHECK OK", TimeSpan.FromMinutes(12));
}
