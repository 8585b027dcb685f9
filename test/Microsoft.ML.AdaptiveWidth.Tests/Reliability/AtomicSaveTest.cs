using Microsoft.ML.AdaptiveWidth.Tests.MLNet;
using Microsoft.ML.Trainers.AdaptiveWidth;

namespace Microsoft.ML.AdaptiveWidth.Tests.Reliability;

/// <summary>
/// A model saved by a process that is killed mid-save is either complete or absent with
/// <see cref="AtomicModelSave.SaveAtomically"/>: a child process (the scoring probe's save-loop mode) saves a model
/// again and again and is killed at random moments; what is left at the path must load and score like the model.
/// ML.NET's plain Save writes in place; the same experiment with it is reported, not asserted.
/// </summary>
[TestClass]
public sealed class AtomicSaveTest
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void SaveAtomically_ReplacesTheFileAndLeavesNoTemporary()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = ml.Data.LoadFromEnumerable(MLNetTestData.Blobs(60, seed: 1));
        var model = ml.BinaryClassification.Trainers.AdaptiveWidth(MLNetTestData.Fast(new AdaptiveWidthBinaryTrainer.Options())).Fit(data);
        string folder = Directory.CreateTempSubdirectory("aw-atomic-").FullName;
        try
        {
            string path = Path.Combine(folder, "model.zip");
            File.WriteAllText(path, "an older file");

            ml.Model.SaveAtomically(model, data.Schema, path);

            ITransformer loaded = ml.Model.Load(path, out _);
            MLNetAssert.BitIdentical(MLNetAssert.Floats(model.Transform(data), "Score"), MLNetAssert.Floats(loaded.Transform(data), "Score"), "Score");
            CollectionAssert.AreEqual(new[] { "model.zip" }, Directory.GetFiles(folder).Select(Path.GetFileName).ToArray());
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [TestMethod]
    public void SaveAtomically_ChildKilledMidSave_LeavesACompleteModel()
    {
        (int broken, int kills, int stale) = KillDuringSaves("atomic", kills: 6);
        TestContext.WriteLine($"atomic: {broken} of {kills} kills left a model that does not load; {stale} stale temporary files");
        Assert.AreEqual(0, broken);

        (int plainBroken, int plainKills, _) = KillDuringSaves("plain", kills: 6);
        TestContext.WriteLine($"plain ML.NET Save: {plainBroken} of {plainKills} kills left a model that does not load");
    }

    /// <summary>Starts the save loop, kills it after a random delay once a save has completed, and checks the file; returns
    /// how many kills left a file that does not load or scores differently, and how many temporary files were left.</summary>
    private static (int Broken, int Kills, int Stale) KillDuringSaves(string mode, int kills)
    {
        string folder = Directory.CreateTempSubdirectory("aw-kill-").FullName;
        try
        {
            string source = Path.Combine(ReliabilityEnvironment.Fixtures, "fuzz-multiclass.zip");
            string target = Path.Combine(folder, "model.zip");
            var ml = new MLContext(seed: 1);
            var random = new Random(3);
            int broken = 0;
            for (int k = 0; k < kills; k++)
            {
                using var probe = ReliabilityEnvironment.StartProbe("save-loop", source, target, mode);
                Task<string> errors = probe.StandardError.ReadToEndAsync();
                string? line = probe.StandardOutput.ReadLine();
                if (line is null)
                {
                    Assert.Fail("the save loop ended before its first save: " + errors.Result);
                }
                Thread.Sleep(random.Next(1, 40));
                probe.Kill(entireProcessTree: true);
                Assert.IsTrue(probe.WaitForExit(TimeSpan.FromSeconds(30)), "the killed save loop did not exit");
                try
                {
                    ml.Model.Load(target, out _);
                }
                catch (Exception)
                {
                    broken++;
                }
            }
            int stale = Directory.GetFiles(folder, "*.tmp", new EnumerationOptions { AttributesToSkip = 0 }).Length;
            return (broken, kills, stale);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
