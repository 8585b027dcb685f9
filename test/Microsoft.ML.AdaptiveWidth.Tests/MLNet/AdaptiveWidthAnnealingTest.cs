using Microsoft.ML.Trainers.AdaptiveWidth;

namespace Microsoft.ML.AdaptiveWidth.Tests.MLNet;

[TestClass]
public sealed class AdaptiveWidthAnnealingTest
{
    [TestMethod]
    public void AdaptiveWidthRegressionTrainer_AnnealedWidthRegularization_GivesANarrowerNetworkThanNone()
    {
        var ml = new MLContext(seed: 1);
        IDataView data = ml.Data.LoadFromEnumerable(MLNetTestData.Linear(300, seed: 11));

        var none = ml.Regression.Trainers.AdaptiveWidth(Options()).Fit(data);
        var annealedOptions = Options();
        annealedOptions.WidthRegularization = 300;      // σλ0 = 1/300
        annealedOptions.RatePriorMean = 0.5;            // pulls toward a width of about 6
        annealedOptions.WidthRegularizationStartEpoch = 5;
        var annealed = ml.Regression.Trainers.AdaptiveWidth(annealedOptions).Fit(data);

        Assert.IsLessThan(none.Model.LayerWidths[0], annealed.Model.LayerWidths[0],
            $"annealed width {annealed.Model.LayerWidths[0]}, unregularized {none.Model.LayerWidths[0]}");
    }

    [TestMethod]
    public void AdaptiveWidthOptions_AnnealingWithoutRegularization_ThrowsNamingTheOption()
    {
        var ml = new MLContext(seed: 1);
        var e = Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => ml.Regression.Trainers.AdaptiveWidth(
            new AdaptiveWidthRegressionTrainer.Options { WidthRegularizationStartEpoch = 3 }));
        Assert.AreEqual(nameof(AdaptiveWidthRegressionTrainer.Options.WidthRegularizationStartEpoch), e.ParamName);
    }

    private static AdaptiveWidthRegressionTrainer.Options Options()
    {
        var options = MLNetTestData.Fast(new AdaptiveWidthRegressionTrainer.Options());
        options.MaxEpoch = 25;
        options.ValidationFraction = 0; // keep the last epoch, after the annealing
        return options;
    }
}
