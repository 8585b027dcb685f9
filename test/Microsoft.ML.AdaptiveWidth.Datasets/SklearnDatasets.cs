namespace Microsoft.ML.AdaptiveWidth.Datasets;

/// <summary>
/// scikit-learn's small bundled data sets (BSD-3, committed under <c>data/sklearn/</c> and embedded in this assembly),
/// loaded exactly as stored, without scaling.
/// </summary>
public static class SklearnDatasets
{
    private static readonly string[] BreastCancerBaseNames =
    [
        "radius", "texture", "perimeter", "area", "smoothness",
        "compactness", "concavity", "concave points", "symmetry", "fractal dimension",
    ];

    private static readonly string[] WineNames =
    [
        "alcohol", "malic_acid", "ash", "alcalinity_of_ash", "magnesium", "total_phenols", "flavanoids",
        "nonflavanoid_phenols", "proanthocyanins", "color_intensity", "hue", "od280/od315_of_diluted_wines", "proline",
    ];

    private static readonly string[] DiabetesNames = ["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"];

    /// <summary>
    /// Wisconsin diagnostic breast cancer: 569 rows, 30 features (mean, error and worst of ten cell measurements),
    /// 2 classes (0 = malignant, 1 = benign).
    /// </summary>
    public static Dataset BreastCancer()
    {
        string[] names = new[] { "mean {0}", "{0} error", "worst {0}" }
            .SelectMany(format => BreastCancerBaseNames.Select(b => string.Format(null, format, b)))
            .ToArray();
        return ReadWithCountsHeader("BreastCancer", "sklearn.breast_cancer.csv", names);
    }

    /// <summary>Wine recognition: 178 rows, 13 chemical measurements, 3 cultivars (classes 0..2).</summary>
    public static Dataset Wine() => ReadWithCountsHeader("Wine", "sklearn.wine_data.csv", WineNames);

    /// <summary>Optical digits: 1797 rows of 8x8 images with pixel values 0..16 (row-major), 10 classes (the digit).</summary>
    public static Dataset Digits()
    {
        const int p = 64;
        List<string> lines = EmbeddedData.ReadLines("sklearn.digits.csv.gz");
        var features = new float[lines.Count * p];
        var labels = new float[lines.Count];
        for (int i = 0; i < lines.Count; i++)
        {
            ReadRow(lines[i], p, features, labels, i);
        }

        string[] names = Enumerable.Range(0, p).Select(k => $"pixel_{k / 8}_{k % 8}").ToArray();
        return new Dataset("Digits", features, p, labels, 10, names);
    }

    /// <summary>
    /// Diabetes (regression): 442 rows of 10 unscaled baseline variables (age, sex, bmi, bp, s1..s6); the target is a
    /// measure of disease progression one year later (25..346). scikit-learn's <c>load_diabetes(scaled=True)</c> would
    /// centre and scale each column; this returns the raw values.
    /// </summary>
    public static Dataset Diabetes()
    {
        const int p = 10;
        List<string> rows = EmbeddedData.ReadLines("sklearn.diabetes_data_raw.csv.gz");
        List<string> targets = EmbeddedData.ReadLines("sklearn.diabetes_target.csv.gz");
        if (rows.Count != targets.Count)
        {
            throw new InvalidDataException($"Diabetes: {rows.Count} data rows but {targets.Count} targets.");
        }

        var features = new float[rows.Count * p];
        var labels = new float[rows.Count];
        for (int i = 0; i < rows.Count; i++)
        {
            double[] x = EmbeddedData.ParseNumbers(rows[i]);
            if (x.Length != p)
            {
                throw new InvalidDataException($"Diabetes row {i} has {x.Length} values, not {p}.");
            }

            for (int j = 0; j < p; j++)
            {
                features[(i * p) + j] = (float)x[j];
            }

            labels[i] = (float)EmbeddedData.ParseNumbers(targets[i]).Single();
        }

        return new Dataset("Diabetes", features, p, labels, 0, DiabetesNames);
    }

    /// <summary>Reads scikit-learn's "n,p,class names..." format: a counts header, then p features and the class per row.</summary>
    private static Dataset ReadWithCountsHeader(string name, string resource, string[] featureNames)
    {
        List<string> lines = EmbeddedData.ReadLines(resource);
        string[] header = lines[0].Split(',');
        int n = int.Parse(header[0], System.Globalization.CultureInfo.InvariantCulture);
        int p = int.Parse(header[1], System.Globalization.CultureInfo.InvariantCulture);
        int classCount = header.Length - 2;
        if (lines.Count - 1 != n || p != featureNames.Length)
        {
            throw new InvalidDataException($"{name}: header says {n} x {p}, file has {lines.Count - 1} rows.");
        }

        var features = new float[n * p];
        var labels = new float[n];
        for (int i = 0; i < n; i++)
        {
            ReadRow(lines[i + 1], p, features, labels, i);
        }

        return new Dataset(name, features, p, labels, classCount, featureNames);
    }

    private static void ReadRow(string line, int p, float[] features, float[] labels, int row)
    {
        double[] values = EmbeddedData.ParseNumbers(line);
        if (values.Length != p + 1)
        {
            throw new InvalidDataException($"Row {row} has {values.Length} values, not {p} features and a label.");
        }

        for (int j = 0; j < p; j++)
        {
            features[(row * p) + j] = (float)values[j];
        }

        labels[row] = (float)values[p];
    }
}
