using Microsoft.ML.AdaptiveWidth.Inference;

namespace Microsoft.ML.AdaptiveWidth.Tests.Inference;

[TestClass]
public sealed class Crc32Test
{
    [TestMethod]
    public void Crc32_Append_StandardCheckInput_GivesCatalogueCheckValue()
    {
        // The "check" value of CRC-32/ISO-HDLC (the zlib/PNG CRC) in the CRC RevEng catalogue: the CRC of "123456789".
        Assert.AreEqual(0xCBF43926u, Crc32.Append(0, "123456789"u8));
    }

    [TestMethod]
    public void Crc32_Append_InPieces_EqualsAppendAtOnce()
    {
        byte[] data = new byte[1000];
        new Random(3).NextBytes(data);

        uint pieces = Crc32.Append(Crc32.Append(Crc32.Append(0, data.AsSpan(0, 1)), data.AsSpan(1, 600)), data.AsSpan(601));

        Assert.AreEqual(Crc32.Append(0, data), pieces);
        Assert.AreEqual(0u, Crc32.Append(0, []));
    }
}
