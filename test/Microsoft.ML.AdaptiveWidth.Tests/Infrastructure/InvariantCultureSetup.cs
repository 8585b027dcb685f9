using System.Globalization;

namespace Microsoft.ML.AdaptiveWidth.Tests.Infrastructure;

/// <summary>Runs every test under the invariant culture so number formatting and parsing never depend on the machine.</summary>
[TestClass]
public sealed class InvariantCultureSetup
{
    /// <summary>Sets the invariant culture for the test threads and for threads created later.</summary>
    /// <param name="context">The MSTest context (unused).</param>
    [AssemblyInitialize]
    public static void SetInvariantCulture(TestContext context)
    {
        _ = context;
        CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
        CultureInfo.DefaultThreadCurrentUICulture = CultureInfo.InvariantCulture;
        CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
        CultureInfo.CurrentUICulture = CultureInfo.InvariantCulture;
    }
}
