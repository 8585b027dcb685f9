using Microsoft.ML.AdaptiveWidth.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.AdaptiveWidth.Tests.Training;

/// <summary>
/// Streaming sparse rows (issue 17): every row once per pass, rebuilt exactly from the batch's tensors, through a shuffle
/// buffer that never holds more than its rows (as non-zeros), with the same order for the same seed.
/// </summary>
[TestClass]
public sealed class SparseStreamingBatchSourceTest
{
    private const int Features = 20_000;

    /// <summary>Rows of 1 to 60 non-zeros; the label is the row's number, so a test can tell the rows apart.</summary>
    private sealed class ListSource(int rows, int seed) : ISparseRowSource
    {
        public readonly List<(int[] Indices, float[] Values)> Rows = Enumerable.Range(0, rows).Select(r =>
        {
            var random = new Random(seed * 100_003 + r);
            int[] idx = Enumerable.Range(0, 1 + random.Next(60)).Select(_ => random.Next(Features)).Distinct().Order().ToArray();
            return (idx, idx.Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray());
        }).ToList();

        public int Passes { get; private set; }

        public int FeatureCount => Features;

        public ISparseRowReader OpenReader()
        {
            Passes++;
            return new Reader(this);
        }

        private sealed class Reader(ListSource owner) : ISparseRowReader
        {
            private int _next;

            public bool ReadRow(List<int> indices, List<float> values, out float label, out float weight)
            {
                weight = 1;
                label = _next;
                if (_next == owner.Rows.Count)
                {
                    return false;
                }
                indices.AddRange(owner.Rows[_next].Indices);
                values.AddRange(owner.Rows[_next].Values);
                _next++;
                return true;
            }

            public void Dispose()
            {
            }
        }
    }

    /// <summary>One shuffled pass: the rows in the order delivered, each rebuilt from its batch's tensors.</summary>
    private static List<(int Row, int[] Indices, float[] Values)> Pass(SparseStreamingBatchSource source, int batchSize, ulong seed)
    {
        var delivered = new List<(int, int[], float[])>();
        using var generator = new Generator(seed);
        using var scope = NewDisposeScope();
        using BatchPass pass = source.StartPass(batchSize, generator);
        while (pass.MoveNext())
        {
            Batch batch = pass.Current();
            Assert.IsNull(batch.Features);
            long[] coordinates = batch.Sparse!.Coordinates.data<long>().ToArray();
            float[] values = batch.Sparse.Values.data<float>().ToArray();
            long[] features = batch.Sparse.Features.data<long>().ToArray();
            float[] labels = batch.Labels.data<float>().ToArray();
            Assert.HasCount(batch.Length, labels);
            Assert.AreEqual(features.Length, features.Distinct().Count(), "the batch's features are distinct");
            for (int r = 0; r < batch.Length; r++)
            {
                var idx = new List<int>();
                var val = new List<float>();
                for (int k = 0; k < values.Length; k++)
                {
                    if (coordinates[k] == r)
                    {
                        idx.Add((int)features[coordinates[values.Length + k]]);
                        val.Add(values[k]);
                    }
                }
                delivered.Add(((int)labels[r], idx.ToArray(), val.ToArray()));
            }
        }
        return delivered;
    }

