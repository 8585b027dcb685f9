using System.Diagnostics;
using System.Reflection;

namespace Microsoft.ML.AdaptiveWidth.Tests.Samples;

/// <summary>The text sample, run as a user would (a child process) in its reduced mode.</summary>
[TestClass]
public sealed class TextClassificationSampleTest
{
    [TestMethod]
    public void TextClassificationSample_QuickRun_ComparesTrainersAndScoresSentencesWithAReloadedModel()
    {
        string sample = typeof(TextClassificationSampleTest).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "TextSamplePath").Value!;
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in new[] { sample, "--quick", "Great film, loved it.", "Awful and boring." })
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("the text sample did not finish within 5 minutes");
        }

        Assert.AreEqual(0, process.ExitCode, error.Result);
        string text = output.Result;
        foreach (string trainer in new[] { "AdaptiveWidth", "SDCA (logistic)", "LightGBM" })
        {
            StringAssert.Contains(text, trainer);
        }
        StringAssert.Contains(text, "and reloaded. Scoring new sentences:");
        StringAssert.Contains(text, "\"Great film, loved it.\"");
        StringAssert.Contains(text, "\"Awful and boring.\"");
        // The adaptive-width row carries its learned width (a number) after the timing column.
        string ours = text.Split('\n').Single(l => l.StartsWith("AdaptiveWidth", StringComparison.Ordinal));
        // The last column holds the learned widths, one per layer ("231-233").
        string[] widths = ours.Split(' ', StringSplitOptions.RemoveEmptyEntries)[^1].Split('-');
        Assert.IsTrue(widths.All(w => int.TryParse(w, out int width) && width > 0), ours);
    }
}
