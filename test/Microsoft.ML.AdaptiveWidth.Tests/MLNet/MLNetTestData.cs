using Microsoft.ML.Data;
using Microsoft.ML.Trainers.AdaptiveWidth;

namespace Microsoft.ML.AdaptiveWidth.Tests.MLNet;

/// <summary>A row of the binary data: four features in one vector column.</summary>
public sealed class BinaryRow
{
    public bool Label { get; set; }

    [VectorType(4)]
    public float[] Features { get; set; } = [];
}

/// <summary>A row of the regression data: three features in one vector column.</summary>
public sealed class RegressionRow
{
    public float Label { get; set; }

    [VectorType(3)]
    public float[] Features { get; set; } = [];
}

/// <summary>A row of the multiclass data as Model Builder sees it: a text label and separate numeric columns.</summary>
public sealed class MulticlassRow
{
    public string Label { get; set; } = "";

    public float F1 { get; set; }

    public float F2 { get; set; }

    public float F3 { get; set; }
}

/// <summary>Small seeded data sets and fast trainer options for the ML.NET integration tests.</summary>
internal static class MLNetTestData
{
    public static readonly string[] ClassNames = ["alpha", "beta", "gamma"];

    /// <summary>Two Gaussian blobs (σ = 1) whose means differ by 3 in every one of four features: nearly separable.</summary>
    public static List<BinaryRow> Blobs(int rows, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, rows).Select(i =>
        {
            bool label = i % 2 == 0;
            float center = label ? 1.5f : -1.5f;
            return new BinaryRow { Label = label, Features = Enumerable.Range(0, 4).Select(_ => center + Normal(random)).ToArray() };
        }).ToList();
    }

    /// <summary>y = 2·x0 − x1 + 0.5·x2 + 0.1·noise, x uniform in [−1, 1].</summary>
    public static List<RegressionRow> Linear(int rows, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, rows).Select(_ =>
        {
            float[] x = Enumerable.Range(0, 3).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
            return new RegressionRow { Features = x, Label = 2 * x[0] - x[1] + 0.5f * x[2] + 0.1f * Normal(random) };
        }).ToList();
    }

    /// <summary>Three well-separated Gaussian clusters (σ = 0.5) in three dimensions, labelled with text.</summary>
    public static List<MulticlassRow> Mixture(int rows, int seed)
    {
        var random = new Random(seed);
        float[][] centers = [[3, 0, 0], [0, 3, 0], [0, 0, 3]];
        return Enumerable.Range(0, rows).Select(i =>
        {
            int c = i % 3;
            return new MulticlassRow
            {
                Label = ClassNames[c],
                F1 = centers[c][0] + 0.5f * Normal(random),
                F2 = centers[c][1] + 0.5f * Normal(random),
                F3 = centers[c][2] + 0.5f * Normal(random),
            };
        }).ToList();
    }

    /// <summary>Options that train in well under a second on a few hundred rows: one adaptive layer, 32 wide at the start.</summary>
    public static T Fast<T>(T options) where T : AdaptiveWidthOptionsBase
    {
        options.NumberOfLayers = 1;
        options.InitialWidth = 32;
        options.MaxEpoch = 15;
        options.BatchSize = 32;
        options.Seed = 1;
        // Two members, not the default four: every test through here still trains, merges and scores an ensemble, at
        // half the cost (DefaultRecipeTest and the sparse tests keep the default four).
        options.EnsembleSize = 2;
        return options;
    }

    private static float Normal(Random random)
        => (float)(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));
}
