using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Microsoft.ML.AdaptiveWidth.Training;
using Microsoft.ML.Trainers.AdaptiveWidth;

namespace Microsoft.ML.AdaptiveWidth.Tests.MLNet;

[TestClass]
public sealed class AdaptiveWidthOptionsTest
{
    [TestMethod]
    [DataRow(nameof(AdaptiveWidthOptionsBase.WidthRegularization), -1.0)]
    [DataRow(nameof(AdaptiveWidthOptionsBase.TruncationBudget), 0.0)]
    [DataRow(nameof(AdaptiveWidthOptionsBase.TruncationBudget), 1.5)]
    [DataRow(nameof(AdaptiveWidthOptionsBase.MaxUnitsPerLayer), 0)]
    [DataRow(nameof(AdaptiveWidthOptionsBase.NumberOfLayers), 0)]
    [DataRow(nameof(AdaptiveWidthOptionsBase.InitialWidth), 1)]
    [DataRow(nameof(AdaptiveWidthOptionsBase.InitialWidth), 5000)]
    [DataRow(nameof(AdaptiveWidthOptionsBase.MaximumWidth), 100_000)]
    [DataRow(nameof(AdaptiveWidthOptionsBase.Quantile), 1.0)]
    [DataRow(nameof(AdaptiveWidthOptionsBase.LearningRate), 0.0)]
    [DataRow(nameof(AdaptiveWidthOptionsBase.BatchSize), 0)]
    [DataRow(nameof(AdaptiveWidthOptionsBase.MaxEpoch), 0)]
    [DataRow(nameof(AdaptiveWidthOptionsBase.EarlyStoppingPatience), -1)]
    [DataRow(nameof(AdaptiveWidthOptionsBase.EarlyStoppingPatienceSteps), -1)]
    [DataRow(nameof(AdaptiveWidthOptionsBase.ValidationFraction), 1.0)]
    [DataRow(nameof(AdaptiveWidthOptionsBase.NumberOfThreads), 0)]
    [DataRow(nameof(AdaptiveWidthOptionsBase.WeightPriorScale), double.NaN)]
    [DataRow(nameof(AdaptiveWidthOptionsBase.RatePriorMean), 0.0)]
    [DataRow(nameof(AdaptiveWidthOptionsBase.Dropout), 1.0)]
    [DataRow(nameof(AdaptiveWidthOptionsBase.Dropout), -0.1)]
    [DataRow(nameof(AdaptiveWidthOptionsBase.LabelSmoothing), 1.0)]
    [DataRow(nameof(AdaptiveWidthOptionsBase.LabelSmoothing), -0.1)]
    [DataRow(nameof(AdaptiveWidthOptionsBase.QuantileCodeBins), -1)]
    [DataRow(nameof(AdaptiveWidthOptionsBase.QuantileCodeBins), 64)]
    public void AdaptiveWidthOptionsBase_Catalog_InvalidValueThrowsNamingTheOption(string option, object value)
    {
        var options = new AdaptiveWidthBinaryTrainer.Options();
        var field = typeof(AdaptiveWidthOptionsBase).GetField(option)!;
        field.SetValue(options, Convert.ChangeType(value, Nullable.GetUnderlyingType(field.FieldType) ?? field.FieldType));

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new MLContext().BinaryClassification.Trainers.AdaptiveWidth(options));

