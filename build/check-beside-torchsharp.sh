#!/usr/bin/env bash
# Checks that Microsoft.ML.AdaptiveWidth lives beside ML.NET's own TorchSharp package in one application, for each ML.NET
# version to check with the Microsoft.ML.TorchSharp of that release (0.24.0 for ML.NET 6.0.0, 0.23.1 for 5.0.1; both ask
# for TorchSharp >= 0.102.7, which the package source lacks: next to our package they get our 0.107.0). Like
# check-package.sh (the packing and application steps are shared in package-check-lib.sh), it packs the library once and,
# per version, builds a console application outside the repository that references our package, Microsoft.ML at that
# version and that Microsoft.ML.TorchSharp; its build must resolve exactly that Microsoft.ML and one TorchSharp and print
# no NU1608 or NU1603 warning that the same application without our package does not also get. (With this package
# source Microsoft.ML.TorchSharp 0.23.1 on its own warns NU1603 for SkiaSharp 2.88.8, which is not served; that one is
# reported as not ours. ML.NET 6.0.0 with 0.24.0 gets none at all.) The application asserts the ML.NET it runs on, trains our binary trainer for a few
# epochs and asserts its accuracy, builds ML.NET's TorchSharp text classifier
# (MulticlassClassification.Trainers.TextClassification) and asks it for its output schema (training it would download
# pretrained weights, which this check must not need), then asserts that the process holds one TorchSharp assembly,
# which Microsoft.ML.TorchSharp binds to as well, one libtorch_cpu and one libLibTorchSharp (the output copy that our
# buildTransitive target patched), and that a tensor operation works after all that.
#
# Usage: bash build/check-beside-torchsharp.sh [ML.NET version...]   Default: every supported version in turn (or the
# versions in MLNET_VERSIONS). Exit code 0 and one line "BESIDE TORCHSHARP OK" per version on success.
# Set KEEP_PACKAGE_CHECK=1 to keep the temp folder for inspection.
set -euo pipefail
source "$(dirname "$0")/package-check-lib.sh"
pkgcheck_init check-beside-torchsharp
pkgcheck_mlnet_versions "$@"

pkgcheck_pack

for mlnet in $mlnet_versions; do
mlnet_torchsharp_version=$(pkgcheck_mlnet_companion "$mlnet")
step "creating the application with both packages on Microsoft.ML $mlnet (Microsoft.ML.TorchSharp $mlnet_torchsharp_version)"
app="$work/beside-$mlnet"
pkgcheck_new_app "$app"
cat > "$app/Beside.csproj" <<EOF
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <Nullable>enable</Nullable>
    <ImplicitUsings>enable</ImplicitUsings>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="$id" Version="$version" />
    <PackageReference Include="Microsoft.ML" Version="$mlnet" />
    <PackageReference Include="Microsoft.ML.TorchSharp" Version="$mlnet_torchsharp_version" />
  </ItemGroup>
</Project>
EOF
cat > "$app/Program.cs" <<'EOF'
using System.Diagnostics;
using System.Reflection;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.TorchSharp;
using TorchSharp;

// 0. The ML.NET this application runs on is the one it referenced.
string mlnetVersion = typeof(MLContext).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion.Split('+')[0];
Require(mlnetVersion == "__MLNET_VERSION__", $"running on ML.NET {mlnetVersion}, expected __MLNET_VERSION__");
string mlnetTorchSharpVersion = typeof(TorchSharpCatalog).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion.Split('+')[0];
Require(mlnetTorchSharpVersion == "__MLNET_TORCHSHARP_VERSION__", $"running Microsoft.ML.TorchSharp {mlnetTorchSharpVersion}, expected __MLNET_TORCHSHARP_VERSION__");

var mlContext = new MLContext(seed: 1);

// 1. Our trainer: a few epochs on two separable blobs.
var random = new Random(7);
var rows = new List<Row>();
for (int i = 0; i < 400; i++)
{
    bool label = i % 2 == 0;
    float shift = label ? 1.5f : -1.5f;
    rows.Add(new Row { Label = label, Features = Enumerable.Range(0, 4).Select(_ => shift + (float)(random.NextDouble() * 2 - 1)).ToArray() });
}
IDataView data = mlContext.Data.LoadFromEnumerable(rows);
var pipeline = mlContext.Transforms.NormalizeMinMax("Features")
    .Append(mlContext.BinaryClassification.Trainers.AdaptiveWidth(labelColumnName: "Label", featureColumnName: "Features", maxEpoch: 5));
