# Shared by the package checks (check-package.sh, check-beside-torchsharp.sh); source it, do not run it.
# It packs Microsoft.ML.AdaptiveWidth under a one-off version into a temp folder outside the repository, creates
# console applications there that restore the package with a plain PackageReference, builds them, checks the
# buildTransitive TorchSharp native fix on their output and runs them.
#
#   pkgcheck_init NAME          sets repo, work, version, id, ...; removes the temp folder and the package's cache copy at exit
#   pkgcheck_mlnet_versions V.. sets mlnet_versions: the ML.NET releases to check against, V.. (the script's arguments),
#                               else $MLNET_VERSIONS, else every supported one (MLNetSupportedVersions in
#                               Directory.Packages.props); fails on an unsupported one. Also sets mlnet_package_range.
#   pkgcheck_mlnet_companion V  prints the 0.x release (Microsoft.ML.OnnxConverter, Microsoft.ML.TorchSharp) of ML.NET V
#   pkgcheck_pack               packs into $work/feed; sets nupkg
#   pkgcheck_new_app DIR        an empty application folder that imports nothing from above and restores from $work/feed
#   pkgcheck_nu_baseline DIR    restores a copy of application DIR without our package and records its NU1603/NU1608
#                               warnings: the ones the other packages give with this package source on their own
#   pkgcheck_build_app DIR      dotnet build; fails on a NU1603 or NU1608 warning (a dependency outside the range a
#                               package asked for), except one that pkgcheck_nu_baseline recorded for DIR, and when the
#                               native fix did not recognise libLibTorchSharp.so
#   pkgcheck_check_resolved DIR ID VERSION   restore resolved exactly VERSION of package ID for the application
#   pkgcheck_check_native DIR   Linux: the output copy of libLibTorchSharp.so is patched exactly when needed, the cache's is as shipped
#   pkgcheck_run_app DIR LINE   dotnet run --no-build; fails unless a line starts with LINE
#
# Set KEEP_PACKAGE_CHECK=1 to keep the temp folder for inspection.

pkgcheck_init() {
    pkgcheck_name=$1
    repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
    csproj="$repo/src/Microsoft.ML.AdaptiveWidth/Microsoft.ML.AdaptiveWidth.csproj"
    work=$(mktemp -d "${TMPDIR:-/tmp}/aw-$pkgcheck_name.XXXXXX")
    case "$work" in "$repo"/*) echo "$pkgcheck_name: temp folder $work is inside the repository" >&2; exit 1 ;; esac

    global_packages=$(dotnet nuget locals global-packages --list | sed -n 's/^global-packages: *//p')
    global_packages=${global_packages%/}
    [ -n "$global_packages" ] || { echo "$pkgcheck_name: cannot find NuGet's global packages folder" >&2; exit 1; }

    # A version used by this run only: the restore can never pick up a stale copy of the package from NuGet's caches
    # (nothing else has this version), and the copy this run extracts into the global packages folder is removed at exit.
    local base_version
    base_version=$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' "$csproj" | head -n 1)
    version="${base_version}-pkgcheck.$(date -u +%Y%m%d%H%M%S).$$"
    id=Microsoft.ML.AdaptiveWidth
    id_lower=$(echo "$id" | tr '[:upper:]' '[:lower:]')
    start=$(date +%s)
    trap pkgcheck_cleanup EXIT
}

pkgcheck_cleanup() {
    rm -rf "$global_packages/$id_lower/$version"
    rmdir "$global_packages/$id_lower" 2>/dev/null || true
    if [ "${KEEP_PACKAGE_CHECK:-0}" = 1 ]; then echo "$pkgcheck_name: kept $work"; else rm -rf "$work"; fi
}

# The supported ML.NET releases and the package's range, as MSBuild evaluates Directory.Packages.props.
pkgcheck_mlnet_versions() {
    local supported requested v
    supported=$(dotnet msbuild "$csproj" -getProperty:MLNetSupportedVersions | tr ';' ' ')
    mlnet_package_range=$(dotnet msbuild "$csproj" -getProperty:MLNetPackageRange)
    [ -n "$supported" ] && [ -n "$mlnet_package_range" ] || fail "cannot read MLNetSupportedVersions and MLNetPackageRange"
    requested="$*"
    [ -n "$requested" ] || requested=$(echo "${MLNET_VERSIONS:-}" | tr ',;' '  ')
    [ -n "$requested" ] || requested=$supported
    mlnet_versions=""
    for v in $requested; do
        case " $supported " in
            *" $v "*) mlnet_versions="$mlnet_versions $v" ;;
            *) fail "ML.NET $v is not a supported version (supported: $supported)" ;;
        esac
    done
    mlnet_versions=${mlnet_versions# }
    step "ML.NET versions to check: $mlnet_versions (supported: $supported; package range $mlnet_package_range)"
}

pkgcheck_mlnet_companion() {
    local companion
    companion=$(dotnet msbuild "$csproj" -p:MLNetVersion="$1" -getProperty:MLNetCompanionVersion)
    [ -n "$companion" ] || fail "no companion release for ML.NET $1 in Directory.Packages.props"
    echo "$companion"
}

step() { echo "== $pkgcheck_name: $*"; }
fail() { echo "$pkgcheck_name: FAILED: $*" >&2; exit 1; }

