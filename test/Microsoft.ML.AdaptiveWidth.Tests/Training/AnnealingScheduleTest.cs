using Microsoft.ML.AdaptiveWidth.Training;

namespace Microsoft.ML.AdaptiveWidth.Tests.Training;

[TestClass]
public sealed class AnnealingScheduleTest
{
    [TestMethod]
    public void TrainingSettings_RatePriorScaleAt_FollowsThePapersSchedule()
    {
        // start 3, end 6, a = 0.8, σ0 = 2: step = 0.8·2/(6 − 3 + 1) = 0.4.
        var settings = new TrainingSettings { WidthRegularization = 0.5, WidthRegularizationStartEpoch = 3, WidthRegularizationEndEpoch = 6, WidthRegularizationAnnealing = 0.8, MaxEpoch = 10 };

        double?[] scales = Enumerable.Range(1, 9).Select(settings.RatePriorScaleAt).ToArray();

        double?[] expected = [null, null, 2.0, 1.6, 1.2, 0.8, 0.8, 0.8, 0.8];
        Assert.HasCount(expected.Length, scales);
        for (int i = 0; i < expected.Length; i++)
        {
            if (expected[i] is null)
            {
                Assert.IsNull(scales[i], $"epoch {i + 1}");
            }
            else
            {
                Assert.AreEqual(expected[i]!.Value, scales[i]!.Value, 1e-12, $"epoch {i + 1}");
            }
        }
    }

    [TestMethod]
    public void TrainingSettings_RatePriorScaleAt_WithoutAnnealingOrPrior_IsConstant()
    {
        Assert.AreEqual(0.5, new TrainingSettings { WidthRegularization = 2 }.RatePriorScaleAt(7));
        Assert.IsNull(new TrainingSettings().RatePriorScaleAt(7));
        // End defaults to MaxEpoch: start 1, end 4, a = 0.9, σ0 = 1 → step 0.225.
        Assert.AreEqual(1 - 3 * 0.225, new TrainingSettings { WidthRegularization = 1, WidthRegularizationStartEpoch = 1, MaxEpoch = 4 }.RatePriorScaleAt(9)!.Value, 1e-12);
    }

    [TestMethod]
    public void TrainingSettings_Validate_BadAnnealing_ThrowsNamingTheSetting()
    {
        Assert.AreEqual(nameof(TrainingSettings.WidthRegularizationStartEpoch),
            Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new TrainingSettings { WidthRegularizationStartEpoch = 2 }.Validate()).ParamName);
        Assert.AreEqual(nameof(TrainingSettings.WidthRegularizationAnnealing),
            Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new TrainingSettings { WidthRegularization = 1, WidthRegularizationStartEpoch = 2, WidthRegularizationAnnealing = 1 }.Validate()).ParamName);
        Assert.AreEqual(nameof(TrainingSettings.WidthRegularizationEndEpoch),
            Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new TrainingSettings { WidthRegularization = 1, WidthRegularizationStartEpoch = 5, WidthRegularizationEndEpoch = 4 }.Validate()).ParamName);
    }
}
