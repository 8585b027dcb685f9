#!/usr/bin/env bash
# Checks the NuGet package as a user gets it: packs Microsoft.ML.AdaptiveWidth, inspects the nuspec, then builds a
# separate console application OUTSIDE the repository (a temp folder, with its own empty Directory.Build.* files so
# nothing of the repository is imported) that references the package with a plain PackageReference, trains a binary
# classifier for a few epochs, saves a model zip, loads it and scores. On Linux it also checks that the package's
# buildTransitive target patched the application's OUTPUT copy of libLibTorchSharp.so when the system libstdc++
# lacks GLIBCXX_3.4.32 (Debian 12), and left the NuGet cache's copy as shipped.
#
# Usage: bash build/check-package.sh        Exit code 0 and the line "PACKAGE CHECK OK" on success.
# Set KEEP_PACKAGE_CHECK=1 to keep the temp folder for inspection.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
csproj="$repo/src/Microsoft.ML.AdaptiveWidth/Microsoft.ML.AdaptiveWidth.csproj"
work=$(mktemp -d "${TMPDIR:-/tmp}/aw-package-check.XXXXXX")
case "$work" in "$repo"/*) echo "check-package: temp folder $work is inside the repository" >&2; exit 1 ;; esac

global_packages=$(dotnet nuget locals global-packages --list | sed -n 's/^global-packages: *//p')
global_packages=${global_packages%/}
[ -n "$global_packages" ] || { echo "check-package: cannot find NuGet's global packages folder" >&2; exit 1; }

# A version used by this run only: the restore can never pick up a stale copy of the package from NuGet's caches
# (nothing else has this version), and the copy this run extracts into the global packages folder is removed at exit.
base_version=$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' "$csproj" | head -n 1)
version="${base_version}-pkgcheck.$(date -u +%Y%m%d%H%M%S).$$"
id=Microsoft.ML.AdaptiveWidth
id_lower=$(echo "$id" | tr '[:upper:]' '[:lower:]')

cleanup() {
    rm -rf "$global_packages/$id_lower/$version"
    rmdir "$global_packages/$id_lower" 2>/dev/null || true
    if [ "${KEEP_PACKAGE_CHECK:-0}" = 1 ]; then echo "check-package: kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

step() { echo "== check-package: $*"; }
fail() { echo "check-package: FAILED: $*" >&2; exit 1; }

start=$(date +%s)

# 1. Pack. The artifacts path keeps this build's bin/obj out of the repository's folders, so the check does not
#    disturb (or depend on) a build of the repository that is running at the same time, for example `dotnet test`.
step "packing $id $version"
dotnet pack "$csproj" -c Release -o "$work/feed" --artifacts-path "$work/artifacts" -p:Version="$version" -nologo \
    > "$work/pack.log" 2>&1 || { cat "$work/pack.log"; fail "dotnet pack"; }
nupkg="$work/feed/$id.$version.nupkg"
[ -f "$nupkg" ] || { ls -la "$work/feed"; fail "no $nupkg"; }

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

# 3. The consumer application, in the temp folder. Empty Directory.Build.props/.targets and Directory.Packages.props
#    stop MSBuild's upward search, so nothing outside this folder is imported even if TMPDIR were under a repository.
step "creating the consumer application"
app="$work/consumer"
mkdir -p "$app"
for f in Directory.Build.props Directory.Build.targets Directory.Packages.props; do echo '<Project />' > "$app/$f"; done
cat > "$app/nuget.config" <<EOF
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <!-- No <clear/>: the machine's default sources still serve Microsoft.ML, TorchSharp and the rest. -->
  <packageSources>
    <add key="adaptivewidth-check" value="$work/feed" />
  </packageSources>
</configuration>
EOF
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
step "building the consumer"
(cd "$app" && dotnet build -nologo -v:n > "$work/build.log" 2>&1) || { tail -n 60 "$work/build.log"; fail "consumer build"; }
if grep -q "Microsoft.ML.AdaptiveWidth: left" "$work/build.log"; then
    grep "Microsoft.ML.AdaptiveWidth: left" "$work/build.log"; fail "the buildTransitive target did not recognise libLibTorchSharp.so"
fi

if [ "$(uname -s)" = Linux ]; then
    out_so=$(find "$app/bin" -name libLibTorchSharp.so | head -n 1)
    cache_so="$global_packages/torchsharp/0.107.0/runtimes/linux-x64/native/libLibTorchSharp.so"
    [ -f "$out_so" ] || fail "no libLibTorchSharp.so in the consumer's output"
    [ -f "$cache_so" ] || fail "no $cache_so"
    # The cache's copy must be exactly the one in TorchSharp's .nupkg: the patch never touches the cache.
    python3 - "$global_packages/torchsharp/0.107.0/torchsharp.0.107.0.nupkg" "$cache_so" <<'EOF' || fail "the NuGet cache's libLibTorchSharp.so was modified"
import sys, zipfile
shipped = zipfile.ZipFile(sys.argv[1]).read("runtimes/linux-x64/native/libLibTorchSharp.so")
sys.exit(0 if open(sys.argv[2], "rb").read() == shipped else 1)
EOF
    libstdcxx=""
    for candidate in /usr/lib/x86_64-linux-gnu/libstdc++.so.6 /usr/lib/aarch64-linux-gnu/libstdc++.so.6 /usr/lib64/libstdc++.so.6 /usr/lib/libstdc++.so.6; do
        if [ -f "$candidate" ]; then libstdcxx=$candidate; break; fi
    done
    differing=$(cmp -l "$cache_so" "$out_so" | wc -l || true)
    if [ -n "$libstdcxx" ] && ! grep -aq 'GLIBCXX_3\.4\.32' "$libstdcxx"; then
        # One byte: vna_flags of the GLIBCXX_3.4.32 entry goes from 0 to VER_FLG_WEAK (2); its high byte stays 0.
        [ "$differing" = 1 ] || fail "expected the output copy to differ from the cache's in 1 byte (the weak flag), found $differing"
        step "libLibTorchSharp.so: the output copy is patched (the system libstdc++ lacks GLIBCXX_3.4.32), the cache's copy is as shipped"
    else
        [ "$differing" = 0 ] || fail "the system libstdc++ has GLIBCXX_3.4.32, yet the output copy was changed"
        step "libLibTorchSharp.so: the system libstdc++ has GLIBCXX_3.4.32, nothing to patch"
    fi
fi

# 5. Run: train, save, load, score.
step "running the consumer"
if ! (cd "$app" && dotnet run --no-build) 2>&1 | tee "$work/run.log"; then fail "the consumer exited with an error"; fi
grep -q "^PACKAGE CHECK OK" "$work/run.log" || fail "no success line"

echo "check-package: passed in $(( $(date +%s) - start )) s ($id $version)"
