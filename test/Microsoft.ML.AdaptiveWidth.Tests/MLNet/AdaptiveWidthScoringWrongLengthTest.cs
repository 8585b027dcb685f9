using Microsoft.ML.AdaptiveWidth.Inference;
using Microsoft.ML.Calibrators;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.AdaptiveWidth;

namespace Microsoft.ML.AdaptiveWidth.Tests.MLNet;

/// <summary>
/// A row whose feature values do not match the column's declared size (a 3- or 5-value array in a [VectorType(4)]
/// property) reaches the model at scoring. ML.NET's first-party trainers (SDCA, L-BFGS, FastTree, LightGBM; binary,
/// multiclass and regression; PredictionEngine and Transform alike) throw InvalidOperationException there, so ours does
/// too, for every task and both paths, with a message that names the column and both lengths, also after a save and load
/// and after truncation.
/// </summary>
[TestClass]
public sealed class AdaptiveWidthScoringWrongLengthTest
{
    /// <summary>Training and scoring rows: the features are in a column that is not called "Features", so the message must find the real name.</summary>
    public sealed class PixelRow
    {
        public bool Label { get; set; }

        public float Value { get; set; }

        [VectorType(4)]
        public float[] Pixels { get; set; } = [];
    }

    public sealed class ScalarScore
    {
        public float Score { get; set; }
    }

    public sealed class VectorScore
    {
        public float[] Score { get; set; } = [];
    }

    public enum Task { Binary, Multiclass, Regression }

    private static ITransformer Train(MLContext ml, Task task)
    {
        IDataView data = ml.Data.LoadFromEnumerable(MLNetTestData.Blobs(120, seed: 3)
            .Select((r, i) => new PixelRow { Label = r.Label, Value = r.Features.Sum() + i % 3, Pixels = r.Features }));
        switch (task)
        {
            case Task.Binary:
                AdaptiveWidthBinaryTrainer.Options binary = MLNetTestData.Fast(new AdaptiveWidthBinaryTrainer.Options());
                binary.FeatureColumnName = "Pixels";
                return ml.BinaryClassification.Trainers.AdaptiveWidth(binary).Fit(data);
            case Task.Multiclass:
                AdaptiveWidthMulticlassTrainer.Options multiclass = MLNetTestData.Fast(new AdaptiveWidthMulticlassTrainer.Options());
                multiclass.FeatureColumnName = "Pixels";
                return ml.Transforms.Conversion.MapValueToKey("Label")
                    .Append(ml.MulticlassClassification.Trainers.AdaptiveWidth(multiclass)).Fit(data);
            default:
                AdaptiveWidthRegressionTrainer.Options regression = MLNetTestData.Fast(new AdaptiveWidthRegressionTrainer.Options());
                regression.FeatureColumnName = "Pixels";
                regression.LabelColumnName = "Value";
                return ml.Regression.Trainers.AdaptiveWidth(regression).Fit(data);
        }
    }

    private static void Predict(MLContext ml, ITransformer model, Task task, PixelRow row)
    {
        if (task == Task.Multiclass)
        {
            ml.Model.CreatePredictionEngine<PixelRow, VectorScore>(model).Predict(row);
        }
        else
        {
            ml.Model.CreatePredictionEngine<PixelRow, ScalarScore>(model).Predict(row);
        }
    }

    private static void TransformAll(MLContext ml, ITransformer model, Task task, PixelRow row)
    {
        IDataView scored = model.Transform(ml.Data.LoadFromEnumerable(new[] { row }));
        if (task == Task.Multiclass)
        {
            _ = ml.Data.CreateEnumerable<VectorScore>(scored, reuseRowObject: false).ToList();
        }
        else
        {
            _ = ml.Data.CreateEnumerable<ScalarScore>(scored, reuseRowObject: false).ToList();
        }
    }

    private static void AssertWrongLength(Action score, int given)
    {
        InvalidOperationException error = Assert.ThrowsExactly<InvalidOperationException>(score);
        StringAssert.Contains(error.Message, "Column 'Pixels'", error.Message);
        StringAssert.Contains(error.Message, $"has {given} values", error.Message);
        StringAssert.Contains(error.Message, "trained on 4 features", error.Message);
    }

    [TestMethod]
    [DataRow(Task.Binary)]
    [DataRow(Task.Multiclass)]
    [DataRow(Task.Regression)]
    public void AdaptiveWidthModel_PredictionEngineAndTransform_WrongLengthThrowsInvalidOperationNamingColumnAndLengths(Task task)
    {
        var ml = new MLContext(seed: 1);
        ITransformer model = Train(ml, task);

        foreach (int given in new[] { 3, 5 })
        {
            var row = new PixelRow { Pixels = Enumerable.Repeat(0.5f, given).ToArray() };
            AssertWrongLength(() => Predict(ml, model, task, row), given);
            AssertWrongLength(() => TransformAll(ml, model, task, row), given);
        }

        // The right length still scores.
        Predict(ml, model, task, new PixelRow { Pixels = [0.5f, 0.5f, 0.5f, 0.5f] });
    }

    [TestMethod]
    [DataRow(Task.Binary)]
    [DataRow(Task.Multiclass)]
    [DataRow(Task.Regression)]
    public void AdaptiveWidthModel_SavedLoadedAndTruncated_WrongLengthStillNamesTheColumn(Task task)
    {
        var ml = new MLContext(seed: 1);
        ITransformer model = Train(ml, task);
        var stream = new MemoryStream();
        ml.Model.Save(model, ml.Data.LoadFromEnumerable(Array.Empty<PixelRow>()).Schema, stream);
        stream.Position = 0;
        ITransformer loaded = ml.Model.Load(stream, out _);
        var row = new PixelRow { Pixels = [1, 2, 3] };

        AssertWrongLength(() => Predict(ml, loaded, task, row), 3);
        AssertWrongLength(() => TransformAll(ml, loaded, task, row), 3);

        TruncationTarget half = TruncationTarget.Fraction(0.5);
        ITransformer truncated = task switch
        {
            Task.Binary => ((BinaryPredictionTransformer<CalibratedModelParametersBase<AdaptiveWidthBinaryModelParameters, PlattCalibrator>>)model).Truncate(half),
            Task.Multiclass => model is TransformerChain<MulticlassPredictionTransformer<AdaptiveWidthMulticlassModelParameters>> chain
                ? new TransformerChain<ITransformer>(chain.First(), chain.LastTransformer.Truncate(half))
                : throw new AssertFailedException("unexpected multiclass pipeline: " + model.GetType()),
            _ => ((RegressionPredictionTransformer<AdaptiveWidthRegressionModelParameters>)model).Truncate(half),
        };
        AssertWrongLength(() => Predict(ml, truncated, task, row), 3);
    }
}
