using System.Diagnostics;
using System.Reflection;

namespace Microsoft.ML.AdaptiveWidth.Tests.Benchmarks;

/// <summary>
/// Runs the benchmark program's smoke mode (tiny sizes) in a child process, so the program cannot rot: it must exit 0
/// and print the epoch-cost table, the trainer-comparison tables, the no-tuning, scale, training-speed and real-data tables, without writing any file.
/// </summary>
[TestClass]
public sealed class BenchmarkSmokeTest
{
    [TestMethod]
    public void BenchmarkProgram_Smoke_ExitsZeroAndPrintsTheTables()
    {
        string program = typeof(BenchmarkSmokeTest).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "BenchmarksPath").Value!;
        Assert.IsTrue(File.Exists(program), $"The benchmark program was not built at {program}.");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(program);
        start.ArgumentList.Add("smoke");

        using Process process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(3)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("The benchmark smoke run did not finish within 3 minutes.");
        }

        process.WaitForExit();
        string output = stdout.Result;
        string errors = stderr.Result;
        Assert.AreEqual(0, process.ExitCode, $"stdout:\n{output}\nstderr:\n{errors}");
        StringAssert.Contains(output, "| problem | rows | final width |");
        StringAssert.Contains(output, "# Trainer comparison");
        foreach (string section in new[] { "## Breast cancer (binary)", "## Digits (multiclass", "## Fashion-MNIST", "## Diabetes (regression)", "## Summary" })
        {
            StringAssert.Contains(output, section);
        }

        // One table row per trainer on each of the data sets that ran (Fashion-MNIST is skipped when not fetched), counted in
        // the trainer comparison's own section (the studies after it have trainer tables of their own).
        string[] comparison = output.Split('\n').SkipWhile(l => !l.StartsWith("# Trainer comparison", StringComparison.Ordinal))
            .Skip(1).TakeWhile(l => !l.StartsWith("# ", StringComparison.Ordinal)).ToArray();
        int tables = comparison.Count(l => l.StartsWith("| trainer |", StringComparison.Ordinal));
        Assert.IsGreaterThanOrEqualTo(3, tables, output);
        Assert.AreEqual(tables, comparison.Count(l => l.StartsWith("| AdaptiveWidth |", StringComparison.Ordinal)), output);
        Assert.AreEqual(tables, comparison.Count(l => l.StartsWith("| LightGbm |", StringComparison.Ordinal)), output);
        // The no-tuning study's quick mode: its results table has a row per data set that ran.
        StringAssert.Contains(output, "# No tuning needed");
        foreach (string dataSet in new[] { "| Breast cancer |", "| Wine |", "| Digits |", "| Diabetes |" })
        {
            StringAssert.Contains(output, dataSet);
        }

        // The scale study's quick mode: both paths measured in child processes.
        StringAssert.Contains(output, "# Scale:");
        StringAssert.Contains(output, "| 2,000 | in memory |");
        StringAssert.Contains(output, "| 2,000 | streaming |");

        // The training-speed study's quick mode: the bound table always, the PyTorch table or its skip message.
        StringAssert.Contains(output, "# Training speed");
        StringAssert.Contains(output, "| shape | MACs/row | bound ms/epoch |");
        Assert.IsTrue(output.Contains("| shape | PyTorch ms/epoch |", StringComparison.Ordinal) || output.Contains("PyTorch skipped:", StringComparison.Ordinal), output);

        // The GC soak's quick mode: its table with 6 fits and no failure.
        StringAssert.Contains(output, "# Training under garbage-collection pressure");
        StringAssert.Contains(output, "| 6 | 0 | 0 |");

        // The real-data study's quick mode: its headline table, or the skip message when the suite is not fetched.
        StringAssert.Contains(output, "# Real data:");
        Assert.IsTrue(output.Contains("| set | task | metric | ours (MinMax) |", StringComparison.Ordinal) || output.Contains("Real-data suite skipped:", StringComparison.Ordinal), output);
        Assert.DoesNotContain("Wrote ", errors, "smoke mode must not write the report");
    }
}
