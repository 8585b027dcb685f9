using System.Globalization;
using Microsoft.ML.Calibrators;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.AdaptiveWidth;

namespace Microsoft.ML.AdaptiveWidth.Tests.MLNet;

/// <summary>
/// A model zip written by an earlier build is committed under MLNet/Fixtures with the scores that build gave; it must
/// keep loading and scoring identically, so that a change of the model format or of the assembly identity is caught.
/// binary-v1.zip was saved when the binary model class was still named AdaptiveWidthModelParameters: it must load as
/// the renamed <see cref="AdaptiveWidthBinaryModelParameters"/> (the zip records only the loader signature).
/// Regenerate only on a deliberate format change: set AW_WRITE_MODEL_FIXTURE to the Fixtures folder and run this test.
/// </summary>
[TestClass]
public sealed class AdaptiveWidthModelFixtureTest
{
    private const string ModelFile = "binary-v1.zip";
    private const string RowsFile = "binary-v1-rows.csv";

    [TestMethod]
    public void AdaptiveWidthBinaryModelParameters_ModelLoad_ReadsAModelSavedByAnEarlierBuild()
    {
        if (Environment.GetEnvironmentVariable("AW_WRITE_MODEL_FIXTURE") is { Length: > 0 } target)
        {
            WriteFixture(target);
            Assert.Inconclusive($"Fixture written to {target}.");
        }
        string folder = Path.Combine(AppContext.BaseDirectory, "MLNet", "Fixtures");
        string[][] lines = File.ReadAllLines(Path.Combine(folder, RowsFile)).Select(l => l.Split(',')).ToArray();
        var rows = lines.Select(l => new BinaryRow { Features = l.Take(4).Select(Parse).ToArray() }).ToList();
        var ml = new MLContext(seed: 1);

        ITransformer model = ml.Model.Load(Path.Combine(folder, ModelFile), out _);
        ITransformer last = model is TransformerChain<ITransformer> chain ? chain.LastTransformer : model;
        var binary = Assert.IsInstanceOfType<BinaryPredictionTransformer<CalibratedModelParametersBase<AdaptiveWidthBinaryModelParameters, PlattCalibrator>>>(last);
        Assert.IsEmpty(binary.Model.SubModel.TrainingHistory, "saved before the optional history entry existed: loads with none");
        Assert.IsInstanceOfType<AdaptiveWidthBinaryModelParameters>(binary.Model.SubModel);
        Assert.AreEqual(4, binary.Model.SubModel.FeatureCount);
        IDataView scored = model.Transform(ml.Data.LoadFromEnumerable(rows));

        // The same weights give the same scores up to float32 rounding: the scorer's summation order (its blocked kernel,
        // the machine's vector width) may change the last bits, never more.
        AssertClose(lines.Select(l => Parse(l[4])).ToArray(), MLNetAssert.Floats(scored, "Score"), "Score");
        AssertClose(lines.Select(l => Parse(l[5])).ToArray(), MLNetAssert.Floats(scored, "Probability"), "Probability");
    }

    private static void AssertClose(float[] expected, float[] actual, string what)
    {
        Assert.HasCount(expected.Length, actual);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.AreEqual(expected[i], actual[i], 1e-5f * Math.Max(1f, Math.Abs(expected[i])), $"{what}: element {i}");
        }
    }

    private static void WriteFixture(string folder)
    {
        var ml = new MLContext(seed: 1);
        List<BinaryRow> rows = MLNetTestData.Blobs(200, seed: 1);
        IDataView data = ml.Data.LoadFromEnumerable(rows);
        AdaptiveWidthBinaryTrainer.Options options = MLNetTestData.Fast(new AdaptiveWidthBinaryTrainer.Options());
        options.InitialWidth = 8;
        var model = ml.BinaryClassification.Trainers.AdaptiveWidth(options).Fit(data);
        ml.Model.Save(model, data.Schema, Path.Combine(folder, ModelFile));
        IDataView scored = model.Transform(data);
        float[] score = MLNetAssert.Floats(scored, "Score");
        float[] probability = MLNetAssert.Floats(scored, "Probability");
        File.WriteAllLines(Path.Combine(folder, RowsFile), rows.Take(20).Select((r, i) =>
            string.Join(",", r.Features.Append(score[i]).Append(probability[i]).Select(v => v.ToString("R", CultureInfo.InvariantCulture)))));
    }

    private static float Parse(string value) => float.Parse(value, CultureInfo.InvariantCulture);
}
