using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Microsoft.ML.AdaptiveWidth.Benchmarks;

/// <summary>
/// CPU time of the calling thread (Linux: clock_gettime(CLOCK_THREAD_CPUTIME_ID); elsewhere the process's CPU time).
/// libtorch with one intra-op thread runs every op, autograd's included, on the calling thread, so this is the work of a
/// training run without the time spent waiting for a core on a shared machine.
/// </summary>
internal static class CpuClock
{
    private const int ThreadCpuTimeClock = 3; // CLOCK_THREAD_CPUTIME_ID

    public static bool IsThreadClock { get; } = OperatingSystem.IsLinux() && TryThread(out _);

    public static string Description => IsThreadClock ? "thread CPU time (CLOCK_THREAD_CPUTIME_ID)" : "process CPU time";

    public static double Milliseconds() =>
        IsThreadClock && TryThread(out double ms) ? ms : Process.GetCurrentProcess().TotalProcessorTime.TotalMilliseconds;

    private static bool TryThread(out double milliseconds)
    {
        milliseconds = 0;
        try
        {
            if (clock_gettime(ThreadCpuTimeClock, out Timespec t) != 0)
            {
                return false;
            }
            milliseconds = t.Seconds * 1e3 + t.Nanoseconds / 1e6;
            return true;
        }
        catch (DllNotFoundException)
        {
            return false;
        }
        catch (EntryPointNotFoundException)
        {
            return false;
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [DllImport("libc", SetLastError = false)]
    private static extern int clock_gettime(int clock, out Timespec time);
}
