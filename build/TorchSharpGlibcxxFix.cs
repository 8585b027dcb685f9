// The TorchSharp native-glue fix for Linux systems whose libstdc++ is older than GCC 13's.
//
// Why: libLibTorchSharp.so in TorchSharp 0.107.0 was built with GCC 13, which makes every file that includes
// <iostream> reference std::ios_base_library_init() at symbol version GLIBCXX_3.4.32 only to pull in a newer
// libstdc++. The function is never called, but the dynamic loader refuses the library when the version is
// missing (Debian 12 has GLIBCXX_3.4.30), and TorchSharp then fails to initialise. Marking that one version
// requirement weak (VER_FLG_WEAK in its Elf64_Vernaux entry of .gnu.version_r) makes the loader accept it.
//
// This file is compiled twice: by MSBuild as an inline task (build/Microsoft.ML.AdaptiveWidth.targets, also
// shipped as buildTransitive in the package) and by the test project with NO_MSBUILD_TASK defined, which tests
// the patcher on real and on malformed files.
#nullable enable
using System;
using System.IO;
using System.Text;

namespace Microsoft.ML.AdaptiveWidth.Build
{
    /// <summary>What <see cref="ElfVersionPatcher.MakeVersionWeak"/> did to a file.</summary>
    public enum ElfPatchOutcome
    {
        /// <summary>The version entry was found and its weak flag was set: the file was rewritten.</summary>
        Patched,
        /// <summary>The version entry was already weak: the file was not touched.</summary>
        AlreadyWeak,
        /// <summary>The file is an ELF64 library but does not require that version: not touched.</summary>
        VersionNotRequired,
        /// <summary>The file is not the ELF64 little-endian layout expected: not touched.</summary>
        UnexpectedLayout,
    }

    /// <summary>Sets VER_FLG_WEAK on one symbol-version requirement of an ELF64 little-endian shared library.</summary>
    public static class ElfVersionPatcher
    {
        private const uint ShtGnuVerneed = 0x6ffffffe;
        private const ushort VerFlgWeak = 0x2;
        private const int MaxEntries = 4096;

        /// <summary>The version TorchSharp 0.107.0's glue requires but does not use.</summary>
        public const string TorchSharpVersion = "GLIBCXX_3.4.32";

        /// <summary>Finds <paramref name="versionName"/> among the file's version needs and marks it weak.</summary>
        /// <param name="path">The shared library to edit in place (a build-output copy, never a package-cache file).</param>
        /// <param name="versionName">The version entry, for example <c>GLIBCXX_3.4.32</c>.</param>
        /// <param name="detail">Why the file was left alone, for a warning; empty when patched.</param>
        public static ElfPatchOutcome MakeVersionWeak(string path, string versionName, out string detail)
        {
            byte[] bytes = File.ReadAllBytes(path);
            ElfPatchOutcome outcome = Locate(bytes, versionName, out long flagsOffset, out detail);
            if (outcome != ElfPatchOutcome.Patched)
            {
                return outcome;
            }

            ushort flags = BitConverter.ToUInt16(bytes, (int)flagsOffset);
            if ((flags & VerFlgWeak) != 0)
            {
                detail = versionName + " is already weak";
                return ElfPatchOutcome.AlreadyWeak;
            }

            // Write only the two flag bytes, in place, so nothing else in the file can change.
            using (var stream = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.None))
            {
                stream.Position = flagsOffset;
                ushort patched = (ushort)(flags | VerFlgWeak);
                stream.WriteByte((byte)(patched & 0xff));
                stream.WriteByte((byte)(patched >> 8));
            }

            detail = string.Empty;
            return ElfPatchOutcome.Patched;
        }

