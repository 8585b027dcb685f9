namespace Microsoft.ML.AdaptiveWidth.Datasets;

/// <summary>
/// Deterministic, shuffled train/validation/test splits.
/// </summary>
/// <remarks>
/// The shuffles use <see cref="Random"/> seeded with the given seed (Fisher–Yates), which is stable across .NET versions
/// and platforms. The paper split with scikit-learn's <c>train_test_split</c>; its exact permutation depends on NumPy's
/// <c>RandomState.permutation</c> and scikit-learn's stratification internals and is not reproduced here, so the split
/// sizes and class proportions match the paper's, but not the membership of individual rows.
/// </remarks>
public static class Splits
{
    /// <summary>
    /// The paper's split: test = 20% of each class, then validation = 10% of the remaining rows of each class, train the rest
    /// (72/8/20). DoubleMoon and Spiral give 3600/400/1000 rows, SpiralHard 7200/800/2000. Regression data sets
    /// (<see cref="Dataset.ClassCount"/> == 0) are split in the same proportions without stratification.
    /// </summary>
    /// <param name="d">The data set to split.</param>
    /// <param name="seed">Seed of the shuffles.</param>
    public static (Dataset Train, Dataset Validation, Dataset Test) PaperSplit(Dataset d, int seed = 42)
    {
        ArgumentNullException.ThrowIfNull(d);
        var (rest, test) = d.IsClassification ? StratifiedTrainTest(d, 0.2, seed) : TrainTest(d, 0.2, seed);
        var (train, validation) = d.IsClassification ? StratifiedTrainTest(rest, 0.1, seed) : TrainTest(rest, 0.1, seed);
        return (train, validation, test);
    }

    /// <summary>
    /// Splits each class separately: round(<paramref name="testFraction"/> · n_c) rows of class c go to the test set, the
    /// rest to the training set; both sets are then shuffled.
    /// </summary>
    /// <param name="d">A classification data set (<see cref="Dataset.ClassCount"/> &gt; 0).</param>
    /// <param name="testFraction">Fraction of each class for the test set, in [0, 1].</param>
    /// <param name="seed">Seed of the shuffles.</param>
    /// <exception cref="ArgumentException"><paramref name="d"/> is a regression data set.</exception>
    public static (Dataset Train, Dataset Test) StratifiedTrainTest(Dataset d, double testFraction, int seed)
    {
        ArgumentNullException.ThrowIfNull(d);
        CheckFraction(testFraction);
        if (!d.IsClassification)
        {
            throw new ArgumentException($"{d.Name} has no classes to stratify by; use {nameof(TrainTest)}.", nameof(d));
        }

        var rng = new Random(seed);
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

        return Finish(d, train, test, rng);
    }

    /// <summary>
    /// Splits without regard to labels (for regression): round(<paramref name="testFraction"/> · n) shuffled rows go to the
    /// test set, the rest to the training set.
    /// </summary>
    /// <param name="d">The data set to split.</param>
    /// <param name="testFraction">Fraction of the rows for the test set, in [0, 1].</param>
    /// <param name="seed">Seed of the shuffle.</param>
    public static (Dataset Train, Dataset Test) TrainTest(Dataset d, double testFraction, int seed)
    {
        ArgumentNullException.ThrowIfNull(d);
        CheckFraction(testFraction);
        var rng = new Random(seed);
        int[] rows = Enumerable.Range(0, d.RowCount).ToArray();
        Shuffle(rows, rng);
        int nTest = TestCount(rows.Length, testFraction);
        return (d.Subset(rows[nTest..]), d.Subset(rows[..nTest]));
    }

    private static (Dataset Train, Dataset Test) Finish(Dataset d, List<int> train, List<int> test, Random rng)
    {
        // Shuffle across classes so neither set comes sorted by label.
        int[] trainRows = train.ToArray();
        int[] testRows = test.ToArray();
        Shuffle(trainRows, rng);
        Shuffle(testRows, rng);
        return (d.Subset(trainRows), d.Subset(testRows));
    }

    private static int TestCount(int n, double fraction) =>
        (int)Math.Round(n * fraction, MidpointRounding.AwayFromZero);

    private static void CheckFraction(double testFraction)
    {
        if (!(testFraction >= 0 && testFraction <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(testFraction), testFraction, "The test fraction must lie in [0, 1].");
        }
    }

    private static void Shuffle(int[] values, Random rng)
    {
        for (int i = values.Length - 1; i > 0; i--)
        {
            int j = rng.Next(i + 1);
            (values[i], values[j]) = (values[j], values[i]);
        }
    }
}
