using Microsoft.ML.AdaptiveWidth.Training;

namespace Microsoft.ML.Trainers.AdaptiveWidth;

/// <summary>Holds out part of the training rows for early stopping when no validation data is given.</summary>
internal static class ValidationSplit
{
    /// <summary>
    /// Splits the rows: for classification each class gives round(fraction × its rows) to validation, keeping at least
    /// one row of it for training (stratified); for regression round(fraction × rows) are drawn. The choice depends
    /// only on <paramref name="seed"/> and the data.
    /// </summary>
    /// <returns>The training and validation rows; the validation rows are null when the fraction rounds to no row at
    /// all (too few rows: the caller trains on every row without a hold-out).</returns>
    /// <exception cref="ArgumentException">The split would leave no training row.</exception>
    public static (TrainingData Train, TrainingData? Validation) Split(TrainingData data, NetworkTask task, double fraction, int seed)
    {
        var random = new Random(seed);
        var validation = new List<int>();
        if (task == NetworkTask.Regression)
        {
            int[] rows = Shuffled(Enumerable.Range(0, data.RowCount).ToArray(), random);
            validation.AddRange(rows.Take((int)Math.Round(fraction * rows.Length)));
        }
        else
        {
            foreach (IGrouping<float, int> byClass in Enumerable.Range(0, data.RowCount).GroupBy(i => data.Labels[i]).OrderBy(g => g.Key))
            {
                int[] rows = Shuffled(byClass.ToArray(), random);
                int take = Math.Min((int)Math.Round(fraction * rows.Length), rows.Length - 1);
                validation.AddRange(rows.Take(take));
            }
        }
        if (validation.Count == 0)
        {
            return (data, null);
        }
        if (validation.Count == data.RowCount)
        {
            throw new ArgumentException(
                $"{nameof(AdaptiveWidthOptionsBase.ValidationFraction)} {fraction} of {data.RowCount} usable training rows leaves " +
                $"{validation.Count} rows for validation and {data.RowCount - validation.Count} for training; both need at least one. " +
                $"Give more rows, change {nameof(AdaptiveWidthOptionsBase.ValidationFraction)} (0 switches the hold-out off), " +
                "or pass validation data to Fit(train, validation).", "data");
        }
        validation.Sort();
        var isValidation = new bool[data.RowCount];
        foreach (int i in validation)
        {
            isValidation[i] = true;
        }
        // The training rows as a view (dense rows): the batch source copies them from the shared array into libtorch's memory,
        // so a member holds no managed copy of 90% of the data; the held-out rows are copied (the temperature and compression
        // score them in managed code).
        int[] trainRows = Enumerable.Range(0, data.RowCount).Where(i => !isValidation[i]).ToArray();
        return (data.Sparse is null ? new TrainingData(data, trainRows) : Subset(data, trainRows), Subset(data, validation.ToArray()));
    }

    private static int[] Shuffled(int[] rows, Random random)
    {
        random.Shuffle(rows);
        return rows;
    }

    private static TrainingData Subset(TrainingData data, int[] rows)
    {
        if (data.Sparse is SparseRows sparse)
        {
            return new TrainingData(sparse.Subset(rows), rows.Select(r => data.Labels[r]).ToArray(),
                data.Weights is null ? null : rows.Select(r => data.Weights[r]).ToArray());
        }
        int n = data.FeatureCount;
        var features = new float[(long)rows.Length * n];
        var labels = new float[rows.Length];
        float[]? weights = data.Weights is null ? null : new float[rows.Length];
        for (int r = 0; r < rows.Length; r++)
        {
            data.Features.AsSpan(rows[r] * n, n).CopyTo(features.AsSpan(r * n, n)); // < Array.MaxLength values, so no overflow
            labels[r] = data.Labels[rows[r]];
            if (weights is not null)
            {
                weights[r] = data.Weights![rows[r]];
            }
        }
        return new TrainingData(features, n, labels, weights);
    }
}
