namespace Microsoft.ML.AdaptiveWidth.Training;

/// <summary>
/// The discretized exponential distribution over neuron indices (docs/method.md §1.2–§1.3), host-side math in double
/// precision: the width a rate gives, the importance vector, and the softplus parametrisation of the rate.
/// The differentiable version used in training is built from the same formulas in the training network.
/// </summary>
public static class ExponentialImportance
{
    /// <summary>The largest width a layer may take (a rate bound or the settings must keep widths below it).</summary>
    public const int MaxSupportedWidth = 65_536;

    /// <summary>The constant added to every probability before renormalising (as the reference does).</summary>
    public const double Epsilon = 1e-6;

    /// <summary>Width at quantile <paramref name="k"/>: D = floor(−ln(1−k)/λ) + 2.</summary>
    /// <exception cref="ArgumentOutOfRangeException">λ is not positive or k is outside (0, 1).</exception>
    public static int Width(double rate, double k = 0.9)
    {
        if (!(rate > 0) || !double.IsFinite(rate))
        {
            throw new ArgumentOutOfRangeException(nameof(rate), rate, "The rate λ must be positive.");
        }
        if (!(k > 0 && k < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(k), k, "The quantile k must be in (0, 1).");
        }
        double u = -Math.Log(1 - k) / rate;
        // Saturate rather than overflow: callers compare with MaxSupportedWidth.
        return u >= int.MaxValue - 2 ? int.MaxValue : (int)Math.Floor(u) + 2;
    }

    /// <summary>
    /// The renormalised importance vector of length <paramref name="width"/>:
    /// p_i = (F(i+1) − F(i) + 1e-6) / Σ_j (F(j+1) − F(j) + 1e-6), F(x) = 1 − e^{−λx}.
    /// </summary>
    public static double[] Probabilities(double rate, int width)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        var p = new double[width];
        double mass = -double.ExpM1(-rate); // 1 − e^{−λ}
        double sum = 0;
        for (int i = 0; i < width; i++)
        {
            p[i] = Math.Exp(-rate * i) * mass + Epsilon;
            sum += p[i];
        }
        for (int i = 0; i < width; i++)
        {
            p[i] /= sum;
        }
        return p;
    }

    /// <summary>softplus(r) = ln(1 + e^r), computed without overflow.</summary>
    public static double Softplus(double r) => r > 20 ? r : double.LogP1(Math.Exp(r));

    /// <summary>The raw parameter r with softplus(r) = λ: ln(max(e^λ − 1, 1e-6)), as the reference initialises it.</summary>
    public static double InverseSoftplus(double rate) => Math.Log(Math.Max(double.ExpM1(rate), 1e-6));

    /// <summary>
    /// dL/dλ for the importance vector of <see cref="Probabilities"/>, given g = dL/dp (the gradient that autograd
    /// delivers to p). With q_i = e^{−λi}(1 − e^{−λ}) + ε and Z = Σq, p = q/Z, so
    /// dL/dλ = (Σ g_i q_i' − (Σ g_i p_i)·Z')/Z, q_i' = e^{−λi}(e^{−λ} − i(1 − e^{−λ})), Z' = Σ q_i'.
    /// </summary>
    public static double RateGradient(double rate, ReadOnlySpan<float> gradient)
    {
        int width = gradient.Length;
        double mass = -double.ExpM1(-rate);
        double tail = Math.Exp(-rate);
        double z = 0, zPrime = 0, gq = 0, gqPrime = 0;
        for (int i = 0; i < width; i++)
        {
            double decay = Math.Exp(-rate * i);
            double q = decay * mass + Epsilon;
            double qPrime = decay * (tail - i * mass);
            z += q;
            zPrime += qPrime;
            gq += gradient[i] * q;
            gqPrime += gradient[i] * qPrime;
        }
        return (gqPrime - gq / z * zPrime) / z;
    }

    /// <summary>
    /// The importance that multiplies a layer's activations: p itself, or with <paramref name="normalize"/> p rescaled to
    /// a mean square of 1, p̂ = p·√D/‖p‖₂ (docs/method.md §5.8): the same order and shape, but a uniform importance
    /// would be exactly a plain layer, so the next layer's weights keep a plain network's scale (the rescaled
    /// initialisation's Var = 2/Σp² becomes Kaiming's 2/D) whatever the width and rate.
    /// </summary>
    public static double[] Scaled(double rate, int width, bool normalize)
    {
        double[] p = Probabilities(rate, width);
        if (normalize)
        {
            double factor = Math.Sqrt(width / p.Sum(v => v * v));
            for (int i = 0; i < p.Length; i++)
            {
                p[i] *= factor;
            }
        }
        return p;
    }

    /// <summary>
    /// dL/dλ given dL/dp̂ for the importance of <see cref="Scaled"/>: with normalisation p̂ = √D·p/‖p‖ (D fixed within a
    /// batch), so dL/dp = √D·(g − u·(uᵀg))/‖p‖ with u = p/‖p‖, before <see cref="RateGradient"/>.
    /// </summary>
    public static double ScaledRateGradient(double rate, ReadOnlySpan<float> gradient, bool normalize)
    {
        if (!normalize)
        {
            return RateGradient(rate, gradient);
        }
        double[] p = Probabilities(rate, gradient.Length);
        double norm = Math.Sqrt(p.Sum(v => v * v));
        double root = Math.Sqrt(gradient.Length);
        double dot = 0;
        for (int i = 0; i < p.Length; i++)
        {
            dot += p[i] / norm * gradient[i];
        }
        var unscaled = new float[p.Length];
        for (int i = 0; i < p.Length; i++)
        {
            unscaled[i] = (float)(root * (gradient[i] - p[i] / norm * dot) / norm);
        }
        return RateGradient(rate, unscaled);
    }

    /// <summary>d softplus(r)/dr = σ(r), the logistic function.</summary>
    public static double SoftplusDerivative(double r) => 1 / (1 + Math.Exp(-r));
}
