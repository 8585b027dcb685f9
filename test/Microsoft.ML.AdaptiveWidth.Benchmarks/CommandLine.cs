using System.Diagnostics;

namespace Microsoft.ML.AdaptiveWidth.Benchmarks;

/// <summary>The benchmark program's command line: option values, and running this program again as a child process.</summary>
internal static class CommandLine
{
    /// <summary>The value after <paramref name="name"/> in <paramref name="args"/>, or <paramref name="fallback"/>.</summary>
    public static string Argument(string[] args, string name, string fallback)
    {
        int at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? args[at + 1] : fallback;
    }

    /// <summary>
    /// Starts this program with <paramref name="arguments"/> (through <c>dotnet</c> and this assembly when it was started
    /// that way), so that a study or a measured run gets a process of its own.
    /// </summary>
    public static ProcessStartInfo Self(IEnumerable<string> arguments, bool redirectOutput)
    {
        string self = Environment.ProcessPath ?? throw new InvalidOperationException("No process path.");
        var start = new ProcessStartInfo(self)
        {
            UseShellExecute = false, RedirectStandardOutput = redirectOutput, RedirectStandardError = redirectOutput,
        };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            start.ArgumentList.Add(typeof(CommandLine).Assembly.Location);
        }
        foreach (string a in arguments)
        {
            start.ArgumentList.Add(a);
        }
        return start;
    }
}
