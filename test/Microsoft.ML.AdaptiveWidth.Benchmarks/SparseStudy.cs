using System.Diagnostics;
using System.Globalization;
using Microsoft.ML.AdaptiveWidth.Inference;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.AdaptiveWidth;

namespace Microsoft.ML.AdaptiveWidth.Benchmarks;

/// <summary>
/// Issue 17's synthetic sparse checks (docs/text.md): a 500,000-feature sparse binary task trained with the default
/// options (peak memory, time, widths, accuracy against SDCA), then the single-row managed scoring time of a sparse row
/// at two vocabulary sizes and two non-zero counts (it should follow the non-zeros, not the vocabulary), next to dense
/// scoring of the same rows.
/// </summary>
internal static class SparseStudy
{
    private sealed class Row
    {
        public bool Label { get; set; }

        public VBuffer<float> Features { get; set; }
    }

    public static int Run(string[] args)
    {
        bool quick = args.Contains("--quick");
        // Options: --quick, --rows N, --epochs N, --products, --scoring-only, --training-only, --streaming [--buffer N],
        // --generated, --no-sdca (see Train).
        int features = quick ? 20_000 : 500_000;
        int rows = Option(args, "--rows", quick ? 2_000 : 20_000);
        int epochs = Option(args, "--epochs", quick ? 3 : 10);
        int nonZeros = 100;
        Console.WriteLine($"Machine: {MachineInfo.Describe()}; {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC");
        Console.WriteLine($"Command: dotnet run --project test/Microsoft.ML.AdaptiveWidth.Benchmarks -c Release -- {string.Join(' ', args)}");
        Console.WriteLine();

        if (args.Contains("--products"))
        {
            return CompareProducts(features, quick ? 2_000 : 10_000, quick ? 2 : 8);
        }

        int width = 16;
        int[] rest = [205];
        if (!args.Contains("--scoring-only"))
        {
            (width, rest) = Train(args, features, rows, epochs, nonZeros);
            if (args.Contains("--training-only"))
            {
                return 0;
            }
        }

        // Scoring: random models of the trained model's layer shapes at two vocabulary sizes.
        var random = new Random(2);
        Console.WriteLine($"## Single-row scoring time (managed, µs, median of {(quick ? 2_000 : 20_000):N0} rows after 1 s of warm-up; dense: median of 200)");
        Console.WriteLine();
        Console.WriteLine("| vocabulary | first layer | non-zeros | ScoreSparse | Score (dense) |");
        Console.WriteLine("|---|---|---|---|---|");
        foreach (int vocabulary in new[] { 50_000, 500_000 })
        {
            AdaptiveWidthModel scorer = RandomModel(vocabulary, width, rest, random);
            foreach (int nnz in new[] { 50, 500 })
            {
                (double sparse, double dense) = Time(scorer, vocabulary, nnz, random, quick ? 2_000 : 20_000);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {vocabulary:N0} | {vocabulary:N0} × {width} | {nnz} | {sparse:F2} | {dense:F0} |"));
            }
        }
        return 0;
    }

    /// <summary>Training rows drawn again on every enumeration (one cursor pass): the IDataView itself holds no row.</summary>
    private sealed class GeneratedRows(int rows, int seed, Func<Random, Row> draw) : IEnumerable<Row>
    {
        public IEnumerator<Row> GetEnumerator()
        {
            var random = new Random(seed);
            for (int r = 0; r < rows; r++)
            {
                yield return draw(random);
            }
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }

