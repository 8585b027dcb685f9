namespace Microsoft.ML.AdaptiveWidth.Inference;

/// <summary>
/// Turns an ensemble of networks into one network that outputs the mean of their raw outputs (docs/method.md §5.10).
/// Hidden layer l of the result holds every member's layer-l neurons, ordered by importance; each neuron reads only
/// its own member's neurons of the layer before (the other weights are zero), and the output layer averages. The
/// result is an ordinary <see cref="AdaptiveWidthModel"/>: it scores, saves, exports to ONNX, explains and truncates
/// like a single network, and truncating it removes the least important neurons across all members.
/// </summary>
public static class ModelAveraging
{
    /// <summary>
    /// One network computing the mean of the members' raw outputs (logits for classifiers, values for regression).
    /// </summary>
    /// <param name="members">At least one network; all with the same inputs, outputs, number of hidden layers and
    /// hidden activations.</param>
    /// <returns>The single member itself when there is one.</returns>
    /// <exception cref="ArgumentException">The members differ in shape or activation.</exception>
    public static AdaptiveWidthModel Average(IReadOnlyList<AdaptiveWidthModel> members)
    {
        ArgumentNullException.ThrowIfNull(members);
        if (members.Count == 0 || members.Any(m => m is null))
        {
            throw new ArgumentException("Give at least one member, and no null.", nameof(members));
        }
        if (members.Count == 1)
        {
            return members[0];
        }
        AdaptiveWidthModel first = members[0];
        int hidden = first.HiddenLayerCount;
        foreach (AdaptiveWidthModel m in members)
        {
            if (m.NetworkInputCount != first.NetworkInputCount || m.OutputCount != first.OutputCount || m.HiddenLayerCount != hidden
                || (first.Codes is null ? m.Codes is not null : !first.Codes.SameAs(m.Codes))
                || Enumerable.Range(0, hidden).Any(l => m.Layers[l].Activation != first.Layers[l].Activation))
            {
                throw new ArgumentException(
                    "Members must have the same inputs (and input codes), outputs, number of hidden layers and activations.", nameof(members));
            }
        }
        int count = members.Count;

        // Each hidden layer's merged order: every (member, neuron) by decreasing share of the mixture p_m(i)/count, ties
        // by member then neuron, so each member's own neurons stay in their order.
        var order = new (int Member, int Neuron)[hidden][];
        var position = new int[hidden][][];
        var importance = new float[hidden][];
        for (int l = 0; l < hidden; l++)
        {
            order[l] = Enumerable.Range(0, count)
                .SelectMany(m => Enumerable.Range(0, members[m].Layers[l].Outputs).Select(i => (Member: m, Neuron: i)))
                .OrderByDescending(x => members[x.Member].Importance(l)[x.Neuron])
                .ThenBy(x => x.Member).ThenBy(x => x.Neuron)
                .ToArray();
            position[l] = Enumerable.Range(0, count).Select(m => new int[members[m].Layers[l].Outputs]).ToArray();
            importance[l] = new float[order[l].Length];
            for (int k = 0; k < order[l].Length; k++)
            {
                (int m, int i) = order[l][k];
                position[l][m][i] = k;
                importance[l][k] = members[m].Importance(l)[i] / count;
            }
        }

        var layers = new DenseLayer[hidden + 1];
        for (int l = 0; l <= hidden; l++)
        {
            int inputs = l == 0 ? first.NetworkInputCount : order[l - 1].Length;
            int outputs = l < hidden ? order[l].Length : first.OutputCount;
            var weights = new float[(long)inputs * outputs];
            var bias = new float[outputs];
            for (int m = 0; m < count; m++)
            {
                DenseLayer layer = members[m].Layers[l];
                for (int o = 0; o < layer.Outputs; o++)
                {
                    int row = l < hidden ? position[l][m][o] : o;
                    for (int i = 0; i < layer.Inputs; i++)
                    {
                        int column = l == 0 ? i : position[l - 1][m][i];
                        float w = layer.Weight(o, i);
                        weights[(long)row * inputs + column] = l < hidden ? w : w / count;
                    }
                    bias[row] += l < hidden ? layer.Bias[o] : layer.Bias[o] / count;
                }
            }
            layers[l] = new DenseLayer(inputs, outputs, weights, bias, members[0].Layers[l].Activation);
        }
        return new AdaptiveWidthModel(layers, importance, first.Codes);
    }
}
