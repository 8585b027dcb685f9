using System.Buffers.Binary;
using System.Diagnostics;
using Microsoft.ML.AdaptiveWidth.Inference;
using Microsoft.ML.AdaptiveWidth.Tests.Infrastructure;
using Microsoft.ML.AdaptiveWidth.Training;

namespace Microsoft.ML.AdaptiveWidth.Tests.Inference;

[TestClass]
public sealed class AdaptiveWidthModelFormatTest
{
    private const uint Identity = (uint)ActivationKind.Identity;
    private const uint ReLU6 = (uint)ActivationKind.ReLU6;

    // Generous: a hostile header must be rejected before anything proportional to its counts is allocated; reading
    // the 12-byte header, a 64 KiB first chunk and building the exception stay far below this.
    private const long SmallAllocationBytes = 1 << 20;

    [TestMethod]
    [DataRow(new int[0], ActivationKind.ReLU6)]
    [DataRow(new[] { 17 }, ActivationKind.ReLU6)]
    [DataRow(new[] { 33, 5 }, ActivationKind.LeakyReLU)]
    [DataRow(new[] { 9, 16, 3 }, ActivationKind.ReLU)]
    public void AdaptiveWidthModelFormat_WriteRead_RoundTrip_GivesIdenticalModelAndBitIdenticalScores(int[] widths, ActivationKind activation)
    {
        var random = new Random(widths.Length);
        var model = RandomModels.Model(random, inputs: 6, widths, outputs: 3, activation);
        byte[] bytes = Save(model);

        foreach (Stream stream in new Stream[] { new MemoryStream(bytes), new NonSeekableStream(bytes) })
        {
            var sut = AdaptiveWidthModelFormat.Read(stream);

            Assert.HasCount(model.Layers.Count, sut.Layers);
            for (int l = 0; l < model.Layers.Count; l++)
            {
                Assert.AreEqual(model.Layers[l].Activation, sut.Layers[l].Activation);
                FloatAssert.BitIdentical(model.Layers[l].Weights, sut.Layers[l].Weights, $"layer {l} weights");
                FloatAssert.BitIdentical(model.Layers[l].Bias, sut.Layers[l].Bias, $"layer {l} bias");
            }
            for (int l = 0; l < model.HiddenLayerCount; l++)
            {
                FloatAssert.BitIdentical(model.Importance(l), sut.Importance(l), $"importance {l}");
            }
            for (int row = 0; row < 10; row++)
            {
                float[] features = RandomModels.Values(random, model.InputCount, 2f);
                FloatAssert.BitIdentical(RandomModels.Score(model, features), RandomModels.Score(sut, features), $"row {row}");
            }
        }
    }

    [TestMethod]
    public void AdaptiveWidthModelFormat_Write_Layout_HasMagicVersionBodyLengthAndDocumentedSize()
    {
        var model = RandomModels.Model(new Random(1), inputs: 3, [5, 4], outputs: 2);

        byte[] sut = Save(model);

        // header 12, layer count 4, per layer 12 + 4·(weights + biases), importance 4·(5 + 4), CRC 4.
        int expectedLength = 12 + 4 + (12 + 4 * (15 + 5)) + (12 + 4 * (20 + 4)) + (12 + 4 * (8 + 2)) + 4 * (5 + 4) + 4;
        Assert.HasCount(expectedLength, sut);
        CollectionAssert.AreEqual("AWNM"u8.ToArray(), sut[..4]);
        Assert.AreEqual(1, BinaryPrimitives.ReadInt32LittleEndian(sut.AsSpan(4)));
        Assert.AreEqual(expectedLength - 12, BinaryPrimitives.ReadInt32LittleEndian(sut.AsSpan(8)));
        Assert.AreEqual(Crc32.Append(0, sut.AsSpan(0, sut.Length - 4)), BinaryPrimitives.ReadUInt32LittleEndian(sut.AsSpan(sut.Length - 4)));
    }

