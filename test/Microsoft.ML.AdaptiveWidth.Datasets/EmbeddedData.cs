using System.Globalization;
using System.IO.Compression;

namespace Microsoft.ML.AdaptiveWidth.Datasets;

/// <summary>Reads the text files embedded from <c>data/</c> at the repository root.</summary>
internal static class EmbeddedData
{
    private const string Prefix = "Microsoft.ML.AdaptiveWidth.Datasets.";

    /// <summary>The non-empty lines of an embedded file, decompressed when its name ends in <c>.gz</c>.</summary>
    /// <param name="name">The resource name after the assembly prefix, e.g. <c>sklearn.wine_data.csv</c>.</param>
    public static List<string> ReadLines(string name)
    {
        Stream stream = typeof(EmbeddedData).Assembly.GetManifestResourceStream(Prefix + name)
            ?? throw new InvalidOperationException($"Embedded resource {Prefix}{name} is missing.");
        if (name.EndsWith(".gz", StringComparison.Ordinal))
        {
            stream = new GZipStream(stream, CompressionMode.Decompress);
        }

        var lines = new List<string>();
        using var reader = new StreamReader(stream);
        while (reader.ReadLine() is { } line)
        {
            if (line.Trim().Length > 0)
            {
                lines.Add(line);
            }
        }

        return lines;
    }

    /// <summary>Splits a line at commas or runs of white space and parses each field with the invariant culture.</summary>
    /// <param name="line">One line of numbers.</param>
    public static double[] ParseNumbers(string line) =>
        line.Split([',', ' ', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture))
            .ToArray();
}