        Assert.AreEqual(option, error.ParamName);
        StringAssert.Contains(error.Message, option);
    }

    [TestMethod]
    public void AdaptiveWidthOptionsBase_Catalog_EmptyFeatureColumnNameThrowsNamingTheOption()
    {
        var options = new AdaptiveWidthRegressionTrainer.Options { FeatureColumnName = " " };

        var error = Assert.Throws<ArgumentException>(() => new MLContext().Regression.Trainers.AdaptiveWidth(options));

        Assert.AreEqual(nameof(AdaptiveWidthOptionsBase.FeatureColumnName), error.ParamName);
    }

    [TestMethod]
    public void AdaptiveWidthOptionsBase_Defaults_AreWhatTrainingUsesAndWhatTheDocsSay()
    {
        // What training uses: the options' defaults map onto exactly the core's default settings (record equality), except
        // the initial width and the weight prior, where the ML.NET defaults were chosen for an ensemble of small members
        // (Defaults.InitialWidth, Defaults.WeightPriorScale), label smoothing (Defaults.LabelSmoothing) and how new neurons
        // start (Defaults.PreserveFunctionOnGrowth), and the linear baseline (Defaults.LinearBaseline).
        foreach (AdaptiveWidthOptionsBase options in new AdaptiveWidthOptionsBase[]
            { new AdaptiveWidthBinaryTrainer.Options(), new AdaptiveWidthMulticlassTrainer.Options(), new AdaptiveWidthRegressionTrainer.Options() })
        {
            Assert.AreEqual(new TrainingSettings
            {
                Seed = 5, InitialWidth = AdaptiveWidthOptionsBase.Defaults.InitialWidth, WeightPriorScale = AdaptiveWidthOptionsBase.Defaults.WeightPriorScale,
                LabelSmoothing = AdaptiveWidthOptionsBase.Defaults.LabelSmoothing,
                PreserveFunctionOnGrowth = AdaptiveWidthOptionsBase.Defaults.PreserveFunctionOnGrowth,
                LinearBaseline = AdaptiveWidthOptionsBase.Defaults.LinearBaseline,
            }, options.ToTrainingSettings(seed: 5),
                options.GetType().FullName);
        }

        // What the docs say: each option's XML <value> "Default X" and README's options table give the field's default.
        var defaults = new AdaptiveWidthBinaryTrainer.Options();
        XDocument xml = XDocument.Load(Path.ChangeExtension(typeof(AdaptiveWidthOptionsBase).Assembly.Location, ".xml"));
        string readme = File.ReadAllText(Path.Combine(Reliability.ReliabilityEnvironment.RepoRoot, "README.md"));
        var notInTable = new List<string>();
        foreach (FieldInfo field in typeof(AdaptiveWidthBinaryTrainer.Options).GetFields(BindingFlags.Public | BindingFlags.Instance)
            .Where(f => f.DeclaringType!.Namespace == typeof(AdaptiveWidthOptionsBase).Namespace))
        {
            object? value = field.GetValue(defaults);
            string member = $"F:{field.DeclaringType!.FullName!.Replace('+', '.')}.{field.Name}";
            string? doc = xml.Descendants("member").FirstOrDefault(m => (string?)m.Attribute("name") == member)?.Element("value")?.ToString(SaveOptions.DisableFormatting);
            Assert.IsNotNull(doc, $"{field.Name} has no <value> documentation");
            Match readmeRow = Regex.Match(readme, $@"^\s*\| `{field.Name}` \| ([^|]+) \|", RegexOptions.Multiline);
            if (!readmeRow.Success)
            {
                notInTable.Add(field.Name);
                continue;
            }
            string cell = readmeRow.Groups[1].Value.Trim();
            if (value is null or CancellationToken)
            {
                Assert.IsTrue(Regex.IsMatch(doc, @"Null \(default|Default null|Default: none", RegexOptions.IgnoreCase), $"{field.Name}: {doc}");
                Assert.IsTrue(cell is "none" or "off" || cell.StartsWith("from", StringComparison.Ordinal), $"{field.Name}: README says {cell}");
                continue;
            }
            string expected = value is IFormattable f && value is not Enum ? f.ToString(null, CultureInfo.InvariantCulture) : value.ToString()!;
            Match documented = Regex.Match(doc, @"Default (?:<see cref=""[A-Z]:[\w.]*\.)?([\w.,]+)");
            Assert.IsTrue(documented.Success, $"{field.Name}: no 'Default X' in {doc}");
            Assert.AreEqual(expected, Normalize(documented.Groups[1].Value), $"{field.Name}: XML documentation");
            Assert.AreEqual(expected, Normalize(cell.Split(' ')[0]), $"{field.Name}: README table");
        }
        CollectionAssert.AreEquivalent(new[] { "WidthRegularizationStartEpoch", "WidthRegularizationEndEpoch", "WidthRegularizationAnnealing", "CompressionMetric" },
            notInTable, "options without their own README row");

        static string Normalize(string text) => text.TrimEnd('.', ',', ';', ':').Replace(",", "", StringComparison.Ordinal);
    }

    [TestMethod]
    public void AdaptiveWidthOptionsBase_ToTrainingSettings_DefaultWidthsGiveTheirRates()
    {
        TrainingSettings settings = new AdaptiveWidthMulticlassTrainer.Options().ToTrainingSettings(seed: 7);

        Assert.AreEqual(-Math.Log(0.1) / 30.5, settings.InitialRate, 1e-9);
        Assert.AreEqual(32, settings.InitialWidth);
        Assert.AreEqual(0.01, (settings with { InitialWidth = TrainingDefaults.PaperInitialWidth }).InitialRate, 1e-4, "the paper's start");
        Assert.AreEqual(5e-4, settings.RateLowerBound!.Value, 1e-6);
        Assert.AreEqual(4607, settings.MaximumWidth);
        Assert.IsNull(settings.RatePriorScale, "width regularization is off by default");
        Assert.AreEqual(7, settings.Seed);
        settings.Validate();
    }

    [TestMethod]
    [DataRow(2)]
    [DataRow(3)]
    [DataRow(32)]
    [DataRow(233)]
    [DataRow(65_536)]
    public void AdaptiveWidthOptionsBase_ToTrainingSettings_InitialWidthRoundTripsExactly(int width)
    {
        var options = new AdaptiveWidthRegressionTrainer.Options { InitialWidth = width, MaximumWidth = 65_536, Quantile = 0.8 };

        Assert.AreEqual(width, options.ToTrainingSettings(seed: 0).InitialWidth);
    }

    [TestMethod]
    public void AdaptiveWidthOptionsBase_ToTrainingSettings_WidthRegularizationSetsTheRatePrior()
    {
        var options = new AdaptiveWidthBinaryTrainer.Options { WidthRegularization = 4, RatePriorMean = 0.1 };

        TrainingSettings settings = options.ToTrainingSettings(seed: 0);

        Assert.AreEqual(0.25, settings.RatePriorScale);
        Assert.AreEqual(0.1, settings.RatePriorMean);
    }

    [TestMethod]
    public void AdaptiveWidthOptionsBase_ValidationSet_TrainsAsFitWithValidationData()
    {
        var ml = new MLContext(seed: 1);
        IDataView train = ml.Data.LoadFromEnumerable(MLNetTestData.Blobs(200, seed: 7));
        IDataView validation = ml.Data.LoadFromEnumerable(MLNetTestData.Blobs(100, seed: 8));
        var log = new List<string>();
        ml.Log += (_, e) => { lock (log) { log.Add(e.Message); } };
        AdaptiveWidthBinaryTrainer.Options options = MLNetTestData.Fast(new AdaptiveWidthBinaryTrainer.Options());
        options.ValidationSet = validation;

        var withOption = ml.BinaryClassification.Trainers.AdaptiveWidth(options).Fit(train);
        var withFit = ml.BinaryClassification.Trainers.AdaptiveWidth(MLNetTestData.Fast(new AdaptiveWidthBinaryTrainer.Options())).Fit(train, validation);

        Assert.IsFalse(log.Any(m => m.Contains("Held out", StringComparison.Ordinal)), "no hold-out when the option gives validation data");
        MLNetAssert.BitIdentical(
            MLNetAssert.Floats(withFit.Transform(validation), "Score"), MLNetAssert.Floats(withOption.Transform(validation), "Score"), "Score");
        Assert.AreEqual(withFit.Model.SubModel.TrainingHistory.Count, withOption.Model.SubModel.TrainingHistory.Count);
    }

    [TestMethod]
    public void AdaptiveWidthOptionsBase_ValidationSet_GivenTwiceOrWithoutTheColumnsThrowsNamingTheOption()
    {
        var ml = new MLContext(seed: 1);
        IDataView train = ml.Data.LoadFromEnumerable(MLNetTestData.Blobs(100, seed: 7));
        IDataView validation = ml.Data.LoadFromEnumerable(MLNetTestData.Blobs(50, seed: 8));
        AdaptiveWidthBinaryTrainer.Options options = MLNetTestData.Fast(new AdaptiveWidthBinaryTrainer.Options());
        options.ValidationSet = validation;
        AdaptiveWidthBinaryTrainer trainer = ml.BinaryClassification.Trainers.AdaptiveWidth(options);

        var twice = Assert.ThrowsExactly<ArgumentException>(() => trainer.Fit(train, ml.Data.LoadFromEnumerable(MLNetTestData.Blobs(50, seed: 9))));
        Assert.AreEqual(nameof(AdaptiveWidthOptionsBase.ValidationSet), twice.ParamName);

        options.ValidationSet = ml.Transforms.DropColumns("Features").Fit(validation).Transform(validation);
        var missing = Assert.ThrowsExactly<ArgumentException>(() => ml.BinaryClassification.Trainers.AdaptiveWidth(options).Fit(train));
        Assert.AreEqual(nameof(AdaptiveWidthOptionsBase.ValidationSet), missing.ParamName);
        StringAssert.Contains(missing.Message, "'Features'");
    }
}