ITransformer model = pipeline.Fit(data);
double accuracy = mlContext.BinaryClassification.Evaluate(model.Transform(data)).Accuracy;
Require(accuracy >= 0.9, $"AdaptiveWidth accuracy {accuracy} on separable blobs");
Console.WriteLine($"AdaptiveWidth: trained 5 epochs, accuracy {accuracy:F3}");

// 2. ML.NET's TorchSharp text classifier: built, and its output schema computed (Fit would download weights).
IDataView reviews = mlContext.Data.LoadFromEnumerable(new[]
{
    new Review { Label = 1, Sentence1 = "A warm, funny film." },
    new Review { Label = 2, Sentence1 = "Dull from start to end." },
});
var textClassifier = mlContext.MulticlassClassification.Trainers.TextClassification(
    labelColumnName: "Label", sentence1ColumnName: "Sentence1", batchSize: 2, maxEpochs: 1);
// GetOutputSchema takes a SchemaShape; ML.NET's SchemaShape.Create(DataViewSchema) is internal. A public route:
// CustomMapping's GetOutputSchema builds the shape of its output row type with SchemaShape.Create, so a mapping from
// no columns to Review gives the shape of data whose rows are Reviews. It is checked against the internal
// SchemaShape.Create(reviews.Schema) (by reflection) so the two routes cannot drift apart.
SchemaShape inputShape = mlContext.Transforms.CustomMapping<NoColumns, Review>((_, _) => { }, contractName: null)
    .GetOutputSchema(new SchemaShape([]));
var create = typeof(SchemaShape).GetMethod("Create", BindingFlags.Static | BindingFlags.NonPublic, [typeof(DataViewSchema)])!;
SchemaShape internalShape = (SchemaShape)create.Invoke(null, [reviews.Schema])!;
Require(Describe(inputShape) == Describe(internalShape), $"public shape {Describe(inputShape)} differs from SchemaShape.Create's {Describe(internalShape)}");
SchemaShape outputShape = textClassifier.GetOutputSchema(inputShape);
Console.WriteLine($"TextClassification ({textClassifier.GetType().FullName}): GetOutputSchema({Describe(inputShape)}) = {Describe(outputShape)}");
Require(outputShape.Any(c => c.Name == "PredictedLabel" && c.IsKey && c.ItemType == NumberDataViewType.UInt32), "no key PredictedLabel column");
Require(outputShape.Any(c => c.Name == "Score" && c.Kind == SchemaShape.Column.VectorKind.Vector && c.ItemType == NumberDataViewType.Single), "no Score vector");

