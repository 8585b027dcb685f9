using System.Diagnostics;
using System.Reflection;

namespace Microsoft.ML.AdaptiveWidth.Tests.Samples;

/// <summary>The scoring service under load, in the load test's reduced mode, run as a child process (it starts the service).</summary>
[TestClass]
public sealed class ScoringServiceTest
{
    private static string LoadTestPath => typeof(ScoringServiceTest).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "LoadTestPath").Value!;

    [TestMethod]
    [Timeout(120_000, CooperativeCancellation = true)]
    public void LoadTest_QuickMode_ServesExactScoresSwapsTheModelAndRejectsMalformedRequests()
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(LoadTestPath);
        start.ArgumentList.Add("--quick");
        using var process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(100)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("the load test did not finish within 100 s");
        }
        string text = output.Result;
        Assert.AreEqual(0, process.ExitCode, text + error.Result);
        StringAssert.Contains(text, "Total: 4,000 requests, 0 failed, 0 not equal to offline scoring, 20 of 20 malformed requests answered 400");
        StringAssert.Contains(text, "| LightGbm | 2,000 |");
        StringAssert.Contains(text, "| AdaptiveWidth | 2,000 |");
        StringAssert.Contains(text, "v1→v2 at request 800");
        Assert.IsFalse(text.Contains("PROBLEM:", StringComparison.Ordinal), text);
    }
}
