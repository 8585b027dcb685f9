using System.Reflection;
using System.Text.Json;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.AdaptiveWidth;

namespace Microsoft.ML.AdaptiveWidth.Tests.Build;

/// <summary>
/// The tests run on the ML.NET release chosen by the MLNetVersion build property (default 6.0.0; `dotnet test
/// -p:MLNetVersion=5.0.1` for the other supported release). These tests make that switch checkable: the ML.NET and
/// ONNX converter assemblies loaded in this process, and the ones the separately run programs (scoring probe, samples,
/// benchmarks, load test) were built with, are the chosen release's, not the lowest version of the library's range.
/// </summary>
[TestClass]
public sealed class MLNetVersionTest
{
    private static string Metadata(string key) => typeof(MLNetVersionTest).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == key).Value ?? throw new InvalidOperationException("no " + key);

    private static string InformationalVersion(Assembly assembly)
    {
        string version = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
            ?? throw new InvalidOperationException(assembly.FullName + " has no informational version");
        return version.Split('+')[0];
    }

    [TestMethod]
    public void MLNet_LoadedInTheTestProcess_IsTheVersionUnderTest()
    {
        string expected = Metadata("MLNetVersion");
        Assert.IsTrue(expected is "6.0.0" or "5.0.1", $"MLNetVersion {expected}");

        // Microsoft.ML.Core, .Data, .StandardTrainers (the assemblies whose internals the library uses) and .DataView.
        Assert.AreEqual(expected, InformationalVersion(typeof(MLContext).Assembly), "Microsoft.ML.Data");
        Assert.AreEqual(expected, InformationalVersion(typeof(Microsoft.ML.Runtime.IHostEnvironment).Assembly), "Microsoft.ML.Core");
        Assert.AreEqual(expected, InformationalVersion(typeof(Microsoft.ML.Trainers.SdcaLogisticRegressionBinaryTrainer).Assembly), "Microsoft.ML.StandardTrainers");
        Assert.AreEqual(expected, InformationalVersion(typeof(IDataView).Assembly), "Microsoft.ML.DataView");
        Assert.AreEqual(Metadata("MLNetCompanionVersion"), InformationalVersion(typeof(OnnxExportExtensions).Assembly), "Microsoft.ML.OnnxConverter");
        Assert.AreEqual(expected, InformationalVersion(typeof(Microsoft.ML.Transforms.Onnx.OnnxTransformer).Assembly), "Microsoft.ML.OnnxTransformer");

        // The library binds to ML.NET by assembly version 1.0.0.0, which both supported releases carry.
        foreach (AssemblyName reference in typeof(AdaptiveWidthBinaryTrainer).Assembly.GetReferencedAssemblies().Where(n => n.Name!.StartsWith("Microsoft.ML.", StringComparison.Ordinal)))
        {
            Assert.AreEqual(new Version(1, 0, 0, 0), reference.Version, reference.FullName);
        }
    }

    [TestMethod]
    public void MLNetVersion_Unsupported_IsABuildErrorThatNamesTheSupportedOnes()
    {
        string project = Path.Combine(BuildTools.RepoRoot(), "src", "Microsoft.ML.AdaptiveWidth", "Microsoft.ML.AdaptiveWidth.csproj");
        BuildTools.Result supported = BuildTools.Run("dotnet", ["msbuild", project, "-nologo", "-p:MLNetVersion=5.0.1", "-t:AdaptiveWidthCheckMLNetVersion"], BuildTools.RepoRoot(), TimeSpan.FromMinutes(2));
        Assert.AreEqual(0, supported.ExitCode, supported.Output);

        BuildTools.Result unsupported = BuildTools.Run("dotnet", ["msbuild", project, "-nologo", "-p:MLNetVersion=5.1.0", "-t:AdaptiveWidthCheckMLNetVersion"], BuildTools.RepoRoot(), TimeSpan.FromMinutes(2));
        Assert.AreNotEqual(0, unsupported.ExitCode, unsupported.Output);
        StringAssert.Contains(unsupported.Output, "MLNetVersion '5.1.0' is not a supported ML.NET version; the supported ones are 6.0.0;5.0.1.", unsupported.Output);
    }

    [TestMethod]
    [DataRow("build/check-package.sh")]
    [DataRow("build/check-beside-torchsharp.sh")]
    public void PackageCheck_UnsupportedMLNetVersion_FailsBeforePackingAndNamesTheSupportedOnes(string script)
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Inconclusive($"{script} is a bash script.");
        }
        BuildTools.Result result = BuildTools.Run("bash", [script, "5.1.0"], BuildTools.RepoRoot(), TimeSpan.FromMinutes(2));
        Assert.AreNotEqual(0, result.ExitCode, result.Output);
        StringAssert.Contains(result.Output, "ML.NET 5.1.0 is not a supported version (supported: 6.0.0 5.0.1)", result.Output);
        Assert.DoesNotContain("packing", result.Output, result.Output);
    }

    [TestMethod]
    [DataRow("ScoringProbePath")]
    [DataRow("TabularSamplePath")]
    [DataRow("TextSamplePath")]
    [DataRow("BenchmarksPath")]
    [DataRow("LoadTestPath")]
    public void MLNet_InTheProgramsTheTestsRun_IsTheVersionUnderTest(string program)
    {
        string depsFile = Path.ChangeExtension(Metadata(program), ".deps.json");
        Assert.IsTrue(File.Exists(depsFile), depsFile + " (built with the tests)");
        using JsonDocument deps = JsonDocument.Parse(File.ReadAllText(depsFile));
        List<string> mlnet = deps.RootElement.GetProperty("libraries").EnumerateObject()
            .Select(p => p.Name).Where(n => n.StartsWith("Microsoft.ML/", StringComparison.Ordinal)).ToList();
        CollectionAssert.AreEqual(new[] { "Microsoft.ML/" + Metadata("MLNetVersion") }, mlnet, depsFile);
    }
}
