using System.Reflection;
using Microsoft.ML.Trainers.AdaptiveWidth;
using Mono.Cecil;

namespace Microsoft.ML.AdaptiveWidth.Tests.Build;

/// <summary>
/// One build of the library serves every supported ML.NET release (README, "Supported ML.NET versions") because what it
/// uses of ML.NET, internals included, is the same in each. This test keeps that claim true: it reads the library's
/// compiled references into ML.NET (every type, method and field it names) with Mono.Cecil, resolves each one in the
/// real assemblies of every supported release (from NuGet's global packages folder; the test project downloads them),
/// and asserts that each resolves, with the same attributes (accessibility, static, virtual, abstract, sealed) and base
/// type in every release. It also compares the abstract and virtual members of the ML.NET base types the library
/// derives from, since a new abstract member would break the library's types at load time.
/// </summary>
[TestClass]
public sealed class MLNetInternalsTest
{
    private static string[] SupportedVersions() => typeof(MLNetInternalsTest).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "MLNetSupportedVersions").Value!.Split(';', StringSplitOptions.RemoveEmptyEntries);

    private static bool IsMLNet(IMetadataScope scope) =>
        scope.Name.StartsWith("Microsoft.ML", StringComparison.Ordinal) && !scope.Name.StartsWith("Microsoft.ML.AdaptiveWidth", StringComparison.Ordinal);

    /// <summary>What the library relies on, described against one release's assemblies.</summary>
    internal static SortedDictionary<string, string> Describe(string library, string packages, string version)
    {
        var releaseDirs = new List<string>();
        foreach (string dir in new[]
                 {
                     Path.Combine(packages, "microsoft.ml", version, "lib", "netstandard2.0"),
                     Path.Combine(packages, "microsoft.ml.dataview", version, "lib", "netstandard2.0"),
                     Path.Combine(packages, "microsoft.ml.cpumath", version, "lib", "netstandard2.0"),
                 })
        {
            Assert.IsTrue(Directory.Exists(dir), $"{dir}: ML.NET {version} is not in NuGet's global packages folder (the test project's PackageDownload fetches it)");
            releaseDirs.Add(Path.GetFullPath(dir));
        }
        using var resolver = new FolderResolver([.. releaseDirs, Path.GetDirectoryName(typeof(object).Assembly.Location)!]);
        using var assembly = AssemblyDefinition.ReadAssembly(library, new ReaderParameters { AssemblyResolver = resolver });
        ModuleDefinition module = assembly.MainModule;

        var found = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (TypeReference type in module.GetTypeReferences().Where(t => IsMLNet(t.Scope)))
        {
            TypeDefinition? definition = Resolve(type.Resolve);
            found["type " + type.FullName] = definition is null ? "MISSING"
                : !releaseDirs.Contains(Path.GetDirectoryName(Path.GetFullPath(definition.Module.FileName))!) ? "FROM ANOTHER FOLDER " + definition.Module.FileName
                : $"{definition.Attributes} : {definition.BaseType?.FullName} in {definition.Module.Assembly.Name.Name}";
        }
        foreach (MemberReference member in module.GetMemberReferences().Where(m => m.DeclaringType is not null && IsMLNet(m.DeclaringType.GetElementType().Scope)))
        {
            string description = member switch
            {
                MethodReference method => Resolve(method.Resolve) is { } m ? m.Attributes.ToString() : "MISSING",
                FieldReference field => Resolve(field.Resolve) is { } f ? f.Attributes.ToString() : "MISSING",
                _ => "unknown member kind",
            };
            found["member " + member.FullName] = description;
        }
        // The overridable surface of every ML.NET base type of the library's own types.
        foreach (TypeDefinition own in module.GetTypes())
        {
            for (TypeReference? baseType = own.BaseType; baseType is not null && IsMLNet(baseType.GetElementType().Scope);)
            {
                TypeDefinition? definition = Resolve(baseType.Resolve);
                if (definition is null)
                {
                    found["base " + baseType.FullName] = "MISSING";
                    break;
                }
                foreach (MethodDefinition method in definition.Methods.Where(m => m.IsVirtual || m.IsAbstract))
                {
                    found[$"base {definition.FullName}::{method.FullName}"] = method.Attributes.ToString();
                }
                baseType = definition.BaseType;
            }
        }
        return found;
    }

    /// <summary>
    /// Resolves assemblies from the given folders only. Cecil's default resolver also searches the working directory
    /// and this process's trusted platform assemblies, which hold the ML.NET the tests run on, not the release compared.
    /// </summary>
    private sealed class FolderResolver(IReadOnlyList<string> folders) : IAssemblyResolver
    {
        private readonly Dictionary<string, AssemblyDefinition> _loaded = new(StringComparer.Ordinal);

        public AssemblyDefinition Resolve(AssemblyNameReference name) => Resolve(name, new ReaderParameters());

        public AssemblyDefinition Resolve(AssemblyNameReference name, ReaderParameters parameters)
        {
            if (_loaded.TryGetValue(name.Name, out AssemblyDefinition? loaded))
            {
                return loaded;
            }
            string? file = folders.Select(f => Path.Combine(f, name.Name + ".dll")).FirstOrDefault(File.Exists)
                ?? throw new AssemblyResolutionException(name);
            parameters.AssemblyResolver = this;
            return _loaded[name.Name] = AssemblyDefinition.ReadAssembly(file, parameters);
        }

        public void Dispose()
        {
            foreach (AssemblyDefinition assembly in _loaded.Values)
            {
                assembly.Dispose();
            }
        }
    }

    /// <summary>Cecil returns null for a member its assembly lacks, and throws for an assembly it cannot find.</summary>
    private static T? Resolve<T>(Func<T?> resolve) where T : class
    {
        try
        {
            return resolve();
        }
        catch (AssemblyResolutionException)
        {
            return null;
        }
    }

    [TestMethod]
    public void MLNetInternals_UsedByTheLibrary_AreTheSameInEverySupportedRelease()
    {
        string library = typeof(AdaptiveWidthBinaryTrainer).Assembly.Location;
        string[] versions = SupportedVersions();
        Assert.IsGreaterThanOrEqualTo(1, versions.Length, "no supported version");

        string packages = BuildTools.GlobalPackagesFolder();
        SortedDictionary<string, string> reference = Describe(library, packages, versions[0]);
        Assert.IsGreaterThan(100, reference.Count, "the library references ML.NET types and members: found " + reference.Count);
        Assert.IsTrue(reference.Keys.Any(k => k.Contains("ModelLoadContext", StringComparison.Ordinal)), "an internal ML.NET type (ModelLoadContext) is among them");
        string[] missing = reference.Where(p => p.Value.Contains("MISSING", StringComparison.Ordinal) || p.Value.StartsWith("FROM ANOTHER FOLDER", StringComparison.Ordinal))
            .Select(p => $"{p.Key}: {p.Value}").ToArray();
        Assert.IsEmpty(missing, $"not in ML.NET {versions[0]}: " + string.Join("; ", missing));

        foreach (string version in versions.Skip(1))
        {
            SortedDictionary<string, string> other = Describe(library, packages, version);
            string[] differences = reference.Keys.Union(other.Keys)
                .Where(k => !reference.TryGetValue(k, out string? a) || !other.TryGetValue(k, out string? b) || a != b)
                .Select(k => $"{k}: {versions[0]} {reference.GetValueOrDefault(k, "absent")}, {version} {other.GetValueOrDefault(k, "absent")}")
                .ToArray();
            Assert.IsEmpty(differences, $"ML.NET {versions[0]} and {version} differ in what the library uses:\n" + string.Join("\n", differences));
        }
    }

    [TestMethod]
    public void Describe_WithoutMLNetAssemblies_ReportsEveryReferenceMissing()
    {
        // The comparison must be able to see a difference: described against empty folders in place of ML.NET's
        // packages, none of the library's references resolves.
        string fake = Path.Combine(Path.GetTempPath(), "aw-mlnet-empty-" + Guid.NewGuid().ToString("N"));
        try
        {
            foreach (string id in new[] { "microsoft.ml", "microsoft.ml.dataview", "microsoft.ml.cpumath" })
            {
                Directory.CreateDirectory(Path.Combine(fake, id, "0.0.0", "lib", "netstandard2.0"));
            }
            SortedDictionary<string, string> described = Describe(typeof(AdaptiveWidthBinaryTrainer).Assembly.Location, fake, "0.0.0");
            Assert.IsGreaterThan(100, described.Count);
            Assert.IsTrue(described.Values.All(v => v == "MISSING"), string.Join("\n", described.Where(p => p.Value != "MISSING").Take(5)));
        }
        finally
        {
            Directory.Delete(fake, recursive: true);
        }
    }
}
