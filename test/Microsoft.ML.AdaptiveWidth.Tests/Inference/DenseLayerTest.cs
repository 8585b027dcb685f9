using System.Runtime.Intrinsics;
using Microsoft.ML.AdaptiveWidth.Inference;
using Microsoft.ML.AdaptiveWidth.Tests.Infrastructure;

namespace Microsoft.ML.AdaptiveWidth.Tests.Inference;

[TestClass]
public sealed class DenseLayerTest
{
    // Every SIMD width's full vectors and tails, up to two of the widest vectors and one more element.
    private static readonly int MaxSize = 2 * Vector512<float>.Count + 1;

    [TestMethod]
    public void AlignedFloats_StartOnACacheLine_HoldTheValues_AndStayThereAfterACompactingCollection()
    {
        // The scoring kernels' weights start on a 64-byte boundary whatever the allocator's placement (a 32-byte load
        // then never crosses a cache line); the buffer is pinned, so a compacting collection cannot move it off.
        var buffers = new List<(AlignedFloats Buffer, float[] Values)>();
        var random = new Random(7);
        var garbage = new List<byte[]>();
        for (int length = 0; length < 40; length++)
        {
            garbage.Add(new byte[random.Next(1, 100)]);
            float[] values = RandomModels.Values(random, length, 3f);
            buffers.Add((new AlignedFloats(values), values));
        }
        garbage.Clear();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        foreach ((AlignedFloats buffer, float[] values) in buffers)
        {
            Assert.AreEqual(values.Length, buffer.Length);
            CollectionAssert.AreEqual(values, buffer.Span.ToArray());
            Assert.AreEqual(0L, (long)buffer.Address % 64, $"a buffer of {values.Length} floats starts off a cache line");
        }
        Assert.AreEqual(0, new AlignedFloats(5).Span.ToArray().Count(v => v != 0f), "a new buffer is zero-filled");
    }

    [TestMethod]
    [DataRow(ActivationKind.ReLU6)]
    [DataRow(ActivationKind.ReLU)]
    [DataRow(ActivationKind.LeakyReLU)]
    [DataRow(ActivationKind.Identity)]
    public void DenseLayer_Forward_AllSizesBothLayouts_MatchesReference(ActivationKind activation)
    {
        var random = new Random(1234 + (int)activation);
        int transposed = 0, dotProducts = 0;
        for (int inputs = 1; inputs <= MaxSize; inputs++)
        {
            for (int outputs = 1; outputs <= MaxSize; outputs++)
            {
                var sut = RandomModels.Layer(random, inputs, outputs, activation);
                float[] x = RandomModels.Values(random, inputs, 2f);
                // A longer destination: Forward writes exactly Outputs values and leaves the rest alone.
                var destination = new float[outputs + 3];
                destination.AsSpan(outputs).Fill(-42f);

                sut.Forward(x, destination);

                var expected = ScalarReference.Forward(sut, Reference.Exact(x), inputs, outputs);
                FloatAssert.WithinBound(expected, destination.AsSpan(0, outputs), $"{activation}, {inputs}→{outputs}");
                CollectionAssert.AreEqual(new[] { -42f, -42f, -42f }, destination[outputs..]);
                _ = inputs < outputs || outputs >= Vector256<float>.Count ? transposed++ : dotProducts++;
            }
        }
        Assert.IsGreaterThan(0, transposed);
        Assert.IsGreaterThan(0, dotProducts);
    }

    [TestMethod]
    [DataRow(ActivationKind.ReLU6)]
    [DataRow(ActivationKind.Identity)]
    public void DenseLayer_Forward_WideLayers_EveryOutputBlockMatchesReference(ActivationKind activation)
    {
        // Outputs that take the 64-, 32- and 8-wide register blocks and the last, partial vector in every combination.
        var random = new Random(99 + (int)activation);
        foreach (int inputs in new[] { 1, 3, 37, 130 })
        {
            foreach (int outputs in new[] { 63, 64, 65, 96, 100, 107, 128, 131, 200 })
            {
                var sut = RandomModels.Layer(random, inputs, outputs, activation);
                float[] x = RandomModels.Values(random, inputs, 2f);
                var destination = new float[outputs];
                sut.Forward(x, destination);
                var expected = ScalarReference.Forward(sut, Reference.Exact(x), inputs, outputs);
                FloatAssert.WithinBound(expected, destination, $"{activation}, {inputs}→{outputs}");
            }
        }
    }

