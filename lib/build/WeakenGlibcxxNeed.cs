// MSBuild task (compiled by RoslynCodeTaskFactory, see TorchSharpNative.targets).
//
// Why: TorchSharp 0.107.0's libLibTorchSharp.so was linked by GCC 13, which records a need for
// libstdc++ version GLIBCXX_3.4.32 for ONE symbol, std::ios_base_library_init(). GCC 13 emits
// that symbol only as a link-time marker (an undefined .globl, never called). Debian 12 and
// Ubuntu 22.04 ship libstdc++ up to GLIBCXX_3.4.30, so the loader refuses the library.
//
// What: in the copy in a project's build output (never the NuGet cache), mark that version need
// VER_FLG_WEAK. glibc then only warns about a missing weak version. Before patching we check the
// invariant that makes this safe: the only dynamic symbol bound to GLIBCXX_3.4.32 is the marker
// and no relocation refers to it, so the loader never looks it up and no compat .so that defines
// it is needed (that would cost every user a C compiler and patchelf). If a later TorchSharp
// really calls a GCC 13 symbol, the build fails with the fix to apply instead.
// Nothing happens where the system libstdc++ already provides GLIBCXX_3.4.32.
using System;
using System.IO;
using System.Linq;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

public class WeakenGlibcxxNeed : Task
{
    const string Version = "GLIBCXX_3.4.32";
    const string Marker = "_ZSt21ios_base_library_initv";
    const uint ShtRela = 4, ShtDynsym = 11, ShtVerneed = 0x6ffffffe, ShtVersym = 0x6fffffff;
    const ushort VerFlgWeak = 0x2;

    [Required] public ITaskItem[] Libraries { get; set; } = new ITaskItem[0];

    public override bool Execute()
    {
        if (Libraries.Length == 0) return true;
        var system = SystemLibstdcxx();
        if (system != null && ContainsVersion(File.ReadAllBytes(system)))
        {
            Log.LogMessage(MessageImportance.Low, $"{system} provides {Version}; TorchSharp needs no patch.");
            return true;
        }
        foreach (var item in Libraries)
        {
            try { Patch(item.ItemSpec); }
            catch (Exception e) { Log.LogError($"{item.ItemSpec}: {e.Message}"); }
        }
        return !Log.HasLoggedErrors;
    }

    static string SystemLibstdcxx() =>
        new[] { "/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu",
                "/lib/aarch64-linux-gnu", "/usr/lib64", "/lib64", "/usr/lib" }
            .Select(d => Path.Combine(d, "libstdc++.so.6")).FirstOrDefault(File.Exists);

    static bool ContainsVersion(byte[] bytes)
    {
        var needle = Encoding.ASCII.GetBytes(Version + "\0");
        for (int i = 0; i + needle.Length <= bytes.Length; i++)
            if (bytes[i] == needle[0] && needle.Where((c, j) => bytes[i + j] == c).Count() == needle.Length) return true;
        return false;
    }

    void Patch(string path)
    {
        var b = File.ReadAllBytes(path);
        if (b.Length < 64 || b[0] != 0x7f || b[1] != (byte)'E' || b[4] != 2 || b[5] != 1)
            throw new InvalidDataException("not a 64-bit little-endian ELF file");
        var elf = new Elf(b);
        var verneed = elf.Sections.FirstOrDefault(s => s.Type == ShtVerneed);
        if (verneed == null) return;
        var verStr = elf.Sections[(int)verneed.Link];

        int auxOffset = -1; ushort versionIndex = 0;
        for (long off = verneed.Offset; ;)
        {
            ushort count = elf.U16(off + 2);
            long aux = off + elf.U32(off + 8);
            for (int i = 0; i < count; i++, aux += elf.U32(aux + 12))
                if (elf.Str(verStr.Offset + elf.U32(aux + 8)) == Version)
                { auxOffset = (int)aux; versionIndex = elf.U16(aux + 6); }
            uint next = elf.U32(off + 12);
            if (next == 0) break;
            off += next;
        }
        if (auxOffset < 0) return;
        if ((elf.U16(auxOffset + 4) & VerFlgWeak) != 0) return;

        CheckOnlyTheMarkerNeedsIt(elf, versionIndex);
        BitConverter.GetBytes((ushort)(elf.U16(auxOffset + 4) | VerFlgWeak)).CopyTo(b, auxOffset + 4);
        // Replace by rename, never by rewriting in place: a running notebook kernel may have the old file mapped.
        // Keeping the copied file's timestamp (the size is unchanged) stops MSBuild from copying it again on the next build.
        var stamp = File.GetLastWriteTimeUtc(path);
        var tmp = path + ".patching";
        File.WriteAllBytes(tmp, b);
        File.SetLastWriteTimeUtc(tmp, stamp);
        File.Delete(path);
        File.Move(tmp, path);
        Log.LogMessage(MessageImportance.High,
            $"TorchSharp native fix: marked {Version} weak in {path} (system libstdc++ lacks it).");
    }

    static void CheckOnlyTheMarkerNeedsIt(Elf elf, ushort versionIndex)
    {
        var dynsym = elf.Sections.First(s => s.Type == ShtDynsym);
        var versym = elf.Sections.First(s => s.Type == ShtVersym);
        var dynstr = elf.Sections[(int)dynsym.Link];
        long count = dynsym.Size / 24;
        for (long i = 0; i < count; i++)
        {
            if ((elf.U16(versym.Offset + 2 * i) & 0x7fff) != versionIndex) continue;
            var name = elf.Str(dynstr.Offset + elf.U32(dynsym.Offset + 24 * i));
            if (name != Marker)
                throw new InvalidDataException($"needs {Version} for '{name}', a real GCC 13 symbol. " +
                    "Install a libstdc++ from GCC 13 or newer (e.g. Debian 13 / Ubuntu 24.04).");
            foreach (var rela in elf.Sections.Where(s => s.Type == ShtRela && s.Link == elf.Sections.IndexOf(dynsym)))
                for (long r = rela.Offset; r < rela.Offset + rela.Size; r += 24)
                    if ((long)(elf.U64(r + 8) >> 32) == i)
                        throw new InvalidDataException($"a relocation refers to {Marker}; " +
                            "marking its version weak would not be enough. Install libstdc++ from GCC 13 or newer.");
        }
    }

    // Compiled against netstandard by the task factory: no records here.
    sealed class Section
    {
        public uint Type, Link; public long Offset, Size;
        public Section(uint type, long offset, long size, uint link) { Type = type; Offset = offset; Size = size; Link = link; }
    }

    sealed class Elf
    {
        readonly byte[] _b;
        public System.Collections.Generic.List<Section> Sections { get; } = new();

        public Elf(byte[] b)
        {
            _b = b;
            long shoff = (long)U64(0x28);
            int size = U16(0x3A), count = U16(0x3C);
            for (int i = 0; i < count; i++)
            {
                long h = shoff + (long)i * size;
                Sections.Add(new Section(U32(h + 4), (long)U64(h + 24), (long)U64(h + 32), U32(h + 40)));
            }
        }

        public ushort U16(long o) => BitConverter.ToUInt16(_b, (int)o);
        public uint U32(long o) => BitConverter.ToUInt32(_b, (int)o);
        public ulong U64(long o) => BitConverter.ToUInt64(_b, (int)o);
        public string Str(long o) => Encoding.ASCII.GetString(_b, (int)o, Array.IndexOf(_b, (byte)0, (int)o) - (int)o);
    }
}