        /// <summary>
        /// True when the library requires <paramref name="versionName"/> and that requirement is not weak, that is, the
        /// file is as shipped (unpatched) and will not load where the version is missing. Read-only.
        /// </summary>
        public static bool RequiresVersionStrongly(string path, string versionName)
        {
            byte[] bytes = File.ReadAllBytes(path);
            if (Locate(bytes, versionName, out long flagsOffset, out _) != ElfPatchOutcome.Patched)
            {
                return false;
            }
            return (BitConverter.ToUInt16(bytes, (int)flagsOffset) & VerFlgWeak) == 0;
        }

        /// <summary>True when this is Linux and the system libstdc++ lacks the version, so the output copies need the patch.</summary>
        public static bool SystemNeedsPatch()
        {
            if (!System.Runtime.InteropServices.RuntimeInformation.IsOSPlatform(System.Runtime.InteropServices.OSPlatform.Linux))
            {
                return false;
            }
            string[] candidates =
            {
                "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib/aarch64-linux-gnu/libstdc++.so.6",
                "/usr/lib64/libstdc++.so.6", "/usr/lib/libstdc++.so.6", "/lib/x86_64-linux-gnu/libstdc++.so.6",
            };
            foreach (string candidate in candidates)
            {
                if (File.Exists(candidate))
                {
                    return !FileMentions(candidate, TorchSharpVersion);
                }
            }
            return true;
        }

        /// <summary>True when a file's bytes contain the version string (used to check the system libstdc++).</summary>
        public static bool FileMentions(string path, string text)
        {
            byte[] needle = Encoding.ASCII.GetBytes(text + "\0");
            byte[] bytes = File.ReadAllBytes(path);
            // A plain search: this file is also compiled by MSBuild's inline task factory against netstandard.
            for (int i = Array.IndexOf(bytes, needle[0]); i >= 0 && i <= bytes.Length - needle.Length;
                 i = Array.IndexOf(bytes, needle[0], i + 1))
            {
                int j = 1;
                while (j < needle.Length && bytes[i + j] == needle[j])
                {
                    j++;
                }
                if (j == needle.Length)
                {
                    return true;
                }
            }
            return false;
        }

        /// <summary>
        /// Finds the vna_flags field of <paramref name="versionName"/>'s Elf64_Vernaux entry without changing anything:
        /// <see cref="ElfPatchOutcome.Patched"/> here means "found" (its offset is in <paramref name="flagsOffset"/>).
        /// Internal so that the tests, which compile this file, can check a file's flags read-only.
        /// </summary>
        internal static ElfPatchOutcome Locate(byte[] b, string versionName, out long flagsOffset, out string detail)
        {
            flagsOffset = -1;
            // ELF identification: magic, ELFCLASS64 (2), ELFDATA2LSB (1), EV_CURRENT (1).
            if (b.Length < 64 || b[0] != 0x7f || b[1] != (byte)'E' || b[2] != (byte)'L' || b[3] != (byte)'F')
            {
                detail = "not an ELF file";
                return ElfPatchOutcome.UnexpectedLayout;
            }
            if (b[4] != 2 || b[5] != 1 || b[6] != 1)
            {
                detail = "not a 64-bit little-endian ELF file";
                return ElfPatchOutcome.UnexpectedLayout;
            }

            ulong shoff = U64(b, 0x28);
            ushort shentsize = U16(b, 0x3a);
            ushort shnum = U16(b, 0x3c);
            ushort shstrndx = U16(b, 0x3e);
            if (shentsize != 64 || shnum == 0 || shstrndx >= shnum || shoff > (ulong)b.Length
                || (ulong)b.Length - shoff < (ulong)shnum * 64)
            {
                detail = "section header table is missing or out of bounds";
                return ElfPatchOutcome.UnexpectedLayout;
            }

            if (!Section(b, shoff, shstrndx, out _, out ulong shstrOff, out ulong shstrSize, out _, out _))
            {
                detail = "section-name table out of bounds";
                return ElfPatchOutcome.UnexpectedLayout;
            }

            for (int i = 0; i < shnum; i++)
            {
                if (!Section(b, shoff, i, out uint type, out ulong off, out ulong size, out uint link, out uint info))
                {
                    detail = "section " + i + " out of bounds";
                    return ElfPatchOutcome.UnexpectedLayout;
                }
                if (type != ShtGnuVerneed)
                {
                    continue;
                }
                uint nameIndex = U32(b, (long)shoff + (long)i * 64);
                if (ReadString(b, shstrOff, shstrSize, nameIndex) != ".gnu.version_r")
                {
                    detail = "the version-needs section is not named .gnu.version_r";
                    return ElfPatchOutcome.UnexpectedLayout;
                }
                if (link >= shnum || !Section(b, shoff, (int)link, out _, out ulong strOff, out ulong strSize, out _, out _))
                {
                    detail = ".gnu.version_r links to no string table";
                    return ElfPatchOutcome.UnexpectedLayout;
                }
                return FindAux(b, off, size, info, strOff, strSize, versionName, out flagsOffset, out detail);
            }

            detail = "no .gnu.version_r section";
            return ElfPatchOutcome.VersionNotRequired;
        }