    [TestMethod]
    [DataRow(ActivationKind.ReLU)]
    [DataRow(ActivationKind.Identity)]
    public void DenseLayer_ForwardSparse_EveryOutputBlockAndLayout_MatchesTheDenseRow(ActivationKind activation)
    {
        // Outputs below a vector (scalar path), on and off a whole vector (the last block reads the zero padding and
        // stores only the real outputs), and every block combination; inputs up to a layer that keeps no transposed copy.
        var random = new Random(7 + (int)activation);
        foreach (int inputs in new[] { 1, 5, 40, 4_100 })
        {
            foreach (int outputs in new[] { 1, 7, 8, 9, 35, 64, 100, 203 })
            {
                var sut = RandomModels.Layer(random, inputs, outputs, activation);
                float[] dense = RandomModels.Values(random, inputs, 2f);
                var indices = new List<int>();
                for (int i = 0; i < inputs; i++)
                {
                    if (random.NextDouble() < 0.4 && inputs > 1)
                    {
                        dense[i] = 0f;
                    }
                    else
                    {
                        indices.Add(i);
                    }
                }
                // Any order of the non-zeros gives the same sum up to rounding.
                int[] order = indices.OrderBy(_ => random.Next()).ToArray();
                float[] values = order.Select(i => dense[i]).ToArray();
                var destination = new float[outputs + 2];
                destination.AsSpan(outputs).Fill(-42f);

                sut.ForwardSparse(order, values, destination);

                var expected = ScalarReference.Forward(sut, Reference.Exact(dense), inputs, outputs);
                FloatAssert.WithinBound(expected, destination.AsSpan(0, outputs), $"{activation}, {inputs}→{outputs}");
                CollectionAssert.AreEqual(new[] { -42f, -42f }, destination[outputs..], $"{inputs}→{outputs}: wrote past its outputs");
            }
        }
    }

    [TestMethod]
    public void DenseLayer_ForwardSparse_IndexOutsideTheInputs_ThrowsNamingIndices()
    {
        var sut = RandomModels.Layer(new Random(3), 10, 35, ActivationKind.ReLU);
        var y = new float[35];
        var ex = Assert.ThrowsExactly<ArgumentException>(() => sut.ForwardSparse([2, 10], [1f, 1f], y));
        Assert.AreEqual("indices", ex.ParamName);
        Assert.ThrowsExactly<ArgumentException>(() => sut.ForwardSparse([-1], [1f], y));
    }

    [TestMethod]
    [DataRow(ActivationKind.ReLU6)]
    [DataRow(ActivationKind.ReLU)]
    [DataRow(ActivationKind.LeakyReLU)]
    [DataRow(ActivationKind.Identity)]
    public void DenseLayer_Forward_NaNInput_GivesNaNInEveryOutput(ActivationKind activation)
    {
        var random = new Random(99);
        // (1, 33) and (5, 20) use the transposed multiply-add path, (33, 1) and (20, 5) the dot products.
        foreach ((int inputs, int outputs) in new[] { (1, 1), (1, MaxSize), (5, 20), (20, 5), (MaxSize, 1), (MaxSize, MaxSize) })
        {
            var sut = RandomModels.Layer(random, inputs, outputs, activation);
            for (int trial = 0; trial < 5; trial++)
            {
                float[] x = RandomModels.Values(random, inputs);
                x[random.Next(inputs)] = float.NaN;
                var y = new float[outputs];

                sut.Forward(x, y);

                for (int o = 0; o < outputs; o++)
                {
                    Assert.IsTrue(float.IsNaN(y[o]), $"{activation}, {inputs}→{outputs}: output {o} is {y[o]}, not NaN.");
                }
            }
        }
    }

    [TestMethod]
    public void DenseLayer_Forward_TooShortDestination_ThrowsNamingDestination()
    {
        foreach ((int inputs, int outputs) in new[] { (2, 5), (5, 2) })
        {
            var sut = RandomModels.Layer(new Random(1), inputs, outputs, ActivationKind.ReLU6);

            var e = Assert.ThrowsExactly<ArgumentException>(() => sut.Forward(new float[inputs], new float[outputs - 1]));

            Assert.AreEqual("destination", e.ParamName);
        }
    }

    [TestMethod]
    [DataRow(2)]
    [DataRow(4)]
    [DataRow(0)]
    public void DenseLayer_Forward_WrongLengthSource_ThrowsNamingSource(int sourceLength)
    {
        var sut = RandomModels.Layer(new Random(1), 3, 4, ActivationKind.ReLU6);

        var e = Assert.ThrowsExactly<ArgumentException>(() => sut.Forward(new float[sourceLength], new float[4]));

        Assert.AreEqual("source", e.ParamName);
    }