    [TestMethod]
    public void AdaptiveWidthModelFormat_Read_TwoModelsInOneStream_ReadsEachAndStopsRightAfterIt()
    {
        var random = new Random(2);
        var first = RandomModels.Model(random, inputs: 3, [5], outputs: 1);
        var second = RandomModels.Model(random, inputs: 2, [7, 3], outputs: 2);
        using var stream = new MemoryStream();
        AdaptiveWidthModelFormat.Write(first, stream);
        AdaptiveWidthModelFormat.Write(second, stream);
        stream.WriteByte(0x5A);
        stream.Position = 0;

        var a = AdaptiveWidthModelFormat.Read(stream);
        var b = AdaptiveWidthModelFormat.Read(stream);

        CollectionAssert.AreEqual(first.LayerWidths.ToArray(), a.LayerWidths.ToArray());
        CollectionAssert.AreEqual(second.LayerWidths.ToArray(), b.LayerWidths.ToArray());
        Assert.AreEqual(0x5A, stream.ReadByte());
    }

    [TestMethod]
    public void AdaptiveWidthModelFormat_Read_TruncatedAtEveryLength_ThrowsInvalidData()
    {
        byte[] bytes = Save(RandomModels.Model(new Random(3), inputs: 3, [5, 4], outputs: 2));

        for (int length = 0; length < bytes.Length; length++)
        {
            byte[] prefix = bytes[..length];
            Assert.ThrowsExactly<InvalidDataException>(() => AdaptiveWidthModelFormat.Read(new MemoryStream(prefix)), $"length {length}");
            Assert.ThrowsExactly<InvalidDataException>(() => AdaptiveWidthModelFormat.Read(new NonSeekableStream(prefix)), $"length {length}, non-seekable");
        }
    }

    [TestMethod]
    public void AdaptiveWidthModelFormat_Read_RandomByteFlips_ThrowInvalidDataOrGiveIdenticalScores()
    {
        var random = new Random(20_240_601);
        var model = RandomModels.Model(random, inputs: 3, [6, 4], outputs: 2);
        byte[] bytes = Save(model);
        float[][] rows = Enumerable.Range(0, 5).Select(_ => RandomModels.Values(random, model.InputCount)).ToArray();
        var stopwatch = Stopwatch.StartNew();
        int rejected = 0;

        for (int mutation = 0; mutation < 1000; mutation++)
        {
            byte[] mutated = (byte[])bytes.Clone();
            int flips = 1 + random.Next(4);
            for (int f = 0; f < flips; f++)
            {
                mutated[random.Next(mutated.Length)] ^= (byte)(1 + random.Next(255));
            }

            AdaptiveWidthModel read;
            try
            {
                read = AdaptiveWidthModelFormat.Read(new MemoryStream(mutated));
            }
            catch (Exception e)
            {
                Assert.IsInstanceOfType<InvalidDataException>(e, $"mutation {mutation}: {e}");
                Assert.IsFalse(string.IsNullOrWhiteSpace(e.Message));
                rejected++;
                continue;
            }
            // Only possible if the flips cancelled out (the same byte hit twice) or the CRC collided.
            foreach (float[] row in rows)
            {
                FloatAssert.BitIdentical(RandomModels.Score(model, row), RandomModels.Score(read, row), $"mutation {mutation}");
            }
        }

        Assert.IsGreaterThan(990, rejected);
        Assert.IsLessThan(TimeSpan.FromSeconds(10), stopwatch.Elapsed);
    }

