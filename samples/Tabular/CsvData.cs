using System.Globalization;
using Microsoft.ML.AdaptiveWidth.Datasets;

namespace AdaptiveWidth.Samples.Tabular;

/// <summary>A user's CSV: a header line, one label column, every other column a numeric feature.</summary>
public static class CsvData
{
    /// <summary>Reads the file; any problem is a <see cref="FormatException"/> whose one-line message names the file,
    /// line or column.</summary>
    public static (Dataset Data, TaskKind Task, string[] Classes) Load(string path, string label, string? task)
    {
        if (!File.Exists(path))
        {
            throw new FormatException($"{path}: file not found.");
        }
        string[] lines = File.ReadAllLines(path).Where(l => l.Length > 0).ToArray();
        if (lines.Length < 2)
        {
            throw new FormatException($"{path}: needs a header line and at least one data line.");
        }
        string[] header = lines[0].Split(',').Select(h => h.Trim()).ToArray();
        int labelIndex = Array.IndexOf(header, label);
        if (labelIndex < 0)
        {
            throw new FormatException($"{path}: no column named '{label}' in the header ({string.Join(", ", header)}).");
        }
        string[] featureNames = header.Where((_, i) => i != labelIndex).ToArray();
        var features = new List<float>();
        var labels = new List<string>();
        for (int n = 1; n < lines.Length; n++)
        {
            string[] cells = lines[n].Split(',');
            if (cells.Length != header.Length)
            {
                throw new FormatException($"{path}, line {n + 1}: {cells.Length} values, the header has {header.Length}.");
            }
            for (int c = 0; c < cells.Length; c++)
            {
                if (c == labelIndex)
                {
                    labels.Add(cells[c].Trim());
                }
                else if (float.TryParse(cells[c], NumberStyles.Float, CultureInfo.InvariantCulture, out float value) && float.IsFinite(value))
                {
                    features.Add(value);
                }
                else
                {
                    throw new FormatException($"{path}, line {n + 1}, column '{header[c]}': '{cells[c].Trim()}' is not a number.");
                }
            }
        }

        TaskKind kind = task?.ToLowerInvariant() switch
        {
            null => Infer(labels),
            "binary" => TaskKind.Binary,
            "multiclass" => TaskKind.Multiclass,
            "regression" => TaskKind.Regression,
            _ => throw new FormatException($"--task must be binary, multiclass or regression, not '{task}'."),
        };
        if (kind == TaskKind.Regression)
        {
            var values = labels.Select((l, i) => float.TryParse(l, NumberStyles.Float, CultureInfo.InvariantCulture, out float v)
                ? v : throw new FormatException($"{path}, line {i + 2}, column '{label}': '{l}' is not a number (regression needs numeric labels).")).ToArray();
            return (new Dataset(Path.GetFileNameWithoutExtension(path), features.ToArray(), featureNames.Length, values, 0, featureNames), kind, []);
        }
        string[] classes = labels.Distinct().OrderBy(l => l, StringComparer.Ordinal).ToArray();
        if (classes.Length < 2)
        {
            throw new FormatException($"{path}, column '{label}': only one class ('{classes[0]}'); a classifier needs at least two.");
        }
        if (kind == TaskKind.Binary && classes.Length != 2)
        {
            throw new FormatException($"{path}, column '{label}': {classes.Length} classes, binary needs exactly 2.");
        }
        float[] indices = labels.Select(l => (float)Array.IndexOf(classes, l)).ToArray();
        return (new Dataset(Path.GetFileNameWithoutExtension(path), features.ToArray(), featureNames.Length, indices, classes.Length, featureNames), kind, classes);
    }

    /// <summary>Two distinct labels: binary; a few (≤ 20) labels or any non-numeric one: multiclass; else regression.</summary>
    private static TaskKind Infer(List<string> labels)
    {
        int distinct = labels.Distinct().Count();
        bool numeric = labels.All(l => float.TryParse(l, NumberStyles.Float, CultureInfo.InvariantCulture, out _));
        return distinct == 2 ? TaskKind.Binary : !numeric || distinct <= 20 ? TaskKind.Multiclass : TaskKind.Regression;
    }
}
