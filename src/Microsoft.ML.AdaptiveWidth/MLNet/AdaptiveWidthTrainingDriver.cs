using System.Globalization;
using Microsoft.ML.AdaptiveWidth.Inference;
using Microsoft.ML.AdaptiveWidth.Training;
using Microsoft.ML.Data;
using Microsoft.ML.Runtime;

namespace Microsoft.ML.Trainers.AdaptiveWidth;

/// <summary>
/// The part of training that the three trainers share: read the data, hold out validation rows if none were given,
/// run the training loop with progress in the log, and apply the truncation budget.
/// </summary>
internal static class AdaptiveWidthTrainingDriver
{
    /// <summary>The trained network (already truncated to the budget) and the training history.</summary>
    internal sealed record Outcome(AdaptiveWidthModel Network, IReadOnlyList<EpochRecord> History);

    public static Outcome Train(IHost host, AdaptiveWidthOptionsBase options, NetworkTask task, TrainContext context)
    {
        host.CheckValue(context, nameof(context));
        host.CheckAlive();
        using IChannel ch = host.Start("Training");

        int classCount = task == NetworkTask.MulticlassClassification
            ? DataViewReader.ClassCount(context.TrainingSet.Schema.Label!.Value)
            : task == NetworkTask.BinaryClassification ? 2 : 0;
        TrainingData train = ReadOrThrow(ch, context.TrainingSet, task, "training");
        CheckClasses(train, task, context.TrainingSet.Schema.Label!.Value.Name);

        int seed = options.Seed ?? host.Rand.Next();
        TrainingData? validation = null;
        if (context.ValidationSet is not null)
        {
            CheckValidationSchema(context.TrainingSet, context.ValidationSet);
            validation = ReadOrThrow(ch, context.ValidationSet, task, "validation");
        }
        else if (options.ValidationFraction > 0)
        {
            (train, validation) = ValidationSplit.Split(train, task, options.ValidationFraction, seed);
            CheckClasses(train, task, context.TrainingSet.Schema.Label!.Value.Name);
            ch.Info(MessageSensitivity.None, string.Format(CultureInfo.InvariantCulture,
                "Held out {0} of {1} rows for validation ({2} = {3}).",
                validation.RowCount, train.RowCount + validation.RowCount, nameof(options.ValidationFraction), options.ValidationFraction));
        }

        TrainingSettings settings = options.ToTrainingSettings(seed);
        var progress = new TrainingProgressLog(host, ch);
        TrainingResult result = AdaptiveWidthNetworkTrainer.Train(task, classCount, train, validation, settings, progress, options.CancellationToken,
            // MLContext.CancelExecution is seen before every mini-batch, as the token is, not only after an epoch.
            beforeBatch: host.CheckAlive);
        progress.Flush();
        host.CheckAlive();

        AdaptiveWidthModel network = result.Model;
        int[] kept = WidthBudget.Widths(network.LayerWidths, options.TruncationBudget, options.MaxUnitsPerLayer);
        if (!kept.SequenceEqual(network.LayerWidths))
        {
            ch.Info(MessageSensitivity.None, $"Truncated the learned widths [{string.Join(", ", network.LayerWidths)}] to [{string.Join(", ", kept)}].");
            network = network.Truncate(kept);
        }
        ch.Info(MessageSensitivity.None, string.Format(CultureInfo.InvariantCulture,
            "Training ended ({0}) after {1} epochs; kept epoch {2}, widths [{3}].",
            result.Stopped, result.History.Count, result.BestEpoch, string.Join(", ", network.LayerWidths)));
        return new Outcome(network, result.History);
    }

    private static TrainingData ReadOrThrow(IChannel ch, RoleMappedData data, NetworkTask task, string role)
    {
        DataViewReader.Result read = DataViewReader.Read(data, task);
        if (read.RowsSkipped > 0)
        {
            // ML.NET's own trainers skip such rows with a warning; we do the same and say how many.
            ch.Warning(MessageSensitivity.None, string.Format(CultureInfo.InvariantCulture,
                "Skipped {0} of {1} {2} rows: {3}.", read.RowsSkipped, read.RowsRead, role, read.SkipReasons()));
        }
        if (read.Data is null)
        {
            throw new ArgumentException(read.RowsRead == 0
                ? $"The {role} data is empty: there must be at least one row. Check the file or the filter that produced it."
                : $"The {role} data has no usable row: of {read.RowsRead} rows, {read.SkipReasons()}.",
                "data");
        }
        return read.Data;
    }

    /// <summary>
    /// The validation data must have the training data's feature size, label type and weight type: ML.NET binds the
    /// validation set by column name only, so a set from a different pipeline would otherwise fail deep in training
    /// or, for a key label of another count, silently mean other classes.
    /// </summary>
    private static void CheckValidationSchema(RoleMappedData train, RoleMappedData validation)
    {
        const string Fix = "Transform the validation data with the same fitted pipeline as the training data.";
        void Same(DataViewSchema.Column? t, DataViewSchema.Column? v, string role)
        {
            if (t is not { } tc)
            {
                return;
            }
            if (v is not { } vc)
            {
                throw new ArgumentException($"The validation data has no {role} column '{tc.Name}'. {Fix}", "validationData");
            }
            if (!tc.Type.Equals(vc.Type))
            {
                throw new ArgumentException(
                    $"Column '{vc.Name}' ({role}) of the validation data is {vc.Type}, but the training data's is {tc.Type}. {Fix}", "validationData");
            }
        }
        Same(train.Schema.Feature, validation.Schema.Feature, "features");
        Same(train.Schema.Label, validation.Schema.Label, "label");
        Same(train.Schema.Weight, validation.Schema.Weight, "example weight");
    }

    private static void CheckClasses(TrainingData data, NetworkTask task, string labelName)
    {
        if (task == NetworkTask.Regression)
        {
            return;
        }
        int distinct = data.Labels.Distinct().Count();
        if (distinct < 2)
        {
            throw new ArgumentException(
                $"The label column '{labelName}' has a single class in the training data ({data.RowCount} usable rows); a classifier needs at least two.",
                "data");
        }
    }
}
