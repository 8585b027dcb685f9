namespace Microsoft.ML.AdaptiveWidth.Inference;

/// <summary>
/// CRC-32 as in zlib, gzip and PNG (IEEE 802.3, reflected polynomial 0xEDB88320), one table lookup per byte.
/// Written here so that the inference layer needs no package beyond System.Numerics.Tensors; it guards saved models
/// against corruption, not against tampering.
/// </summary>
internal static class Crc32
{
    private static readonly uint[] Table = CreateTable();

    /// <summary>Continues a checksum: <c>Append(Append(0, a), b)</c> equals the checksum of <c>a</c> followed by
    /// <c>b</c>; <c>Append(0, data)</c> is the checksum of <paramref name="data"/>.</summary>
    public static uint Append(uint crc, ReadOnlySpan<byte> data)
    {
        uint c = ~crc;
        foreach (byte b in data)
        {
            c = Table[(c ^ b) & 0xFF] ^ (c >> 8);
        }
        return ~c;
    }

    private static uint[] CreateTable()
    {
        var table = new uint[256];
        for (uint n = 0; n < 256; n++)
        {
            uint c = n;
            for (int k = 0; k < 8; k++)
            {
                c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            }
            table[n] = c;
        }
        return table;
    }
}