    [TestMethod]
    public void DenseLayer_Forward_OverlappingSourceAndDestination_ThrowsNamingDestination()
    {
        // In place is not supported: the transposed path writes the bias into the destination before it has read
        // every input, so an overlap would silently give wrong outputs.
        var sut = RandomModels.Layer(new Random(1), 3, 4, ActivationKind.ReLU6);
        var buffer = new float[6];

        var e = Assert.ThrowsExactly<ArgumentException>(() => sut.Forward(buffer.AsSpan(0, 3), buffer.AsSpan(2, 4)));

        Assert.AreEqual("destination", e.ParamName);
    }

    [TestMethod]
    [DataRow(0, 1, 0, 1, "inputs")]
    [DataRow(1, 0, 0, 0, "outputs")]
    [DataRow(-1, 1, 1, 1, "inputs")]
    [DataRow(2, 3, 5, 3, "weights")]
    [DataRow(2, 3, 7, 3, "weights")]
    [DataRow(2, 3, 6, 2, "bias")]
    [DataRow(2, 3, 6, 4, "bias")]
    public void DenseLayer_Ctor_SizeMismatch_ThrowsNamingParameter(int inputs, int outputs, int weightCount, int biasCount, string paramName)
    {
        var e = Assert.Throws<ArgumentException>(() =>
            new DenseLayer(inputs, outputs, new float[weightCount], new float[biasCount], ActivationKind.ReLU6));

        Assert.AreEqual(paramName, e.ParamName);
    }

    [TestMethod]
    public void DenseLayer_Ctor_OverflowingWeightCount_ThrowsNamingWeights()
    {
        // inputs × outputs overflows int: the check must be done in 64 bits, not wrap to a small positive count.
        var e = Assert.ThrowsExactly<ArgumentException>(() =>
            new DenseLayer(65_536, 65_537, new float[65_536], new float[65_537], ActivationKind.ReLU6));

        Assert.AreEqual("weights", e.ParamName);
    }

    [TestMethod]
    [DataRow(float.NaN)]
    [DataRow(float.PositiveInfinity)]
    [DataRow(float.NegativeInfinity)]
    public void DenseLayer_Ctor_NonFiniteWeight_ThrowsNamingWeights(float bad)
    {
        var weights = new float[6];
        weights[4] = bad;

        var e = Assert.ThrowsExactly<ArgumentException>(() => new DenseLayer(2, 3, weights, new float[3], ActivationKind.ReLU6));

        Assert.AreEqual("weights", e.ParamName);
    }

    [TestMethod]
    [DataRow(float.NaN)]
    [DataRow(float.PositiveInfinity)]
    [DataRow(float.NegativeInfinity)]
    public void DenseLayer_Ctor_NonFiniteBias_ThrowsNamingBias(float bad)
    {
        var bias = new float[3];
        bias[2] = bad;

        var e = Assert.ThrowsExactly<ArgumentException>(() => new DenseLayer(2, 3, new float[6], bias, ActivationKind.ReLU6));

        Assert.AreEqual("bias", e.ParamName);
    }

    [TestMethod]
    [DataRow(-1)]
    [DataRow(4)]
    [DataRow(int.MaxValue)]
    public void DenseLayer_Ctor_UnknownActivation_ThrowsNamingActivation(int activation)
    {
        var e = Assert.Throws<ArgumentException>(() => new DenseLayer(2, 3, new float[6], new float[3], (ActivationKind)activation));

        Assert.AreEqual("activation", e.ParamName);
    }

    [TestMethod]
    public void DenseLayer_Ctor_CopiesArrays()
    {
        float[] weights = [1, 2, 3, 4, 5, 6];
        float[] bias = [1, 2, 3];
        var sut = new DenseLayer(2, 3, weights, bias, ActivationKind.Identity);

        weights[0] = 100;
        bias[0] = 100;

        Assert.AreEqual(1f, sut.Weight(0, 0));
        Assert.AreEqual(1f, sut.Bias[0]);
    }

    [TestMethod]
    public void DenseLayer_Slice_OddSizes_MatchesReferenceOnFirstRowsAndColumns()
    {
        var random = new Random(7);
        foreach ((int inputs, int outputs) in new[] { (MaxSize, MaxSize), (3, MaxSize), (MaxSize, 3) })
        {
            var full = RandomModels.Layer(random, inputs, outputs, ActivationKind.LeakyReLU);
            for (int keepIn = 1; keepIn <= inputs; keepIn += 2)
            {
                for (int keepOut = 1; keepOut <= outputs; keepOut += 3)
                {
                    var sut = full.Slice(keepIn, keepOut);
                    float[] x = RandomModels.Values(random, keepIn);
                    var y = new float[keepOut];

                    sut.Forward(x, y);

                    FloatAssert.WithinBound(ScalarReference.Forward(full, Reference.Exact(x), keepIn, keepOut), y,
                        $"slice {keepIn}→{keepOut} of {inputs}→{outputs}");
                }
            }
        }
    }
}