        private static ElfPatchOutcome FindAux(byte[] b, ulong off, ulong size, uint count, ulong strOff, ulong strSize,
            string versionName, out long flagsOffset, out string detail)
        {
            flagsOffset = -1;
            ulong end = off + size;
            ulong need = off;
            for (uint n = 0; n < count && n < MaxEntries; n++)
            {
                if (need + 16 > end)
                {
                    detail = "Elf64_Verneed entry out of bounds";
                    return ElfPatchOutcome.UnexpectedLayout;
                }
                ushort auxCount = U16(b, (long)need + 2);
                ulong aux = need + U32(b, (long)need + 8);
                for (int a = 0; a < auxCount && a < MaxEntries; a++)
                {
                    if (aux + 16 > end)
                    {
                        detail = "Elf64_Vernaux entry out of bounds";
                        return ElfPatchOutcome.UnexpectedLayout;
                    }
                    uint name = U32(b, (long)aux + 8);
                    if (ReadString(b, strOff, strSize, name) == versionName)
                    {
                        flagsOffset = (long)aux + 4;
                        detail = string.Empty;
                        return ElfPatchOutcome.Patched;
                    }
                    uint nextAux = U32(b, (long)aux + 12);
                    if (nextAux == 0)
                    {
                        break;
                    }
                    aux += nextAux;
                }
                uint next = U32(b, (long)need + 12);
                if (next == 0)
                {
                    break;
                }
                need += next;
            }
            detail = "the library does not require " + versionName;
            return ElfPatchOutcome.VersionNotRequired;
        }

        private static bool Section(byte[] b, ulong shoff, int index, out uint type, out ulong off, out ulong size,
            out uint link, out uint info)
        {
            long h = (long)shoff + (long)index * 64;
            type = U32(b, h + 4);
            off = U64(b, h + 24);
            size = U64(b, h + 32);
            link = U32(b, h + 40);
            info = U32(b, h + 44);
            return type == 8 /* SHT_NOBITS */ || (off <= (ulong)b.Length && size <= (ulong)b.Length - off);
        }

        private static string? ReadString(byte[] b, ulong tableOff, ulong tableSize, uint index)
        {
            if (index >= tableSize)
            {
                return null;
            }
            int start = (int)(tableOff + index);
            int limit = (int)(tableOff + tableSize);
            int zero = Array.IndexOf(b, (byte)0, start, limit - start);
            return zero < 0 ? null : Encoding.ASCII.GetString(b, start, zero - start);
        }

        private static ushort U16(byte[] b, long at) => BitConverter.ToUInt16(b, (int)at);
        private static uint U32(byte[] b, long at) => BitConverter.ToUInt32(b, (int)at);
        private static ulong U64(byte[] b, long at) => BitConverter.ToUInt64(b, (int)at);
    }

