using Microsoft.ML.AdaptiveWidth.Datasets;
using Microsoft.ML.AdaptiveWidth.Inference;
using Microsoft.ML.AdaptiveWidth.Training;

namespace Microsoft.ML.AdaptiveWidth.Benchmarks;

/// <summary>One data set of the compression study: its splits, the training settings used and how they were chosen.</summary>
internal sealed record CompressionCase(
    string Name, Dataset Train, Dataset Validation, Dataset Test, TrainingSettings Settings, string Preparation)
{
    public int ClassCount => Train.ClassCount;

    public NetworkTask Task => ClassCount == 2 ? NetworkTask.BinaryClassification : NetworkTask.MulticlassClassification;

    public static TrainingData Training(Dataset d) => new(d.Features, d.FeatureCount, d.Labels);

    public static LabeledRows Rows(Dataset d) => new(d.Features, d.FeatureCount, d.Labels, QualityMetric.Accuracy);

    public string Config => $"{Settings.NumberOfLayers} layer(s), lr {Settings.LearningRate}, batch {Settings.BatchSize}, " +
        $"σθ {Settings.WeightPriorScale}, {Settings.MaxEpoch} epochs max, patience {(Settings.EarlyStoppingPatience == 0 ? "off" : Settings.EarlyStoppingPatience.ToString(System.Globalization.CultureInfo.InvariantCulture))}";
}

/// <summary>The data sets of the compression study, with the training configurations measured to work here.</summary>
internal static class CompressionCases
{
    /// <summary>Seed of the data splits (fixed; the training seeds vary).</summary>
    public const int SplitSeed = 42;

    public static IEnumerable<CompressionCase> Create(bool quick, bool fashion)
    {
        // Known-good configurations (measured on this machine before this study): Spiral 1 layer, lr 0.05, σθ 10,
        // ~150 epochs; SpiralHard 2 layers, lr 0.05, σθ 10, 300 epochs. Real data: features standardised on the
        // training split, default settings otherwise.
        int E(int full) => quick ? 3 : full;

        var (spTrain, spVal, spTest) = Splits.PaperSplit(PaperDatasets.Spiral(), SplitSeed);
        yield return new CompressionCase("Spiral", spTrain, spVal, spTest,
            new TrainingSettings { NumberOfLayers = 1, LearningRate = 0.05, WeightPriorScale = 10, MaxEpoch = E(150) },
            "paper split 72/8/20 (3600/400/1000 rows), raw coordinates");

        var (shTrain, shVal, shTest) = Splits.PaperSplit(PaperDatasets.SpiralHard(), SplitSeed);
        yield return new CompressionCase("SpiralHard", shTrain, shVal, shTest, SpiralHardSettings(quick),
            "paper split 72/8/20 (7200/800/2000 rows), raw coordinates");

        var (bcTrain, bcVal, bcTest) = Splits.PaperSplit(SklearnDatasets.BreastCancer(), SplitSeed);
        (bcTrain, bcVal, bcTest) = Standardize(bcTrain, bcVal, bcTest);
        yield return new CompressionCase("BreastCancer", bcTrain, bcVal, bcTest, new TrainingSettings { MaxEpoch = E(200) },
            $"stratified 72/8/20 ({bcTrain.RowCount}/{bcVal.RowCount}/{bcTest.RowCount} rows), features standardised (mean/sd of the training split)");

        var (dgTrain, dgVal, dgTest) = Splits.PaperSplit(SklearnDatasets.Digits(), SplitSeed);
        (dgTrain, dgVal, dgTest) = Standardize(dgTrain, dgVal, dgTest);
        yield return new CompressionCase("Digits", dgTrain, dgVal, dgTest, new TrainingSettings { MaxEpoch = E(200) },
            $"stratified 72/8/20 ({dgTrain.RowCount}/{dgVal.RowCount}/{dgTest.RowCount} rows), features standardised (training split; constant pixels left at 0)");

        if (fashion && FashionMnist.TryLoad(null, out Dataset? fTrainAll, out Dataset? fTestAll))
        {
            // Subsampled so the study fits its time budget: stratified 10,000 training + 1,000 validation rows drawn from
            // the 60,000 training images, and a stratified 5,000 of the 10,000 test images.
            var (_, fPool) = Splits.StratifiedTrainTest(fTrainAll, 11_000.0 / fTrainAll.RowCount, SplitSeed);
            var (fTrain, fVal) = Splits.StratifiedTrainTest(fPool, 1_000.0 / fPool.RowCount, SplitSeed);
            var (_, fTest) = Splits.StratifiedTrainTest(fTestAll, 0.5, SplitSeed);
            yield return new CompressionCase("FashionMNIST", fTrain, fVal, fTest, new TrainingSettings { MaxEpoch = E(40) },
                $"subsampled, stratified: {fTrain.RowCount} train / {fVal.RowCount} validation rows from the 60,000 training images, " +
                $"{fTest.RowCount} of the 10,000 test images; pixels/255 (min-max); 40 epochs max");
        }
    }

    /// <summary>SpiralHard's configuration: 2 layers, lr 0.05, σθ 10, 300 epochs, all run (best validation epoch kept).</summary>
    public static TrainingSettings SpiralHardSettings(bool quick) => new()
    {
        NumberOfLayers = 2,
        LearningRate = 0.05,
        WeightPriorScale = 10,
        MaxEpoch = quick ? 3 : 300,
        EarlyStoppingPatience = 0,
    };

    /// <summary>The annealed variant: rate prior μλ 0.05, σλ0 0.1, on from 1/3 of the epochs, σλ falling by 90% until the last.</summary>
    public static TrainingSettings Annealed(TrainingSettings baseSettings) => baseSettings with
    {
        RatePriorMean = 0.05,
        WidthRegularization = 10, // σλ0 = 0.1
        WidthRegularizationStartEpoch = Math.Max(1, baseSettings.MaxEpoch / 3),
        WidthRegularizationEndEpoch = baseSettings.MaxEpoch,
        WidthRegularizationAnnealing = 0.9,
    };

    /// <summary>z-scores every feature with the training split's mean and standard deviation (sd 0 → the feature becomes 0).</summary>
    internal static (Dataset, Dataset, Dataset) Standardize(Dataset train, Dataset validation, Dataset test)
    {
        int p = train.FeatureCount;
        var mean = new double[p];
        var sd = new double[p];
        for (int r = 0; r < train.RowCount; r++)
        {
            for (int j = 0; j < p; j++)
            {
                mean[j] += train.Features[r * p + j];
            }
        }
        for (int j = 0; j < p; j++)
        {
            mean[j] /= train.RowCount;
        }
        for (int r = 0; r < train.RowCount; r++)
        {
            for (int j = 0; j < p; j++)
            {
                double d = train.Features[r * p + j] - mean[j];
                sd[j] += d * d;
            }
        }
        for (int j = 0; j < p; j++)
        {
            sd[j] = Math.Sqrt(sd[j] / train.RowCount);
        }

        Dataset Apply(Dataset d)
        {
            var x = new float[d.Features.Length];
            for (int r = 0; r < d.RowCount; r++)
            {
                for (int j = 0; j < p; j++)
                {
                    x[r * p + j] = sd[j] > 1e-12 ? (float)((d.Features[r * p + j] - mean[j]) / sd[j]) : 0f;
                }
            }
            return new Dataset(d.Name, x, p, d.Labels, d.ClassCount, d.FeatureNames);
        }
        return (Apply(train), Apply(validation), Apply(test));
    }
}