// 3. One TorchSharp: the assembly our trainer used is the one Microsoft.ML.TorchSharp's own fields bind to.
Assembly mlnetTorchSharp = typeof(TorchSharpCatalog).Assembly;
AssemblyName compiledAgainst = mlnetTorchSharp.GetReferencedAssemblies().Single(n => n.Name == "TorchSharp");
Assembly boundByMlNet = mlnetTorchSharp.GetTypes()
    .SelectMany(t => t.GetFields(BindingFlags.Instance | BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
    .Select(f => f.FieldType.Assembly).First(a => a.GetName().Name == "TorchSharp");
List<Assembly> loaded = AppDomain.CurrentDomain.GetAssemblies().Where(a => a.GetName().Name == "TorchSharp").ToList();
foreach (Assembly a in loaded)
{
    Console.WriteLine($"TorchSharp assembly loaded: {a.GetName().Version} from {a.Location}");
}
Console.WriteLine($"Microsoft.ML.TorchSharp {mlnetTorchSharp.GetName().Version} was compiled against TorchSharp {compiledAgainst.Version}; it binds to {boundByMlNet.GetName().Version}");
Require(loaded.Count == 1, $"{loaded.Count} TorchSharp assemblies are loaded");
Require(ReferenceEquals(loaded[0], typeof(torch).Assembly) && ReferenceEquals(loaded[0], boundByMlNet), "Microsoft.ML.TorchSharp binds to another TorchSharp");

// 4. TorchSharp still works in this process: a tensor operation, after our training and ML.NET's estimator.
using (var a = torch.arange(6, dtype: torch.ScalarType.Float32).reshape(2, 3))
using (var product = a.matmul(a.t()))
{
    float value = product[1, 1].item<float>();
    Require(value == 50f, $"[3,4,5]·[3,4,5] = {value}");
    Console.WriteLine($"tensor op: arange(6).reshape(2,3) @ its transpose = [[{product[0, 0].item<float>()}, {product[0, 1].item<float>()}], [.., {value}]]");
}

// 5. One libtorch and one TorchSharp glue in the process, the glue from this application's output folder: the copy
//    that the buildTransitive target checked (and patched where the system libstdc++ needs it), not the NuGet cache's.
List<string> modules = Process.GetCurrentProcess().Modules.Cast<ProcessModule>().Select(m => m.FileName).Distinct().ToList();
List<string> libtorchCpu = modules.Where(f => Path.GetFileName(f).Contains("libtorch_cpu", StringComparison.Ordinal)).ToList();
List<string> glue = modules.Where(f => Path.GetFileName(f).Contains("LibTorchSharp", StringComparison.Ordinal)).ToList();
foreach (string f in libtorchCpu.Concat(glue))
{
    Console.WriteLine($"native module: {f}");
}
Require(libtorchCpu.Count == 1, $"{libtorchCpu.Count} libtorch_cpu modules are loaded");
Require(glue.Count == 1, $"{glue.Count} LibTorchSharp modules are loaded");
Require(Path.GetFullPath(glue[0]).StartsWith(Path.GetFullPath(AppContext.BaseDirectory), StringComparison.Ordinal), "the TorchSharp glue was not loaded from the output folder");

Console.WriteLine($"BESIDE TORCHSHARP OK: ML.NET {mlnetVersion} with Microsoft.ML.TorchSharp {mlnetTorchSharpVersion}, one TorchSharp {loaded[0].GetName().Version}, one libtorch_cpu, AdaptiveWidth accuracy {accuracy:F3}, TextClassification schema built");

static void Require(bool ok, string what)
{
    if (!ok)
    {
        throw new Exception("check failed: " + what);
    }
}

static string Describe(SchemaShape shape) => "[" + string.Join(", ", shape.Select(c => $"{c.Name}: {(c.IsKey ? "key " : "")}{c.ItemType}{(c.Kind == SchemaShape.Column.VectorKind.Scalar ? "" : " " + c.Kind)}")) + "]";

public sealed class Row
{
    public bool Label { get; set; }

    [VectorType(4)]
    public float[] Features { get; set; } = [];
}

public sealed class NoColumns
{
}

public sealed class Review
{
    [KeyType(2)]
    public uint Label { get; set; }

    public string Sentence1 { get; set; } = "";
}
EOF

sed -i -e "s/__MLNET_VERSION__/$mlnet/g" -e "s/__MLNET_TORCHSHARP_VERSION__/$mlnet_torchsharp_version/g" "$app/Program.cs"

pkgcheck_nu_baseline "$app"
pkgcheck_build_app "$app"
pkgcheck_check_resolved "$app" Microsoft.ML "$mlnet"
pkgcheck_check_resolved "$app" Microsoft.ML.TorchSharp "$mlnet_torchsharp_version"

# Restore must have resolved one TorchSharp (0.107.0, above the 0.102.7 ML.NET asks for) and one libtorch for both
# packages, without a NU1603 warning of ours (pkgcheck_build_app fails on one).
python3 - "$app/obj/project.assets.json" <<'EOF' || fail "restore did not resolve a single TorchSharp and libtorch"
import json, sys
libraries = json.load(open(sys.argv[1]))["libraries"]
def named(prefix): return sorted(k for k in libraries if k.lower().startswith(prefix))
print("  restored: " + ", ".join(named("microsoft.ml.torchsharp/") + named("torchsharp") + named("libtorch")))
libtorch_versions = {k.split("/")[1] for k in named("libtorch")}
sys.exit(0 if named("torchsharp/") == ["TorchSharp/0.107.0"] and len(libtorch_versions) == 1 else 1)
EOF

pkgcheck_check_native "$app"
pkgcheck_run_app "$app" "BESIDE TORCHSHARP OK"
done
pkgcheck_done
