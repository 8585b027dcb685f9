using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Reflection;
using System.Text;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace Microsoft.ML.AdaptiveWidth.Tests.Samples;

/// <summary>The main job, run as a user would (a child process) in its reduced mode.</summary>
[TestClass]
public sealed class TabularSampleTest
{
    private static string SamplePath => typeof(TabularSampleTest).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "TabularSamplePath").Value!;

    private static (int ExitCode, string Output, string Error) Run(params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(SamplePath);
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(8)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("the sample did not finish within 8 minutes");
        }
        return (process.ExitCode, output.Result, error.Result);
    }

    [TestMethod]
    public void TabularSample_DefaultRun_PrintsTheTableAndWritesPlots()
    {
        string directory = Directory.CreateTempSubdirectory("aw-tabular-").FullName;
        try
        {
            var (exitCode, output, error) = Run("--quick", "--out", directory);

            Assert.AreEqual(0, exitCode, error);
            foreach (string dataSet in new[] { "Breast cancer", "Digits", "Diabetes", "SpiralHard" })
            {
                StringAssert.Contains(output, $"## {dataSet}");
            }
            Assert.AreEqual(4, CountOf(output, "| AdaptiveWidth | "), output);
            Assert.AreEqual(4, CountOf(output, "| LightGbm | "), output);
            Assert.AreEqual(4, CountOf(output, "Compression by ordered truncation"), output);
            Assert.AreEqual(4, CountOf(output, "reloaded, it predicts"), output);
            string[] pngs = Directory.GetFiles(directory, "*.png");
            Assert.AreEqual(12, pngs.Length, string.Join(", ", pngs));
            foreach (string png in pngs)
            {
                StringAssert.Contains(output, $"Wrote {png}");
                AssertPngIsNotBlank(png);
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [TestMethod]
    public void TabularSample_DataOption_TrainsOnAUsersCsv()
    {
        string directory = Directory.CreateTempSubdirectory("aw-tabular-csv-").FullName;
        try
        {
            var random = new Random(1);
            var csv = new StringBuilder("a,b,c,Outcome\n");
            for (int i = 0; i < 240; i++)
            {
                double a = random.NextDouble(), b = random.NextDouble(), c = random.NextDouble();
                csv.Append($"{a:F4},{b:F4},{c:F4},{(a + b > 1 ? "yes" : "no")}\n");
            }
            string file = Path.Combine(directory, "mine.csv");
            File.WriteAllText(file, csv.ToString());

            var (exitCode, output, error) = Run("--data", file, "--label", "Outcome", "--quick", "--out", directory);

            Assert.AreEqual(0, exitCode, error);
            StringAssert.Contains(output, "Label 'Outcome': Binary, classes no (false) and yes (true)");
            StringAssert.Contains(output, "3 numeric: a, b, c");
            StringAssert.Contains(output, "## mine (Binary");
            StringAssert.Contains(output, "| AdaptiveWidth | ");
            Assert.AreEqual(3, Regex.Matches(output, @"predicted (yes|no) \(probability of yes [01]\.\d{3}\), actual (yes|no)").Count, output);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>
    /// A typical business CSV: quoted text with commas and "" escapes, empty numeric and text cells, a categorical column,
    /// a free-text column with a value per row, and class names as labels. The sample must read it with TextLoader,
    /// infer the schema shown, and predict class names.
    /// </summary>
    [TestMethod]
    public void TabularSample_DataOption_ReadsQuotedTextEmptyCellsAndCategoriesAndKeepsClassNames()
    {
        string directory = Directory.CreateTempSubdirectory("aw-tabular-business-").FullName;
        try
        {
            var random = new Random(7);
            string[] cities = ["Paris", "London", "New York, NY", "São Paulo"];
            string[] species = ["setosa", "versicolor", "virginica"];
            var csv = new StringBuilder("\"x\",amount,city,note,Species\n");
            int emptyAmounts = 0;
            for (int i = 0; i < 300; i++)
            {
                double x = random.NextDouble() * 3;
                int cls = (int)x;
                bool empty = random.NextDouble() < 0.1;
                emptyAmounts += empty ? 1 : 0;
                string amount = empty ? "" : (cls * 10 + random.NextDouble()).ToString("F3", CultureInfo.InvariantCulture);
                string city = random.NextDouble() < 0.05 ? "" : $"\"{cities[random.Next(cities.Length)]}\"";
                string note = $"\"order {i}, said \"\"hi\"\"\"";
                csv.Append(CultureInfo.InvariantCulture, $"{x:F4},{amount},{city},{note},{species[cls]}\n");
            }
            string file = Path.Combine(directory, "business.csv");
            File.WriteAllText(file, csv.ToString());

            var (exitCode, output, error) = Run("--data", file, "--label", "Species", "--quick", "--out", directory);

            Assert.AreEqual(0, exitCode, error);
            StringAssert.Contains(output, "Label 'Species': Multiclass, 3 classes (setosa, versicolor, virginica); column types from the header and 300 rows.");
            StringAssert.Contains(output, "1 numeric: x\n");
            StringAssert.Contains(output, $"1 numeric with empty cells (IndicateMissingValues + ReplaceMissingValues, mean): amount ({emptyAmounts} empty)");
            // "New York, NY" is one quoted value: four cities, the empty cells not a value.
            StringAssert.Contains(output, "1 categorical (OneHotEncoding): city (4 values)");
            StringAssert.Contains(output, "1 categorical with more than 100 values (OneHotHashEncoding, 256 slots): note (300 values)");
            // x, amount and its missing indicator, 4 one-hot slots, 256 hashed slots.
            StringAssert.Contains(output, "## business (Multiclass; ");
            StringAssert.Contains(output, ", 263 features)");
            Assert.AreEqual(3, Regex.Matches(output, @"predicted (setosa|versicolor|virginica) \(probability [01]\.\d{3}\), actual (setosa|versicolor|virginica)\n").Count, output);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [TestMethod]
    [DataRow("x,y,Label\n1,2,a\n3,4,b\n", "Missing", null, "no column named 'Missing' in the header (x, y, Label)")]
    [DataRow("x,y,Label\n1,2,a\n3,b\n", "Label", null, "line 3: 2 values, the header has 3")]
    [DataRow("", "Label", null, "empty file")]
    [DataRow("x,y,Label\n", "Label", null, "no data rows")]
    [DataRow("x,y,Label\n1,2,a\n3,4,b\n", "Label", "ranking", "--task must be binary, multiclass or regression, not 'ranking'")]
    [DataRow("x,y,Label\n1,2,a\n3,4,b\n5,6,c\n", "Label", "binary", "column 'Label': 3 classes, binary needs exactly 2")]
    [DataRow("x,y,Label\n1,2,a\n3,4,a\n", "Label", null, "column 'Label': only one class ('a')")]
    [DataRow("x,y,Label\n1,2,3.5\n3,4,high\n", "Label", "regression", "line 3, column 'Label': 'high' is not a number")]
    public void TabularSample_DataOption_RejectsABadCsvWithOneLineAndExitCode2(string content, string label, string? task, string expected)
    {
        string file = Path.Combine(Path.GetTempPath(), $"aw-bad-{Guid.NewGuid():N}.csv");
        File.WriteAllText(file, content);
        try
        {
            var (exitCode, output, error) = task is null
                ? Run("--data", file, "--label", label, "--quick")
                : Run("--data", file, "--label", label, "--task", task, "--quick");

            Assert.AreEqual(2, exitCode, output + error);
            StringAssert.Contains(error, expected);
            if (task != "ranking")
            {
                StringAssert.Contains(error, file);
            }
            Assert.AreEqual(1, error.Trim().Split('\n').Length, $"one line, no stack trace: {error}");
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>The sample is code a user copies: it references the library only, no test project, and reads no
    /// internals by reflection.</summary>
    [TestMethod]
    public void TabularSample_StandsAlone_ReferencesNoTestProject()
    {
        // SamplePath is samples/Tabular/bin/<configuration>/<framework>/Tabular.dll.
        string sample = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(SamplePath)!, "..", "..", ".."));
        var project = XDocument.Load(Path.Combine(sample, "Tabular.csproj"));
        string[] references = project.Descendants("ProjectReference").Select(r => r.Attribute("Include")!.Value.Replace('\\', '/')).ToArray();
        Assert.AreEqual(1, references.Length, string.Join(", ", references));
        StringAssert.EndsWith(references[0], "src/Microsoft.ML.AdaptiveWidth/Microsoft.ML.AdaptiveWidth.csproj");
        string deps = File.ReadAllText(Path.ChangeExtension(SamplePath, ".deps.json"));
        Assert.IsFalse(deps.Contains("Microsoft.ML.AdaptiveWidth.Datasets", StringComparison.Ordinal), "the built sample depends on the test data sets");
        StringAssert.Contains(deps, "Microsoft.ML.AdaptiveWidth");
        foreach (string source in Directory.GetFiles(sample, "*.cs", SearchOption.AllDirectories).Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}")))
        {
            string text = File.ReadAllText(source);
            foreach (string forbidden in new[] { "Microsoft.ML.AdaptiveWidth.Datasets", "GetProperty(", "GetField(", "test/Microsoft.ML" })
            {
                Assert.IsFalse(text.Contains(forbidden, StringComparison.Ordinal), $"{source} contains {forbidden}");
            }
        }
    }

    private static int CountOf(string text, string part)
    {
        int count = 0;
        for (int at = text.IndexOf(part, StringComparison.Ordinal); at >= 0; at = text.IndexOf(part, at + part.Length, StringComparison.Ordinal))
        {
            count++;
        }
        return count;
    }

    /// <summary>Decodes the PNG's image data (zlib over IDAT chunks) and checks it has more than a background colour.</summary>
    private static void AssertPngIsNotBlank(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        CollectionAssert.AreEqual(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, bytes[..8], $"{path} is not a PNG");
        using var idat = new MemoryStream();
        int width = 0, height = 0;
        for (int at = 8; at + 8 <= bytes.Length;)
        {
            int length = (bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3];
            string type = Encoding.ASCII.GetString(bytes, at + 4, 4);
            if (type == "IHDR")
            {
                width = (bytes[at + 8] << 24) | (bytes[at + 9] << 16) | (bytes[at + 10] << 8) | bytes[at + 11];
                height = (bytes[at + 12] << 24) | (bytes[at + 13] << 16) | (bytes[at + 14] << 8) | bytes[at + 15];
            }
            else if (type == "IDAT")
            {
                idat.Write(bytes, at + 8, length);
            }
            at += 12 + length;
        }
        Assert.AreEqual((800, 500), (width, height), path);
        idat.Position = 0;
        using var pixels = new MemoryStream();
        using (var zlib = new ZLibStream(idat, CompressionMode.Decompress))
        {
            zlib.CopyTo(pixels);
        }
        int distinct = pixels.ToArray().Distinct().Count();
        Assert.IsTrue(distinct > 8, $"{path} looks blank ({distinct} distinct byte values)");
    }
}
