using System.Globalization;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Transforms;

namespace AdaptiveWidth.Samples.Tabular;

/// <summary>How a CSV column becomes features.</summary>
public enum ColumnKind
{
    /// <summary>Every sampled cell is a number: a <c>Single</c> column.</summary>
    Numeric,

    /// <summary>A numeric column with empty cells: NaN, then <c>IndicateMissingValues</c> and <c>ReplaceMissingValues</c> (mean).</summary>
    NumericWithMissing,

    /// <summary>Text with at most <see cref="CsvSchema.MaxOneHotValues"/> distinct values: <c>OneHotEncoding</c>.</summary>
    OneHot,

    /// <summary>Text with more distinct values: <c>OneHotHashEncoding</c> into 2^<see cref="CsvSchema.HashBits"/> slots.</summary>
    Hashed,
}

/// <summary>A feature column of the CSV: its header name, the name it gets in the data view, and how it is featurized.</summary>
public sealed record CsvColumn(string Header, string Name, int Index, ColumnKind Kind, int DistinctValues, int EmptyCells);

/// <summary>
/// A user's CSV read with ML.NET's <c>TextLoader</c> (header line, commas, "quoted" cells with "" escapes, empty cells):
/// the column types are decided from the header and a sample of rows, the way Model Builder and the realdata study do
/// (a column is numeric when every non-empty sampled cell parses as a number, text otherwise), and
/// <see cref="Featurizer"/> builds the usual pipeline: missing numbers replaced with an indicator, text columns one-hot
/// encoded (hashed above <see cref="MaxOneHotValues"/> distinct values), everything concatenated into <c>Features</c>,
/// and the label made ready for the task (a key over the class names for multiclass, <c>MapKeyToValue</c> gives them
/// back; a Boolean for binary). To reuse it elsewhere, copy it with <see cref="TaskKind"/> and <see cref="Pipelines.LabelFor"/>.
/// </summary>
public sealed class CsvSchema
{
    /// <summary>Text columns with more distinct sampled values than this are hashed.</summary>
    public const int MaxOneHotValues = 100;

    /// <summary>Bits of the hashed one-hot encoding: 256 slots.</summary>
    public const int HashBits = 8;

    /// <summary>Rows read to decide the column types (after the header).</summary>
    public const int DefaultSampleRows = 10_000;

    /// <summary>A numeric label with more distinct values than this means regression (fewer: multiclass).</summary>
    private const int MaxClassesOfNumericLabel = 20;

    private static readonly string[] NegativeNames = ["0", "false", "f", "no", "n", "negative", "neg", "-1"];

    private static readonly string[] ReservedNames = ["Label", "Features", "PredictedLabel", "Score", "Probability"];

    private CsvSchema(string path, string[] header, int labelIndex, TaskKind task, string[] classes, List<CsvColumn> columns, int sampledRows)
    {
        Path = path;
        Header = header;
        LabelIndex = labelIndex;
        Task = task;
        Classes = classes;
        Columns = columns;
        SampledRows = sampledRows;
    }

    /// <summary>The file.</summary>
    public string Path { get; }

    /// <summary>The header cells.</summary>
    public IReadOnlyList<string> Header { get; }

    /// <summary>Index of the label column; it is loaded as <c>Label</c> (text for classification, Single for regression).</summary>
    public int LabelIndex { get; }

    /// <summary>What the label asks for (inferred, or as given).</summary>
    public TaskKind Task { get; }

    /// <summary>
    /// The class names seen in the sample, in key order (ordinal; binary: the negative class first, see
    /// <see cref="Infer"/>); empty for regression.
    /// </summary>
    public IReadOnlyList<string> Classes { get; }

    /// <summary>The feature columns (every column but the label), in file order.</summary>
    public IReadOnlyList<CsvColumn> Columns { get; }

    /// <summary>Data rows the types were decided from.</summary>
    public int SampledRows { get; }

