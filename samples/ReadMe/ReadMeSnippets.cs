// The C# blocks of README.md. Each README block preceded by `<!-- README:name -->` is the text between this file's
// `// README:name` and `// README:end` lines, indentation aside; a block split over several regions (its `using`
// lines sit at the top of the file) is their texts joined by one empty line. ReadMeTest checks this, and
// `UPDATE_README=1 dotnet test AdaptiveWidth.sln --filter FullyQualifiedName~ReadMe` rewrites README from this file.
// samples/Tabular compiles the file as a user of the library would (public API only); the tests compile and run it.
// README:mlnet
using Microsoft.ML;
// README:end
// README:core
using Microsoft.ML.AdaptiveWidth.Training;
// README:end
using Microsoft.ML.AdaptiveWidth.Inference;
using Microsoft.ML.Calibrators;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.AdaptiveWidth;

namespace AdaptiveWidth.Samples.ReadMe;

/// <summary>README's examples, callable (the tests run them on small data).</summary>
public static class ReadMeSnippets
{
    /// <summary>README "Using it from ML.NET".</summary>
    public static ITransformer MLNet(IDataView train, string[] featureColumns, string modelPath)
        => TrainAndSave(train, featureColumns, modelPath);

    /// <summary>README "Training without ML.NET (the core API)".</summary>
    public static float[] Core(float[] features, int featureCount, float[] labels, TrainingData validation, float[] row)
        => TrainAndScore(features, featureCount, labels, validation, row);

    // README:mlnet
    static ITransformer TrainAndSave(IDataView train, string[] featureColumns, string modelPath)
    {
        var mlContext = new MLContext(seed: 1);
        var pipeline = mlContext.Transforms.Concatenate("Features", featureColumns)
            .Append(mlContext.Transforms.NormalizeMinMax("Features"))
            .Append(mlContext.BinaryClassification.Trainers.AdaptiveWidth(labelColumnName: "Label"));
        ITransformer model = pipeline.Fit(train);
        mlContext.Model.Save(model, train.Schema, modelPath);        // a standard ML.NET model zip
        return model;
    }
    // README:end

    // README:core
    static float[] TrainAndScore(float[] features, int featureCount, float[] labels, TrainingData validation, float[] row)
    {
        var train = new TrainingData(features, featureCount, labels);          // row-major floats, labels 0/1
        TrainingResult result = AdaptiveWidthNetworkTrainer.Train(
            NetworkTask.BinaryClassification, classCount: 2, train, validation, new TrainingSettings { MaxEpoch = 200 });
        Console.WriteLine(string.Join("-", result.Model.LayerWidths));        // the learned widths
        var output = new float[result.Model.OutputCount];
        result.Model.Score(row, output);                                       // managed scoring, no libtorch
        return output;
    }
    // README:end

    /// <summary>README "Truncation" (compiled, not run: the widths example needs a two-layer model).</summary>
    public static ITransformer[] TruncationExamples(
        BinaryPredictionTransformer<CalibratedModelParametersBase<AdaptiveWidthBinaryModelParameters, PlattCalibrator>> transformer)
    {
        // README:truncation
        var half  = transformer.Truncate(TruncationTarget.Fraction(0.5));       // ⌈0.5·D_l⌉ of every layer
        var capped = transformer.Truncate(TruncationTarget.MaxUnits(32));       // min(D_l, 32)
        var cheap = transformer.Truncate(TruncationTarget.MultiplyAdds(2_000)); // ≤ 2,000 multiply-adds per row
        var exact = transformer.Truncate(TruncationTarget.Widths([40, 12]));
        // README:end
        return [half, capped, cheap, exact];
    }

    /// <summary>README "Automatic compression".</summary>
    public static ITransformer CompressionExample(
        BinaryPredictionTransformer<CalibratedModelParametersBase<AdaptiveWidthBinaryModelParameters, PlattCalibrator>> transformer, IDataView validationData)
    {
        // README:compression
        var compressed = transformer.Compress(validationData, tolerance: 0.5);   // ≤ 0.5 accuracy points lost
        Console.WriteLine(string.Join("-", compressed.Result.Widths));            // compressed.Transformer scores
        // or during training: new AdaptiveWidthBinaryTrainer.Options { CompressionTolerance = 0.5 } (uses the validation rows)
        // README:end
        return compressed.Transformer;
    }

    /// <summary>README "ONNX export".</summary>
    public static void OnnxExample(MLContext mlContext, ITransformer model, IDataView data)
    {
        // README:onnx
        using var stream = File.Create("model.onnx");
        mlContext.Model.ConvertToOnnx(model, data, stream);
        // README:end
    }

    /// <summary>README "Data larger than memory".</summary>
    public static ITransformer StreamingExample(MLContext mlContext, IDataView data)
    {
        // README:streaming
        var options = new AdaptiveWidthBinaryTrainer.Options
        {
            DataMode = TrainingDataMode.Streaming, // Auto (the default) streams above InMemoryLimitMegabytes (512)
            ShuffleBufferRows = 100_000,           // rows shuffled together: shuffle a file sorted by label first
            MaxEpoch = 5,
        };
        // data: any IDataView, e.g. LoadFromTextFile over a file larger than memory; it is read once per epoch
        ITransformer model = mlContext.BinaryClassification.Trainers.AdaptiveWidth(options).Fit(data);
        // README:end
        return model;
    }
}
