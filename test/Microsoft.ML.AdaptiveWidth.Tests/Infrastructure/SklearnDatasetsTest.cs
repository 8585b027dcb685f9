using Microsoft.ML.AdaptiveWidth.Datasets;

namespace Microsoft.ML.AdaptiveWidth.Tests.Infrastructure;

[TestClass]
public sealed class SklearnDatasetsTest
{
    [TestMethod]
    public void SklearnDatasets_BreastCancer_Has569Rows30Features212Malignant357Benign()
    {
        Dataset d = SklearnDatasets.BreastCancer();
        AssertShape(d, 569, 30, 2);
        CollectionAssert.AreEqual(new[] { 212, 357 }, d.ClassCounts());
        Assert.AreEqual("mean radius", d.FeatureNames[0]);
        Assert.AreEqual("worst fractal dimension", d.FeatureNames[29]);
        Assert.AreEqual(17.99f, d.Features[0]);
    }

    [TestMethod]
    public void SklearnDatasets_Wine_Has178Rows13Features3Classes()
    {
        Dataset d = SklearnDatasets.Wine();
        AssertShape(d, 178, 13, 3);
        CollectionAssert.AreEqual(new[] { 59, 71, 48 }, d.ClassCounts());
        Assert.AreEqual("proline", d.FeatureNames[12]);
        Assert.AreEqual(1065f, d.Features[12]);
    }

    [TestMethod]
    public void SklearnDatasets_Digits_Has1797Images64PixelsIn0To16()
    {
        Dataset d = SklearnDatasets.Digits();
        AssertShape(d, 1797, 64, 10);
        CollectionAssert.AreEqual(new[] { 178, 182, 177, 183, 181, 182, 181, 179, 174, 180 }, d.ClassCounts());
        Assert.IsTrue(d.Features.All(v => v >= 0 && v <= 16 && v == MathF.Floor(v)));
        Assert.AreEqual("pixel_7_7", d.FeatureNames[63]);
    }

    [TestMethod]
    public void SklearnDatasets_Diabetes_Has442RowsOfRawValuesAndRegressionTarget()
    {
        Dataset d = SklearnDatasets.Diabetes();
        AssertShape(d, 442, 10, 0);
        CollectionAssert.AreEqual(new[] { 59f, 2f, 32.1f, 101f, 157f, 93.2f, 38f, 4f, 4.8598f, 87f }, d.Features[..10]);
        Assert.AreEqual(151f, d.Labels[0]);
        Assert.AreEqual(25f, d.Labels.Min());
        Assert.AreEqual(346f, d.Labels.Max());
        Assert.IsEmpty(d.ClassCounts());
    }

    private static void AssertShape(Dataset d, int rows, int features, int classes)
    {
        Assert.AreEqual(rows, d.RowCount, d.Name);
        Assert.AreEqual(features, d.FeatureCount, d.Name);
        Assert.AreEqual(classes, d.ClassCount, d.Name);
        Assert.HasCount(rows * features, d.Features);
        Assert.HasCount(features, d.FeatureNames);
        Assert.IsTrue(d.Features.All(float.IsFinite), $"{d.Name} has a NaN or infinite feature");
        Assert.IsTrue(d.Labels.All(float.IsFinite), $"{d.Name} has a NaN or infinite label");
    }
}
