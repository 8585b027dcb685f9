using System.Text;
using System.Text.RegularExpressions;
using AdaptiveWidth.Samples.ReadMe;
using Microsoft.ML.AdaptiveWidth.Tests.Build;
using Microsoft.ML.AdaptiveWidth.Training;
using Microsoft.ML.Data;

namespace Microsoft.ML.AdaptiveWidth.Tests;

/// <summary>
/// README cannot rot: every ```csharp block of README.md is named by a <c>&lt;!-- README:name --&gt;</c> line just above it
/// and must equal, indentation aside, the text between <c>// README:name</c> and <c>// README:end</c> in a compiled C#
/// file under samples/ or test/ (samples/ReadMe/ReadMeSnippets.cs, compiled by samples/Tabular and by this project),
/// several regions of one name joined by an empty line. The test asserts equality and never writes README.md during
/// an ordinary run; <c>UPDATE_README=1 dotnet test AdaptiveWidth.sln --filter FullyQualifiedName~ReadMe</c> rewrites
/// README's blocks from the code. A second test runs the snippets on small data.
/// </summary>
[TestClass]
public sealed partial class ReadMeTest
{
    private const string UpdateVariable = "UPDATE_README";

    [TestMethod]
    public void ReadMe_CSharpBlocks_EqualTheCompiledSnippets()
    {
        string repo = BuildTools.RepoRoot();
        string readmePath = Path.Combine(repo, "README.md");
        string readme = File.ReadAllText(readmePath).ReplaceLineEndings("\n");
        Dictionary<string, string> snippets = Snippets(repo);
        List<Block> blocks = Blocks(readme);

        Assert.IsNotEmpty(blocks, "README.md has no ```csharp block");
        List<Block> unnamed = blocks.Where(b => b.Name is null).ToList();
        Assert.IsEmpty(unnamed, "README C# blocks without a `<!-- README:name -->` line above them, at lines: "
            + string.Join(", ", unnamed.Select(b => b.Line)));
        List<string> missing = blocks.Select(b => b.Name!).Where(n => !snippets.ContainsKey(n)).ToList();
        Assert.IsEmpty(missing, "README blocks with no `// README:name` region under samples/ or test/: " + string.Join(", ", missing));
        List<string> unused = snippets.Keys.Except(blocks.Select(b => b.Name!)).ToList();
        Assert.IsEmpty(unused, "`// README:name` regions that no README block shows: " + string.Join(", ", unused));

        if (Environment.GetEnvironmentVariable(UpdateVariable) == "1")
        {
            var updated = new StringBuilder();
            int at = 0;
            foreach (Block block in blocks)
            {
                updated.Append(readme, at, block.Start - at).Append(snippets[block.Name!]);
                at = block.End;
            }
            updated.Append(readme, at, readme.Length - at);
            File.WriteAllText(readmePath, updated.ToString());
            readme = updated.ToString();
            blocks = Blocks(readme);
        }

        foreach (Block block in blocks)
        {
            Assert.AreEqual(snippets[block.Name!], Dedent(block.Text),
                $"README block '{block.Name}' (line {block.Line}) differs from its `// README:{block.Name}` code; "
                + $"fix the code and run `{UpdateVariable}=1 dotnet test AdaptiveWidth.sln --filter FullyQualifiedName~ReadMe`.");
        }
    }

    [TestMethod]
    public void ReadMe_Snippets_RunOnSmallData()
    {
        var mlContext = new MLContext(seed: 1);
        var random = new Random(3);
        List<ReadMeRow> rows = Enumerable.Range(0, 200).Select(i =>
        {
            float center = i % 2 == 0 ? 1f : -1f;
            return new ReadMeRow { Label = i % 2 == 0, Width = center + (float)random.NextDouble(), Height = center + (float)random.NextDouble() };
        }).ToList();
        IDataView train = mlContext.Data.LoadFromEnumerable(rows);
        string modelPath = Path.Combine(Path.GetTempPath(), $"aw-readme-{Environment.ProcessId}.zip");
        try
        {
            ITransformer model = ReadMeSnippets.MLNet(train, ["Width", "Height"], modelPath);

            Assert.IsTrue(File.Exists(modelPath));
            Assert.IsGreaterThan(0.9, mlContext.BinaryClassification.Evaluate(model.Transform(train)).Accuracy);
        }
        finally
        {
            File.Delete(modelPath);
        }

        float[] features = rows.SelectMany(r => new[] { r.Width, r.Height }).ToArray();
        float[] labels = rows.Select(r => r.Label ? 1f : 0f).ToArray();
        var validation = new TrainingData(features[..100], 2, labels[..50]);
        float[] output = ReadMeSnippets.Core(features, 2, labels, validation, [1.5f, 1.5f]);

        Assert.HasCount(1, output);
        Assert.IsGreaterThan(0f, output[0], "a row in the positive blob scores a positive logit");

        IDataView vectors = mlContext.Transforms.Concatenate("Features", "Width", "Height").Fit(train).Transform(train);
        ITransformer streamed = ReadMeSnippets.StreamingExample(mlContext, vectors);
        Assert.IsGreaterThan(0.9, mlContext.BinaryClassification.Evaluate(streamed.Transform(vectors)).Accuracy);
    }

