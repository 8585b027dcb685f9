namespace Microsoft.ML.AdaptiveWidth.Datasets;

/// <summary>
/// A bit-exact re-implementation of NumPy's legacy global random generator (<c>np.random.seed</c>,
/// <c>np.random.rand</c>, <c>np.random.randn</c>), enough to regenerate the paper's synthetic data sets:
/// MT19937 seeded with <c>init_genrand</c>, 53-bit uniform doubles from two 32-bit outputs, and normals from the
/// Marsaglia polar method with one cached value.
/// </summary>
/// <remarks>Not thread-safe. Arrays are filled element by element, as NumPy fills them in row-major order.</remarks>
public sealed class NumPyLegacyRandom
{
    private const int N = 624;
    private const int M = 397;
    private const uint MatrixA = 0x9908b0dfu;
    private const uint UpperMask = 0x80000000u;
    private const uint LowerMask = 0x7fffffffu;

    private readonly uint[] _mt = new uint[N];
    private int _index;
    private bool _hasGauss;
    private double _gauss;

    /// <summary>Creates a generator in the state <c>np.random.seed(seed)</c> leaves.</summary>
    /// <param name="seed">The seed; NumPy accepts 0..2^32-1.</param>
    public NumPyLegacyRandom(uint seed)
    {
        _mt[0] = seed;
        for (int i = 1; i < N; i++)
        {
            // init_genrand: mt[i] = 1812433253 * (mt[i-1] ^ (mt[i-1] >> 30)) + i, modulo 2^32.
            _mt[i] = unchecked((1812433253u * (_mt[i - 1] ^ (_mt[i - 1] >> 30))) + (uint)i);
        }

        _index = N;
    }

    /// <summary>The next tempered 32-bit output of MT19937.</summary>
    public uint NextUInt32()
    {
        if (_index >= N)
        {
            Twist();
        }

        uint y = _mt[_index++];
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c5680u;
        y ^= (y << 15) & 0xefc60000u;
        y ^= y >> 18;
        return y;
    }

    /// <summary>One uniform double in [0, 1) as <c>np.random.rand()</c> draws it: 53 bits from two 32-bit outputs.</summary>
    public double NextDouble()
    {
        uint a = NextUInt32() >> 5;
        uint b = NextUInt32() >> 6;
        return ((a * 67108864.0) + b) / 9007199254740992.0;
    }

    /// <summary>One standard normal as <c>np.random.randn()</c> draws it (Marsaglia polar method with a cache).</summary>
    public double NextGaussian()
    {
        if (_hasGauss)
        {
            _hasGauss = false;
            double cached = _gauss;
            _gauss = 0;
            return cached;
        }

        double x1, x2, r2;
        do
        {
            x1 = (2.0 * NextDouble()) - 1.0;
            x2 = (2.0 * NextDouble()) - 1.0;
            r2 = (x1 * x1) + (x2 * x2);
        }
        while (r2 >= 1.0 || r2 == 0.0);

        double f = Math.Sqrt(-2.0 * Math.Log(r2) / r2);
        _gauss = f * x1;
        _hasGauss = true;
        return f * x2;
    }

    /// <summary><c>np.random.rand(n)</c>: <paramref name="n"/> uniform doubles in [0, 1).</summary>
    /// <param name="n">Number of values.</param>
    public double[] Rand(int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        var values = new double[n];
        for (int i = 0; i < n; i++)
        {
            values[i] = NextDouble();
        }

        return values;
    }

    /// <summary><c>np.random.randn(n)</c>: <paramref name="n"/> standard normals.</summary>
    /// <param name="n">Number of values.</param>
    public double[] Randn(int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        var values = new double[n];
        for (int i = 0; i < n; i++)
        {
            values[i] = NextGaussian();
        }

        return values;
    }

    private void Twist()
    {
        for (int k = 0; k < N; k++)
        {
            uint y = (_mt[k] & UpperMask) | (_mt[(k + 1) % N] & LowerMask);
            _mt[k] = _mt[(k + M) % N] ^ (y >> 1) ^ ((y & 1u) != 0 ? MatrixA : 0u);
        }

        _index = 0;
    }
}