    [TestMethod]
    [DataRow("a layer of 2^31 units", "layer 0 output count is 2147483648")]
    [DataRow("a layer of 2^31 − 1 units", "layer 0 output count")]
    [DataRow("2^31 inputs", "layer 0 input count is 2147483648")]
    [DataRow("2^32 − 1 layers", "layer count is 4294967295")]
    [DataRow("65 layers", "layer count is 65")]
    [DataRow("no layers", "layer count is 0")]
    [DataRow("a layer wider than 65,536", "layer 0 output count is 65537")]
    [DataRow("more than 10,000,000 inputs", "layer 0 input count is 10000001")]
    [DataRow("a layer above 2^28 weights", "above the limit of 268435456")]
    [DataRow("weights beyond the remaining bytes", "layer 0 weights needs 4000000 bytes")]
    [DataRow("importance beyond the remaining bytes", "layer 0 importance needs 4000 bytes")]
    public void AdaptiveWidthModelFormat_Read_HostileCountWithValidCrc_ThrowsInvalidDataQuicklyWithoutLargeAllocation(string scenario, string expected)
    {
        uint[] body = scenario switch
        {
            "a layer of 2^31 units" => [1, 1, 0x8000_0000, Identity],
            "a layer of 2^31 − 1 units" => [1, 1, int.MaxValue, Identity],
            "2^31 inputs" => [1, 0x8000_0000, 1, Identity],
            "2^32 − 1 layers" => [uint.MaxValue, 1, 1, Identity],
            "65 layers" => [65, 1, 1, Identity],
            "no layers" => [0, 1, 1, Identity],
            "a layer wider than 65,536" => [1, 1, 65_537, Identity],
            "more than 10,000,000 inputs" => [1, 10_000_001, 1, Identity],
            "a layer above 2^28 weights" => [1, 10_000_000, 27, Identity],
            "weights beyond the remaining bytes" => [1, 1000, 1000, Identity, 0],
            // Both layers complete (1 → 1000 → 1), then nothing where 1000 importance entries belong.
            "importance beyond the remaining bytes" => [2, 1, 1000, ReLU6, .. new uint[2000], 1000, 1, Identity, .. new uint[1001]],
            _ => throw new ArgumentOutOfRangeException(nameof(scenario)),
        };
        // Two zero words of padding keep the body above the minimum length, so the count itself is what is rejected.
        byte[] bytes = Craft([.. body, 0, 0]);
        var stopwatch = Stopwatch.StartNew();
        long before = GC.GetAllocatedBytesForCurrentThread();

        var e = Assert.ThrowsExactly<InvalidDataException>(() => AdaptiveWidthModelFormat.Read(new MemoryStream(bytes)), scenario);

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        StringAssert.Contains(e.Message, expected, scenario);
        Assert.IsLessThan(SmallAllocationBytes, allocated, $"{scenario}: allocated {allocated} bytes ({e.Message})");
        Assert.IsLessThan(TimeSpan.FromSeconds(1), stopwatch.Elapsed, scenario);
    }

    [TestMethod]
    [DataRow(true)]
    [DataRow(false)]
    public void AdaptiveWidthModelFormat_Read_BodyLengthBeyondStream_ThrowsInvalidDataWithoutLargeAllocation(bool seekable)
    {
        byte[] bytes = Craft([1, 1, 1, Identity, 0, 0], bodyLength: (1u << 30) - 12);
        long before = GC.GetAllocatedBytesForCurrentThread();

        var e = Assert.ThrowsExactly<InvalidDataException>(() =>
            AdaptiveWidthModelFormat.Read(seekable ? new MemoryStream(bytes) : new NonSeekableStream(bytes)));

        Assert.IsLessThan(SmallAllocationBytes, GC.GetAllocatedBytesForCurrentThread() - before);
        StringAssert.Contains(e.Message, "truncated");
    }

    [TestMethod]
    [DataRow(1u << 30)]
    [DataRow(uint.MaxValue)]
    [DataRow(0u)]
    [DataRow(27u)]
    public void AdaptiveWidthModelFormat_Read_BodyLengthOutOfRange_ThrowsInvalidData(uint bodyLength)
    {
        byte[] bytes = Craft([1, 1, 1, Identity, 0, 0], bodyLength: bodyLength);

        var e = Assert.ThrowsExactly<InvalidDataException>(() => AdaptiveWidthModelFormat.Read(new MemoryStream(bytes)));

        StringAssert.Contains(e.Message, "outside the valid range");
    }

