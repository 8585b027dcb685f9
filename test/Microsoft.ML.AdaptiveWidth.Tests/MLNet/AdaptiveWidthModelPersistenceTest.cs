using Microsoft.ML.AdaptiveWidth.Training;
using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using Microsoft.ML.Calibrators;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.AdaptiveWidth;

namespace Microsoft.ML.AdaptiveWidth.Tests.MLNet;

[TestClass]
public sealed class AdaptiveWidthModelPersistenceTest
{
    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    public void AdaptiveWidthBinaryModelParameters_ModelLoad_GivesBitIdenticalScoresAndProbabilities()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = ml.Data.LoadFromEnumerable(MLNetTestData.Blobs(200, seed: 1));
        var model = ml.BinaryClassification.Trainers.AdaptiveWidth(MLNetTestData.Fast(new AdaptiveWidthBinaryTrainer.Options())).Fit(data);

        ITransformer loaded = SaveAndLoad(ml, model, data.Schema);

        Assert.IsInstanceOfType<BinaryPredictionTransformer<CalibratedModelParametersBase<AdaptiveWidthBinaryModelParameters, PlattCalibrator>>>(loaded);
        MLNetAssert.BitIdentical(MLNetAssert.Floats(model.Transform(data), "Score"), MLNetAssert.Floats(loaded.Transform(data), "Score"), "Score");
        MLNetAssert.BitIdentical(MLNetAssert.Floats(model.Transform(data), "Probability"), MLNetAssert.Floats(loaded.Transform(data), "Probability"), "Probability");
    }

    [TestMethod]
    public void AdaptiveWidthMulticlassModelParameters_ModelLoad_GivesBitIdenticalScoresAndLabels()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = ml.Data.LoadFromEnumerable(MLNetTestData.Mixture(150, seed: 2));
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.Transforms.Concatenate("Features", "F1", "F2", "F3"))
            .Append(ml.Transforms.NormalizeMinMax("Features"))
            .Append(ml.MulticlassClassification.Trainers.AdaptiveWidth(MLNetTestData.Fast(new AdaptiveWidthMulticlassTrainer.Options())))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"));
        ITransformer model = pipeline.Fit(data);

        ITransformer loaded = SaveAndLoad(ml, model, data.Schema);

        float[][] before = MLNetAssert.Vectors(model.Transform(data), "Score");
        float[][] after = MLNetAssert.Vectors(loaded.Transform(data), "Score");
        MLNetAssert.BitIdentical(before.SelectMany(v => v).ToArray(), after.SelectMany(v => v).ToArray(), "Score");
        CollectionAssert.AreEqual(
            model.Transform(data).GetColumn<string>("PredictedLabel").ToArray(),
            loaded.Transform(data).GetColumn<string>("PredictedLabel").ToArray());
        var chain = (TransformerChain<ITransformer>)loaded;
        Assert.IsTrue(chain.OfType<MulticlassPredictionTransformer<AdaptiveWidthMulticlassModelParameters>>().Any());
    }

    [TestMethod]
    public void AdaptiveWidthRegressionModelParameters_ModelLoad_GivesBitIdenticalScores()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = ml.Data.LoadFromEnumerable(MLNetTestData.Linear(200, seed: 3));
        var model = ml.Regression.Trainers.AdaptiveWidth(MLNetTestData.Fast(new AdaptiveWidthRegressionTrainer.Options())).Fit(data);

        ITransformer loaded = SaveAndLoad(ml, model, data.Schema);

        var typed = (RegressionPredictionTransformer<AdaptiveWidthRegressionModelParameters>)loaded;
        CollectionAssert.AreEqual(model.Model.LayerWidths.ToArray(), typed.Model.LayerWidths.ToArray());
        // The training history is saved with the model, every number bit for bit.
        Assert.IsNotEmpty(model.Model.TrainingHistory);
        Assert.HasCount(model.Model.TrainingHistory.Count, typed.Model.TrainingHistory);
        for (int i = 0; i < model.Model.TrainingHistory.Count; i++)
        {
            EpochRecord expected = model.Model.TrainingHistory[i], actual = typed.Model.TrainingHistory[i];
            Assert.AreEqual(expected with { Widths = actual.Widths }, actual, $"epoch {i + 1}");
            CollectionAssert.AreEqual(expected.Widths.ToArray(), actual.Widths.ToArray(), $"epoch {i + 1} widths");
        }
        // A truncated model keeps the history it was trained with.
        Assert.HasCount(model.Model.TrainingHistory.Count, model.Model.Truncate(0.5).TrainingHistory);
        MLNetAssert.BitIdentical(MLNetAssert.Floats(model.Transform(data), "Score"), MLNetAssert.Floats(loaded.Transform(data), "Score"), "Score");
    }

    [TestMethod]
    public void AdaptiveWidthBinaryModelParameters_ModelLoad_RejectsADamagedNetworkEntryClearly()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = ml.Data.LoadFromEnumerable(MLNetTestData.Linear(100, seed: 4));
        var model = ml.Regression.Trainers.AdaptiveWidth(MLNetTestData.Fast(new AdaptiveWidthRegressionTrainer.Options())).Fit(data);
        string path = Path.Combine(TestContext.TestRunResultsDirectory ?? Path.GetTempPath(), $"damaged-{Guid.NewGuid():N}.zip");
        ml.Model.Save(model, data.Schema, path);
        ReplaceEntry(path, "AdaptiveWidthModel.bin", bytes =>
        {
            bytes[bytes.Length / 2] ^= 0x40;
            return bytes;
        });

        Exception error = Assert.Throws<Exception>(() => ml.Model.Load(path, out _));

        Assert.IsTrue(Flatten(error).Any(e => e is InvalidDataException), Flatten(error).Last().ToString());
        File.Delete(path);
    }

    [TestMethod]
    public void AdaptiveWidthRegressionModelParameters_ModelLoad_RejectsADamagedHistoryEntryClearly()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = ml.Data.LoadFromEnumerable(MLNetTestData.Linear(100, seed: 4));
        var model = ml.Regression.Trainers.AdaptiveWidth(MLNetTestData.Fast(new AdaptiveWidthRegressionTrainer.Options())).Fit(data);
        string path = Path.Combine(TestContext.TestRunResultsDirectory ?? Path.GetTempPath(), $"damaged-history-{Guid.NewGuid():N}.zip");
        ml.Model.Save(model, data.Schema, path);
        ReplaceEntry(path, "TrainingHistory.csv", _ => System.Text.Encoding.UTF8.GetBytes(
            "epoch,training_loss,objective,validation_loss,validation_accuracy,widths,elapsed_ticks\n1,0.5,0.6,x,NaN,32,100\n"));

        Exception error = Assert.Throws<Exception>(() => ml.Model.Load(path, out _));

        Exception inner = Flatten(error).Last();
        Assert.IsInstanceOfType<InvalidDataException>(inner, inner.ToString());
        StringAssert.Contains(inner.Message, "TrainingHistory.csv");
        File.Delete(path);
    }

    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public void AdaptiveWidthBinaryModelParameters_ModelLoadInFreshProcess_ScoresIdenticallyWithoutTorch(bool truncated)
    {
        var ml = new MLContext(seed: 1);
        List<BinaryRow> rows = MLNetTestData.Blobs(50, seed: 5);
        IDataView data = ml.Data.LoadFromEnumerable(rows);
        var model = ml.BinaryClassification.Trainers.AdaptiveWidth(MLNetTestData.Fast(new AdaptiveWidthBinaryTrainer.Options())).Fit(data);
        if (truncated)
        {
            model = model.Truncate(AdaptiveWidth.Inference.TruncationTarget.Fraction(0.3));
        }
        string directory = Directory.CreateTempSubdirectory("aw-probe-").FullName;
        try
        {
            string zip = Path.Combine(directory, "model.zip");
            string csv = Path.Combine(directory, "rows.csv");
            ml.Model.Save(model, data.Schema, zip);
            File.WriteAllLines(csv, rows.Select(r => string.Join(",", r.Features.Select(f => f.ToString("R", CultureInfo.InvariantCulture)))));
            IDataView scored = model.Transform(data);
            string[] expected = MLNetAssert.Floats(scored, "Score").Zip(MLNetAssert.Floats(scored, "Probability"),
                (s, p) => $"{s.ToString("R", CultureInfo.InvariantCulture)} {p.ToString("R", CultureInfo.InvariantCulture)}").ToArray();

            string[] output = RunProbe(zip, csv);

            CollectionAssert.AreEqual(expected, output.Take(rows.Count).ToArray());
            CollectionAssert.Contains(output, "native-torch-loaded: False");
            CollectionAssert.Contains(output, "torchsharp-assembly-loaded: False");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static ITransformer SaveAndLoad(MLContext ml, ITransformer model, DataViewSchema schema)
    {
        using var stream = new MemoryStream();
        ml.Model.Save(model, schema, stream);
        stream.Position = 0;
        // A new context, as a separate application would have.
        return new MLContext(seed: 2).Model.Load(stream, out _);
    }

    private static string[] RunProbe(string zip, string csv)
    {
        string probe = typeof(AdaptiveWidthModelPersistenceTest).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "ScoringProbePath").Value!;
        Assert.IsTrue(File.Exists(probe), $"The scoring probe was not built at {probe}.");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(probe);
        start.ArgumentList.Add(zip);
        start.ArgumentList.Add(csv);
        using Process process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        Assert.IsTrue(process.WaitForExit(TimeSpan.FromMinutes(2)), "the probe did not finish");
        Assert.AreEqual(0, process.ExitCode, stderr.Result);
        return stdout.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    private static IEnumerable<Exception> Flatten(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
        {
            yield return x;
        }
    }

    /// <summary>Rewrites the zip entry whose name ends with <paramref name="suffix"/> with <paramref name="change"/>(its bytes).</summary>
    private static void ReplaceEntry(string path, string suffix, Func<byte[], byte[]> change)
    {
        using var zip = System.IO.Compression.ZipFile.Open(path, System.IO.Compression.ZipArchiveMode.Update);
        var entry = zip.Entries.Single(e => e.FullName.EndsWith(suffix, StringComparison.Ordinal));
        string name = entry.FullName;
        byte[] bytes;
        using (var s = entry.Open())
        using (var m = new MemoryStream())
        {
            s.CopyTo(m);
            bytes = m.ToArray();
        }
        entry.Delete();
        using var w = zip.CreateEntry(name).Open();
        w.Write(change(bytes));
    }
}
