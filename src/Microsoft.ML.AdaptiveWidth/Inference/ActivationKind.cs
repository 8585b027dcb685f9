namespace Microsoft.ML.AdaptiveWidth.Inference;

/// <summary>The nonlinearity of the adaptive hidden layers.</summary>
public enum ActivationKind
{
    /// <summary>min(max(x, 0), 6). Bounded: the paper's recommendation, and the default; keeps widths stable.</summary>
    ReLU6 = 0,

    /// <summary>max(x, 0). Unbounded: the next layer can undo small importances, so widths tend to drift upward.</summary>
    ReLU = 1,

    /// <summary>x for x ≥ 0, 0.01·x otherwise. Unbounded, like <see cref="ReLU"/>.</summary>
    LeakyReLU = 2,

    /// <summary>No nonlinearity (used for the output layer).</summary>
    Identity = 3,
}
