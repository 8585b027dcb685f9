using System.IO.Compression;
using Microsoft.ML.AdaptiveWidth.Build;
using TorchSharp;

namespace Microsoft.ML.AdaptiveWidth.Tests.Build;

/// <summary>
/// The TorchSharp native-glue fix (build/TorchSharpGlibcxxFix.cs, compiled here with NO_MSBUILD_TASK): it patches
/// exactly the weak flag of the GLIBCXX_3.4.32 requirement, in a copy, and leaves any file it does not recognise
/// byte-identical. The MSBuild task's own paths (patch, warning, opt-out) are run through MSBuild at the end.
/// </summary>
[TestClass]
public sealed class TorchSharpGlibcxxFixTest
{
    private const string Version = ElfVersionPatcher.TorchSharpVersion;
    private const ushort VerFlgWeak = 0x2;

    private string _dir = "";

    public TestContext TestContext { get; set; } = null!;

    [TestInitialize]
    public void CreateTempFolder()
    {
        _dir = Path.Combine(Path.GetTempPath(), "aw-glibcxx-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_dir);
    }

    [TestCleanup]
    public void DeleteTempFolder() => Directory.Delete(_dir, recursive: true);

    [TestMethod]
    public void Torch_InitialisesInTestProcess()
    {
        using var a = torch.ones(3, 3);
        using var b = torch.mm(a, a);
        Assert.AreEqual(3f, b[0, 0].ToSingle());
    }

    [TestMethod]
    public void MakeVersionWeak_RealLibrary_ChangesOnlyTheFlagsOfThatVersion()
    {
        string copy = CopyOfCachedLibrary();
        byte[] before = File.ReadAllBytes(copy);
        Assert.AreEqual(ElfPatchOutcome.Patched, ElfVersionPatcher.Locate(before, Version, out long flagsOffset, out _));
        ushort flagsBefore = BitConverter.ToUInt16(before, (int)flagsOffset);
        Assert.AreEqual(0, flagsBefore & VerFlgWeak, "the shipped library's requirement is not weak");

        Assert.AreEqual(ElfPatchOutcome.Patched, ElfVersionPatcher.MakeVersionWeak(copy, Version, out string detail));

        byte[] after = File.ReadAllBytes(copy);
        Assert.HasCount(before.Length, after);
        int[] changed = Enumerable.Range(0, before.Length).Where(i => before[i] != after[i]).ToArray();
        Assert.IsNotEmpty(changed);
        Assert.IsTrue(changed.All(i => i == flagsOffset || i == flagsOffset + 1), "changed bytes: " + string.Join(", ", changed));
        Assert.AreEqual(flagsBefore | VerFlgWeak, BitConverter.ToUInt16(after, (int)flagsOffset));
        Assert.AreEqual("", detail);
        AssertReadelfSaysWeak(copy);
    }

    [TestMethod]
    public void MakeVersionWeak_AlreadyPatched_ReportsAlreadyWeakAndDoesNotWrite()
    {
        string copy = CopyOfCachedLibrary();
        Assert.AreEqual(ElfPatchOutcome.Patched, ElfVersionPatcher.MakeVersionWeak(copy, Version, out _));
        var stamp = new DateTime(2020, 1, 2, 3, 4, 5, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(copy, stamp);
        byte[] patched = File.ReadAllBytes(copy);

        Assert.AreEqual(ElfPatchOutcome.AlreadyWeak, ElfVersionPatcher.MakeVersionWeak(copy, Version, out _));

        CollectionAssert.AreEqual(patched, File.ReadAllBytes(copy));
        Assert.AreEqual(stamp, File.GetLastWriteTimeUtc(copy));
    }

    [TestMethod]
    public void MakeVersionWeak_NotElf_LeavesFileUntouched()
        => AssertUntouched(ElfPatchOutcome.UnexpectedLayout, "libLibTorchSharp.so is not an ELF file, just text\n"u8.ToArray());

    [TestMethod]
    public void MakeVersionWeak_TruncatedElf_LeavesFileUntouched()
        => AssertUntouched(ElfPatchOutcome.UnexpectedLayout, CachedLibraryBytes()[..1000]);

    [TestMethod]
    public void MakeVersionWeak_Elf32Header_LeavesFileUntouched()
    {
        byte[] bytes = CachedLibraryBytes();
        bytes[4] = 1; // EI_CLASS = ELFCLASS32
        AssertUntouched(ElfPatchOutcome.UnexpectedLayout, bytes);
    }

    [TestMethod]
    public void MakeVersionWeak_BigEndianHeader_LeavesFileUntouched()
    {
        byte[] bytes = CachedLibraryBytes();
        bytes[5] = 2; // EI_DATA = ELFDATA2MSB
        AssertUntouched(ElfPatchOutcome.UnexpectedLayout, bytes);
    }

    [TestMethod]
    public void MakeVersionWeak_SectionHeaderOffsetPastTheEnd_LeavesFileUntouched()
    {
        byte[] bytes = CachedLibraryBytes();
        BitConverter.GetBytes((ulong)bytes.Length - 10).CopyTo(bytes, 0x28); // e_shoff
        AssertUntouched(ElfPatchOutcome.UnexpectedLayout, bytes);
    }

    [TestMethod]
    public void MakeVersionWeak_VersionNeedsEntriesPastTheSection_LeavesFileUntouched()
    {
        byte[] bytes = CachedLibraryBytes();
        long shoff = (long)BitConverter.ToUInt64(bytes, 0x28);
        int shnum = BitConverter.ToUInt16(bytes, 0x3c);
        long header = Enumerable.Range(0, shnum).Select(i => shoff + i * 64L)
            .Single(h => BitConverter.ToUInt32(bytes, (int)h + 4) == 0x6ffffffe); // SHT_GNU_verneed
        BitConverter.GetBytes(16UL).CopyTo(bytes, (int)header + 32); // sh_size: room for one Elf64_Verneed, no Vernaux
        AssertUntouched(ElfPatchOutcome.UnexpectedLayout, bytes);
    }

    [TestMethod]
    public void MakeVersionWeak_OtherVersionName_LeavesFileUntouched()
    {
        byte[] bytes = CachedLibraryBytes();
        byte[] name = System.Text.Encoding.ASCII.GetBytes(Version + "\0");
        int replaced = 0;
        for (int i = 0; i <= bytes.Length - name.Length; i++)
        {
            if (bytes.AsSpan(i, name.Length).SequenceEqual(name))
            {
                bytes[i + name.Length - 2] = (byte)'9'; // GLIBCXX_3.4.32 -> GLIBCXX_3.4.39
                replaced++;
            }
        }
        Assert.IsGreaterThan(0, replaced);
        AssertUntouched(ElfPatchOutcome.VersionNotRequired, bytes);
    }

    [TestMethod]
    public void MakeVersionWeak_LibraryThatDoesNotRequireTheVersion_LeavesFileUntouched()
    {
        string? libc = new[] { "/lib/x86_64-linux-gnu/libc.so.6", "/lib/aarch64-linux-gnu/libc.so.6", "/lib64/libc.so.6", "/usr/lib/libc.so.6" }
            .FirstOrDefault(File.Exists);
        byte[] bytes = libc is not null
            ? File.ReadAllBytes(libc)
            : File.ReadAllBytes(Path.Combine(Path.GetDirectoryName(CachedLibraryPath())!, "..", "..", "..", "..", "..",
                "libtorch-cpu-linux-x64", "2.10.0", "runtimes", "linux-x64", "native", "libc10.so"));
        AssertUntouched(ElfPatchOutcome.VersionNotRequired, bytes);
    }

    [TestMethod]
    public void NuGetCacheCopy_IsAsShipped_AndItsRequirementIsNotWeak()
    {
        string cached = CachedLibraryPath();
        byte[] bytes = File.ReadAllBytes(cached);

        // Read-only: the cache's requirement is still the shipped, non-weak one.
        Assert.AreEqual(ElfPatchOutcome.Patched, ElfVersionPatcher.Locate(bytes, Version, out long flagsOffset, out _));
        Assert.AreEqual(0, BitConverter.ToUInt16(bytes, (int)flagsOffset) & VerFlgWeak, cached + " was patched in place");
        // The same through the patcher, on a copy: it still finds something to patch.
        string copy = Path.Combine(_dir, "copy.so");
        File.Copy(cached, copy);
        Assert.AreEqual(ElfPatchOutcome.Patched, ElfVersionPatcher.MakeVersionWeak(copy, Version, out _));
        // And byte for byte what TorchSharp's package holds.
        string nupkg = Path.Combine(BuildTools.GlobalPackagesFolder(), "torchsharp", "0.107.0", "torchsharp.0.107.0.nupkg");
        if (File.Exists(nupkg))
        {
            using ZipArchive zip = ZipFile.OpenRead(nupkg);
            using var shipped = new MemoryStream();
            using (Stream entry = zip.GetEntry("runtimes/linux-x64/native/libLibTorchSharp.so")!.Open())
            {
                entry.CopyTo(shipped);
            }
            CollectionAssert.AreEqual(shipped.ToArray(), bytes);
        }
    }

    /// <summary>
    /// The MSBuild task itself (not compiled into this assembly): a minimal project without the SDK imports
    /// build/Microsoft.ML.AdaptiveWidth.targets and runs its after-build target on a folder holding a real copy of
    /// the library and an unrecognised file of the same name. The real copy is patched, the other is left
    /// byte-identical with a warning naming it; with the opt-out property neither is touched. A few seconds.
    /// </summary>
    [TestMethod]
    public void MSBuildTask_PatchesTheRealCopy_WarnsAndLeavesAnUnrecognisedFileUntouched()
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.Inconclusive("The task only acts on Linux.");
        }
        if (!ElfVersionPatcher.SystemNeedsPatch())
        {
            Assert.Inconclusive($"The system libstdc++ provides {Version}: the task leaves every file alone.");
        }
        string targets = Path.Combine(BuildTools.RepoRoot(), "build", "Microsoft.ML.AdaptiveWidth.targets");
        string project = Path.Combine(_dir, "probe.proj");
        File.WriteAllText(project, $"""
            <Project>
              <PropertyGroup><OutDir>$(MSBuildThisFileDirectory)out/</OutDir></PropertyGroup>
              <Import Project="{targets}" />
              <Target Name="CopyFilesToOutputDirectory" />
            </Project>
            """);
        string real = Path.Combine(_dir, "out", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        string bogus = Path.Combine(_dir, "out", "other", "libLibTorchSharp.so");
        byte[] bogusBytes = CachedLibraryBytes()[..1000];

        void Reset()
        {
            Directory.CreateDirectory(Path.GetDirectoryName(real)!);
            Directory.CreateDirectory(Path.GetDirectoryName(bogus)!);
            File.Copy(CachedLibraryPath(), real, overwrite: true);
            File.WriteAllBytes(bogus, bogusBytes);
        }

        Reset();
        BuildTools.Result run = MSBuild(project);
        Assert.AreEqual(0, run.ExitCode, run.Output);
        StringAssert.Contains(run.Output, "warning", run.Output);
        StringAssert.Contains(run.Output, "Microsoft.ML.AdaptiveWidth: left " + bogus + " untouched", run.Output);
        StringAssert.Contains(run.Output, "Marked " + Version + " weak in " + real, run.Output);
        CollectionAssert.AreEqual(bogusBytes, File.ReadAllBytes(bogus));
        Assert.AreEqual(ElfPatchOutcome.AlreadyWeak, ElfVersionPatcher.MakeVersionWeak(real, Version, out _));

        Reset();
        BuildTools.Result optedOut = MSBuild(project, "-p:AdaptiveWidthPatchTorchSharpNative=false");
        Assert.AreEqual(0, optedOut.ExitCode, optedOut.Output);
        Assert.DoesNotContain("warning", optedOut.Output, optedOut.Output);
        CollectionAssert.AreEqual(File.ReadAllBytes(CachedLibraryPath()), File.ReadAllBytes(real));
        CollectionAssert.AreEqual(bogusBytes, File.ReadAllBytes(bogus));
    }

    /// <summary>
    /// The after-test check that .ci/run runs (build/check-torchsharp-native.proj) on a fake repository: it fails and names
    /// an unpatched copy under a bin folder, ignores one outside bin folders, and passes once the copy is patched.
    /// </summary>
    [TestMethod]
    public void CheckProject_FailsNamingAnUnpatchedBinCopy_PassesWhenPatched()
    {
        if (!OperatingSystem.IsLinux() || !ElfVersionPatcher.SystemNeedsPatch())
        {
            Assert.Inconclusive($"The check only acts on Linux without {Version} in the system libstdc++.");
        }
        string repo = Path.Combine(_dir, "repo");
        string inBin = Path.Combine(repo, "test", "App", "bin", "Debug", "net10.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        string inObj = Path.Combine(repo, "test", "App", "obj", "libLibTorchSharp.so");
        foreach (string path in new[] { inBin, inObj })
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.Copy(CachedLibraryPath(), path);
        }
        string project = Path.Combine(BuildTools.RepoRoot(), "build", "check-torchsharp-native.proj");
        BuildTools.Result Check() => BuildTools.Run("dotnet", ["msbuild", project, "-nologo", "-v:m", "-noAutoResponse", "-p:RepoRoot=" + repo],
            _dir, TimeSpan.FromMinutes(3));

        BuildTools.Result unpatched = Check();
        Assert.AreNotEqual(0, unpatched.ExitCode, unpatched.Output);
        StringAssert.Contains(unpatched.Output, inBin + " is unpatched", unpatched.Output);
        Assert.DoesNotContain(inObj, unpatched.Output, unpatched.Output);

        Assert.AreEqual(ElfPatchOutcome.Patched, ElfVersionPatcher.MakeVersionWeak(inBin, Version, out _));
        BuildTools.Result patched = Check();
        Assert.AreEqual(0, patched.ExitCode, patched.Output);
        StringAssert.Contains(patched.Output, "1 copies of libLibTorchSharp.so under bin folders, all patched", patched.Output);
    }

    private BuildTools.Result MSBuild(string project, params string[] extra)
        => BuildTools.Run("dotnet", ["msbuild", project, "-t:CopyFilesToOutputDirectory", "-v:n", "-nologo", "-noAutoResponse", .. extra],
            _dir, TimeSpan.FromMinutes(3));

    /// <summary>Writes <paramref name="bytes"/> to a temp file, runs the patcher, and checks outcome, bytes and time.</summary>
    private void AssertUntouched(ElfPatchOutcome expected, byte[] bytes)
    {
        string path = Path.Combine(_dir, "libLibTorchSharp.so");
        File.WriteAllBytes(path, bytes);
        var stamp = new DateTime(2020, 1, 2, 3, 4, 5, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(path, stamp);

        ElfPatchOutcome outcome = ElfVersionPatcher.MakeVersionWeak(path, Version, out string detail);

        Assert.AreEqual(expected, outcome, detail);
        Assert.IsFalse(string.IsNullOrEmpty(detail), "a warning needs a reason");
        CollectionAssert.AreEqual(bytes, File.ReadAllBytes(path));
        Assert.AreEqual(stamp, File.GetLastWriteTimeUtc(path));
        TestContext.WriteLine($"{outcome}: {detail}");
    }

    /// <summary>readelf, when the machine has binutils, as an independent reader of the patched flags.</summary>
    private static void AssertReadelfSaysWeak(string path)
    {
        if (!File.Exists("/usr/bin/readelf"))
        {
            return;
        }
        BuildTools.Result readelf = BuildTools.Run("/usr/bin/readelf", ["-V", path], Path.GetTempPath(), TimeSpan.FromMinutes(1));
        Assert.AreEqual(0, readelf.ExitCode, readelf.Output);
        string[] lines = readelf.Output.Split('\n').Where(l => l.Contains("Name: " + Version + " ")).ToArray();
        Assert.HasCount(1, lines, readelf.Output);
        StringAssert.Contains(lines[0], "Flags: WEAK", lines[0]);
        Assert.AreEqual(1, readelf.Output.Split('\n').Count(l => l.Contains("Flags: WEAK")), "only one requirement became weak");
    }

    private string CopyOfCachedLibrary()
    {
        string copy = Path.Combine(_dir, "libLibTorchSharp.so");
        File.Copy(CachedLibraryPath(), copy);
        return copy;
    }

    private static byte[] CachedLibraryBytes() => File.ReadAllBytes(CachedLibraryPath());

    /// <summary>TorchSharp 0.107.0's Linux glue as NuGet extracted it (only read here, never written).</summary>
    private static string CachedLibraryPath()
    {
        string path = Path.Combine(BuildTools.GlobalPackagesFolder(), "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        if (!File.Exists(path))
        {
            Assert.Inconclusive("TorchSharp 0.107.0 is not in NuGet's global packages folder: " + path);
        }
        return path;
    }
}
