using Microsoft.ML.AdaptiveWidth.Inference;
using Microsoft.ML.AdaptiveWidth.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.AdaptiveWidth.Tests.Training;

[TestClass]
public sealed class AdaptiveWidthNetworkTest
{
    private static AdaptiveWidthNetwork Create(int inputs, int outputs, TrainingSettings settings, int seed = 1)
    {
        TorchRuntime.Initialize(1);
        return new AdaptiveWidthNetwork(inputs, outputs, settings, new Generator((ulong)seed));
    }

    private static float[] Forward(AdaptiveWidthNetwork sut, float[] x, int inputs)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        return sut.Forward(tensor(x, new long[] { x.Length / inputs, inputs })).data<float>().ToArray();
    }

    private static float[] RandomRows(int rows, int inputs, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, rows * inputs).Select(_ => (float)(random.NextDouble() * 4 - 2)).ToArray();
    }

    private static float[] ScoreAll(AdaptiveWidthModel model, float[] x)
    {
        var result = new List<float>();
        var output = new float[model.OutputCount];
        for (int i = 0; i < x.Length / model.InputCount; i++)
        {
            model.Score(x.AsSpan(i * model.InputCount, model.InputCount), output);
            result.AddRange(output);
        }
        return result.ToArray();
    }

    [TestMethod]
    [DataRow(1)]
    [DataRow(2)]
    [DataRow(3)]
    public void AdaptiveWidthNetwork_Export_ScoresLikeTheTorchForward(int layers)
    {
        var settings = new TrainingSettings { HiddenLayerCount = layers, InitialRate = 0.05 };
        using var sut = Create(3, 4, settings);
        float[] x = RandomRows(50, 3, 2);

        float[] expected = Forward(sut, x, 3);
        AdaptiveWidthModel model = InferenceExporter.Export(sut.Snapshot(), settings);
        float[] actual = ScoreAll(model, x);

        FloatAssert.AreClose(expected, actual, FloatAssert.ExportTolerance);
    }
}