    [TestMethod]
    [DataRow(4)]
    [DataRow(int.MaxValue)]
    public void AdaptiveWidthModelFormat_Read_NewerVersion_ThrowsInvalidDataMentioningNewer(int version)
    {
        byte[] bytes = Craft([1, 1, 1, Identity, 0, 0], version: version);

        var e = Assert.ThrowsExactly<InvalidDataException>(() => AdaptiveWidthModelFormat.Read(new MemoryStream(bytes)));

        StringAssert.Contains(e.Message, "newer");
        StringAssert.Contains(e.Message, "Microsoft.ML.AdaptiveWidth");
    }

    [TestMethod]
    [DataRow(0)]
    [DataRow(-1)]
    public void AdaptiveWidthModelFormat_Read_VersionBelowOne_ThrowsInvalidData(int version)
    {
        byte[] bytes = Craft([1, 1, 1, Identity, 0, 0], version: version);

        var e = Assert.ThrowsExactly<InvalidDataException>(() => AdaptiveWidthModelFormat.Read(new MemoryStream(bytes)));

        StringAssert.Contains(e.Message, "version");
    }

    [TestMethod]
    public void AdaptiveWidthModelFormat_Read_WrongMagic_ThrowsInvalidData()
    {
        byte[] bytes = Craft([1, 1, 1, Identity, 0, 0]);
        bytes[3] = (byte)'X';

        var e = Assert.ThrowsExactly<InvalidDataException>(() => AdaptiveWidthModelFormat.Read(new MemoryStream(bytes)));

        StringAssert.Contains(e.Message, "AWNM");
    }

    [TestMethod]
    public void AdaptiveWidthModelFormat_Read_ValidMinimalCraftedModel_Reads()
    {
        // Guards the crafted-file helper: without it, the hostile-input tests could pass for the wrong reason.
        byte[] bytes = Craft([1, 1, 1, Identity, F(2f), F(0.5f)]);

        var sut = AdaptiveWidthModelFormat.Read(new MemoryStream(bytes));

        CollectionAssert.AreEqual(new[] { 2.5f }, RandomModels.Score(sut, [1f]));
    }

    public static IEnumerable<object[]> InvalidBodies =>
    [
        ["NaN weight", new uint[] { 1, 1, 1, Identity, F(float.NaN), 0 }, "non-finite"],
        ["infinite bias", new uint[] { 1, 1, 1, Identity, 0, F(float.NegativeInfinity) }, "non-finite"],
        ["infinite importance", new uint[] { 2, 1, 1, ReLU6, 0, 0, 1, 1, Identity, 0, 0, F(float.PositiveInfinity) }, "non-finite"],
        ["unknown activation", new uint[] { 2, 1, 1, 4, 0, 0, 1, 1, Identity, 0, 0, 0 }, "activation"],
        ["non-linear output layer", new uint[] { 1, 1, 1, ReLU6, 0, 0 }, "linear"],
        ["layers that do not chain", new uint[] { 2, 1, 2, ReLU6, 0, 0, 0, 0, 1, 1, Identity, 0, 0, 0, 0 }, "inputs"],
        ["trailing bytes", new uint[] { 1, 1, 1, Identity, 0, 0, 0 }, "unexpected bytes"],
    ];

    [TestMethod]
    [DynamicData(nameof(InvalidBodies))]
    public void AdaptiveWidthModelFormat_Read_InvalidContentWithValidCrc_ThrowsInvalidDataSayingWhat(string scenario, uint[] body, string expected)
    {
        byte[] bytes = Craft(body);

        var e = Assert.ThrowsExactly<InvalidDataException>(() => AdaptiveWidthModelFormat.Read(new MemoryStream(bytes)), scenario);

        StringAssert.Contains(e.Message, expected, scenario);
    }

