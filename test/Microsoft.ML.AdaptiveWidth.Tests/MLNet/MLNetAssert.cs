using System.Reflection;
using Microsoft.ML.Data;

namespace Microsoft.ML.AdaptiveWidth.Tests.MLNet;

/// <summary>Assertions shared by the ML.NET integration tests.</summary>
internal static class MLNetAssert
{
    /// <summary>The schema an estimator promises equals the schema its transformer produces: names, types and annotations.</summary>
    public static void SchemaMatches(SchemaShape promised, DataViewSchema produced)
    {
        SchemaShape actual = ShapeOf(produced);
        CollectionAssert.AreEquivalent(promised.Select(c => c.Name).ToList(), actual.Select(c => c.Name).ToList(), "column names");
        foreach (SchemaShape.Column expected in promised)
        {
            SchemaShape.Column column = actual.Single(c => c.Name == expected.Name);
            Assert.AreEqual(expected.Kind, column.Kind, $"kind of {expected.Name}");
            Assert.AreEqual(expected.ItemType, column.ItemType, $"item type of {expected.Name}");
            Assert.AreEqual(expected.IsKey, column.IsKey, $"key-ness of {expected.Name}");
            CollectionAssert.AreEquivalent(
                expected.Annotations.Select(a => a.Name).ToList(), column.Annotations.Select(a => a.Name).ToList(),
                $"annotations of {expected.Name}");
        }
    }

    /// <summary>
    /// The shape of a schema, as an estimator's GetOutputSchema takes it. ML.NET builds it with the internal
    /// SchemaShape.Create, which has no public equivalent, so the tests call it by reflection.
    /// </summary>
    public static SchemaShape ShapeOf(DataViewSchema schema)
        => (SchemaShape)typeof(SchemaShape).GetMethod("Create", BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.Public, [typeof(DataViewSchema)])!
            .Invoke(null, [schema])!;

    /// <summary>Reads a Single column.</summary>
    public static float[] Floats(IDataView data, string column) => data.GetColumn<float>(column).ToArray();

    /// <summary>Reads a vector-of-Single column.</summary>
    public static float[][] Vectors(IDataView data, string column)
        => data.GetColumn<VBuffer<float>>(column).Select(v => v.DenseValues().ToArray()).ToArray();

    /// <summary>Bitwise equality of two float arrays, with the first difference in the message.</summary>
    public static void BitIdentical(float[] expected, float[] actual, string what)
    {
        Assert.HasCount(expected.Length, actual, what);
        for (int i = 0; i < expected.Length; i++)
        {
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
            {
                Assert.Fail($"{what}: element {i} is {actual[i]:R}, expected {expected[i]:R}.");
            }
        }
    }
}
