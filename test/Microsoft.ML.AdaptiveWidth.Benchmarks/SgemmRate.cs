using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace Microsoft.ML.AdaptiveWidth.Benchmarks;

/// <summary>One measured matrix product size, C[m × n] = A[m × k]·B[k × n]: GFLOP/s by CPU time and by wall time.</summary>
internal sealed record SgemmSize(int M, int K, int N, Stats CpuGigaFlops, Stats WallGigaFlops)
{
    public string Name => $"{M}×{K} · {K}×{N}";
}

/// <summary>
/// libtorch's single-precision matrix-product rate in this process, at the intra-op thread count already set: the
/// machine's arithmetic limit for the training-speed study. Each size runs batches of products for a fixed time; the
/// rate of a batch is 2·m·k·n·calls / time, and the median over batches is reported.
/// </summary>
internal static class SgemmRate
{
    /// <summary>Shapes of the study's networks at batch 128, and two large squares (the peak).</summary>
    private static readonly (int M, int K, int N)[] Sizes =
    [
        (128, 50, 256), (128, 256, 256), (128, 50, 1024), (128, 1024, 1024), (512, 512, 512), (1024, 1024, 1024),
    ];

    public static IReadOnlyList<SgemmSize> Measure(bool quick)
    {
        int batches = quick ? 3 : 9;
        double secondsPerBatch = quick ? 0.02 : 0.12;
        var result = new List<SgemmSize>();
        using var generator = new Generator(7);
        foreach ((int m, int k, int n) in Sizes)
        {
            using var a = randn([m, k], generator: generator);
            using var b = randn([k, n], generator: generator);
            double flops = 2.0 * m * k * n;
            // Calls per batch from a short warm-up, so that every batch runs about secondsPerBatch.
            var clock = Stopwatch.StartNew();
            int warm = 0;
            while (clock.Elapsed.TotalSeconds < secondsPerBatch / 4 || warm < 3)
            {
                Product(a, b);
                warm++;
            }
            int calls = Math.Max(1, (int)(warm / clock.Elapsed.TotalSeconds * secondsPerBatch));
            var cpuRates = new List<double>();
            var wallRates = new List<double>();
            for (int i = 0; i < batches; i++)
            {
                double cpu = CpuClock.Milliseconds();
                clock.Restart();
                for (int c = 0; c < calls; c++)
                {
                    Product(a, b);
                }
                wallRates.Add(flops * calls / clock.Elapsed.TotalSeconds / 1e9);
                cpuRates.Add(flops * calls / ((CpuClock.Milliseconds() - cpu) / 1e3) / 1e9);
            }
            result.Add(new SgemmSize(m, k, n, Stats.Of(cpuRates), Stats.Of(wallRates)));
        }
        return result;
    }

    private static void Product(Tensor a, Tensor b)
    {
        using Tensor c = a.mm(b);
    }
}