    /// <summary>
    /// Reads the header and up to <paramref name="sampleRows"/> rows with <c>TextLoader</c> (every cell as text) and
    /// decides each column's kind and the task. Binary labels: the class that reads as negative (0, false, no, ...) or
    /// else the first in ordinal order is <c>false</c>, the other <c>true</c>.
    /// </summary>
    /// <param name="task">binary, multiclass or regression; null infers it: two distinct labels are binary, a numeric label
    /// with more than 20 distinct values regression, anything else multiclass.</param>
    /// <exception cref="FormatException">A one-line message naming the file, line, column or option: no such file, an
    /// empty file, no data rows, no column named <paramref name="label"/>, a row with the wrong number of cells, an
    /// unknown task, or labels that do not fit the task.</exception>
    public static CsvSchema Infer(MLContext mlContext, string path, string label, string? task = null, int sampleRows = DefaultSampleRows)
    {
        TaskKind? requested = task?.Trim().ToLowerInvariant() switch
        {
            null => null,
            "binary" => TaskKind.Binary,
            "multiclass" => TaskKind.Multiclass,
            "regression" => TaskKind.Regression,
            _ => throw new FormatException($"--task must be binary, multiclass or regression, not '{task}'."),
        };
        if (!File.Exists(path))
        {
            throw new FormatException($"{path}: file not found.");
        }

        // Every cell as text, one variable-length vector per line; the header is the first row.
        var rawOptions = new TextLoader.Options
        {
            HasHeader = false, Separators = [','], AllowQuoting = true, TrimWhitespace = true,
            Columns = [new TextLoader.Column("Cells", DataKind.String, [new TextLoader.Range(0, null) { VariableEnd = true }])],
        };
        if (!File.ReadLines(path).Any(line => line.Trim().Length > 0))
        {
            throw new FormatException($"{path}: empty file; a header line and at least one data line are needed.");
        }
        IDataView raw;
        try
        {
            raw = mlContext.Data.TakeRows(mlContext.Data.LoadFromTextFile(path, rawOptions), sampleRows + 1L);
        }
        catch (ArgumentOutOfRangeException e) when (e.ParamName == "Source")
        {
            // TextLoader looks at the first lines when it is created and refuses lines of different lengths there.
            throw new FormatException($"{path}: {RaggedLine(path) ?? "lines with different numbers of values"} ({e.Message.Split(" (")[0]}).");
        }
        string[]? header = null;
        var cells = new List<string[]>();
        using (DataViewRowCursor cursor = raw.GetRowCursor(raw.Schema))
        {
            ValueGetter<VBuffer<ReadOnlyMemory<char>>> getter = cursor.GetGetter<VBuffer<ReadOnlyMemory<char>>>(raw.Schema["Cells"]);
            var buffer = default(VBuffer<ReadOnlyMemory<char>>);
            while (cursor.MoveNext())
            {
                getter(ref buffer);
                string[] row = buffer.DenseValues().Select(c => c.ToString()).ToArray();
                if (header is null)
                {
                    header = row;
                }
                else if (row.Length != header.Length)
                {
                    // Line numbers count the header as line 1 (TextLoader skips empty lines; a quoted cell cannot span lines).
                    throw new FormatException($"{path}, line {cells.Count + 2}: {row.Length} values, the header has {header.Length}.");
                }
                else
                {
                    cells.Add(row);
                }
            }
        }
        if (header is null || cells.Count == 0)
        {
            throw new FormatException($"{path}: {(header is null ? "empty file" : "no data rows")}; a header line and at least one data line are needed.");
        }
        int labelIndex = Array.IndexOf(header, label);
        if (labelIndex < 0)
        {
            throw new FormatException($"{path}: no column named '{label}' in the header ({string.Join(", ", header)}).");
        }

        // The label: its distinct non-empty values decide the task (rows with an empty label are not trained on).
        string[] labels = cells.Select(r => r[labelIndex]).Where(v => v.Length > 0).ToArray();
        string[] distinct = labels.Distinct(StringComparer.Ordinal).ToArray();
        bool numericLabel = labels.Length > 0 && labels.All(IsNumber);
        TaskKind kind = requested ?? (distinct.Length == 2 ? TaskKind.Binary
            : numericLabel && distinct.Length > MaxClassesOfNumericLabel ? TaskKind.Regression : TaskKind.Multiclass);
        string[] classes = [];
        if (kind == TaskKind.Regression)
        {
            int bad = cells.FindIndex(r => r[labelIndex].Length > 0 && !IsNumber(r[labelIndex]));
            if (bad >= 0)
            {
                throw new FormatException($"{path}, line {bad + 2}, column '{label}': '{cells[bad][labelIndex]}' is not a number (regression needs numeric labels).");
            }
        }
        else
        {
            if (distinct.Length < 2)
            {
                throw new FormatException($"{path}, column '{label}': {(distinct.Length == 0 ? "no labels" : $"only one class ('{distinct[0]}')")}; a classifier needs at least two.");
            }
            if (kind == TaskKind.Binary && distinct.Length != 2)
            {
                throw new FormatException($"{path}, column '{label}': {distinct.Length} classes, binary needs exactly 2 (--task multiclass?).");
            }
            classes = distinct.Order(StringComparer.Ordinal).ToArray();
            if (kind == TaskKind.Binary && (classes.All(IsNumber)
                ? Number(classes[0]) > Number(classes[1])
                : NegativeNames.Contains(classes[1], StringComparer.OrdinalIgnoreCase) && !NegativeNames.Contains(classes[0], StringComparer.OrdinalIgnoreCase)))
            {
                classes = [classes[1], classes[0]];
            }
        }

        // The features: numeric when every non-empty sampled cell parses as a number.
        var columns = new List<CsvColumn>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (int c = 0; c < header.Length; c++)
        {
            if (c == labelIndex)
            {
                continue;
            }
            string[] values = cells.Select(r => r[c]).ToArray();
            int empty = values.Count(v => v.Length == 0);
            int distinctValues = values.Where(v => v.Length > 0).Distinct(StringComparer.Ordinal).Count();
            bool numeric = values.All(v => v.Length == 0 || IsNumber(v)) && empty < values.Length;
            ColumnKind columnKind = numeric
                ? (empty > 0 ? ColumnKind.NumericWithMissing : ColumnKind.Numeric)
                : distinctValues <= MaxOneHotValues ? ColumnKind.OneHot : ColumnKind.Hashed;
            columns.Add(new CsvColumn(header[c], UniqueName(header[c], c, names), c, columnKind, distinctValues, empty));
        }
        if (columns.Count == 0)
        {
            throw new FormatException($"{path}: no feature columns besides '{label}'.");
        }
        return new CsvSchema(path, header, labelIndex, kind, classes, columns, cells.Count);

        // A data view column name: the header's, unless empty, taken, or one of the pipeline's own columns.
        static string UniqueName(string header, int index, HashSet<string> taken)
        {
            string name = header.Length == 0 ? $"Column{index}" : header;
            if (ReservedNames.Contains(name) || name.EndsWith("_missing", StringComparison.Ordinal) || !taken.Add(name))
            {
                name = $"{name}_{index}";
                taken.Add(name);
            }
            return name;
        }
    }

    /// <summary>The <c>TextLoader</c> options for the whole file with the inferred types: numbers as Single (an empty
    /// cell is NaN), text as String, the label as <c>Label</c>.</summary>
    public TextLoader.Options LoaderOptions() => new()
    {
        HasHeader = true,
        Separators = [','],
        AllowQuoting = true,
        TrimWhitespace = true,
        MissingRealsAsNaNs = true,
        Columns = Columns.Select(c => new TextLoader.Column(c.Name, IsNumeric(c) ? DataKind.Single : DataKind.String, c.Index))
            .Append(new TextLoader.Column("Label", Task == TaskKind.Regression ? DataKind.Single : DataKind.String, LabelIndex))
            .ToArray(),
    };

    /// <summary>Loads the whole file with <see cref="LoaderOptions"/>.</summary>
    public IDataView Load(MLContext mlContext) => mlContext.Data.LoadFromTextFile(Path, LoaderOptions());

    /// <summary>
    /// The featurization, to fit on the training rows: <c>Features</c> from the columns and <c>Label</c> ready for the
    /// trainers (<see cref="Pipelines.LabelFor"/>).
    /// </summary>
    public IEstimator<ITransformer> Featurizer(MLContext mlContext)
    {
        IEstimator<ITransformer> chain = Pipelines.LabelFor(mlContext, Task, Classes);
        CsvColumn[] numeric = Columns.Where(IsNumeric).ToArray();
        CsvColumn[] missing = Columns.Where(c => c.Kind == ColumnKind.NumericWithMissing).ToArray();
        CsvColumn[] oneHot = Columns.Where(c => c.Kind == ColumnKind.OneHot).ToArray();
        CsvColumn[] hashed = Columns.Where(c => c.Kind == ColumnKind.Hashed).ToArray();
        foreach (CsvColumn c in missing)
        {
            chain = chain.Append(mlContext.Transforms.IndicateMissingValues(c.Name + "_missing", c.Name))
                .Append(mlContext.Transforms.Conversion.ConvertType(c.Name + "_missing", outputKind: DataKind.Single));
        }
        if (numeric.Length > 0)
        {
            // Every numeric column, so that an empty cell beyond the sample (or in new data) is replaced too.
            chain = chain.Append(mlContext.Transforms.ReplaceMissingValues(
                numeric.Select(c => new InputOutputColumnPair(c.Name)).ToArray(), MissingValueReplacingEstimator.ReplacementMode.Mean));
        }
        if (oneHot.Length > 0)
        {
            chain = chain.Append(mlContext.Transforms.Categorical.OneHotEncoding(oneHot.Select(c => new InputOutputColumnPair(c.Name)).ToArray()));
        }
        if (hashed.Length > 0)
        {
            chain = chain.Append(mlContext.Transforms.Categorical.OneHotHashEncoding(
                hashed.Select(c => new InputOutputColumnPair(c.Name)).ToArray(), numberOfBits: HashBits));
        }
        string[] inputs = numeric.Select(c => c.Name).Concat(missing.Select(c => c.Name + "_missing"))
            .Concat(oneHot.Concat(hashed).Select(c => c.Name)).ToArray();
        return chain.Append(mlContext.Transforms.Concatenate("Features", inputs));
    }

    /// <summary>One line per column kind, e.g. for the console: what was inferred and how it is featurized.</summary>
    public IEnumerable<string> Describe()
    {
        yield return $"Label '{Header[LabelIndex]}': {Task}" + Task switch
        {
            TaskKind.Binary => $", classes {Classes[0]} (false) and {Classes[1]} (true)",
            TaskKind.Multiclass => $", {Classes.Count} classes ({string.Join(", ", Classes.Take(10))}{(Classes.Count > 10 ? ", ..." : "")})",
            _ => "",
        } + $"; column types from the header and {SampledRows:N0} rows.";
        foreach (IGrouping<ColumnKind, CsvColumn> group in Columns.GroupBy(c => c.Kind).OrderBy(g => g.Key))
        {
            string what = group.Key switch
            {
                ColumnKind.Numeric => "numeric",
                ColumnKind.NumericWithMissing => "numeric with empty cells (IndicateMissingValues + ReplaceMissingValues, mean)",
                ColumnKind.OneHot => "categorical (OneHotEncoding)",
                _ => $"categorical with more than {MaxOneHotValues} values (OneHotHashEncoding, {1 << HashBits} slots)",
            };
            string list = string.Join(", ", group.Take(12).Select(c => group.Key switch
            {
                ColumnKind.NumericWithMissing => $"{c.Header} ({c.EmptyCells} empty)",
                ColumnKind.OneHot or ColumnKind.Hashed => $"{c.Header} ({c.DistinctValues} values)",
                _ => c.Header,
            })) + (group.Count() > 12 ? ", ..." : "");
            yield return $"{group.Count()} {what}: {list}";
        }
    }

    /// <summary>For the error message only: the first line whose count of commas outside quotes differs from the header's.</summary>
    private static string? RaggedLine(string path)
    {
        int? expected = null;
        int number = 0;
        foreach (string line in File.ReadLines(path))
        {
            number++;
            if (line.Trim().Length == 0)
            {
                continue;
            }
            int values = 1;
            bool quoted = false;
            foreach (char ch in line)
            {
                quoted ^= ch == '"';
                values += ch == ',' && !quoted ? 1 : 0;
            }
            expected ??= values;
            if (values != expected)
            {
                return $"line {number}: {values} values, the header has {expected}";
            }
        }
        return null;
    }

    private static bool IsNumeric(CsvColumn c) => c.Kind is ColumnKind.Numeric or ColumnKind.NumericWithMissing;

    private static bool IsNumber(string text) => float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out _);

    private static double Number(string text) => double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
}
