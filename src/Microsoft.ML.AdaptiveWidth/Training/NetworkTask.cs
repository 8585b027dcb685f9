namespace Microsoft.ML.AdaptiveWidth.Training;

/// <summary>What the network predicts, which fixes its output layer and likelihood.</summary>
public enum NetworkTask
{
    /// <summary>Two classes: one output logit, Bernoulli likelihood (binary cross-entropy).</summary>
    BinaryClassification = 0,

    /// <summary>K ≥ 2 classes: K output logits, categorical likelihood (cross-entropy).</summary>
    MulticlassClassification = 1,

    /// <summary>One real target: Gaussian likelihood with unit variance (½·squared error).</summary>
    Regression = 2,
}
