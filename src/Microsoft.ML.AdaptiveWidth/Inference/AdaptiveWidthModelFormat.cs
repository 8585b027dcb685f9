using System.Buffers.Binary;

namespace Microsoft.ML.AdaptiveWidth.Inference;

/// <summary>
/// Saves and loads an <see cref="AdaptiveWidthModel"/> in a small, versioned, checksummed binary format that needs
/// neither TorchSharp nor ML.NET. Loading is safe on untrusted input: every count is checked against fixed limits and
/// against the bytes actually present before anything is allocated, and any malformed input gives an
/// <see cref="InvalidDataException"/>.
/// </summary>
/// <remarks>
/// <para>Layout of format version 1, all integers little-endian (counts are unsigned 32-bit), floats IEEE binary32:</para>
/// <code>
/// "AWNM"                              4 magic bytes
/// int32   format version              1
/// uint32  body length                 bytes after this field, up to and including the CRC
/// uint32  layer count L               1..64 (the hidden layers, then the linear output layer)
/// L ×     uint32 inputs, uint32 outputs, uint32 activation (ActivationKind),
///         float32[outputs × inputs] weights (row-major), float32[outputs] bias
/// L−1 ×   float32[width] importance   one vector per hidden layer
/// uint32  CRC-32 (IEEE)               of every byte before it
/// </code>
/// <para>Format version 2 (written only for a model with <see cref="InputCodes"/>; a model without them is still written
/// as version 1, which every release reads) adds, after the importance vectors and before the CRC:</para>
/// <code>
/// uint32  feature count F             the model's inputs (the first layer takes F + C)
/// uint32  code count C                1..F
/// C ×     uint32 feature (increasing, below F), uint32 knot count K (2..4,096), float32[K] knots (finite, increasing)
/// </code>
/// <para>Format version 3 (written only for codes of more than one bin per coded feature, <see cref="InputCodes.Bins"/>) is
/// version 2 with one more field after the feature count: uint32 bins per coded feature (2..4,095).</para>
/// <para>The body length lets a model sit inside a larger stream: <see cref="Read"/> consumes exactly the model's bytes.</para>
/// <para>Limits: 64 layers; 65,536 outputs per layer (the largest width training supports); 10,000,000 inputs;
/// 2^28 weights per layer; 1 GiB per model.</para>
/// <para>Version history: 1 = first version; 2 = quantile codes of the inputs; 3 = binned quantile codes.</para>
/// </remarks>
public static class AdaptiveWidthModelFormat
{
    internal const int CurrentVersion = 3;
    internal const int MaxKnots = 4096;
    internal const int MaxLayers = 64;
    /// <summary>Equals <c>Training.ExponentialImportance.MaxSupportedWidth</c> (a test checks it); not referenced, so
    /// that inference keeps no dependency on training.</summary>
    internal const int MaxWidth = 65_536;
    internal const int MaxInputs = 10_000_000;
    internal const int MaxWeightsPerLayer = 1 << 28;
    internal const int MaxModelBytes = 1 << 30;

    internal static ReadOnlySpan<byte> Magic => "AWNM"u8;
    internal const int HeaderBytes = 12; // magic, version, body length
    private const int LayerHeaderBytes = 12; // inputs, outputs, activation
    private const int CrcBytes = 4;
    private const int MinBodyBytes = 4 + LayerHeaderBytes + 4 + 4 + CrcBytes; // one 1×1 layer
    private const int ChunkBytes = 64 * 1024;