    private static (int Width, int[] Later) Train(string[] args, int features, int rows, int epochs, int nonZeros)
    {
        // Training: a hidden sparse linear rule over the vocabulary (Zipf-like word frequencies), L2-normalised rows.
        // --streaming: DataMode = Streaming (--buffer N shuffle-buffer rows); --generated: the training rows are drawn on
        // each pass instead of held by the IDataView, so the process holds only what the trainer holds; --no-sdca.
        bool streaming = args.Contains("--streaming");
        bool generated = args.Contains("--generated");
        var ml = new MLContext(seed: 1);
        var schema = SchemaDefinition.Create(typeof(Row));
        schema[nameof(Row.Features)].ColumnType = new VectorDataViewType(NumberDataViewType.Single, features);
        var random = new Random(1);
        double[] truth = Enumerable.Range(0, features).Select(_ => random.NextDouble() < 0.05 ? random.NextDouble() * 2 - 1 : 0).ToArray();
        List<Row> Make(int n) => Enumerable.Range(0, n).Select(_ => Draw(random, features, nonZeros, truth)).ToList();
        IDataView train = generated
            ? ml.Data.LoadFromEnumerable(new GeneratedRows(rows, 11, r => Draw(r, features, nonZeros, truth)), schema)
            : ml.Data.LoadFromEnumerable(Make(rows), schema);
        IDataView test = ml.Data.LoadFromEnumerable(Make(rows / 5), schema);
        var options = new AdaptiveWidthBinaryTrainer.Options { Seed = 1, MaxEpoch = epochs };
        if (streaming)
        {
            options.DataMode = TrainingDataMode.Streaming;
            options.ShuffleBufferRows = Option(args, "--buffer", options.ShuffleBufferRows);
        }
        GC.Collect();
        long before = Process.GetCurrentProcess().WorkingSet64;
        var clock = Stopwatch.StartNew();
        var model = ml.BinaryClassification.Trainers.AdaptiveWidth(options).Fit(train);
        double seconds = clock.Elapsed.TotalSeconds;
        long peak = Process.GetCurrentProcess().PeakWorkingSet64;
        double accuracy = ml.BinaryClassification.Evaluate(model.Transform(test)).Accuracy;
        double sdca = double.NaN, sdcaSeconds = double.NaN;
        if (!args.Contains("--no-sdca"))
        {
            clock.Restart();
            var sdcaModel = ml.BinaryClassification.Trainers.SdcaLogisticRegression().Fit(train);
            sdcaSeconds = clock.Elapsed.TotalSeconds;
            sdca = ml.BinaryClassification.Evaluate(sdcaModel.Transform(test)).Accuracy;
        }
        AdaptiveWidthModel network = model.Model.SubModel.Network;
        Console.WriteLine($"## Training on {features:N0} sparse features");
        Console.WriteLine();
        Console.WriteLine($"{rows:N0} training rows of {nonZeros} non-zeros (a hidden sparse linear rule, {rows / 5:N0} test rows), default options but MaxEpoch {epochs}" +
            (streaming ? $", DataMode Streaming with ShuffleBufferRows {options.ShuffleBufferRows:N0}" : ", DataMode Auto (in memory)") +
            (generated ? "; training rows generated on each pass" : "; training rows held by the IDataView") + ":");
        Console.WriteLine();
        Console.WriteLine("| trainer | accuracy | train s | widths | process peak working set |");
        Console.WriteLine("|---|---|---|---|---|");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| AdaptiveWidth | {accuracy:P1} | {seconds:F1} | {string.Join("-", network.LayerWidths)} | {peak / 1048576.0:F0} MB (working set before training {before / 1048576.0:F0} MB) |"));
        if (!double.IsNaN(sdca))
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| SDCA (logistic) | {sdca:P1} | {sdcaSeconds:F1} | | |"));
        }
        Console.WriteLine();
        return (network.LayerWidths[0], network.LayerWidths.Skip(1).ToArray());
    }

    /// <summary>Epoch time of the sparse first layer's two products (<see cref="SparseProduct"/>) on the same sparse rows.</summary>
    private static int CompareProducts(int features, int rows, int epochs)
    {
        var random = new Random(3);
        var starts = new List<long> { 0 };
        var indices = new List<int>();
        var labels = new float[rows];
        for (int r = 0; r < rows; r++)
        {
            int[] idx = Enumerable.Range(0, 150).Select(_ => (int)Math.Min(features - 1, Math.Exp(random.NextDouble() * Math.Log(features)))).Distinct().Order().ToArray();
            indices.AddRange(idx);
            starts.Add(indices.Count);
            labels[r] = idx.Count(i => i % 2 == 0) > idx.Length / 2 ? 1 : 0;
        }
        float[] values = indices.Select(_ => 0.1f).ToArray();
        var data = new Training.TrainingData(new Training.SparseRows(features, starts.ToArray(), indices.ToArray(), values), labels);
        var settings = new Training.TrainingSettings { MaxEpoch = epochs, Seed = 1 };
        Console.WriteLine($"## Sparse first layer: product per mini-batch ({rows:N0} rows, about {indices.Count / rows} non-zeros each, {features:N0} features, batch 128, {epochs} epochs)");
        Console.WriteLine();
        Console.WriteLine("| product | median s per epoch | widths |");
        Console.WriteLine("|---|---|---|");
        foreach (Training.SparseProduct product in Enumerable.Repeat(new[] { Training.SparseProduct.SparseMatmul, Training.SparseProduct.GatherScatter }, 3).SelectMany(p => p))
        {
            Training.SparseInputLayer.Product = product;
            Training.TrainingResult result = Training.AdaptiveWidthNetworkTrainer.Train(Training.NetworkTask.BinaryClassification, 2, data, null, settings);
            double[] seconds = result.History.Skip(1).Select(e => e.Elapsed.TotalSeconds).Order().ToArray();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {product} | {seconds[seconds.Length / 2]:F2} | {string.Join("-", result.Model.LayerWidths)} |"));
        }
        Training.SparseInputLayer.Product = Training.SparseProduct.SparseMatmul;
        return 0;
    }

