using Microsoft.ML.AdaptiveWidth.Build;
using TorchSharp;

namespace Microsoft.ML.AdaptiveWidth.Tests.Build;

[TestClass]
public sealed class TorchSharpGlibcxxFixTest
{
    [TestMethod]
    public void Torch_InitialisesInTestProcess()
    {
        using var a = torch.ones(3, 3);
        using var b = torch.mm(a, a);
        Assert.AreEqual(3f, b[0, 0].ToSingle());
    }
}
