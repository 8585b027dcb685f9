using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Text.Json;

namespace Microsoft.ML.AdaptiveWidth.ScoringProbe;

/// <summary>
/// <c>fuzz [--cases N] [--seed S] [--timeout-seconds T] [--fixtures DIR] [--json FILE] [--docs FILE]</c>: for each task
/// (binary, multiclass, regression) writes N mutants of the fixture model zip, each mutated inside our own entry
/// (<c>AdaptiveWidthModel.bin</c>; the zip is rewritten, so its own CRC is valid), and loads and scores every mutant in
/// a child process (<see cref="FuzzChild"/>) with a 512 MiB GC heap limit and a per-file watchdog. Reports per task:
/// exceptions by type, loads that succeeded (identical or different scores), crashes (the child died without a
/// result line), hangs (no result within the timeout: the child is killed) and out-of-memory. Half of the mutants are
/// "resealed": the fuzzer recomputes our entry's CRC (and often its body length) after mutating, so that the parser
/// behind the checksum is exercised too; such a file is valid by construction when only weights changed, so a load
/// with different scores is expected there and is counted separately. An unresealed mutant must never load with
/// different scores.
/// </summary>
internal static class Fuzzer
{
    internal const string EntryName = "AdaptiveWidthModel.bin";
    private static readonly string[] Tasks = ["binary", "multiclass", "regression"];

    public static int Run(string[] args)
    {
        int cases = IntOption(args, "--cases", 200);
        int seed = IntOption(args, "--seed", 20260101);
        int timeoutSeconds = IntOption(args, "--timeout-seconds", 10);
        string fixtures = Option(args, "--fixtures") ?? DefaultFixtures();
        string? json = Option(args, "--json");
        string? docs = Option(args, "--docs");
        string work = Directory.CreateTempSubdirectory("aw-fuzz-").FullName;
        var clock = Stopwatch.StartNew();
        try
        {
            var reports = new List<TaskReport>();
            foreach (string task in Tasks)
            {
                string original = Path.Combine(fixtures, $"fuzz-{task}.zip");
                reports.Add(FuzzTask(task, original, cases, seed, TimeSpan.FromSeconds(timeoutSeconds), Path.Combine(work, task)));
            }
            var summary = new Summary(cases, seed, timeoutSeconds, clock.Elapsed.TotalSeconds, reports);
            string text = JsonSerializer.Serialize(summary);
            Console.Out.WriteLine(Markdown(summary));
            Console.Out.WriteLine("SUMMARY " + text);
            if (json is not null)
            {
                File.WriteAllText(json, text);
            }
            if (docs is not null)
            {
                ReplaceSection(docs, "fuzz", Markdown(summary));
            }
            bool clean = reports.All(r => r.Crashes == 0 && r.Hangs == 0 && r.OutOfMemory == 0 && r.LoadedDifferentUnsealed == 0);
            return clean ? 0 : 1;
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static TaskReport FuzzTask(string task, string originalZip, int cases, int seed, TimeSpan timeout, string folder)
    {
        Directory.CreateDirectory(folder);
        byte[] entry = ReadEntry(originalZip);
        var layout = EntryLayout.Parse(entry);
        if (!Reseal(entry.ToArray(), fixLength: true).AsSpan().SequenceEqual(entry))
        {
            throw new InvalidOperationException("The fuzzer's CRC does not reproduce the entry's: the reseal would be wrong.");
        }
        var random = new Random(seed + Array.IndexOf(Tasks, task) * 7919);
        var mutants = new List<Mutant>();
        for (int i = 0; i < cases; i++)
        {
            (byte[] bytes, string description, bool sealed_) = Mutate(entry, layout, random);
            string path = Path.Combine(folder, $"m{i:D5}.zip");
            WriteWithEntry(originalZip, path, bytes);
            mutants.Add(new Mutant(i, path, description, sealed_));
        }

        var report = new TaskReport { Task = task, Cases = cases };
        int next = 0;
        int deadStarts = 0;
        while (next < mutants.Count)
        {
            string list = Path.Combine(folder, $"list-{next}.txt");
            File.WriteAllLines(list, mutants.Skip(next).Select(m => $"{m.Index}\t{m.Path}"));
            (int resume, bool started) = RunChild(originalZip, list, mutants, report, timeout);
            if (!started && ++deadStarts > 2)
            {
                throw new InvalidOperationException("The fuzz child failed to start (could not score the original model).");
            }
            next = Math.Max(resume, next + (started ? 0 : 1));
        }
        return report;
    }

    /// <summary>Runs one child over the list; returns the index to resume from.</summary>
    private static (int Resume, bool Started) RunChild(string originalZip, string list, List<Mutant> mutants, TaskReport report, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!)
        {
            RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = false, UseShellExecute = false,
        };
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet")
        {
            start.ArgumentList.Add(typeof(Fuzzer).Assembly.Location);
        }
        start.ArgumentList.Add("fuzz-child");
        start.ArgumentList.Add(originalZip);
        start.ArgumentList.Add(list);
        // A mutant that makes the loader allocate gigabytes then fails fast with OutOfMemoryException, which is reported.
        start.Environment["DOTNET_GCHeapHardLimit"] = "20000000"; // hex: 512 MiB
        using var process = Process.Start(start)!;
        var lines = new BlockingCollection<string?>();
        var stderr = new StringBuilder();
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (stderr) { stderr.AppendLine(e.Data); } } };
        process.BeginErrorReadLine();
        var reader = new Thread(() =>
        {
            string? line;
            while ((line = process.StandardOutput.ReadLine()) is not null)
            {
                lines.Add(line);
            }
            lines.Add(null);
        }) { IsBackground = true };
        reader.Start();

