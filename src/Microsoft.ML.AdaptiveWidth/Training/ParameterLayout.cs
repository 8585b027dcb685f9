namespace Microsoft.ML.AdaptiveWidth.Training;

/// <summary>One parameter tensor's place in the flat buffer: a [CapacityRows × CapacityColumns] row-major block.</summary>
internal readonly record struct ParameterBlock(long Offset, int CapacityRows, int CapacityColumns)
{
    public long Length => (long)CapacityRows * CapacityColumns;
}

/// <summary>
/// Where every parameter lives in the network's single flat buffer, for given per-layer capacities.
/// Order: for each hidden layer its weight [C_l × C_{l−1}] then its bias [C_l]; the output weight [outputs × C_L]
/// (a narrower last layer is a column prefix, as for every layer fed by an adaptive one) and the output bias; last,
/// the raw rates r. The weights and biases (everything before the rates) are the θ of the weight prior.
/// With a sparse input the first weight is not in the buffer (<see cref="SparseInputLayer"/> holds it): its block has
/// no columns. With the linear path (<see cref="TrainingSettings.LinearPath"/>) the skip weight [outputs × inputs]
/// follows the output bias, inside θ. With feature scales (<see cref="TrainingSettings.FeatureScales"/>) a scale per input
/// [inputs × 1] follows the rates, outside θ: the weight prior pulls weights toward 0, and a scale's neutral value is 1.
/// </summary>
internal sealed class ParameterLayout
{
    public ParameterLayout(int inputs, int outputs, IReadOnlyList<int> capacities, bool sparseInput = false, bool linearPath = false,
        bool featureScales = false)
    {
        if (linearPath && sparseInput)
        {
            throw new ArgumentException("The linear path takes dense inputs.", nameof(linearPath));
        }
        if (featureScales && sparseInput)
        {
            throw new ArgumentException("Feature scales take dense inputs.", nameof(featureScales));
        }
        Inputs = inputs;
        SparseInput = sparseInput;
        Outputs = outputs;
        Capacities = capacities.ToArray();
        int layers = Capacities.Length;
        Weights = new ParameterBlock[layers];
        Biases = new ParameterBlock[layers];
        long offset = 0;
        for (int l = 0; l < layers; l++)
        {
            int fanIn = l == 0 ? (sparseInput ? 0 : inputs) : Capacities[l - 1];
            Weights[l] = new ParameterBlock(offset, Capacities[l], fanIn);
            offset += Weights[l].Length;
            Biases[l] = new ParameterBlock(offset, Capacities[l], 1);
            offset += Biases[l].Length;
        }
        OutputWeight = new ParameterBlock(offset, outputs, Capacities[^1]);
        offset += OutputWeight.Length;
        OutputBias = new ParameterBlock(offset, outputs, 1);
        offset += OutputBias.Length;
        if (linearPath)
        {
            Skip = new ParameterBlock(offset, outputs, inputs);
            offset += Skip.Value.Length;
        }
        ThetaLength = offset;
        Rates = new ParameterBlock(offset, layers, 1);
        offset += layers;
        if (featureScales)
        {
            Scales = new ParameterBlock(offset, inputs, 1);
            offset += inputs;
        }
        TotalLength = offset;
    }

    public int Inputs { get; }

    public int Outputs { get; }

    /// <summary>True when the first layer's weight lives outside the buffer (a <see cref="SparseInputLayer"/>).</summary>
    public bool SparseInput { get; }

    public int[] Capacities { get; }

    public ParameterBlock[] Weights { get; }

    public ParameterBlock[] Biases { get; }

    public ParameterBlock OutputWeight { get; }

    public ParameterBlock OutputBias { get; }

    public ParameterBlock Rates { get; }

    /// <summary>The linear path's weight [outputs × inputs], or null without one.</summary>
    public ParameterBlock? Skip { get; }

    public bool LinearPath => Skip is not null;

    /// <summary>The feature scales [inputs × 1], or null without them.</summary>
    public ParameterBlock? Scales { get; }

    public bool FeatureScales => Scales is not null;

    /// <summary>Length of the weights-and-biases prefix (excludes the rates).</summary>
    public long ThetaLength { get; }

    public long TotalLength { get; }

    /// <summary>Every weight block with its active shape for the given widths (hidden layers, then the output weight).</summary>
    public IEnumerable<(ParameterBlock Block, int Rows, int Columns)> ActiveWeights(IReadOnlyList<int> widths)
    {
        for (int l = 0; l < Capacities.Length; l++)
        {
            yield return (Weights[l], widths[l], l == 0 ? Weights[0].CapacityColumns : widths[l - 1]);
        }
        yield return (OutputWeight, Outputs, widths[^1]);
        if (Skip is ParameterBlock skip)
        {
            yield return (skip, Outputs, Inputs);
        }
    }

    /// <summary>Every bias block with its active length for the given widths (hidden layers, then the output bias).</summary>
    public IEnumerable<(ParameterBlock Block, int Rows)> ActiveBiases(IReadOnlyList<int> widths)
    {
        for (int l = 0; l < Capacities.Length; l++)
        {
            yield return (Biases[l], widths[l]);
        }
        yield return (OutputBias, Outputs);
    }
}
