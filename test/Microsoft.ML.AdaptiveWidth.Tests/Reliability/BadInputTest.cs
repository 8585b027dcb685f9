namespace Microsoft.ML.AdaptiveWidth.Tests.Reliability;

/// <summary>
/// Runs every case of <see cref="BadInputCatalog"/>: each must fail with a message that names the column or option
/// (and, where one exists, the fix), and docs/reliability.md's table must show exactly these messages. Regenerate the
/// table with <c>AW_UPDATE_RELIABILITY_DOCS=1 dotnet test AdaptiveWidth.sln --filter "FullyQualifiedName~BadInputTest"</c>.
/// Complements MLNet/AdaptiveWidthTrainerBadInputTest.cs and MLNet/AdaptiveWidthOptionsTest.cs, which check single
/// cases in detail.
/// </summary>
[TestClass]
public sealed class BadInputTest
{
    private static readonly Lazy<List<(BadInputCase Case, string? Message)>> Results = new(() =>
        BadInputCatalog.Cases.Select(c => (c, c.Run(new MLContext(seed: 1)))).ToList());

    [TestMethod]
    public void BadInput_EveryCase_FailsWithAMessageNamingTheColumnOrOption()
    {
        var failures = new List<string>();
        foreach ((BadInputCase bad, string? message) in Results.Value)
        {
            if (message is null)
            {
                failures.Add($"{bad.Stage} / {bad.Input}: no exception");
                continue;
            }
            foreach (string word in bad.MustContain)
            {
                if (!message.Contains(word, StringComparison.Ordinal))
                {
                    failures.Add($"{bad.Stage} / {bad.Input}: message lacks '{word}': {message}");
                }
            }
        }
        Assert.IsEmpty(failures, string.Join("\n", failures));
    }

    [TestMethod]
    public void BadInput_DocsTable_ListsEveryCaseWithItsExactMessage()
    {
        string table = BadInputCatalog.Table(Results.Value);
        if (ReliabilityEnvironment.UpdateDocs)
        {
            ReliabilityEnvironment.ReplaceSection(BadInputCatalog.DocsSection, table);
        }
        Assert.AreEqual(table.ReplaceLineEndings("\n"), ReliabilityEnvironment.Section(BadInputCatalog.DocsSection),
            "docs/reliability.md is out of date: run with AW_UPDATE_RELIABILITY_DOCS=1 (see the class comment)");
    }
}
