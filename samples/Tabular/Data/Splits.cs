namespace AdaptiveWidth.Samples.Tabular;

/// <summary>Deterministic, shuffled train/validation/test splits (Fisher–Yates with <see cref="Random"/>(seed)).</summary>
public static class Splits
{
    /// <summary>The paper's split: test = 20% of each class, then validation = 10% of the rest of each class (72/8/20).</summary>
    public static (Dataset Train, Dataset Validation, Dataset Test) PaperSplit(Dataset d, int seed = 42)
    {
        var (rest, test) = TrainTest(d, 0.2, seed);
        var (train, validation) = TrainTest(rest, 0.1, seed);
        return (train, validation, test);
    }

    /// <summary>
    /// round(<paramref name="testFraction"/> · n) rows to the test set, the rest to the training set; per class for
    /// classification (stratified), over all rows for regression; both sets shuffled.
    /// </summary>
    public static (Dataset Train, Dataset Test) TrainTest(Dataset d, double testFraction, int seed)
    {
        var rng = new Random(seed);
        if (!d.IsClassification)
        {
            int[] all = Enumerable.Range(0, d.RowCount).ToArray();
            Shuffle(all, rng);
            int n = TestCount(all.Length, testFraction);
            return (d.Subset(all[n..]), d.Subset(all[..n]));
        }
        var train = new List<int>(d.RowCount);
        var test = new List<int>(d.RowCount);
        for (int c = 0; c < d.ClassCount; c++)
        {
            int[] rows = Enumerable.Range(0, d.RowCount).Where(i => (int)d.Labels[i] == c).ToArray();
            Shuffle(rows, rng);
            int nTest = TestCount(rows.Length, testFraction);
            test.AddRange(rows.AsSpan(0, nTest));
            train.AddRange(rows.AsSpan(nTest));
        }
        // Shuffle across classes so neither set comes sorted by label.
        int[] trainRows = train.ToArray();
        int[] testRows = test.ToArray();
        Shuffle(trainRows, rng);
        Shuffle(testRows, rng);
        return (d.Subset(trainRows), d.Subset(testRows));
    }

    private static int TestCount(int n, double fraction) => (int)Math.Round(n * fraction, MidpointRounding.AwayFromZero);

    private static void Shuffle(int[] values, Random rng)
    {
        for (int i = values.Length - 1; i > 0; i--)
        {
            int j = rng.Next(i + 1);
            (values[i], values[j]) = (values[j], values[i]);
        }
    }
}
