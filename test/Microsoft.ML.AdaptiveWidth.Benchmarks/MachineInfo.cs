using System.Runtime.InteropServices;

namespace Microsoft.ML.AdaptiveWidth.Benchmarks;

/// <summary>What a benchmark table says about where it was measured.</summary>
internal static class MachineInfo
{
    /// <summary>The CPU model from /proc/cpuinfo (Linux), or the architecture when unavailable.</summary>
    public static string CpuModel()
    {
        try
        {
            string? line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            if (line is not null && line.IndexOf(':') is int colon and >= 0)
            {
                return line[(colon + 1)..].Trim();
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return RuntimeInformation.ProcessArchitecture.ToString();
    }

    public static string Describe() =>
        $"{CpuModel()}, {Environment.ProcessorCount} logical cores, {RuntimeInformation.OSDescription} ({RuntimeInformation.ProcessArchitecture}), .NET {Environment.Version}";

    /// <summary>The repository root (the folder holding AdaptiveWidth.sln) above the program or the current folder.</summary>
    public static string? RepositoryRoot()
    {
        foreach (string start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
        {
            for (DirectoryInfo? d = new(start); d is not null; d = d.Parent)
            {
                if (File.Exists(Path.Combine(d.FullName, "AdaptiveWidth.sln")))
                {
                    return d.FullName;
                }
            }
        }

        return null;
    }
}
