using Microsoft.ML.AdaptiveWidth.Inference;
using Microsoft.ML.Data;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Microsoft.ML.Trainers.AdaptiveWidth;

namespace Microsoft.ML.AdaptiveWidth.Tests.MLNet;

/// <summary>
/// Whole pipelines ending in each trainer, exported with ML.NET's own converter, scored by ONNX Runtime directly and by
/// ML.NET's ApplyOnnxModel, must give ML.NET's own Score, Probability and PredictedLabel on every row.
/// </summary>
[TestClass]
public sealed class OnnxExportTest
{
    /// <summary>
    /// |onnx − mlnet| ≤ RelativeTolerance × max(1, |mlnet|): relative for scores of magnitude 1 or more, absolute below
    /// (a relative bound is meaningless for a score that is 0 up to rounding). The two sides sum the same float32
    /// products in different orders, so they differ by a few ulps per layer, far below this.
    /// </summary>
    private const double RelativeTolerance = 1e-5;

    public TestContext TestContext { get; set; } = null!;

    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public void AdaptiveWidthBinaryTrainer_ConvertToOnnx_ScoresAsMLNet(bool truncated)
    {
        var ml = new MLContext(seed: 1);
        IDataView data = ml.Data.LoadFromEnumerable(MLNetTestData.Blobs(120, seed: 5));
        var pipeline = ml.Transforms.NormalizeMinMax("Features")
            .Append(ml.BinaryClassification.Trainers.AdaptiveWidth(Options(new AdaptiveWidthBinaryTrainer.Options(), truncated)));
        ITransformer model = pipeline.Fit(data);

        Exported onnx = Export(ml, model, data);

        IDataView expected = model.Transform(data);
        foreach (IReadOnlyDictionary<string, Array> actual in onnx.Outputs)
        {
            AssertClose(MLNetAssert.Floats(expected, "Score"), Column<float>(actual, "Score"), "Score");
            AssertClose(MLNetAssert.Floats(expected, "Probability"), Column<float>(actual, "Probability"), "Probability");
            CollectionAssert.AreEqual(expected.GetColumn<bool>("PredictedLabel").ToArray(), Column<bool>(actual, "PredictedLabel"), "PredictedLabel");
        }
    }

    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public void AdaptiveWidthMulticlassTrainer_ConvertToOnnx_ScoresAsMLNet(bool truncated)
    {
        var ml = new MLContext(seed: 1);
        IDataView data = ml.Data.LoadFromEnumerable(MLNetTestData.Mixture(120, seed: 6));
        var pipeline = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.Transforms.Concatenate("Features", "F1", "F2", "F3"))
            .Append(ml.Transforms.NormalizeMinMax("Features"))
            .Append(ml.MulticlassClassification.Trainers.AdaptiveWidth(Options(new AdaptiveWidthMulticlassTrainer.Options(), truncated)))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabelText", "PredictedLabel"));
        ITransformer model = pipeline.Fit(data);

        Exported onnx = Export(ml, model, data);

