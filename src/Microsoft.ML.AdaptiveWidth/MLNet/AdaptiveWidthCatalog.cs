using Microsoft.ML.Data;
using Microsoft.ML.Trainers.AdaptiveWidth;
using static Microsoft.ML.Trainers.AdaptiveWidth.AdaptiveWidthOptionsBase;

namespace Microsoft.ML;

/// <summary>Catalog methods that create the adaptive-width network trainers.</summary>
public static class AdaptiveWidthCatalog
{
    /// <summary>Creates an <see cref="AdaptiveWidthBinaryTrainer"/>: a neural network that learns its layer widths, predicting a Boolean label.</summary>
    /// <param name="catalog">The binary classification trainer catalog.</param>
    /// <param name="labelColumnName">The label column: Boolean (or Single, &gt; 0 is positive).</param>
    /// <param name="featureColumnName">The feature column: a known-size vector of Single, on any scale when dense (the model standardizes it; a normalizer is not needed).</param>
    /// <param name="exampleWeightColumnName">The optional example weight column (Single).</param>
    /// <param name="numberOfLayers">The number of adaptive hidden layers.</param>
    /// <param name="maxEpoch">The maximum number of passes over the data.</param>
    public static AdaptiveWidthBinaryTrainer AdaptiveWidth(this BinaryClassificationCatalog.BinaryClassificationTrainers catalog,
        string labelColumnName = "Label", string featureColumnName = "Features", string? exampleWeightColumnName = null,
        int numberOfLayers = Defaults.NumberOfLayers, int maxEpoch = Defaults.MaxEpoch)
        => catalog.AdaptiveWidth(new AdaptiveWidthBinaryTrainer.Options
        {
            LabelColumnName = labelColumnName, FeatureColumnName = featureColumnName, ExampleWeightColumnName = exampleWeightColumnName,
            NumberOfLayers = numberOfLayers, MaxEpoch = maxEpoch,
        });

    /// <summary>Creates an <see cref="AdaptiveWidthBinaryTrainer"/> with all its options.</summary>
    /// <param name="catalog">The binary classification trainer catalog.</param>
    /// <param name="options">The trainer's options; checked here.</param>
    public static AdaptiveWidthBinaryTrainer AdaptiveWidth(this BinaryClassificationCatalog.BinaryClassificationTrainers catalog,
        AdaptiveWidthBinaryTrainer.Options options)
        => new(CatalogUtils.GetEnvironment(catalog), options);

    /// <summary>Creates an <see cref="AdaptiveWidthMulticlassTrainer"/>: a neural network that learns its layer widths, predicting a key-typed label.</summary>
    /// <param name="catalog">The multiclass classification trainer catalog.</param>
    /// <param name="labelColumnName">The label column: a key type (see <c>MapValueToKey</c>).</param>
    /// <param name="featureColumnName">The feature column: a known-size vector of Single, on any scale when dense (the model standardizes it; a normalizer is not needed).</param>
    /// <param name="exampleWeightColumnName">The optional example weight column (Single).</param>
    /// <param name="numberOfLayers">The number of adaptive hidden layers.</param>
    /// <param name="maxEpoch">The maximum number of passes over the data.</param>
    public static AdaptiveWidthMulticlassTrainer AdaptiveWidth(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        string labelColumnName = "Label", string featureColumnName = "Features", string? exampleWeightColumnName = null,
        int numberOfLayers = Defaults.NumberOfLayers, int maxEpoch = Defaults.MaxEpoch)
        => catalog.AdaptiveWidth(new AdaptiveWidthMulticlassTrainer.Options
        {
            LabelColumnName = labelColumnName, FeatureColumnName = featureColumnName, ExampleWeightColumnName = exampleWeightColumnName,
            NumberOfLayers = numberOfLayers, MaxEpoch = maxEpoch,
        });

    /// <summary>Creates an <see cref="AdaptiveWidthMulticlassTrainer"/> with all its options.</summary>
    /// <param name="catalog">The multiclass classification trainer catalog.</param>
    /// <param name="options">The trainer's options; checked here.</param>
    public static AdaptiveWidthMulticlassTrainer AdaptiveWidth(this MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog,
        AdaptiveWidthMulticlassTrainer.Options options)
        => new(CatalogUtils.GetEnvironment(catalog), options);

    /// <summary>Creates an <see cref="AdaptiveWidthRegressionTrainer"/>: a neural network that learns its layer widths, predicting a real value.</summary>
    /// <param name="catalog">The regression trainer catalog.</param>
    /// <param name="labelColumnName">The label column (Single).</param>
    /// <param name="featureColumnName">The feature column: a known-size vector of Single, on any scale when dense (the model standardizes it; a normalizer is not needed).</param>
    /// <param name="exampleWeightColumnName">The optional example weight column (Single).</param>
    /// <param name="numberOfLayers">The number of adaptive hidden layers.</param>
    /// <param name="maxEpoch">The maximum number of passes over the data.</param>
    public static AdaptiveWidthRegressionTrainer AdaptiveWidth(this RegressionCatalog.RegressionTrainers catalog,
        string labelColumnName = "Label", string featureColumnName = "Features", string? exampleWeightColumnName = null,
        int numberOfLayers = Defaults.NumberOfLayers, int maxEpoch = Defaults.MaxEpoch)
        => catalog.AdaptiveWidth(new AdaptiveWidthRegressionTrainer.Options
        {
            LabelColumnName = labelColumnName, FeatureColumnName = featureColumnName, ExampleWeightColumnName = exampleWeightColumnName,
            NumberOfLayers = numberOfLayers, MaxEpoch = maxEpoch,
        });

    /// <summary>Creates an <see cref="AdaptiveWidthRegressionTrainer"/> with all its options.</summary>
    /// <param name="catalog">The regression trainer catalog.</param>
    /// <param name="options">The trainer's options; checked here.</param>
    public static AdaptiveWidthRegressionTrainer AdaptiveWidth(this RegressionCatalog.RegressionTrainers catalog,
        AdaptiveWidthRegressionTrainer.Options options)
        => new(CatalogUtils.GetEnvironment(catalog), options);
}
