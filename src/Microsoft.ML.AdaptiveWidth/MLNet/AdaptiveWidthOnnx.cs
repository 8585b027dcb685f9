using Microsoft.ML.AdaptiveWidth.Inference;
using Microsoft.ML.Data;
using Microsoft.ML.Model.OnnxConverter;

namespace Microsoft.ML.Trainers.AdaptiveWidth;

/// <summary>
/// Writes the network into ML.NET's ONNX export (<c>mlContext.Model.ConvertToOnnx</c>) with standard ONNX operators
/// only, so that any ONNX runtime can serve it: per layer <c>MatMul</c> with the transposed weights, <c>Add</c> with the
/// bias, then <c>Clip</c> (ReLU6), <c>Relu</c> or <c>LeakyRelu</c>; multiclass adds <c>Softmax</c> and
/// <c>ArgMax</c>. The binary model's probability is written by ML.NET's Platt calibrator (<c>Mul</c>, <c>Add</c>,
/// <c>Sigmoid</c>) and its predicted label by ML.NET's binary scorer.
/// </summary>
internal static class AdaptiveWidthOnnx
{
    /// <summary>Opset 11 is the first whose <c>Clip</c> takes its bounds as inputs (the form later opsets keep).</summary>
    internal const int MinimumOpSetVersion = 11;

    /// <summary>
    /// Emits the network from <paramref name="features"/> (shape [N, inputs]) to its raw outputs, written to
    /// <paramref name="output"/> (shape [N, outputs]): logits for classification, the value for regression.
    /// </summary>
    public static void SaveNetwork(OnnxContext ctx, AdaptiveWidthModel network, string features, string output)
    {
        ctx.CheckOpSetVersion(MinimumOpSetVersion, "AdaptiveWidth");
        string current = network.Codes is InputCodes codes ? SaveCodes(ctx, codes, features) : features;
        IReadOnlyList<DenseLayer> layers = network.Layers;
        for (int l = 0; l < layers.Count; l++)
        {
            DenseLayer layer = layers[l];
            bool last = l == layers.Count - 1;

            // MatMul takes [N, in] × [in, out]; the layer stores W as [out, in], so the initializer is Wᵀ.
            var transposed = new float[layer.Inputs * layer.Outputs];
            for (int o = 0; o < layer.Outputs; o++)
            {
                for (int i = 0; i < layer.Inputs; i++)
                {
                    transposed[i * layer.Outputs + o] = layer.Weight(o, i);
                }
            }
            string weights = ctx.AddInitializer(transposed, [layer.Inputs, layer.Outputs], $"AdaptiveWidthW{l}");
            string bias = ctx.AddInitializer(layer.Bias.ToArray(), [layer.Outputs], $"AdaptiveWidthB{l}");

            string product = ctx.AddIntermediateVariable(null, $"AdaptiveWidthMatMul{l}", true);
            ctx.CreateNode("MatMul", [current, weights], [product], ctx.GetNodeName("MatMul"), "");
            string sum = last ? output : ctx.AddIntermediateVariable(null, $"AdaptiveWidthLinear{l}", true);
            ctx.CreateNode("Add", [product, bias], [sum], ctx.GetNodeName("Add"), "");
            current = last ? sum : Activate(ctx, layer.Activation, sum, l);
        }
    }

