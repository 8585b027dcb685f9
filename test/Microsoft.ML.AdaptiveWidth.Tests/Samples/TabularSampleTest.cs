using System.Diagnostics;
using System.IO.Compression;
using System.Reflection;
using System.Text;

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
            StringAssert.Contains(output, "## mine (Binary");
            StringAssert.Contains(output, "| AdaptiveWidth | ");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [TestMethod]
    [DataRow("x,y,Label\n1,2,a\n3,4,b\n", "Missing", "no column named 'Missing'")]
    [DataRow("x,y,Label\n1,2,a\n3,oops,b\n", "Label", "line 3, column 'y': 'oops' is not a number")]
    [DataRow("x,y,Label\n1,2,a\n3,b\n", "Label", "line 3: 2 values, the header has 3")]
    public void TabularSample_DataOption_RejectsABadCsvWithOneLineAndExitCode2(string content, string label, string expected)
    {
        string file = Path.Combine(Path.GetTempPath(), $"aw-bad-{Guid.NewGuid():N}.csv");
        File.WriteAllText(file, content);
        try
        {
            var (exitCode, output, error) = Run("--data", file, "--label", label, "--quick");

            Assert.AreEqual(2, exitCode, output + error);
            StringAssert.Contains(error, expected);
            StringAssert.Contains(error, file);
            Assert.AreEqual(1, error.Trim().Split('\n').Length, $"one line, no stack trace: {error}");
        }
        finally
        {
            File.Delete(file);
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
