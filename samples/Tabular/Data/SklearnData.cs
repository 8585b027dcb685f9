using System.Globalization;
using System.IO.Compression;

namespace AdaptiveWidth.Samples.Tabular;

/// <summary>
/// scikit-learn's small data sets (BSD-3), embedded in this program from the CSV files it was built with
/// (<c>data/sklearn/</c> of the repository, or a <c>data/</c> folder beside the project when it is copied out; see
/// Tabular.csproj), loaded exactly as stored, without scaling.
/// </summary>
public static class SklearnData
{
    /// <summary>Wisconsin diagnostic breast cancer: 569 rows, 30 features, classes malignant (0) and benign (1).</summary>
    public static Dataset BreastCancer()
    {
        // scikit-learn's format: a "rows,features,class names..." header, then the features and the class index per row.
        List<string> lines = ReadLines("breast_cancer.csv");
        string[] header = lines[0].Split(',');
        int p = int.Parse(header[1], CultureInfo.InvariantCulture);
        return Read("Breast cancer", lines.Skip(1).ToList(), p, header[2..]);
    }

    /// <summary>Optical digits: 1797 rows of 8x8 images with pixel values 0..16, 10 classes (the digit).</summary>
    public static Dataset Digits() =>
        Read("Digits", ReadLines("digits.csv.gz"), 64, Enumerable.Range(0, 10).Select(d => d.ToString(CultureInfo.InvariantCulture)).ToArray());

    /// <summary>Diabetes (regression): 442 rows of 10 unscaled baseline variables; the target is disease progression after a year.</summary>
    public static Dataset Diabetes()
    {
        const int p = 10;
        List<string> rows = ReadLines("diabetes_data_raw.csv.gz");
        List<string> targets = ReadLines("diabetes_target.csv.gz");
        var features = new float[rows.Count * p];
        var labels = new float[rows.Count];
        for (int i = 0; i < rows.Count; i++)
        {
            double[] x = Numbers(rows[i]);
            for (int j = 0; j < p; j++)
            {
                features[(i * p) + j] = (float)x[j];
            }
            labels[i] = (float)Numbers(targets[i]).Single();
        }
        return new Dataset("Diabetes", features, p, labels, []);
    }

    private static Dataset Read(string name, List<string> lines, int p, string[] classNames)
    {
        var features = new float[lines.Count * p];
        var labels = new float[lines.Count];
        for (int i = 0; i < lines.Count; i++)
        {
            double[] values = Numbers(lines[i]);
            if (values.Length != p + 1)
            {
                throw new InvalidDataException($"{name}, row {i}: {values.Length} values, not {p} features and a label.");
            }
            for (int j = 0; j < p; j++)
            {
                features[(i * p) + j] = (float)values[j];
            }
            labels[i] = (float)values[p];
        }
        return new Dataset(name, features, p, labels, classNames);
    }

    /// <summary>The non-empty lines of an embedded file, decompressed when its name ends in <c>.gz</c>.</summary>
    private static List<string> ReadLines(string file)
    {
        string resource = "AdaptiveWidth.Samples.Tabular.sklearn." + file;
        Stream stream = typeof(SklearnData).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"Embedded resource {resource} is missing: build the sample with data/sklearn/{file} (see Tabular.csproj).");
        if (file.EndsWith(".gz", StringComparison.Ordinal))
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

    private static double[] Numbers(string line) =>
        line.Split([',', ' ', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture)).ToArray();
}
