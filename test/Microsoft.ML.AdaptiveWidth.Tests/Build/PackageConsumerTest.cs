namespace Microsoft.ML.AdaptiveWidth.Tests.Build;

/// <summary>
/// Runs build/check-package.sh: packs the library, then a console application outside the repository restores the
/// package with a plain PackageReference, builds (getting the buildTransitive TorchSharp fix), trains, saves, loads
/// and scores. This is how CI checks the package without a command of its own in .ci/run. About a minute.
/// </summary>
[TestClass]
public sealed class PackageConsumerTest
{
    [TestMethod]
    [TestCategory("Package")]
    public void Package_ConsumedByAnApplicationOutsideTheRepository_TrainsSavesLoadsAndScores()
        => BuildTools.RunBashScript("build/check-package.sh", "PACKAGE CHECK OK", TimeSpan.FromMinutes(6));
}