    /// <summary>
    /// Emits the quantile codes and returns the name of [features, codes] ([N, F + C]). Each code is a sum over its segments
    /// [t_k, t_{k+1}] of slope_k·(min(max(x, t_k), t_{k+1}) − t_k), slope_k = 1/((K − 1)(t_{k+1} − t_k)): a <c>MatMul</c>
    /// with a 0/1 matrix copies each coded feature once per segment, <c>Max</c>, <c>Min</c>, <c>Sub</c> and <c>Mul</c> work
    /// per segment, a second 0/1 <c>MatMul</c> sums each code's segments, and <c>Concat</c> puts the codes after the features.
    /// </summary>
    private static string SaveCodes(OnnxContext ctx, InputCodes codes, string features)
    {
        int f = codes.FeatureCount, c = codes.CodeCount, coded = codes.CodedFeatureCount;
        int segments = 0;
        for (int k = 0; k < coded; k++)
        {
            segments += codes.Knots(k).Length - 1;
        }
        var spread = new float[f * segments];
        var low = new float[segments];
        var high = new float[segments];
        var slope = new float[segments];
        var gather = new float[segments * c];
        int s = 0, column = 0;
        for (int k = 0; k < coded; k++)
        {
            ReadOnlySpan<float> t = codes.Knots(k);
            for (int b = 0; b < codes.BinCount(k); b++, column++)
            {
                int from = codes.BinStart(k, b), to = codes.BinStart(k, b + 1);
                for (int i = from; i < to; i++, s++)
                {
                    spread[codes.Features[k] * segments + s] = 1f;
                    low[s] = t[i];
                    high[s] = t[i + 1];
                    slope[s] = (float)(1.0 / ((to - from) * ((double)t[i + 1] - t[i])));
                    gather[s * c + column] = 1f;
                }
            }
        }
        string Node(string op, string a, string b, string name)
        {
            string result = ctx.AddIntermediateVariable(null, name, true);
            ctx.CreateNode(op, [a, b], [result], ctx.GetNodeName(op), "");
            return result;
        }
        string lowName = ctx.AddInitializer(low, [segments], "AdaptiveWidthCodeLow");
        string copies = Node("MatMul", features, ctx.AddInitializer(spread, [f, segments], "AdaptiveWidthCodeSpread"), "AdaptiveWidthCodeCopies");
        string above = Node("Max", copies, lowName, "AdaptiveWidthCodeAbove");
        string within = Node("Min", above, ctx.AddInitializer(high, [segments], "AdaptiveWidthCodeHigh"), "AdaptiveWidthCodeWithin");
        string offset = Node("Sub", within, lowName, "AdaptiveWidthCodeOffset");
        string scaled = Node("Mul", offset, ctx.AddInitializer(slope, [segments], "AdaptiveWidthCodeSlope"), "AdaptiveWidthCodeScaled");
        string summed = Node("MatMul", scaled, ctx.AddInitializer(gather, [segments, c], "AdaptiveWidthCodeGather"), "AdaptiveWidthCodes");
        string extended = ctx.AddIntermediateVariable(null, "AdaptiveWidthCodedFeatures", true);
        OnnxNode concat = ctx.CreateNode("Concat", [features, summed], [extended], ctx.GetNodeName("Concat"), "");
        concat.AddAttribute("axis", 1L);
        return extended;
    }

    /// <summary>
    /// Emits the multiclass head: <paramref name="score"/> = softmax of <paramref name="logits"/> over the classes, and
    /// <paramref name="predictedLabel"/> = 1 + the index of the largest score as UInt32 (ML.NET's key value; the first
    /// index wins a tie, as in ML.NET's scorer).
    /// </summary>
    public static void SaveMulticlassHead(OnnxContext ctx, string logits, string score, string predictedLabel)
    {
        OnnxNode softmax = ctx.CreateNode("Softmax", logits, score, ctx.GetNodeName("Softmax"), "");
        softmax.AddAttribute("axis", 1L);

        string index = ctx.AddIntermediateVariable(null, "AdaptiveWidthArgMax", true);
        OnnxNode argMax = ctx.CreateNode("ArgMax", score, index, ctx.GetNodeName("ArgMax"), "");
        argMax.AddAttribute("axis", 1L);
        argMax.AddAttribute("keepdims", 1L);

        string one = ctx.AddInitializer(1L, "AdaptiveWidthOne");
        string key = ctx.AddIntermediateVariable(null, "AdaptiveWidthKey", true);
        ctx.CreateNode("Add", [index, one], [key], ctx.GetNodeName("Add"), "");
        OnnxNode cast = ctx.CreateNode("Cast", key, predictedLabel, ctx.GetNodeName("Cast"), "");
        cast.AddAttribute("to", typeof(uint));
    }

    private static string Activate(OnnxContext ctx, ActivationKind activation, string input, int layer)
    {
        string output = ctx.AddIntermediateVariable(null, $"AdaptiveWidthHidden{layer}", true);
        switch (activation)
        {
            case ActivationKind.ReLU6:
                string min = ctx.AddInitializer(0f, "AdaptiveWidthClipMin");
                string max = ctx.AddInitializer(6f, "AdaptiveWidthClipMax");
                ctx.CreateNode("Clip", [input, min, max], [output], ctx.GetNodeName("Clip"), "");
                break;
            case ActivationKind.ReLU:
                ctx.CreateNode("Relu", input, output, ctx.GetNodeName("Relu"), "");
                break;
            case ActivationKind.LeakyReLU:
                OnnxNode leaky = ctx.CreateNode("LeakyRelu", input, output, ctx.GetNodeName("LeakyRelu"), "");
                leaky.AddAttribute("alpha", 0.01);
                break;
            case ActivationKind.Identity:
                ctx.CreateNode("Identity", input, output, ctx.GetNodeName("Identity"), "");
                break;
            default:
                throw new InvalidOperationException($"Unknown activation {activation}.");
        }
        return output;
    }
}
