using System.Diagnostics;
using System.Reflection;

namespace Microsoft.ML.AdaptiveWidth.Tests.Reliability;

/// <summary>
/// Paths and child processes shared by the reliability tests. The normal test run never writes into the repository;
/// with the environment variable <c>AW_UPDATE_RELIABILITY_DOCS=1</c> the tests that own a generated part of
/// <c>docs/reliability.md</c> (or a fixture) rewrite it instead of comparing against it.
/// </summary>
internal static class ReliabilityEnvironment
{
    public static bool UpdateDocs => Environment.GetEnvironmentVariable("AW_UPDATE_RELIABILITY_DOCS") == "1";

    public static string RepoRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "AdaptiveWidth.sln")))
                {
                    return dir.FullName;
                }
            }
            throw new InvalidOperationException("Repository root not found above " + AppContext.BaseDirectory);
        }
    }

    public static string DocsPath => Path.Combine(RepoRoot, "docs", "reliability.md");

    /// <summary>The committed fixture models the fuzzer mutates (copied to the output folder too).</summary>
    public static string FixturesSource => Path.Combine(RepoRoot, "test", "Microsoft.ML.AdaptiveWidth.Tests", "Reliability", "Fixtures");

    public static string Fixtures => Path.Combine(AppContext.BaseDirectory, "Reliability", "Fixtures");

    /// <summary>The text between <c>&lt;!-- name:begin --&gt;</c> and <c>&lt;!-- name:end --&gt;</c> of the docs, trimmed.</summary>
    public static string Section(string name)
    {
        string text = File.ReadAllText(DocsPath);
        string begin = $"<!-- {name}:begin -->";
        int i = text.IndexOf(begin, StringComparison.Ordinal);
        int j = text.IndexOf($"<!-- {name}:end -->", StringComparison.Ordinal);
        Assert.IsTrue(i >= 0 && j > i, $"docs/reliability.md has no section '{name}'");
        return text[(i + begin.Length)..j].Trim().ReplaceLineEndings("\n");
    }

    public static void ReplaceSection(string name, string content)
    {
        string text = File.ReadAllText(DocsPath);
        string begin = $"<!-- {name}:begin -->";
        string end = $"<!-- {name}:end -->";
        int i = text.IndexOf(begin, StringComparison.Ordinal);
        int j = text.IndexOf(end, StringComparison.Ordinal);
        File.WriteAllText(DocsPath, text[..(i + begin.Length)] + "\n" + content.Trim() + "\n" + text[j..]);
    }

    public static string ProbePath
    {
        get
        {
            string probe = typeof(ReliabilityEnvironment).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
                .Single(a => a.Key == "ScoringProbePath").Value!;
            Assert.IsTrue(File.Exists(probe), $"The scoring probe was not built at {probe}.");
            return probe;
        }
    }

    /// <summary>Starts the scoring probe (<c>dotnet ScoringProbe.dll args…</c>) with redirected output.</summary>
    public static Process StartProbe(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(ProbePath);
        foreach (string a in args)
        {
            start.ArgumentList.Add(a);
        }
        return Process.Start(start)!;
    }
}
