using System.Text;

namespace Microsoft.ML.AdaptiveWidth.Benchmarks;

/// <summary>
/// docs/benchmarks.md: one page over every study, assembled from the study documents the program wrote (their header
/// lines and their headline table, copied verbatim, never recomputed), with a link to each. A study whose document is
/// missing is listed as not run and makes the command exit non-zero.
/// </summary>
internal static class BenchmarkSummary
{
    /// <summary>What to copy from a section of a study document: the first table whose header row contains
    /// <paramref name="TableContains"/> (any table when empty; none when null) and, if asked, the section's bullet lines.</summary>
    private sealed record Part(string Heading, string? TableContains = "", bool Bullets = false);

    /// <summary>A study: its document, the parts that are its headline, and what it answers.</summary>
    private sealed record Study(string Title, string Document, Part[] Parts, string Question, string Command);

    private static readonly Study[] Studies =
    [
        new("1. The paper's Table 1 (synthetic rows)", "paper.md", [new("## 1. Table 1", "AWN test accuracy", Bullets: true)],
            "Accuracy and learned width on DoubleMoon, Spiral and SpiralHard over 10 seeds, against the paper and a fixed-width grid; " +
            "the same document has studies 5 (stability) and 6 (width against difficulty).", "paper --seeds 10"),
        new("2. No tuning needed (real data)", "no-tuning.md", [new("## Results: the default run vs the paper's fixed-width grid")],
            "The trainer with no options against the best of the paper's fixed-width grid, and the time each takes.", "no-tuning"),
        new("3. Against ML.NET's trainers", "benchmarks-trainers.md", [new("## Summary", null, Bullets: true)],
            "Metric, training time, single-row latency, batch cost and size against LightGBM, FastTree and SDCA.", "trainers"),
        new("4. Training speed", "training-speed.md", [new("## Goals"), new("## Verdict", null, Bullets: true)],
            "Epoch time against a fixed-width network, the arithmetic bound and PyTorch on the same MLPs.", "training-speed"),
        new("Compression", "compression.md", [new("## Headline")],
            "Multiply-adds saved by automatic compression within 0.5 accuracy points, judged on test data.", "compression"),
        new("Scale: rows and width, in memory and streaming", "scale.md", [new("## Rows", Bullets: true), new("## Ten million rows", Bullets: true)],
            "Time per epoch and peak memory from 10,000 to 10,000,000 rows.", "scale"),
        new("Real data: the public suite", "realdata.md", [new("## Headline", "best ML.NET trainer"), new("## Over the suite", "mean rank", Bullets: true)],
            "The trainer with no options, after each of three normalizers, against LightGBM, FastTree, SDCA and L-BFGS on 19 public " +
            "real data sets, through the pipeline an ML.NET user writes.", "realdata"),
        new("Real data: the larger supplement", "realdata-large.md",
            [new("## Headline", "best ML.NET trainer"), new("## Over the suite", "mean rank", Bullets: true)],
            "The same study on five larger real data sets (20,000 to 61,395 rows) that no default was chosen on.", "realdata --large"),
        new("Real data: held-out sets", "realdata-holdout.md",
            [new("## Headline", "best ML.NET trainer"), new("## Over the suite", "mean rank", Bullets: true)],
            "The same study on 37 small and medium real data sets (mlbench, AER, modeldata sets outside the suite) that no default was chosen on: does the recipe carry?",
            "realdata --holdout"),
    ];

    /// <summary>Writes docs/benchmarks.md; returns 0 when every study's document was found, 6 otherwise.</summary>
    public static int Write()
    {
        string? root = MachineInfo.RepositoryRoot();
        if (root is null)
        {
            Console.Error.WriteLine("Could not find the repository root (AdaptiveWidth.sln).");
            return 4;
        }
        string docs = Path.Combine(root, "docs");
        var md = new StringBuilder();
        md.AppendLine("# Benchmarks: every study on one page");
        md.AppendLine();
        md.AppendLine("Assembled by `dotnet run --project test/Microsoft.ML.AdaptiveWidth.Benchmarks -c Release -- summary` from the documents the " +
                      "studies wrote: each section copies its study's header (machine, date, command, seeds) and headline table verbatim; the " +
                      "linked document has the rest, with spreads, plots and what the numbers mean. `-- all` runs every study and then this " +
                      "(about two hours on a shared 2-core machine). Nothing here is part of the default test run; `-- smoke` is.");
        md.AppendLine();
        int missing = 0;
        foreach (Study study in Studies)
        {
            md.AppendLine($"## {study.Title}");
            md.AppendLine();
            md.AppendLine($"{study.Question} Full document: [{study.Document}]({study.Document}); " +
                          $"command: `dotnet run --project test/Microsoft.ML.AdaptiveWidth.Benchmarks -c Release -- {study.Command}`.");
            md.AppendLine();
            string path = Path.Combine(docs, study.Document);
            if (!File.Exists(path))
            {
                md.AppendLine("**Not run yet**: the document does not exist.");
                md.AppendLine();
                missing++;
                continue;
            }
            string[] lines = File.ReadAllLines(path);
            foreach (string line in lines.TakeWhile(l => !l.StartsWith("## ", StringComparison.Ordinal)).Skip(1)
                         .Where(l => l.StartsWith("- ", StringComparison.Ordinal) || l.StartsWith("Command:", StringComparison.Ordinal)))
            {
                md.AppendLine(line);
            }
            md.AppendLine();
            bool any = false;
            foreach (Part part in study.Parts)
            {
                int at = Array.FindIndex(lines, l => l.StartsWith(part.Heading, StringComparison.Ordinal));
                if (at < 0)
                {
                    continue;
                }
                string[] section = lines.Skip(at + 1).TakeWhile(l => !l.StartsWith("## ", StringComparison.Ordinal)).ToArray();
                var copied = new List<string>();
                if (part.TableContains is string contains)
                {
                    int header = Array.FindIndex(section, l => l.StartsWith('|') && l.Contains(contains, StringComparison.Ordinal));
                    if (header >= 0)
                    {
                        copied.AddRange(section.Skip(header).TakeWhile(l => l.StartsWith('|')));
                    }
                }
                if (part.Bullets)
                {
                    string[] bullets = section.Where(l => l.StartsWith("- ", StringComparison.Ordinal)).ToArray();
                    if (bullets.Length > 0)
                    {
                        if (copied.Count > 0)
                        {
                            copied.Add("");
                        }
                        copied.AddRange(bullets);
                    }
                }
                if (copied.Count == 0)
                {
                    continue;
                }
                md.AppendLine($"From “{lines[at].TrimStart('#', ' ')}”:");
                md.AppendLine();
                copied.ForEach(l => md.AppendLine(l));
                md.AppendLine();
                any = true;
            }
            if (!any)
            {
                md.AppendLine("**No headline table found** in the document (a heading was renamed?).");
                md.AppendLine();
                missing++;
            }
        }
        string output = Path.Combine(docs, "benchmarks.md");
        File.WriteAllText(output, md.ToString());
        Console.WriteLine(md.ToString());
        Console.Error.WriteLine($"Wrote {output}" + (missing > 0 ? $"; {missing} study document(s) missing or without a headline table" : ""));
        return missing > 0 ? 6 : 0;
    }
}