    /// <summary>The README's ```csharp blocks: name (from the line above), text, and where the text starts and ends.</summary>
    private sealed record Block(string? Name, string Text, int Start, int End, int Line);

    private static List<Block> Blocks(string readme)
    {
        var blocks = new List<Block>();
        foreach (Match m in FencedCSharp().Matches(readme))
        {
            Group body = m.Groups["body"];
            string? name = m.Groups["name"].Success ? m.Groups["name"].Value : null;
            int line = readme.AsSpan(0, m.Index).Count('\n') + 1;
            blocks.Add(new Block(name, body.Value, body.Index, body.Index + body.Length, line));
        }
        return blocks;
    }

    /// <summary>Every `// README:name` region of the C# files under samples/ and test/, dedented, parts joined by an empty line.</summary>
    private static Dictionary<string, string> Snippets(string repo)
    {
        var parts = new Dictionary<string, List<string>>();
        IEnumerable<string> files = new[] { "samples", "test" }
            .SelectMany(folder => Directory.EnumerateFiles(Path.Combine(repo, folder), "*.cs", SearchOption.AllDirectories))
            .Where(f => !f.Split(Path.DirectorySeparatorChar).Any(d => d is "bin" or "obj"))
            .Order(StringComparer.Ordinal);
        foreach (string file in files)
        {
            string[] lines = File.ReadAllText(file).ReplaceLineEndings("\n").Split('\n');
            string? open = null;
            var region = new List<string>();
            for (int i = 0; i < lines.Length; i++)
            {
                Match marker = Marker().Match(lines[i]);
                if (!marker.Success)
                {
                    if (open is not null)
                    {
                        region.Add(lines[i]);
                    }
                    continue;
                }
                string name = marker.Groups["name"].Value;
                if (open is null)
                {
                    Assert.AreNotEqual("end", name, $"{file}:{i + 1}: `// README:end` without an open region");
                    open = name;
                    region.Clear();
                }
                else
                {
                    Assert.AreEqual("end", name, $"{file}:{i + 1}: region '{open}' is still open");
                    if (!parts.TryGetValue(open, out List<string>? list))
                    {
                        parts[open] = list = [];
                    }
                    list.Add(Dedent(string.Join('\n', region) + "\n"));
                    open = null;
                }
            }
            Assert.IsNull(open, $"{file}: region '{open}' is never closed");
        }
        return parts.ToDictionary(p => p.Key, p => string.Join("\n", p.Value));
    }

    /// <summary>Removes the indentation common to the non-blank lines and trailing spaces; ends with one newline.</summary>
    private static string Dedent(string text)
    {
        string[] lines = text.TrimEnd('\n').Split('\n').Select(l => l.TrimEnd()).ToArray();
        int indent = lines.Where(l => l.Length > 0).Select(l => l.Length - l.TrimStart(' ').Length).DefaultIfEmpty(0).Min();
        return string.Join('\n', lines.Select(l => l.Length == 0 ? l : l[indent..])) + "\n";
    }

    [GeneratedRegex(@"(?:^<!-- README:(?<name>[A-Za-z0-9_-]+) -->\n)?^```csharp\n(?<body>.*?)^```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex FencedCSharp();

    [GeneratedRegex(@"^\s*// README:(?<name>[A-Za-z0-9_-]+)\s*$")]
    private static partial Regex Marker();

    /// <summary>A row of the ML.NET snippet's data.</summary>
    public sealed class ReadMeRow
    {
        public bool Label { get; set; }

        public float Width { get; set; }

        public float Height { get; set; }
    }
}
