using TorchSharp;

namespace Microsoft.ML.AdaptiveWidth.Training;

/// <summary>The one place that initialises libtorch and sets its thread count.</summary>
internal static class TorchRuntime
{
    private static readonly object Gate = new();

    /// <summary>Initialises TorchSharp (loading libtorch) and sets the number of intra-op threads.</summary>
    /// <param name="intraOpThreads">Threads for one op; 1 is fastest for the small matrices of tabular nets.</param>
    public static void Initialize(int intraOpThreads)
    {
        lock (Gate)
        {
            if (torch.get_num_threads() != intraOpThreads)
            {
                torch.set_num_threads(intraOpThreads);
            }
        }
    }
}