    private static int Option(string[] args, string name, int fallback)
    {
        int at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? int.Parse(args[at + 1], CultureInfo.InvariantCulture) : fallback;
    }

    private static Row Draw(Random random, int features, int nonZeros, double[] truth)
    {
        var indices = new SortedSet<int>();
        while (indices.Count < nonZeros)
        {
            // Zipf-like: small indices are frequent words.
            indices.Add((int)Math.Min(features - 1, Math.Exp(random.NextDouble() * Math.Log(features))));
        }
        int[] idx = indices.ToArray();
        float value = 1 / MathF.Sqrt(idx.Length);
        double score = idx.Sum(i => truth[i]);
        return new Row { Label = score > 0, Features = new VBuffer<float>(features, idx.Length, Enumerable.Repeat(value, idx.Length).ToArray(), idx) };
    }

    private static AdaptiveWidthModel RandomModel(int inputs, int width, int[] rest, Random random)
    {
        var layers = new List<DenseLayer>();
        var importance = new List<float[]>();
        int fanIn = inputs;
        foreach (int w in rest.Prepend(width))
        {
            float[] weights = Enumerable.Range(0, checked(fanIn * w)).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();
            layers.Add(new DenseLayer(fanIn, w, weights, new float[w], ActivationKind.ReLU6));
            importance.Add(Enumerable.Repeat(1f / w, w).ToArray());
            fanIn = w;
        }
        layers.Add(new DenseLayer(fanIn, 1, Enumerable.Repeat(0.1f, fanIn).ToArray(), new float[1], ActivationKind.Identity));
        return new AdaptiveWidthModel(layers, importance);
    }

    private static (double Sparse, double Dense) Time(AdaptiveWidthModel model, int vocabulary, int nnz, Random random, int count)
    {
        var output = new float[1];
        var dense = new float[vocabulary];
        var rows = Enumerable.Range(0, 64).Select(_ =>
        {
            int[] idx = Enumerable.Range(0, nnz * 2).Select(_ => random.Next(vocabulary)).Distinct().Take(nnz).Order().ToArray();
            return (idx, Enumerable.Repeat(0.05f, idx.Length).ToArray());
        }).ToArray();
        // Builds the transposed first layer, and lets tiered compilation reach its optimised code before timing.
        // Tiered compilation promotes hot methods after a delay, so warm up for a time, not a count.
        var warmUp = Stopwatch.StartNew();
        for (int i = 0; warmUp.ElapsedMilliseconds < 1_000; i++)
        {
            model.ScoreSparse(rows[i % rows.Length].idx, rows[i % rows.Length].Item2, output);
        }
        var sparseTimes = new List<double>();
        for (int i = 0; i < count; i++)
        {
            var (idx, val) = rows[i % rows.Length];
            long start = Stopwatch.GetTimestamp();
            model.ScoreSparse(idx, val, output);
            sparseTimes.Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds);
        }
        var denseTimes = new List<double>();
        for (int i = 0; i < Math.Min(count, 200); i++)
        {
            var (idx, val) = rows[i % rows.Length];
            Array.Clear(dense);
            for (int k = 0; k < idx.Length; k++)
            {
                dense[idx[k]] = val[k];
            }
            long start = Stopwatch.GetTimestamp();
            model.Score(dense, output);
            denseTimes.Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds);
        }
        return (Median(sparseTimes), Median(denseTimes));
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        return values[values.Count / 2];
    }
}
