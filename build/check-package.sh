#!/usr/bin/env bash
# Checks the NuGet package as a user gets it: packs Microsoft.ML.AdaptiveWidth once, inspects the nuspec (its Microsoft.ML
# range must be MLNetPackageRange of Directory.Packages.props), then, for each ML.NET version to check, builds a separate
# console application OUTSIDE the repository (a temp folder, with its own empty Directory.Build.* files so nothing of the
# repository is imported) that references the package, Microsoft.ML at that version and the Microsoft.ML.OnnxConverter
# of that release with plain PackageReferences. Its build must print no NU1608 or NU1603 warning and resolve exactly
# that Microsoft.ML; it trains a binary classifier for a few epochs, saves a model zip, loads it, scores, exports it to
# ONNX and asserts that the ML.NET it runs on is that version. On Linux it also checks that the package's
# buildTransitive target patched the application's OUTPUT copy of libLibTorchSharp.so when the system libstdc++ lacks
# GLIBCXX_3.4.32 (Debian 12), and left the NuGet cache's copy as shipped.
#
# Usage: bash build/check-package.sh [ML.NET version...]   Default: every supported version in turn (or the versions in
# MLNET_VERSIONS). Exit code 0 and one line "PACKAGE CHECK OK" per version on success.
# Set KEEP_PACKAGE_CHECK=1 to keep the temp folder for inspection. The shared steps are in package-check-lib.sh.
set -euo pipefail
source "$(dirname "$0")/package-check-lib.sh"
pkgcheck_init check-package
pkgcheck_mlnet_versions "$@"

# 1. Pack (once: the same package serves every supported ML.NET).
pkgcheck_pack

# 2. The package's contents and dependencies.
step "inspecting the nuspec"
python3 - "$nupkg" "$id" "$mlnet_package_range" <<'EOF' || fail "package contents"
import sys, zipfile, xml.etree.ElementTree as ET
nupkg, pid, mlnet_range = sys.argv[1], sys.argv[2], sys.argv[3]
z = zipfile.ZipFile(nupkg)
names = set(z.namelist())
errors = []
for required in ["PACKAGE.md", "buildTransitive/Microsoft.ML.AdaptiveWidth.targets", "buildTransitive/TorchSharpGlibcxxFix.cs",
                 "lib/net10.0/Microsoft.ML.AdaptiveWidth.dll", "lib/net10.0/Microsoft.ML.AdaptiveWidth.xml"]:
    if required not in names:
        errors.append("missing " + required)
if "PACKAGE.md" in names and len(z.read("PACKAGE.md")) < 500:
    errors.append("PACKAGE.md is a stub")
root = ET.fromstring(z.read(pid + ".nuspec"))
ns = {"n": root.tag[1:].split("}")[0]}
meta = root.find("n:metadata", ns)
if meta.findtext("n:readme", namespaces=ns) != "PACKAGE.md":
    errors.append("readme is not PACKAGE.md")
deps = {d.get("id"): d for d in meta.iter("{%s}dependency" % ns["n"])}
expected = {"Microsoft.ML": mlnet_range, "TorchSharp-cpu": "0.107.0", "System.Numerics.Tensors": None}
for dep_id, dep_version in expected.items():
    d = deps.get(dep_id)
    if d is None:
        errors.append("no dependency on " + dep_id)
        continue
    if dep_version and d.get("version") != dep_version:
        errors.append("%s version %s, expected %s" % (dep_id, d.get("version"), dep_version))
    excluded = [a.strip().lower() for a in (d.get("exclude") or "").split(",")]
    if "compile" in excluded or "runtime" in excluded or "all" in excluded:
        errors.append("%s excludes %s from consumers" % (dep_id, d.get("exclude")))
for extra in set(deps) - set(expected):
    errors.append("unexpected dependency " + extra + " (a build tool leaking?)")
for dep_id, d in sorted(deps.items()):
    print("  dependency %s %s exclude=%s" % (dep_id, d.get("version"), d.get("exclude")))
if errors:
    print("\n".join("  " + e for e in errors), file=sys.stderr)
    sys.exit(1)
EOF

# 3. Per ML.NET version: the consumer application, in the temp folder.
for mlnet in $mlnet_versions; do
companion=$(pkgcheck_mlnet_companion "$mlnet")
step "creating the consumer application for Microsoft.ML $mlnet (Microsoft.ML.OnnxConverter $companion)"
app="$work/consumer-$mlnet"
pkgcheck_new_app "$app"
cat > "$app/Consumer.csproj" <<EOF
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
    <PackageReference Include="Microsoft.ML.OnnxConverter" Version="$companion" />
  </ItemGroup>
</Project>
EOF
cat > "$app/Program.cs" <<'EOF'
using System.Reflection;
using System.Text;
using Microsoft.ML;
using Microsoft.ML.Data;

// The ML.NET this application runs on must be the one it referenced (the package's range admits it).
string mlnetVersion = typeof(MLContext).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!.InformationalVersion.Split('+')[0];
if (mlnetVersion != "__MLNET_VERSION__") throw new Exception($"running on ML.NET {mlnetVersion}, expected __MLNET_VERSION__");

var mlContext = new MLContext(seed: 1);
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
var metrics = mlContext.BinaryClassification.Evaluate(model.Transform(data));
if (metrics.Accuracy < 0.9) throw new Exception($"accuracy {metrics.Accuracy} on separable blobs");

string path = Path.Combine(AppContext.BaseDirectory, "model.zip");
mlContext.Model.Save(model, data.Schema, path);
ITransformer loaded = mlContext.Model.Load(path, out _);

float[] before = model.Transform(data).GetColumn<float>("Score").ToArray();
float[] after = loaded.Transform(data).GetColumn<float>("Score").ToArray();
if (!before.SequenceEqual(after)) throw new Exception("the loaded model scores differently");
var engine = mlContext.Model.CreatePredictionEngine<Row, Prediction>(loaded);
Prediction p = engine.Predict(rows[0]);
if (p.PredictedLabel != rows[0].Label || float.IsNaN(p.Probability)) throw new Exception($"row 0 predicted {p.PredictedLabel} ({p.Probability})");

// ONNX export with the converter of this ML.NET release: the network's operators are in the model.
using var onnx = new MemoryStream();
mlContext.Model.ConvertToOnnx(loaded, data, onnx);
string onnxText = Encoding.ASCII.GetString(onnx.ToArray());
if (!onnxText.Contains("MatMul") || !onnxText.Contains("Sigmoid")) throw new Exception($"the ONNX model ({onnx.Length} bytes) lacks MatMul or Sigmoid");

Console.WriteLine($"PACKAGE CHECK OK: ML.NET {mlnetVersion}, accuracy {metrics.Accuracy:F3}, model zip {new FileInfo(path).Length} bytes, ONNX {onnx.Length} bytes, row 0 probability {p.Probability:F3}");

public sealed class Row
{
    public bool Label { get; set; }

    [VectorType(4)]
    public float[] Features { get; set; } = [];
}

public sealed class Prediction
{
    public bool PredictedLabel { get; set; }

    public float Probability { get; set; }
}
EOF

sed -i "s/__MLNET_VERSION__/$mlnet/g" "$app/Program.cs"

# 4. Build (restoring from the temp feed plus the default sources; no NU1603/NU1608), then check the native-glue patch.
pkgcheck_build_app "$app"
pkgcheck_check_resolved "$app" Microsoft.ML "$mlnet"
pkgcheck_check_native "$app"

# 5. Run: train, save, load, score, export.
pkgcheck_run_app "$app" "PACKAGE CHECK OK"
done
pkgcheck_done