# The artifacts path keeps this build's bin/obj out of the repository's folders, so the check does not disturb (or
# depend on) a build of the repository that is running at the same time, for example `dotnet test`.
pkgcheck_pack() {
    step "packing $id $version"
    dotnet pack "$csproj" -c Release -o "$work/feed" --artifacts-path "$work/artifacts" -p:Version="$version" -nologo \
        > "$work/pack.log" 2>&1 || { cat "$work/pack.log"; fail "dotnet pack"; }
    nupkg="$work/feed/$id.$version.nupkg"
    [ -f "$nupkg" ] || { ls -la "$work/feed"; fail "no $nupkg"; }
}

# Empty Directory.Build.props/.targets and Directory.Packages.props stop MSBuild's upward search, so nothing outside
# the application's folder is imported even if TMPDIR were under a repository.
pkgcheck_new_app() {
    local app=$1 f
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
}

# NU1608: a package outside another's declared range (ours on an ML.NET it was not built for, or ML.NET's own 0.x
# packages on another ML.NET); NU1603: a dependency resolved above the version asked for, because that one is missing.
# Printed one per line as "NU1603: message", without the project path.
pkgcheck_nu_warnings() {
    { grep -E "warning NU1(603|608): " "$1" || true; } | sed -E 's/^.*warning (NU[0-9]+): /\1: /; s/ +\[[^]]*\]$//' | sort -u
}

pkgcheck_nu_baseline() {
    local app=$1 base="$1-without-our-package"
    step "restoring $(basename "$app") without $id (the warnings its other packages give on their own)"
    pkgcheck_new_app "$base"
    grep -v "PackageReference Include=\"$id\"" "$app"/*.csproj > "$base/Baseline.csproj"
    (cd "$base" && dotnet restore -nologo > "$work/restore-$(basename "$base").log" 2>&1) || { tail -n 30 "$work/restore-$(basename "$base").log"; fail "restore of $(basename "$base")"; }
    pkgcheck_nu_warnings "$work/restore-$(basename "$base").log" > "$work/baseline-$(basename "$app").warnings"
    sed 's/^/  without our package: /' "$work/baseline-$(basename "$app").warnings"
}

pkgcheck_build_app() {
    local app=$1 log baseline ours
    log="$work/build-$(basename "$app").log"
    step "building $(basename "$app")"
    (cd "$app" && dotnet build -nologo -v:n > "$log" 2>&1) || { tail -n 60 "$log"; fail "$(basename "$app") build"; }
    baseline="$work/baseline-$(basename "$app").warnings"
    [ -f "$baseline" ] || : > "$baseline"
    pkgcheck_nu_warnings "$log" > "$work/nu-$(basename "$app").warnings"
    ours=$(comm -23 "$work/nu-$(basename "$app").warnings" "$baseline")
    comm -12 "$work/nu-$(basename "$app").warnings" "$baseline" | sed 's/^/  also without our package (not ours): /'
    if [ -n "$ours" ]; then
        echo "$ours" | sed 's/^/  /'; fail "$(basename "$app"): NuGet resolved a version outside a declared range"
    fi
    grep -o "warning NU[0-9]*: [^[]*" "$log" | grep -vE "NU1(603|608)" | sort -u | sed 's/^/  other NuGet warning: /' || true
    if grep -q "Microsoft.ML.AdaptiveWidth: left" "$log"; then
        grep "Microsoft.ML.AdaptiveWidth: left" "$log"; fail "the buildTransitive target did not recognise libLibTorchSharp.so"
    fi
}

pkgcheck_check_resolved() {
    python3 - "$1/obj/project.assets.json" "$2" "$3" <<'EOF' || fail "$(basename "$1") did not resolve $2 $3"
import json, sys
libraries, wanted, version = json.load(open(sys.argv[1]))["libraries"], sys.argv[2].lower(), sys.argv[3]
found = [k.split("/")[1] for k in libraries if k.split("/")[0].lower() == wanted]
print("  resolved %s %s" % (sys.argv[2], ", ".join(found) or "none"))
sys.exit(0 if found == [version] else 1)
EOF
}

pkgcheck_check_native() {
    local app=$1 out_so cache_so libstdcxx="" candidate differing
    [ "$(uname -s)" = Linux ] || return 0
    out_so=$(find "$app/bin" -name libLibTorchSharp.so | head -n 1)
    cache_so="$global_packages/torchsharp/0.107.0/runtimes/linux-x64/native/libLibTorchSharp.so"
    [ -f "$out_so" ] || fail "no libLibTorchSharp.so in the output of $(basename "$app")"
    [ -f "$cache_so" ] || fail "no $cache_so"
    # The cache's copy must be exactly the one in TorchSharp's .nupkg: the patch never touches the cache.
    python3 - "$global_packages/torchsharp/0.107.0/torchsharp.0.107.0.nupkg" "$cache_so" <<'EOF' || fail "the NuGet cache's libLibTorchSharp.so was modified"
import sys, zipfile
shipped = zipfile.ZipFile(sys.argv[1]).read("runtimes/linux-x64/native/libLibTorchSharp.so")
sys.exit(0 if open(sys.argv[2], "rb").read() == shipped else 1)
EOF
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
}

pkgcheck_run_app() {
    local app=$1 success=$2 log
    log="$work/run-$(basename "$app").log"
    step "running $(basename "$app")"
    if ! (cd "$app" && dotnet run --no-build) 2>&1 | tee "$log"; then fail "$(basename "$app") exited with an error"; fi
    grep -q "^$success" "$log" || fail "no success line '$success'"
}

pkgcheck_done() {
    echo "$pkgcheck_name: passed in $(( $(date +%s) - start )) s ($id $version; ML.NET ${mlnet_versions:-?})"
}
