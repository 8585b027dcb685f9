using Microsoft.ML.AdaptiveWidth.Tests.MLNet;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.AdaptiveWidth;

namespace Microsoft.ML.AdaptiveWidth.Tests.Reliability;

/// <summary>
/// The fuzzer's seed models (Fixtures/fuzz-{binary,multiclass,regression}.zip): small networks of each task, so that a
/// mutation often hits a count or a header. They are committed so that the fuzz command runs without training (the
/// probe has no libtorch); <c>AW_UPDATE_RELIABILITY_DOCS=1</c> retrains and rewrites them.
/// </summary>
[TestClass]
public sealed class ReliabilityFixturesTest
{
    internal static readonly string[] Tasks = ["binary", "multiclass", "regression"];

    [TestMethod]
    public void ReliabilityFixtures_EveryTask_LoadsAndHasOneNetworkEntry()
    {
        if (ReliabilityEnvironment.UpdateDocs)
        {
            foreach (string task in Tasks)
            {
                Train(task, Path.Combine(ReliabilityEnvironment.FixturesSource, $"fuzz-{task}.zip"));
            }
        }
        foreach (string task in Tasks)
        {
            string path = Path.Combine(ReliabilityEnvironment.FixturesSource, $"fuzz-{task}.zip");
            Assert.IsTrue(File.Exists(path), path);
            var ml = new MLContext(seed: 1);
            ml.Model.Load(path, out DataViewSchema schema);
            Assert.IsInstanceOfType<VectorDataViewType>(schema["Features"].Type);
            using var zip = System.IO.Compression.ZipFile.OpenRead(path);
            Assert.AreEqual(1, zip.Entries.Count(e => e.FullName.EndsWith("AdaptiveWidthModel.bin", StringComparison.Ordinal)), task);
        }
    }

    private static void Train(string task, string path)
    {
        var ml = new MLContext(seed: 1);
        static T Small<T>(T o) where T : AdaptiveWidthOptionsBase
        {
            MLNetTestData.Fast(o);
            o.InitialWidth = 6;
            o.MaximumWidth = 12;
            o.MaxEpoch = 5;
            o.NumberOfLayers = 2;
            return o;
        }
        switch (task)
        {
            case "binary":
            {
                IDataView data = ml.Data.LoadFromEnumerable(MLNetTestData.Blobs(100, seed: 1));
                ml.Model.Save(ml.BinaryClassification.Trainers.AdaptiveWidth(Small(new AdaptiveWidthBinaryTrainer.Options())).Fit(data), data.Schema, path);
                break;
            }
            case "multiclass":
            {
                IDataView all = ml.Data.LoadFromEnumerable(MLNetTestData.Mixture(120, seed: 2));
                IDataView data = ml.Transforms.Concatenate("Features", "F1", "F2", "F3").Append(ml.Transforms.Conversion.MapValueToKey("Label")).Fit(all).Transform(all);
                ml.Model.Save(ml.MulticlassClassification.Trainers.AdaptiveWidth(Small(new AdaptiveWidthMulticlassTrainer.Options())).Fit(data), data.Schema, path);
                break;
            }
            default:
            {
                IDataView data = ml.Data.LoadFromEnumerable(MLNetTestData.Linear(100, seed: 3));
                ml.Model.Save(ml.Regression.Trainers.AdaptiveWidth(Small(new AdaptiveWidthRegressionTrainer.Options())).Fit(data), data.Schema, path);
                break;
            }
        }
    }
}
