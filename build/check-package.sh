#!/usr/bin/env bash
# Checks the NuGet package as a user gets it: packs Microsoft.ML.AdaptiveWidth, inspects the nuspec, then builds a
# separate console application OUTSIDE the repository (a temp folder, with its own empty Directory.Build.* files so
# nothing of the repository is imported) that references the package with a plain PackageReference, trains a binary
# classifier for a few epochs, saves a model zip, loads it and scores. On Linux it also checks that the package's
# buildTransitive target patched the application's OUTPUT copy of libLibTorchSharp.so when the system libstdc++
# lacks GLIBCXX_3.4.32 (Debian 12), and left the NuGet cache's copy as shipped.
#
# Usage: bash build/check-package.sh        Exit code 0 and the line "PACKAGE CHECK OK" on success.
# Set KEEP_PACKAGE_CHECK=1 to keep the temp folder for inspection. The shared steps are in package-check-lib.sh.
set -euo pipefail
source "$(dirname "$0")/package-check-lib.sh"
pkgcheck_init check-package

# 1. Pack.
pkgcheck_pack

# 2. The package's contents and dependencies.
step "inspecting the nuspec"
python3 - "$nupkg" "$id" <<'EOF' || fail "package contents"
import sys, zipfile, xml.etree.ElementTree as ET
nupkg, pid = sys.argv[1], sys.argv[2]
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
expected = {"Microsoft.ML": "[5.0.1, 5.1.0)", "TorchSharp-cpu": "0.107.0", "System.Numerics.Tensors": None}
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

# 3. The consumer application, in the temp folder.
step "creating the consumer application"
app="$work/consumer"
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
  </ItemGroup>
</Project>
EOF
cat > "$app/Program.cs" <<'EOF'
using Microsoft.ML;
using Microsoft.ML.Data;

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

Console.WriteLine($"PACKAGE CHECK OK: accuracy {metrics.Accuracy:F3}, model zip {new FileInfo(path).Length} bytes, row 0 probability {p.Probability:F3}");

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

# 4. Build (restoring from the temp feed plus the default sources), then check the native-glue patch.
pkgcheck_build_app "$app"
pkgcheck_check_native "$app"

# 5. Run: train, save, load, score.
pkgcheck_run_app "$app" "PACKAGE CHECK OK"
pkgcheck_done