        IDataView expected = model.Transform(data);
        float[] expectedScores = MLNetAssert.Vectors(expected, "Score").SelectMany(v => v).ToArray();
        foreach (IReadOnlyDictionary<string, Array> actual in onnx.Outputs)
        {
            AssertClose(expectedScores, Column<float>(actual, "Score"), "Score");
            CollectionAssert.AreEqual(expected.GetColumn<uint>("PredictedLabel").ToArray(), Column<uint>(actual, "PredictedLabel"), "PredictedLabel");
            CollectionAssert.AreEqual(expected.GetColumn<string>("PredictedLabelText").ToArray(), Column<string>(actual, "PredictedLabelText"), "PredictedLabelText");
        }
    }

    [TestMethod]
    [DataRow(false)]
    [DataRow(true)]
    public void AdaptiveWidthRegressionTrainer_ConvertToOnnx_ScoresAsMLNet(bool truncated)
    {
        var ml = new MLContext(seed: 1);
        IDataView data = ml.Data.LoadFromEnumerable(MLNetTestData.Linear(120, seed: 7));
        var pipeline = ml.Transforms.Concatenate("AllFeatures", "Features")
            .Append(ml.Transforms.NormalizeMeanVariance("AllFeatures"))
            .Append(ml.Regression.Trainers.AdaptiveWidth(Options(new AdaptiveWidthRegressionTrainer.Options { FeatureColumnName = "AllFeatures" }, truncated)));
        ITransformer model = pipeline.Fit(data);

        Exported onnx = Export(ml, model, data);

        float[] expected = MLNetAssert.Floats(model.Transform(data), "Score");
        foreach (IReadOnlyDictionary<string, Array> actual in onnx.Outputs)
        {
            AssertClose(expected, Column<float>(actual, "Score"), "Score");
        }
    }

    [TestMethod]
    public void AdaptiveWidthTrainers_WithQuantileCodes_ConvertToOnnx_ScoreAsMLNet()
    {
        // Regression on three continuous features (all coded, one code each) and multiclass (four bins per coded
        // feature), each with the codes' ONNX nodes.
        var ml = new MLContext(seed: 1);
        IDataView linear = ml.Data.LoadFromEnumerable(MLNetTestData.Linear(150, seed: 9));
        AdaptiveWidthRegressionTrainer.Options regressionOptions = Options(new AdaptiveWidthRegressionTrainer.Options(), truncated: false);
        regressionOptions.QuantileCodes = true;
        var regression = ml.Regression.Trainers.AdaptiveWidth(regressionOptions).Fit(linear);
        Assert.AreEqual(3, regression.Model.Network.Codes!.CodeCount);
        float[] expected = MLNetAssert.Floats(regression.Transform(linear), "Score");
        foreach (IReadOnlyDictionary<string, Array> actual in Export(ml, regression, linear).Outputs)
        {
            AssertClose(expected, Column<float>(actual, "Score"), "Score");
        }

        IDataView mixture = ml.Data.LoadFromEnumerable(MLNetTestData.Mixture(120, seed: 6));
        AdaptiveWidthMulticlassTrainer.Options multiclassOptions = Options(new AdaptiveWidthMulticlassTrainer.Options(), truncated: true);
        multiclassOptions.QuantileCodes = true;
        multiclassOptions.QuantileCodeBins = 4;
        var multiclass = ml.Transforms.Conversion.MapValueToKey("Label")
            .Append(ml.Transforms.Concatenate("Features", "F1", "F2", "F3"))
            .Append(ml.MulticlassClassification.Trainers.AdaptiveWidth(multiclassOptions)).Fit(mixture);
        InputCodes binned = multiclass.LastTransformer.Model.Network.Codes!;
        Assert.AreEqual(4 * binned.CodedFeatureCount, binned.CodeCount, "four codes per coded feature");
        float[] expectedScores = MLNetAssert.Vectors(multiclass.Transform(mixture), "Score").SelectMany(v => v).ToArray();
        foreach (IReadOnlyDictionary<string, Array> actual in Export(ml, multiclass, mixture).Outputs)
        {
            AssertClose(expectedScores, Column<float>(actual, "Score"), "Score");
        }
    }

    [TestMethod]
    [DataRow(ActivationKind.ReLU)]
    [DataRow(ActivationKind.LeakyReLU)]
    public void AdaptiveWidthRegressionTrainer_ConvertToOnnx_ExportsEveryActivation(ActivationKind activation)
    {
        var ml = new MLContext(seed: 1);
        IDataView data = ml.Data.LoadFromEnumerable(MLNetTestData.Linear(100, seed: 8));
        var options = MLNetTestData.Fast(new AdaptiveWidthRegressionTrainer.Options { Activation = activation, NumberOfLayers = 2 });
        ITransformer model = ml.Regression.Trainers.AdaptiveWidth(options).Fit(data);

        Exported onnx = Export(ml, model, data);

        float[] expected = MLNetAssert.Floats(model.Transform(data), "Score");
        AssertClose(expected, Column<float>(onnx.Outputs[0], "Score"), "Score (ONNX Runtime)");
        AssertClose(expected, Column<float>(onnx.Outputs[1], "Score"), "Score (ApplyOnnxModel)");
    }

    [TestMethod]
    [DataRow(ActivationKind.ReLU6)]
    [DataRow(ActivationKind.ReLU)]
    [DataRow(ActivationKind.LeakyReLU)]
    public void AdaptiveWidthRegressionTrainer_ConvertToOnnx_NaNFeatureGivesNaNAsInMLNet(ActivationKind activation)
    {
        var ml = new MLContext(seed: 1);
        IDataView data = ml.Data.LoadFromEnumerable(MLNetTestData.Linear(100, seed: 9));
        var options = MLNetTestData.Fast(new AdaptiveWidthRegressionTrainer.Options { Activation = activation });
        ITransformer model = ml.Regression.Trainers.AdaptiveWidth(options).Fit(data);
        IDataView withNaN = ml.Data.LoadFromEnumerable(new[]
        {
            new RegressionRow { Features = [float.NaN, 0.5f, 0.5f] },
            new RegressionRow { Features = [0.5f, 0.5f, 0.5f] },
        });

        Exported onnx = Export(ml, model, withNaN);

        float[] expected = MLNetAssert.Floats(model.Transform(withNaN), "Score");
        Assert.IsTrue(float.IsNaN(expected[0]), "ML.NET scoring");
        Assert.IsTrue(float.IsNaN(Column<float>(onnx.Outputs[0], "Score")[0]), "ONNX Runtime");
        Assert.IsTrue(float.IsNaN(Column<float>(onnx.Outputs[1], "Score")[0]), "ApplyOnnxModel");
        Assert.IsTrue(float.IsFinite(Column<float>(onnx.Outputs[0], "Score")[1]), "a finite row stays finite");
    }

    private static T Options<T>(T options, bool truncated) where T : AdaptiveWidthOptionsBase
    {
        MLNetTestData.Fast(options);
        options.NumberOfLayers = 2;
        if (truncated)
        {
            options.TruncationBudget = 0.5;
        }
        return options;
    }

    /// <summary>The exported model's outputs, by column name: first from ONNX Runtime, then from ApplyOnnxModel.</summary>
    private sealed record Exported(IReadOnlyList<IReadOnlyDictionary<string, Array>> Outputs);

    private Exported Export(MLContext ml, ITransformer model, IDataView data)
    {
        byte[] bytes;
        using (var stream = new MemoryStream())
        {
            ml.Model.ConvertToOnnx(model, data, stream);
            bytes = stream.ToArray();
        }
        return new Exported([RunOnnxRuntime(bytes, data), RunApplyOnnxModel(ml, bytes, data)]);
    }

    /// <summary>Feeds every input of the graph from the column of the same name, whole data set as one batch.</summary>
    private static Dictionary<string, Array> RunOnnxRuntime(byte[] model, IDataView data)
    {
        using var session = new InferenceSession(model);
        int rows = checked((int)data.GetRowCount()!.Value);
        var inputs = new List<NamedOnnxValue>();
        foreach ((string name, NodeMetadata meta) in session.InputMetadata)
        {
            DataViewSchema.Column column = data.Schema[name];
            int width = column.Type is VectorDataViewType vector ? vector.Size : 1;
            int[] shape = [rows, width];
            DataViewType item = ItemType(column.Type);
            if (item == NumberDataViewType.Single)
            {
                float[] values = column.Type is VectorDataViewType
                    ? data.GetColumn<VBuffer<float>>(column).SelectMany(v => v.DenseValues()).ToArray()
                    : data.GetColumn<float>(column).ToArray();
                inputs.Add(NamedOnnxValue.CreateFromTensor(name, new DenseTensor<float>(values, shape)));
            }
            else if (item == BooleanDataViewType.Instance)
            {
                inputs.Add(NamedOnnxValue.CreateFromTensor(name, new DenseTensor<bool>(data.GetColumn<bool>(column).ToArray(), shape)));
            }
            else if (item == TextDataViewType.Instance)
            {
                inputs.Add(NamedOnnxValue.CreateFromTensor(name, new DenseTensor<string>(data.GetColumn<string>(column).ToArray(), shape)));
            }
            else
            {
                throw new NotSupportedException($"Input {name} of type {column.Type}.");
            }
        }
        using IDisposableReadOnlyCollection<DisposableNamedOnnxValue> results = session.Run(inputs);
        var outputs = new Dictionary<string, Array>();
        foreach (DisposableNamedOnnxValue result in results)
        {
            string column = ColumnOf(result.Name);
            outputs[column] = result.Value switch
            {
                Tensor<float> t => t.ToArray(),
                Tensor<bool> t => t.ToArray(),
                Tensor<uint> t => t.ToArray(),
                Tensor<string> t => t.ToArray(),
                Tensor<long> t => t.ToArray(),
                _ => Array.Empty<object>(),
            };
        }
        return outputs;
    }

    private Dictionary<string, Array> RunApplyOnnxModel(MLContext ml, byte[] model, IDataView data)
    {
        string path = Path.Combine(TestContext.TestRunResultsDirectory ?? Path.GetTempPath(), $"onnx-{Guid.NewGuid():N}.onnx");
        File.WriteAllBytes(path, model);
        try
        {
            using var onnx = ml.Transforms.ApplyOnnxModel(path).Fit(data);
            IDataView scored = onnx.Transform(data);
            var outputs = new Dictionary<string, Array>();
            foreach (DataViewSchema.Column column in scored.Schema)
            {
                // ApplyOnnxModel names each column after its graph output without ".output", hiding the input column
                // of the same name; its columns are [1, n] vectors.
                if (column.IsHidden)
                {
                    continue;
                }
                DataViewType item = ItemType(column.Type);
                bool vector = column.Type is VectorDataViewType;
                outputs[column.Name] = item switch
                {
                    _ when item == NumberDataViewType.Single && vector => scored.GetColumn<VBuffer<float>>(column).SelectMany(v => v.DenseValues()).ToArray(),
                    _ when item == NumberDataViewType.UInt32 && vector => scored.GetColumn<VBuffer<uint>>(column).SelectMany(v => v.DenseValues()).ToArray(),
                    _ when item == BooleanDataViewType.Instance && vector => scored.GetColumn<VBuffer<bool>>(column).SelectMany(v => v.DenseValues()).ToArray(),
                    _ when item == TextDataViewType.Instance && vector => scored.GetColumn<VBuffer<ReadOnlyMemory<char>>>(column).SelectMany(v => v.DenseValues()).Select(m => m.ToString()).ToArray(),
                    _ when item == NumberDataViewType.Single => scored.GetColumn<float>(column).ToArray(),
                    _ when item == NumberDataViewType.UInt32 => scored.GetColumn<uint>(column).ToArray(),
                    _ when item == BooleanDataViewType.Instance => scored.GetColumn<bool>(column).ToArray(),
                    _ => Array.Empty<object>(),
                };
            }
            return outputs;
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static T[] Column<T>(IReadOnlyDictionary<string, Array> outputs, string name)
        => outputs.TryGetValue(name, out Array? values)
            ? (T[])values
            : throw new AssertFailedException($"No output '{name}'; the outputs are {string.Join(", ", outputs.Select(o => $"{o.Key} ({o.Value.GetType().Name})"))}.");

    private static DataViewType ItemType(DataViewType type) => type is VectorDataViewType vector ? vector.ItemType : type;

    /// <summary>ML.NET names a graph output after its column with ".output" appended.</summary>
    private static string ColumnOf(string output) => output.EndsWith(".output", StringComparison.Ordinal) ? output[..^".output".Length] : output;

    private static void AssertClose(float[] expected, float[] actual, string what)
    {
        Assert.HasCount(expected.Length, actual, what);
        for (int i = 0; i < expected.Length; i++)
        {
            double bound = RelativeTolerance * Math.Max(1, Math.Abs(expected[i]));
            if (!(Math.Abs(expected[i] - actual[i]) <= bound))
            {
                Assert.Fail($"{what}: element {i} is {actual[i]:R}, ML.NET gives {expected[i]:R}.");
            }
        }
    }
}