        int resume = mutants.Count;
        int? current = null;
        bool started = false;
        while (true)
        {
            TimeSpan wait = current is null ? TimeSpan.FromSeconds(120) : timeout;
            if (!lines.TryTake(out string? line, wait))
            {
                Kill(process);
                if (current is int hung)
                {
                    report.Hangs++;
                    report.Examples.TryAdd("hang", $"{mutants[hung].Description}");
                    return (hung + 1, started);
                }
                return (resume, started);
            }
            if (line is null)
            {
                process.WaitForExit();
                if (current is int crashed)
                {
                    report.Crashes++;
                    string tail;
                    lock (stderr)
                    {
                        tail = stderr.ToString();
                    }
                    report.Examples.TryAdd("crash", $"exit {process.ExitCode}: {mutants[crashed].Description}: {Tail(tail)}");
                    return (crashed + 1, started);
                }
                return (resume, started);
            }
            if (line.StartsWith("READY", StringComparison.Ordinal))
            {
                started = true;
            }
            else if (line.StartsWith("BEGIN ", StringComparison.Ordinal))
            {
                current = int.Parse(line[6..], CultureInfo.InvariantCulture);
            }
            else if (line.StartsWith("RESULT\t", StringComparison.Ordinal))
            {
                string[] f = line.Split('\t');
                int index = int.Parse(f[1], CultureInfo.InvariantCulture);
                Record(report, mutants[index], long.Parse(f[2], CultureInfo.InvariantCulture), long.Parse(f[3], CultureInfo.InvariantCulture), f[4], f.Skip(5).ToArray());
                current = null;
                resume = index + 1;
            }
            else if (line == "DONE")
            {
                resume = mutants.Count;
            }
        }
    }

    private static void Record(TaskReport report, Mutant mutant, long allocated, long milliseconds, string status, string[] detail)
    {
        report.MaxAllocatedBytes = Math.Max(report.MaxAllocatedBytes, allocated);
        report.MaxMilliseconds = Math.Max(report.MaxMilliseconds, milliseconds);
        switch (status)
        {
            case "OK-identical":
                report.LoadedIdentical++;
                break;
            case "OK-different":
            case "OK-nonfinite":
                if (mutant.Sealed)
                {
                    report.LoadedDifferentResealed++;
                    if (status == "OK-nonfinite")
                    {
                        report.LoadedNonFiniteResealed++;
                    }
                }
                else
                {
                    report.LoadedDifferentUnsealed++;
                    report.Examples.TryAdd("loaded-different-unsealed", mutant.Description);
                }
                break;
            case "OOM":
                report.OutOfMemory++;
                report.Examples.TryAdd("oom", mutant.Description);
                break;
            default:
                string key = $"{(status == "LOAD-EXC" ? "load" : "score")}: {detail[0]}";
                report.Exceptions[key] = report.Exceptions.GetValueOrDefault(key) + 1;
                report.Examples.TryAdd(key, $"{mutant.Description} -> {detail[1]}: {detail[2]}");
                break;
        }
    }

    // ---------------------------------------------------------------- mutation

    private static readonly uint[] InterestingCounts =
        [0, 1, 2, 3, 63, 64, 65, 65_535, 65_536, 65_537, 10_000_001, 1u << 20, 1u << 28, (1u << 28) + 1, int.MaxValue, 1u << 31, uint.MaxValue];

    private static readonly float[] InterestingFloats =
        [float.NaN, float.PositiveInfinity, float.NegativeInfinity, float.MaxValue, -float.MaxValue, 1e30f, 0f, -0f, float.Epsilon, 1f, -1f];

    private static (byte[] Bytes, string Description, bool Sealed) Mutate(byte[] original, EntryLayout layout, Random random)
    {
        var bytes = new List<byte>(original);
        var what = new List<string>();
        int operations = 1 + random.Next(3);
        for (int k = 0; k < operations; k++)
        {
            int n = bytes.Count;
            switch (random.Next(10))
            {
                case 0 when n > 0:
                {
                    int at = random.Next(n);
                    int bit = random.Next(8);
                    bytes[at] ^= (byte)(1 << bit);
                    what.Add($"flip bit {bit} of byte {at}");
                    break;
                }
                case 1 when n > 0:
                {
                    int count = 1 + random.Next(4);
                    for (int j = 0; j < count; j++)
                    {
                        bytes[random.Next(n)] = (byte)random.Next(256);
                    }
                    what.Add($"{count} random bytes");
                    break;
                }
                case 2:
                {
                    int at = layout.CountFields[random.Next(layout.CountFields.Length)];
                    uint value = InterestingCounts[random.Next(InterestingCounts.Length)];
                    SetUInt32(bytes, at, value);
                    what.Add($"field at {at} := {value}");
                    break;
                }
                case 3:
                {
                    (int start, int length) = layout.FloatRegions[random.Next(layout.FloatRegions.Length)];
                    int at = start + 4 * random.Next(length / 4);
                    float value = random.Next(4) == 0 ? BitConverter.Int32BitsToSingle(random.Next() ^ (random.Next(2) << 31)) : InterestingFloats[random.Next(InterestingFloats.Length)];
                    SetUInt32(bytes, at, BitConverter.SingleToUInt32Bits(value));
                    what.Add($"float at {at} := {value.ToString("R", CultureInfo.InvariantCulture)}");
                    break;
                }
                case 4 when n > 0:
                {
                    int length = random.Next(n);
                    bytes.RemoveRange(length, n - length);
                    what.Add($"truncate to {length}");
                    break;
                }
                case 5:
                {
                    int count = 1 + random.Next(64);
                    for (int j = 0; j < count; j++)
                    {
                        bytes.Add((byte)random.Next(256));
                    }
                    what.Add($"append {count}");
                    break;
                }
                case 6 when n > 1:
                {
                    int at = random.Next(n);
                    int count = Math.Min(1 + random.Next(16), n - at);
                    bytes.RemoveRange(at, count);
                    what.Add($"delete {count} at {at}");
                    break;
                }
                case 7:
                {
                    int at = random.Next(n + 1);
                    byte[] insert = new byte[1 + random.Next(16)];
                    random.NextBytes(insert);
                    bytes.InsertRange(at, insert);
                    what.Add($"insert {insert.Length} at {at}");
                    break;
                }
                case 8:
                {
                    uint version = random.Next(2) == 0 ? 2u : (uint)random.Next(2, int.MaxValue);
                    SetUInt32(bytes, 4, version);
                    what.Add($"version := {version}");
                    break;
                }
                default:
                {
                    // Absurd sizes: a layer of 2^31 units, or a huge input or layer count.
                    int at = layout.CountFields[random.Next(layout.CountFields.Length)];
                    uint value = random.Next(3) switch { 0 => 1u << 31, 1 => int.MaxValue, _ => (uint)random.Next(65_537, int.MaxValue) };
                    SetUInt32(bytes, at, value);
                    what.Add($"absurd size at {at} := {value}");
                    break;
                }
            }
        }
        byte[] result = bytes.ToArray();
        int reseal = random.Next(10);
        if (reseal >= 4 && result.Length >= 12)
        {
            bool fixLength = reseal >= 7;
            result = Reseal(result, fixLength);
            what.Add(fixLength ? "resealed (CRC and body length)" : "resealed (CRC)");
            return (result, string.Join(", ", what), true);
        }
        return (result, string.Join(", ", what), false);
    }

    private static void SetUInt32(List<byte> bytes, int at, uint value)
    {
        for (int j = 0; j < 4 && at + j < bytes.Count; j++)
        {
            bytes[at + j] = (byte)(value >> (8 * j));
        }
    }

    /// <summary>Recomputes the trailing CRC-32 (and optionally the body length) so that the mutation passes the checksum.</summary>
    private static byte[] Reseal(byte[] bytes, bool fixLength)
    {
        if (fixLength)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), (uint)(bytes.Length - 12));
        }
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(bytes.Length - 4), Crc32(bytes.AsSpan(0, bytes.Length - 4)));
        return bytes;
    }

    private static uint Crc32(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
            }
        }
        return ~crc;
    }

    // ---------------------------------------------------------------- zip

    internal static byte[] ReadEntry(string zipPath)
    {
        using ZipArchive zip = ZipFile.OpenRead(zipPath);
        ZipArchiveEntry entry = zip.Entries.Single(e => e.FullName.EndsWith(EntryName, StringComparison.Ordinal));
        using Stream s = entry.Open();
        using var m = new MemoryStream();
        s.CopyTo(m);
        return m.ToArray();
    }

    /// <summary>Copies the zip entry by entry, in order, with our entry's bytes replaced.</summary>
    internal static void WriteWithEntry(string originalZip, string path, byte[] entryBytes)
    {
        using ZipArchive source = ZipFile.OpenRead(originalZip);
        using var output = new FileStream(path, FileMode.Create);
        using var target = new ZipArchive(output, ZipArchiveMode.Create);
        foreach (ZipArchiveEntry e in source.Entries)
        {
            ZipArchiveEntry copy = target.CreateEntry(e.FullName, CompressionLevel.Fastest);
            using Stream to = copy.Open();
            if (e.FullName.EndsWith(EntryName, StringComparison.Ordinal))
            {
                to.Write(entryBytes);
            }
            else
            {
                using Stream from = e.Open();
                from.CopyTo(to);
            }
        }
    }

    /// <summary>Where the counts and the floats of a valid entry are (the format of AdaptiveWidthModelFormat, version 1).</summary>
    private sealed record EntryLayout(int[] CountFields, (int Start, int Length)[] FloatRegions)
    {
        public static EntryLayout Parse(byte[] b)
        {
            var counts = new List<int> { 4, 8, 12 };
            var floats = new List<(int, int)>();
            int layers = BinaryPrimitives.ReadInt32LittleEndian(b.AsSpan(12));
            int at = 16;
            var outputs = new int[layers];
            for (int l = 0; l < layers; l++)
            {
                int inputs = BinaryPrimitives.ReadInt32LittleEndian(b.AsSpan(at));
                outputs[l] = BinaryPrimitives.ReadInt32LittleEndian(b.AsSpan(at + 4));
                counts.AddRange([at, at + 4, at + 8]);
                at += 12;
                floats.Add((at, 4 * inputs * outputs[l]));
                at += 4 * inputs * outputs[l];
                floats.Add((at, 4 * outputs[l]));
                at += 4 * outputs[l];
            }
            for (int l = 0; l < layers - 1; l++)
            {
                floats.Add((at, 4 * outputs[l]));
                at += 4 * outputs[l];
            }
            return new EntryLayout(counts.ToArray(), floats.ToArray());
        }
    }

    // ---------------------------------------------------------------- reporting

    private static string Markdown(Summary s)
    {
        var b = new StringBuilder();
        b.AppendLine(CultureInfo.InvariantCulture, $"Measured with `dotnet run --project test/Microsoft.ML.AdaptiveWidth.ScoringProbe -c Release -- fuzz --cases {s.CasesPerTask} --seed {s.Seed} --docs docs/reliability.md` " +
            $"({s.CasesPerTask} mutants per task, watchdog {s.TimeoutSeconds} s per file, child GC heap limit 512 MiB, {s.Seconds:F0} s in all).");
        b.AppendLine();
        b.AppendLine("| task | cases | load threw InvalidDataException | other exceptions | loaded, identical scores | loaded, different scores (not resealed; must be 0) | loaded, different scores (resealed: valid by construction) | of which non-finite | crashes | hangs | out of memory | max allocated per file | max ms per file |");
        b.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (TaskReport r in s.Tasks)
        {
            int invalid = r.Exceptions.GetValueOrDefault("load: InvalidDataException");
            int other = r.Exceptions.Where(e => e.Key != "load: InvalidDataException").Sum(e => e.Value);
            b.AppendLine(CultureInfo.InvariantCulture,
                $"| {r.Task} | {r.Cases} | {invalid} | {other} | {r.LoadedIdentical} | {r.LoadedDifferentUnsealed} | {r.LoadedDifferentResealed} | {r.LoadedNonFiniteResealed} | {r.Crashes} | {r.Hangs} | {r.OutOfMemory} | {r.MaxAllocatedBytes / 1024.0:F0} KiB | {r.MaxMilliseconds} |");
        }
        b.AppendLine();
        b.AppendLine("Exceptions by stage and type (all tasks):");
        b.AppendLine();
        foreach (var group in s.Tasks.SelectMany(t => t.Exceptions).GroupBy(e => e.Key).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            string example = s.Tasks.Select(t => t.Examples.GetValueOrDefault(group.Key)).First(x => x is not null)!;
            b.AppendLine(CultureInfo.InvariantCulture, $"- {group.Key}: {group.Sum(e => e.Value)} (e.g. {example.Replace("|", "\\|", StringComparison.Ordinal)})");
        }
        return b.ToString().TrimEnd();
    }

    /// <summary>Replaces the text between <c>&lt;!-- name:begin --&gt;</c> and <c>&lt;!-- name:end --&gt;</c>.</summary>
    internal static void ReplaceSection(string file, string name, string content)
    {
        string text = File.ReadAllText(file);
        string begin = $"<!-- {name}:begin -->";
        string end = $"<!-- {name}:end -->";
        int i = text.IndexOf(begin, StringComparison.Ordinal);
        int j = text.IndexOf(end, StringComparison.Ordinal);
        if (i < 0 || j < i)
        {
            throw new InvalidOperationException($"{file} has no section {begin} ... {end}.");
        }
        File.WriteAllText(file, text[..(i + begin.Length)] + "\n" + content + "\n" + text[j..]);
    }

    private static string DefaultFixtures()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "AdaptiveWidth.sln")))
            {
                return Path.Combine(dir.FullName, "test", "Microsoft.ML.AdaptiveWidth.Tests", "Reliability", "Fixtures");
            }
        }
        throw new InvalidOperationException("Pass --fixtures: the repository root was not found above " + AppContext.BaseDirectory);
    }

    private static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
        }
        catch (InvalidOperationException)
        {
            // Already exited.
        }
    }

    private static string Tail(string s) => s.Length <= 400 ? s.ReplaceLineEndings(" ") : s[^400..].ReplaceLineEndings(" ");

    private static string? Option(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    private static int IntOption(string[] args, string name, int fallback)
        => Option(args, name) is string v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;

    private sealed record Mutant(int Index, string Path, string Description, bool Sealed);

    internal sealed record Summary(int CasesPerTask, int Seed, int TimeoutSeconds, double Seconds, List<TaskReport> Tasks);

    internal sealed class TaskReport
    {
        public string Task { get; set; } = "";
        public int Cases { get; set; }
        public int LoadedIdentical { get; set; }
        public int LoadedDifferentUnsealed { get; set; }
        public int LoadedDifferentResealed { get; set; }
        public int LoadedNonFiniteResealed { get; set; }
        public int Crashes { get; set; }
        public int Hangs { get; set; }
        public int OutOfMemory { get; set; }
        public long MaxAllocatedBytes { get; set; }
        public long MaxMilliseconds { get; set; }
        public Dictionary<string, int> Exceptions { get; set; } = [];
        public Dictionary<string, string> Examples { get; set; } = [];
    }
}