    [TestMethod]
    public void SparseStreamingBatchSource_StartPass_DeliversEveryRowOnceThroughABoundedBuffer()
    {
        TorchRuntime.Initialize(1);
        var rows = new ListSource(1000, seed: 1);
        SparseStreamingData data = SparseStreamingData.Scan(rows);
        Assert.AreEqual(1000, data.RowCount);
        Assert.AreEqual(rows.Rows.Sum(r => (long)r.Indices.Length), data.NonZeroCount);
        using var source = new SparseStreamingBatchSource(data, NetworkTask.Regression, 0, 1, bufferRows: 50);

        List<(int Row, int[] Indices, float[] Values)> first = Pass(source, batchSize: 32, seed: 7);

        Assert.HasCount(1000, first);
        CollectionAssert.AreEquivalent(Enumerable.Range(0, 1000).ToArray(), first.Select(d => d.Row).ToArray(), "every row exactly once");
        foreach ((int row, int[] indices, float[] values) in first)
        {
            CollectionAssert.AreEqual(rows.Rows[row].Indices, indices, $"row {row}'s features");
            CollectionAssert.AreEqual(rows.Rows[row].Values, values, $"row {row}'s values");
        }
        Assert.IsFalse(first.Select(d => d.Row).SequenceEqual(Enumerable.Range(0, 1000)), "shuffled");
        // The buffer is the only place rows wait: at most 50 of them, as their non-zeros (60 at most each), far below the
        // 30,000 or so of the data.
        Assert.AreEqual(50, source.PeakHeldRows);
        Assert.IsLessThanOrEqualTo(50L * 60, source.PeakHeldNonZeros);
        Assert.IsLessThanOrEqualTo(50L * 60, source.PeakAllocatedNonZeros);
        Assert.IsLessThan(data.NonZeroCount / 5, source.PeakAllocatedNonZeros);
        // A buffer of 50 moves a row at most about 50 places earlier.
        Assert.IsTrue(first.Select((d, position) => d.Row - position).All(shift => shift <= 50 + 32), "a local shuffle");

        List<(int Row, int[] Indices, float[] Values)> again = Pass(source, batchSize: 32, seed: 7);
        List<(int Row, int[] Indices, float[] Values)> other = Pass(source, batchSize: 32, seed: 8);
        CollectionAssert.AreEqual(first.Select(d => d.Row).ToArray(), again.Select(d => d.Row).ToArray(), "the same seed, the same order");
        CollectionAssert.AreNotEqual(first.Select(d => d.Row).ToArray(), other.Select(d => d.Row).ToArray(), "another seed, another order");
        Assert.AreEqual(4, rows.Passes, "a scan, then one read per pass");
    }

    [TestMethod]
    public void SparseStreamingBatchSource_UnshuffledPass_KeepsTheOrderAndHoldsNothing()
    {
        TorchRuntime.Initialize(1);
        var rows = new ListSource(300, seed: 2);
        using var source = new SparseStreamingBatchSource(SparseStreamingData.Scan(rows), NetworkTask.BinaryClassification, 0, 1, bufferRows: 64);
        var labels = new List<float>();
        using (var scope = NewDisposeScope())
        using (BatchPass pass = source.StartPass(100, shuffle: null))
        {
            while (pass.MoveNext())
            {
                labels.AddRange(pass.Current().Labels.data<float>().ToArray());
            }
        }

        CollectionAssert.AreEqual(Enumerable.Range(0, 300).Select(i => (float)i).ToArray(), labels.ToArray());
        Assert.AreEqual(0, source.PeakHeldRows, "validation passes read straight through");
    }

    [TestMethod]
    [DataRow(NetworkTask.MulticlassClassification)]
    [DataRow(NetworkTask.Regression)]
    public void SparseStreamingBatchSource_Current_GivesLabelsAsTheLoopWantsThem(NetworkTask task)
    {
        TorchRuntime.Initialize(1);
        var rows = new ListSource(40, seed: 4);
        using var source = new SparseStreamingBatchSource(SparseStreamingData.Scan(rows), task, targetMean: 5, targetScale: 2, bufferRows: 8);
        var labels = new List<double>();
        using (var scope = NewDisposeScope())
        using (BatchPass pass = source.StartPass(16, shuffle: null))
        {
            while (pass.MoveNext())
            {
                Tensor y = pass.Current().Labels;
                Assert.AreEqual(task == NetworkTask.MulticlassClassification ? ScalarType.Int64 : ScalarType.Float32, y.dtype);
                labels.AddRange(task == NetworkTask.MulticlassClassification ? y.data<long>().ToArray().Select(v => (double)v) : y.data<float>().ToArray().Select(v => (double)v));
            }
        }

        // Classes as int64; regression targets standardised, (y − mean) / scale.
        double[] expected = Enumerable.Range(0, 40).Select(i => task == NetworkTask.Regression ? (i - 5) / 2.0 : i).ToArray();
        CollectionAssert.AreEqual(expected, labels.ToArray());
    }

    [TestMethod]
    public void SparseStreamingData_Scan_NamesTheBadRow()
    {
        var rows = new ListSource(20, seed: 3);
        rows.Rows[7] = ([3, Features], [1f, 1f]);

        ArgumentException e = Assert.ThrowsExactly<ArgumentException>(() => SparseStreamingData.Scan(rows));

        StringAssert.Contains(e.Message, "Row 7");
        StringAssert.Contains(e.Message, $"{Features}");
    }
}
