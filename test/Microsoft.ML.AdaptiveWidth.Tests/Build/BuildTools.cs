using System.Diagnostics;
using System.Text;

namespace Microsoft.ML.AdaptiveWidth.Tests.Build;

/// <summary>Helpers for the tests that run the repository's build tooling (scripts, MSBuild) in a child process.</summary>
internal static class BuildTools
{
    /// <summary>The repository root: the first folder above the test assembly that holds AdaptiveWidth.sln.</summary>
    public static string RepoRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "AdaptiveWidth.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("No AdaptiveWidth.sln above " + AppContext.BaseDirectory);
    }

    /// <summary>NuGet's global packages folder: NUGET_PACKAGES when set, else ~/.nuget/packages.</summary>
    public static string GlobalPackagesFolder()
    {
        string? configured = Environment.GetEnvironmentVariable("NUGET_PACKAGES");
        return string.IsNullOrEmpty(configured)
            ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages")
            : configured;
    }

    /// <summary>
    /// Runs one of the repository's bash scripts (a path relative to the root, such as build/check-package.sh) and
    /// asserts that it exits with 0 and prints <paramref name="successLine"/>; inconclusive on Windows.
    /// </summary>
    public static Result RunBashScript(string script, string successLine, TimeSpan timeout)
    {
        if (OperatingSystem.IsWindows())
        {
            Assert.Inconclusive($"{script} is a bash script.");
        }
        Result result = Run("bash", [script], RepoRoot(), timeout);
        Assert.AreEqual(0, result.ExitCode, result.Output);
        StringAssert.Contains(result.Output, successLine, result.Output);
        return result;
    }

    /// <summary>The result of <see cref="Run"/>: exit code and the interleaved output.</summary>
    public sealed record Result(int ExitCode, string Output);

    /// <summary>
    /// Runs a command and waits at most <paramref name="timeout"/> (then kills its process tree and fails).
    /// The MSBuild and VSTest variables that `dotnet test` puts in the test host's environment are removed, so a
    /// nested `dotnet build` behaves as it would from a shell.
    /// </summary>
    public static Result Run(string fileName, IEnumerable<string> arguments, string workingDirectory, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        foreach (string key in start.Environment.Keys.ToList())
        {
            if (key.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase) || key.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase))
            {
                start.Environment.Remove(key);
            }
        }

        var output = new StringBuilder();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (output) { output.AppendLine(e.Data); } } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (output) { output.AppendLine(e.Data); } } };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            lock (output)
            {
                Assert.Fail($"{fileName} {string.Join(' ', arguments)} did not finish within {timeout}:\n{output}");
            }
        }
        process.WaitForExit(); // flushes the asynchronous readers
        lock (output)
        {
            return new Result(process.ExitCode, output.ToString());
        }
    }
}