#if !NO_MSBUILD_TASK
    /// <summary>MSBuild task: patch every libLibTorchSharp.so under an output folder when the system needs it.</summary>
    public sealed class PatchTorchSharpNative : Microsoft.Build.Utilities.Task
    {
        /// <summary>The build or publish output folder.</summary>
        [Microsoft.Build.Framework.Required]
        public string OutputDirectory { get; set; } = string.Empty;

        public override bool Execute()
        {
            if (!System.Runtime.InteropServices.RuntimeInformation.IsOSPlatform(System.Runtime.InteropServices.OSPlatform.Linux)
                || !Directory.Exists(OutputDirectory))
            {
                return true;
            }
            if (!ElfVersionPatcher.SystemNeedsPatch())
            {
                Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Low,
                    "The system libstdc++ provides " + ElfVersionPatcher.TorchSharpVersion + "; TorchSharp's glue is left as shipped.");
                return true;
            }

            foreach (string file in Directory.EnumerateFiles(OutputDirectory, "libLibTorchSharp.so", SearchOption.AllDirectories))
            {
                ElfPatchOutcome outcome = ElfVersionPatcher.MakeVersionWeak(file, ElfVersionPatcher.TorchSharpVersion, out string detail);
                switch (outcome)
                {
                    case ElfPatchOutcome.Patched:
                        Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Normal,
                            "Marked " + ElfVersionPatcher.TorchSharpVersion + " weak in " + file + " (older libstdc++ on this system).");
                        break;
                    case ElfPatchOutcome.AlreadyWeak:
                        break;
                    default:
                        Log.LogWarning("Microsoft.ML.AdaptiveWidth: left " + file + " untouched (" + detail
                            + "); TorchSharp may fail to load on this system if it needs " + ElfVersionPatcher.TorchSharpVersion + ".");
                        break;
                }
            }
            return !Log.HasLoggedErrors;
        }
    }

    /// <summary>
    /// MSBuild task, run by .ci/run after the tests (build/check-torchsharp-native.proj): fails, naming each file, when
    /// a libLibTorchSharp.so in a bin folder under <see cref="RootDirectory"/> still hard-requires the libstdc++ version
    /// on a system that lacks it, that is, when something copied the library after the patch ran.
    /// </summary>
    public sealed class CheckTorchSharpNative : Microsoft.Build.Utilities.Task
    {
        /// <summary>The repository root: every bin folder below it is searched.</summary>
        [Microsoft.Build.Framework.Required]
        public string RootDirectory { get; set; } = string.Empty;

        public override bool Execute()
        {
            if (!ElfVersionPatcher.SystemNeedsPatch())
            {
                Log.LogMessage(Microsoft.Build.Framework.MessageImportance.High,
                    "TorchSharp native check: not needed here (not Linux, or the system libstdc++ provides " + ElfVersionPatcher.TorchSharpVersion + ").");
                return true;
            }
            int checkedFiles = 0;
            foreach (string file in Directory.EnumerateFiles(RootDirectory, "libLibTorchSharp.so", SearchOption.AllDirectories))
            {
                string relative = file.Substring(RootDirectory.TrimEnd('/').Length).TrimStart('/');
                if (Array.IndexOf(relative.Split('/'), "bin") < 0)
                {
                    continue;
                }
                checkedFiles++;
                if (ElfVersionPatcher.RequiresVersionStrongly(file, ElfVersionPatcher.TorchSharpVersion))
                {
                    Log.LogError("TorchSharp native check: " + file + " is unpatched: it still hard-requires "
                        + ElfVersionPatcher.TorchSharpVersion + ", which this system's libstdc++ lacks, so TorchSharp fails to load from that folder. "
                        + "Something copied the library after the build's patch (build/Microsoft.ML.AdaptiveWidth.targets) ran.");
                }
            }
            if (!Log.HasLoggedErrors)
            {
                Log.LogMessage(Microsoft.Build.Framework.MessageImportance.High,
                    "TorchSharp native check: " + checkedFiles + " copies of libLibTorchSharp.so under bin folders, all patched.");
            }
            return !Log.HasLoggedErrors;
        }
    }
#endif
}
