using System.Text.Json;

namespace Microsoft.ML.AdaptiveWidth.Tests.Reliability;

/// <summary>
/// Runs the scoring probe's fuzzer (test/Microsoft.ML.AdaptiveWidth.ScoringProbe/Fuzzer.cs) over 200 mutants of each
/// task's fixture model, each loaded and scored in a child process with a watchdog: no crash, no hang, no
/// out-of-memory, no unresealed mutant that loads with different scores, and every failed load an
/// InvalidDataException. The large run (thousands per task) is a command; docs/reliability.md gives it and its numbers.
/// </summary>
[TestClass]
public sealed class ModelFuzzTest
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    [Timeout(240_000, CooperativeCancellation = true)]
    public void ModelFuzz_200MutantsPerTask_NeverCrashHangExhaustMemoryOrScoreWrongly()
    {
        string json = Path.Combine(Path.GetTempPath(), $"aw-fuzz-{Guid.NewGuid():N}.json");
        using var probe = ReliabilityEnvironment.StartProbe("fuzz", "--cases", "200", "--seed", "7", "--fixtures", ReliabilityEnvironment.Fixtures, "--json", json);
        Task<string> stdout = probe.StandardOutput.ReadToEndAsync();
        Task<string> stderr = probe.StandardError.ReadToEndAsync();
        bool exited = probe.WaitForExit(TimeSpan.FromSeconds(220));
        if (!exited)
        {
            probe.Kill(entireProcessTree: true);
        }
        Assert.IsTrue(exited, "the fuzzer did not finish in time");
        TestContext.WriteLine(stdout.Result);
        Assert.IsTrue(File.Exists(json), stdout.Result + stderr.Result);
        using JsonDocument summary = JsonDocument.Parse(File.ReadAllText(json));
        File.Delete(json);

        foreach (JsonElement task in summary.RootElement.GetProperty("Tasks").EnumerateArray())
        {
            string name = task.GetProperty("Task").GetString()!;
            int Count(string p) => task.GetProperty(p).GetInt32();
            Assert.AreEqual(0, Count("Crashes"), $"{name}: crashes\n{stdout.Result}");
            Assert.AreEqual(0, Count("Hangs"), $"{name}: hangs\n{stdout.Result}");
            Assert.AreEqual(0, Count("OutOfMemory"), $"{name}: out of memory\n{stdout.Result}");
            Assert.AreEqual(0, Count("LoadedDifferentUnsealed"), $"{name}: loaded with different scores\n{stdout.Result}");
            var exceptions = task.GetProperty("Exceptions").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32());
            int handled = exceptions.Values.Sum() + Count("LoadedIdentical") + Count("LoadedDifferentResealed");
            Assert.AreEqual(200, handled, $"{name}: every case has an outcome");
            CollectionAssert.AreEqual(Array.Empty<string>(), exceptions.Keys.Where(k => k.StartsWith("load:", StringComparison.Ordinal) && k != "load: InvalidDataException").ToArray(),
                $"{name}: a failed load that is not an InvalidDataException\n{stdout.Result}");
            Assert.IsLessThan(64L << 20, task.GetProperty("MaxAllocatedBytes").GetInt64(), $"{name}: a load allocated 64 MiB or more");
        }
        Assert.AreEqual(0, probe.ExitCode, stderr.Result);
    }
}