    /// <summary>Writes <paramref name="model"/> to <paramref name="stream"/> at its current position.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="model"/> or <paramref name="stream"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="stream"/> is not writable, or the model exceeds the
    /// format's limits (see remarks) or has a non-finite importance, so that it could not be read back.</exception>
    public static void Write(AdaptiveWidthModel model, Stream stream)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanWrite)
        {
            throw new ArgumentException("The stream must be writable.", nameof(stream));
        }
        long bodyBytes = CheckWritable(model);

        var writer = new ChunkWriter(stream);
        writer.Write(Magic);
        writer.WriteInt32(model.Codes is null ? 1 : model.Codes.Bins == 1 ? 2 : 3);
        writer.WriteInt32((int)bodyBytes);
        writer.WriteInt32(model.Layers.Count);
        foreach (DenseLayer layer in model.Layers)
        {
            writer.WriteInt32(layer.Inputs);
            writer.WriteInt32(layer.Outputs);
            writer.WriteInt32((int)layer.Activation);
            writer.WriteSingles(layer.Weights);
            writer.WriteSingles(layer.Bias);
        }
        for (int l = 0; l < model.HiddenLayerCount; l++)
        {
            writer.WriteSingles(model.Importance(l));
        }
        if (model.Codes is InputCodes codes)
        {
            writer.WriteInt32(codes.FeatureCount);
            if (codes.Bins != 1)
            {
                writer.WriteInt32(codes.Bins);
            }
            writer.WriteInt32(codes.CodedFeatureCount);
            for (int c = 0; c < codes.CodedFeatureCount; c++)
            {
                writer.WriteInt32(codes.Features[c]);
                writer.WriteInt32(codes.Knots(c).Length);
                writer.WriteSingles(codes.Knots(c));
            }
        }
        writer.WriteCrcAndFlush();
    }

    /// <summary>Reads a model written by <see cref="Write"/>, leaving <paramref name="stream"/> just after it.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="stream"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="stream"/> is not readable.</exception>
    /// <exception cref="InvalidDataException">The data is not a valid model: wrong magic bytes, a format version
    /// written by a newer Microsoft.ML.AdaptiveWidth, truncated, corrupted (checksum mismatch), a count beyond the
    /// limits or beyond the data, layers that do not chain, a hidden output layer, or a non-finite value.</exception>
    /// <remarks>Errors of the stream itself (an <see cref="IOException"/> other than the data ending early) propagate.</remarks>
    public static AdaptiveWidthModel Read(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanRead)
        {
            throw new ArgumentException("The stream must be readable.", nameof(stream));
        }

        Span<byte> header = stackalloc byte[HeaderBytes];
        int got = stream.ReadAtLeast(header, HeaderBytes, throwOnEndOfStream: false);
        int magicBytes = Math.Min(got, Magic.Length);
        if (!header[..magicBytes].SequenceEqual(Magic[..magicBytes]))
        {
            throw Invalid("Not an adaptive-width model: it does not start with the magic bytes \"AWNM\".");
        }
        if (got < HeaderBytes)
        {
            throw Invalid($"The model is truncated: it ends after {got} bytes, inside the {HeaderBytes}-byte header.");
        }
        int version = BinaryPrimitives.ReadInt32LittleEndian(header[4..]);
        if (version > CurrentVersion)
        {
            throw Invalid($"The model was written by a newer version of Microsoft.ML.AdaptiveWidth (format version {version}); " +
                $"this version reads format versions up to {CurrentVersion}. Upgrade the Microsoft.ML.AdaptiveWidth package.");
        }
        if (version < 1)
        {
            throw Invalid($"Unknown model format version {version}.");
        }
        uint bodyLength = BinaryPrimitives.ReadUInt32LittleEndian(header[8..]);
        if (bodyLength < MinBodyBytes || bodyLength > MaxModelBytes - HeaderBytes)
        {
            throw Invalid($"The header declares a body of {bodyLength} bytes, outside the valid range [{MinBodyBytes}, {MaxModelBytes - HeaderBytes}].");
        }

        byte[] body = ReadBody(stream, (int)bodyLength);
        uint stored = BinaryPrimitives.ReadUInt32LittleEndian(body.AsSpan(body.Length - CrcBytes));
        uint actual = Crc32.Append(Crc32.Append(0, header), body.AsSpan(0, body.Length - CrcBytes));
        if (stored != actual)
        {
            throw Invalid($"The model is corrupted: its CRC-32 is 0x{stored:X8} but its content gives 0x{actual:X8}.");
        }
        return Parse(body.AsSpan(0, body.Length - CrcBytes), version);
    }

    /// <summary>Reads exactly <paramref name="length"/> bytes, allocating no more than twice what actually arrives:
    /// a lying length on a non-seekable stream cannot make us allocate a gigabyte up front.</summary>
    private static byte[] ReadBody(Stream stream, int length)
    {
        bool lengthKnown = false;
        if (stream.CanSeek)
        {
            long remaining = stream.Length - stream.Position;
            if (remaining < length)
            {
                throw Invalid($"The model is truncated: the header declares {length} more bytes but the stream has {Math.Max(remaining, 0)}.");
            }
            lengthKnown = true;
        }
        var buffer = new byte[lengthKnown ? length : Math.Min(length, ChunkBytes)];
        int filled = 0;
        while (filled < length)
        {
            if (filled == buffer.Length)
            {
                Array.Resize(ref buffer, (int)Math.Min(length, 2L * buffer.Length));
            }
            int n = stream.Read(buffer, filled, buffer.Length - filled);
            if (n == 0)
            {
                throw Invalid($"The model is truncated: the header declares {length} more bytes but the stream ends after {filled}.");
            }
            filled += n;
        }
        return buffer;
    }

    /// <summary>Parses a body whose checksum has been verified; still trusts no count.</summary>
    private static AdaptiveWidthModel Parse(ReadOnlySpan<byte> content, int version)
    {
        var reader = new SpanReader(content, HeaderBytes);
        int layerCount = reader.ReadCount("layer count", 1, MaxLayers);
        var layers = new DenseLayer[layerCount];
        int previousOutputs = 0;
        for (int l = 0; l < layerCount; l++)
        {
            bool isOutput = l == layerCount - 1;
            int inputs = reader.ReadCount($"layer {l} input count", 1, l == 0 ? MaxInputs : MaxWidth);
            if (l > 0 && inputs != previousOutputs)
            {
                throw Invalid($"Layer {l} takes {inputs} inputs but layer {l - 1} gives {previousOutputs} outputs.");
            }
            int outputs = reader.ReadCount($"layer {l} output count", 1, MaxWidth);
            uint activationCode = reader.ReadUInt32($"layer {l} activation");
            var activation = (ActivationKind)activationCode;
            if (activationCode > int.MaxValue || !Enum.IsDefined(activation))
            {
                throw Invalid($"Layer {l} has unknown activation code {activationCode}.");
            }
            if (isOutput && activation != ActivationKind.Identity)
            {
                throw Invalid($"The output layer (layer {l}) must be linear (Identity) but is {activation}.");
            }
            long weightCount = (long)inputs * outputs;
            if (weightCount > MaxWeightsPerLayer)
            {
                throw Invalid($"Layer {l} declares {outputs}×{inputs} = {weightCount} weights, above the limit of {MaxWeightsPerLayer}.");
            }
            float[] weights = reader.ReadFiniteSingles($"layer {l} weights", (int)weightCount);
            float[] bias = reader.ReadFiniteSingles($"layer {l} bias", outputs);
            layers[l] = Construct(() => new DenseLayer(inputs, outputs, weights, bias, activation));
            previousOutputs = outputs;
        }
        var importance = new float[layerCount - 1][];
        for (int l = 0; l < importance.Length; l++)
        {
            importance[l] = reader.ReadFiniteSingles($"layer {l} importance", layers[l].Outputs);
        }
        InputCodes? codes = null;
        if (version >= 2)
        {
            int featureCount = reader.ReadCount("feature count", 1, MaxInputs);
            int bins = version >= 3 ? reader.ReadCount("bins per code", 2, MaxKnots - 1) : 1;
            int codeCount = reader.ReadCount("code count", 1, featureCount);
            var features = new int[codeCount];
            var knots = new float[codeCount][];
            for (int c = 0; c < codeCount; c++)
            {
                features[c] = reader.ReadCount($"code {c} feature", 0, featureCount - 1);
                knots[c] = reader.ReadFiniteSingles($"code {c} knots", reader.ReadCount($"code {c} knot count", 2, MaxKnots));
            }
            codes = Construct(() => new InputCodes(featureCount, features, knots, bins));
        }
        if (reader.Remaining != 0)
        {
            throw Invalid($"The model has {reader.Remaining} unexpected bytes after its last {(codes is null ? "importance vector" : "code")} (at byte {reader.Offset}).");
        }
        return Construct(() => new AdaptiveWidthModel(layers, importance, codes));
    }

    // Everything the constructors check has been checked above; this only keeps the promise that malformed input
    // gives InvalidDataException should the two ever drift apart.
    private static T Construct<T>(Func<T> create)
    {
        try
        {
            return create();
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"The model is invalid: {e.Message}", e);
        }
    }

    /// <summary>Checks that <paramref name="model"/> can be read back and returns its body length in bytes.</summary>
    private static long CheckWritable(AdaptiveWidthModel model)
    {
        IReadOnlyList<DenseLayer> layers = model.Layers;
        void Check(bool condition, string message)
        {
            if (!condition)
            {
                throw new ArgumentException($"The model cannot be saved: {message}", nameof(model));
            }
        }
        Check(layers.Count <= MaxLayers, $"it has {layers.Count} layers, above the format's limit of {MaxLayers}.");
        Check(model.NetworkInputCount <= MaxInputs, $"it has {model.NetworkInputCount} inputs, above the format's limit of {MaxInputs}.");
        long bytes = 4 + CrcBytes;
        for (int l = 0; l < layers.Count; l++)
        {
            Check(layers[l].Outputs <= MaxWidth, $"layer {l} has {layers[l].Outputs} outputs, above the format's limit of {MaxWidth}.");
            Check(layers[l].MultiplyAdds <= MaxWeightsPerLayer, $"layer {l} has {layers[l].MultiplyAdds} weights, above the format's limit of {MaxWeightsPerLayer}.");
            bytes += LayerHeaderBytes + 4 * (layers[l].MultiplyAdds + layers[l].Outputs);
        }
        for (int l = 0; l < model.HiddenLayerCount; l++)
        {
            foreach (float p in model.Importance(l))
            {
                Check(float.IsFinite(p), $"importance vector {l} has a non-finite entry.");
            }
            bytes += 4L * layers[l].Outputs;
        }
        if (model.Codes is InputCodes codes)
        {
            Check(model.InputCount <= MaxInputs, $"it has {model.InputCount} features, above the format's limit of {MaxInputs}.");
            bytes += codes.Bins == 1 ? 8 : 12;
            for (int c = 0; c < codes.CodedFeatureCount; c++)
            {
                Check(codes.Knots(c).Length <= MaxKnots, $"code {c} has {codes.Knots(c).Length} knots, above the format's limit of {MaxKnots}.");
                bytes += 8 + 4L * codes.Knots(c).Length;
            }
        }
        Check(HeaderBytes + bytes <= MaxModelBytes, $"it needs {HeaderBytes + bytes} bytes, above the format's limit of {MaxModelBytes}.");
        return bytes;
    }

    private static InvalidDataException Invalid(string message) => new(message);

    /// <summary>Bounds-checked little-endian reads over a verified body; every failure is an InvalidDataException
    /// that says what was being read and where.</summary>
    private ref struct SpanReader(ReadOnlySpan<byte> data, int baseOffset)
    {
        private readonly ReadOnlySpan<byte> _data = data;
        private int _position;

        public readonly int Remaining => _data.Length - _position;

        public readonly int Offset => baseOffset + _position;

        public uint ReadUInt32(string what)
        {
            Require(4, what);
            uint value = BinaryPrimitives.ReadUInt32LittleEndian(_data[_position..]);
            _position += 4;
            return value;
        }

        public int ReadCount(string what, int min, int max)
        {
            int offset = Offset;
            uint value = ReadUInt32(what);
            if (value < min || value > max)
            {
                throw Invalid($"The {what} is {value} (at byte {offset}); it must be in [{min}, {max}].");
            }
            return (int)value;
        }

        public float[] ReadFiniteSingles(string what, int count)
        {
            // Checked before allocating: a count that passed its limits still cannot exceed the bytes present.
            Require(4L * count, what);
            var values = new float[count];
            for (int i = 0; i < count; i++)
            {
                float v = BinaryPrimitives.ReadSingleLittleEndian(_data[(_position + 4 * i)..]);
                if (!float.IsFinite(v))
                {
                    throw Invalid($"The {what} has a non-finite value ({v}) at index {i} (byte {Offset + 4 * i}).");
                }
                values[i] = v;
            }
            _position += 4 * count;
            return values;
        }

        private readonly void Require(long bytes, string what)
        {
            if (bytes > Remaining)
            {
                throw Invalid($"The {what} needs {bytes} bytes at byte {Offset} but only {Remaining} remain before the checksum.");
            }
        }
    }

    /// <summary>Writes through a fixed buffer, so that saving a large model does not double its memory, and keeps
    /// the CRC of everything written.</summary>
    private sealed class ChunkWriter(Stream stream)
    {
        private readonly byte[] _buffer = new byte[ChunkBytes];
        private int _count;
        private uint _crc;

        public void Write(ReadOnlySpan<byte> bytes)
        {
            while (!bytes.IsEmpty)
            {
                if (_count == _buffer.Length)
                {
                    Flush();
                }
                int n = Math.Min(bytes.Length, _buffer.Length - _count);
                bytes[..n].CopyTo(_buffer.AsSpan(_count));
                _count += n;
                bytes = bytes[n..];
            }
        }

        public void WriteInt32(int value)
        {
            Span<byte> bytes = stackalloc byte[4];
            BinaryPrimitives.WriteInt32LittleEndian(bytes, value);
            Write(bytes);
        }

        public void WriteSingles(ReadOnlySpan<float> values)
        {
            Span<byte> bytes = stackalloc byte[4];
            foreach (float v in values)
            {
                BinaryPrimitives.WriteSingleLittleEndian(bytes, v);
                Write(bytes);
            }
        }

        public void WriteCrcAndFlush()
        {
            Flush();
            Span<byte> bytes = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(bytes, _crc);
            stream.Write(bytes);
            stream.Flush();
        }

        private void Flush()
        {
            _crc = Crc32.Append(_crc, _buffer.AsSpan(0, _count));
            stream.Write(_buffer, 0, _count);
            _count = 0;
        }
    }
}