    [TestMethod]
    public void AdaptiveWidthModelFormat_Read_CorruptedWeight_ThrowsInvalidDataMentioningCrc()
    {
        byte[] bytes = Save(RandomModels.Model(new Random(4), inputs: 3, [5], outputs: 2));
        bytes[40] ^= 0x01;

        var e = Assert.ThrowsExactly<InvalidDataException>(() => AdaptiveWidthModelFormat.Read(new MemoryStream(bytes)));

        StringAssert.Contains(e.Message, "CRC-32");
    }

    [TestMethod]
    public void AdaptiveWidthModelFormat_Write_LayerWiderThanFormatLimit_ThrowsNamingModel()
    {
        int width = AdaptiveWidthModelFormat.MaxWidth + 1;
        var model = new AdaptiveWidthModel(
            [new DenseLayer(1, width, new float[width], new float[width], ActivationKind.ReLU6),
             new DenseLayer(width, 1, new float[width], new float[1], ActivationKind.Identity)],
            [new float[width]]);
        using var stream = new MemoryStream();

        var e = Assert.ThrowsExactly<ArgumentException>(() => AdaptiveWidthModelFormat.Write(model, stream));

        Assert.AreEqual("model", e.ParamName);
        Assert.AreEqual(0, stream.Length, "Nothing is written for a model that could not be read back.");
    }

    [TestMethod]
    public void AdaptiveWidthModelFormat_Write_InvalidArguments_Throw()
    {
        var model = RandomModels.Model(new Random(1), inputs: 1, [1], outputs: 1);

        Assert.AreEqual("model", Assert.ThrowsExactly<ArgumentNullException>(() => AdaptiveWidthModelFormat.Write(null!, new MemoryStream())).ParamName);
        Assert.AreEqual("stream", Assert.ThrowsExactly<ArgumentNullException>(() => AdaptiveWidthModelFormat.Write(model, null!)).ParamName);
        Assert.AreEqual("stream", Assert.ThrowsExactly<ArgumentException>(() => AdaptiveWidthModelFormat.Write(model, new MemoryStream([], writable: false))).ParamName);
        Assert.AreEqual("stream", Assert.ThrowsExactly<ArgumentNullException>(() => AdaptiveWidthModelFormat.Read(null!)).ParamName);
    }

    [TestMethod]
    public void AdaptiveWidthModelFormat_WriteRead_LargestWidthTrainingSupports_RoundTrips()
    {
        // The format's width limit must admit every model training can produce.
        int width = ExponentialImportance.MaxSupportedWidth;
        var model = new AdaptiveWidthModel(
            [new DenseLayer(1, width, new float[width], new float[width], ActivationKind.ReLU6),
             new DenseLayer(width, 1, new float[width], new float[1], ActivationKind.Identity)],
            [new float[width]]);

        var sut = AdaptiveWidthModelFormat.Read(new MemoryStream(Save(model)));

        CollectionAssert.AreEqual(new[] { width }, sut.LayerWidths.ToArray());
    }

    private static byte[] Save(AdaptiveWidthModel model)
    {
        using var stream = new MemoryStream();
        AdaptiveWidthModelFormat.Write(model, stream);
        return stream.ToArray();
    }

    private static uint F(float value) => BitConverter.SingleToUInt32Bits(value);

    /// <summary>A file with the given body words (layer count onwards, floats as bit patterns), a correct CRC, and
    /// the true body length unless <paramref name="bodyLength"/> overrides it: hostile counts then reach the parser
    /// instead of failing the checksum.</summary>
    private static byte[] Craft(uint[] body, int version = 1, uint? bodyLength = null)
    {
        var bytes = new byte[12 + 4 * body.Length + 4];
        "AWNM"u8.CopyTo(bytes);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(4), version);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), bodyLength ?? (uint)(4 * body.Length + 4));
        for (int i = 0; i < body.Length; i++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(12 + 4 * i), body[i]);
        }
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(bytes.Length - 4), Crc32.Append(0, bytes.AsSpan(0, bytes.Length - 4)));
        return bytes;
    }
}
