// MSBuild task compiled by RoslynCodeTaskFactory (see PatchGlibcxxVersionNeed.targets) against
// netstandard2.0 with C# 7.3: hence no nullable annotations, Span, or File.Move(overwrite).
//
// Why it exists: TorchSharp 0.107.0's libLibTorchSharp.so says it needs the symbol version
// GLIBCXX_3.4.32 (libstdc++ of GCC 13), but Debian 12's libstdc++ stops at GLIBCXX_3.4.30, so
// the dynamic loader refuses to load it. The only symbol bound to that version is
// std::ios_base_library_init(), a marker GCC 13 references so that iostreams get initialised;
// nothing calls it and no relocation refers to it. With VER_FLG_WEAK set on that one
// version-need entry, a missing version is no longer fatal, and the library loads and works.
// The flag would be harmless where the version exists, but we only patch where it is missing.
using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

public sealed class PatchGlibcxxVersionNeed : Task
{
    private const string NeededLibrary = "libstdc++.so.6";
    private const string NeededVersion = "GLIBCXX_3.4.32";
    private const string OnlySymbolOfThatVersion = "_ZSt21ios_base_library_initv"; // std::ios_base_library_init()

    // Where the loader finds libstdc++.so.6 on Debian/Ubuntu (multiarch) and on other distributions.
    private static readonly string[] SystemLibstdcxxCandidates =
    {
        "/lib/x86_64-linux-gnu/libstdc++.so.6",
        "/usr/lib/x86_64-linux-gnu/libstdc++.so.6",
        "/usr/lib64/libstdc++.so.6",
        "/lib64/libstdc++.so.6",
        "/usr/lib/libstdc++.so.6",
    };

    private string _systemLibstdcxx;
    private bool? _systemLibstdcxxLacksNeededVersion;

    /// <summary>Copies of libLibTorchSharp.so in an output or publish directory (never the NuGet cache).</summary>
    [Required]
    public ITaskItem[] Libraries { get; set; }

    public override bool Execute()
    {
        foreach (ITaskItem library in Libraries)
        {
            string path = library.GetMetadata("FullPath");
            if (!File.Exists(path))
                continue;
            try
            {
                PatchIfNeeded(path);
            }
            catch (Exception e) when (e is IOException || e is InvalidDataException ||
                                      e is OverflowException || e is UnauthorizedAccessException)
            {
                Log.LogWarning("Could not check or patch the {0} need of {1}: {2}", NeededVersion, path, e.Message);
            }
        }
        return !Log.HasLoggedErrors;
    }

    private void PatchIfNeeded(string path)
    {
        VersionNeed need;
        using (var elf = new ElfFile(path))
        {
            need = elf.FindVersionNeed(NeededLibrary, NeededVersion);
            if (need == null || need.IsWeak)
            {
                // Already patched (or a TorchSharp that no longer needs it): nothing more is read.
                Log.LogMessage(MessageImportance.Low, "{0}: no strong {1} need, nothing to patch.", path, NeededVersion);
                return;
            }
            if (!SystemLibstdcxxLacksNeededVersion())
            {
                Log.LogMessage(MessageImportance.Low, "{0}: left unchanged, {1}.", path, _systemLibstdcxx == null
                    ? "no system libstdc++.so.6 was found"
                    : _systemLibstdcxx + " provides " + NeededVersion);
                return;
            }
            // Guard for future TorchSharp builds: weakening is only safe while the marker is the sole user.
            foreach (string symbol in elf.SymbolsBoundTo(need))
            {
                if (symbol != OnlySymbolOfThatVersion)
                {
                    Log.LogWarning("{0} needs {1} for {2}, but {3} lacks that version: it was not patched and will not load. " +
                                   "Install libstdc++ from GCC 13 or later.", path, NeededVersion, symbol, _systemLibstdcxx);
                    return;
                }
            }
        }

        MarkWeakAtomically(path, need);
        Log.LogMessage(MessageImportance.Normal,
            "Marked the {0} need of {1} weak: {2} lacks that version, and the only symbol bound to it, " +
            "the never-called marker std::ios_base_library_init, does not need it to load.",
            NeededVersion, path, _systemLibstdcxx);
    }

    private bool SystemLibstdcxxLacksNeededVersion()
    {
        if (_systemLibstdcxxLacksNeededVersion == null)
        {
            _systemLibstdcxx = Array.Find(SystemLibstdcxxCandidates, File.Exists);
            // With no libstdc++ found there is nothing to compare with, so the library stays as it came.
            _systemLibstdcxxLacksNeededVersion =
                _systemLibstdcxx != null && !ElfFile.DefinesVersion(_systemLibstdcxx, NeededVersion);
        }
        return _systemLibstdcxxLacksNeededVersion.Value;
    }

    private static void MarkWeakAtomically(string path, VersionNeed need)
    {
        // Patch a sibling copy and rename it over the original: no reader ever sees a half-written
        // file, and should the output be a hard or symbolic link into the NuGet cache, the cache
        // keeps its original (rename replaces the link, writing in place would go through it).
        string tempPath = path + ".glibcxx-patch.tmp";
        DateTime lastWriteUtc = File.GetLastWriteTimeUtc(path);
        File.Copy(path, tempPath, overwrite: true);
        try
        {
            using (var stream = new FileStream(tempPath, FileMode.Open, FileAccess.Write))
            {
                ushort weakFlags = (ushort)(need.Flags | ElfFile.VerFlagWeak);
                stream.Position = need.FlagsOffset;
                stream.WriteByte((byte)weakFlags); // little-endian u16
                stream.WriteByte((byte)(weakFlags >> 8));
            }
            // Keep the package file's size and timestamp: MSBuild's incremental copies
            // (SkipUnchangedFiles on build, PreserveNewest on publish) then see the copy as up to date
            // instead of overwriting it with the unpatched original on every build.
            File.SetLastWriteTimeUtc(tempPath, lastWriteUtc);
            File.Replace(tempPath, path, null); // rename(2) on Unix
        }
        finally
        {
            if (File.Exists(tempPath))
                File.Delete(tempPath);
        }
    }
}

/// <summary>An Elf64_Vernaux entry: one symbol version that the file needs from one library.</summary>
internal sealed class VersionNeed
{
    public long FlagsOffset;  // file offset of vna_flags
    public ushort Flags;      // vna_flags
    public ushort Index;      // vna_other: the value .gnu.version holds for symbols of this version

    public bool IsWeak => (Flags & ElfFile.VerFlagWeak) != 0;
}

/// <summary>
/// Just enough of an ELF64 little-endian reader to walk the GNU symbol-versioning sections.
/// Layouts as in elf.h: Elf64_Ehdr, Elf64_Shdr, Elf64_Verneed/Vernaux, Elf64_Verdef/Verdaux, Elf64_Sym.
/// </summary>
internal sealed class ElfFile : IDisposable
{
    public const ushort VerFlagWeak = 0x2;
    private const uint ShtDynsym = 11;
    private const uint ShtGnuVerdef = 0x6ffffffd;
    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const uint ShtGnuVersym = 0x6fffffff;
    private const int SymbolSize = 24; // sizeof(Elf64_Sym)

    private sealed class Section
    {
        public uint Type;   // sh_type
        public long Offset; // sh_offset
        public long Size;   // sh_size
        public uint Link;   // sh_link: for the sections used here, the index of their string table
        public uint Info;   // sh_info: for verneed/verdef, the number of entries
    }

    private readonly FileStream _stream;
    private readonly BinaryReader _reader; // always reads little-endian, as the files handled here are
    private readonly List<Section> _sections = new List<Section>();

    public ElfFile(string path)
    {
        _stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        _reader = new BinaryReader(_stream, Encoding.ASCII);
        ReadSectionHeaders();
    }

    public void Dispose() => _reader.Dispose(); // also closes the stream

    /// <summary>Whether a shared library defines (provides) a symbol version, per its .gnu.version_d.</summary>
    public static bool DefinesVersion(string path, string version)
    {
        using (var elf = new ElfFile(path))
        {
            Section verdef = elf.FindSection(ShtGnuVerdef);
            if (verdef == null)
                return false;
            Section names = elf.SectionAt(verdef.Link);

            long definition = verdef.Offset;
            for (uint i = 0; i < verdef.Info; i++)
            {
                // Elf64_Verdef: vd_version, vd_flags, vd_ndx, vd_cnt (u16); vd_hash, vd_aux, vd_next (u32).
                elf.Seek(definition + 12);
                uint firstAux = elf._reader.ReadUInt32();
                uint next = elf._reader.ReadUInt32();
                // The first Elf64_Verdaux (vda_name, vda_next) names the version itself.
                elf.Seek(definition + firstAux);
                if (elf.ReadString(names, elf._reader.ReadUInt32()) == version)
                    return true;
                if (next == 0)
                    break;
                definition += next;
            }
            return false;
        }
    }

    /// <summary>The entry saying this file needs <paramref name="version"/> from <paramref name="library"/>, or null.</summary>
    public VersionNeed FindVersionNeed(string library, string version)
    {
        Section verneed = FindSection(ShtGnuVerneed);
        if (verneed == null)
            return null;
        Section names = SectionAt(verneed.Link);

        long need = verneed.Offset;
        for (uint i = 0; i < verneed.Info; i++)
        {
            // Elf64_Verneed: vn_version, vn_cnt (u16); vn_file, vn_aux, vn_next (u32).
            Seek(need + 2);
            ushort auxCount = _reader.ReadUInt16();
            uint file = _reader.ReadUInt32();
            uint firstAux = _reader.ReadUInt32();
            uint nextNeed = _reader.ReadUInt32();

            if (ReadString(names, file) == library)
            {
                long aux = need + firstAux;
                for (int j = 0; j < auxCount; j++)
                {
                    // Elf64_Vernaux: vna_hash (u32); vna_flags, vna_other (u16); vna_name, vna_next (u32).
                    Seek(aux + 4);
                    ushort flags = _reader.ReadUInt16();
                    ushort index = _reader.ReadUInt16();
                    uint name = _reader.ReadUInt32();
                    uint nextAux = _reader.ReadUInt32();

                    if (ReadString(names, name) == version)
                        return new VersionNeed { FlagsOffset = aux + 4, Flags = flags, Index = index };
                    if (nextAux == 0)
                        break;
                    aux += nextAux;
                }
            }
            if (nextNeed == 0)
                break;
            need += nextNeed;
        }
        return null;
    }

    /// <summary>Names of the dynamic symbols that .gnu.version binds to <paramref name="need"/>.</summary>
    public List<string> SymbolsBoundTo(VersionNeed need)
    {
        var symbols = new List<string>();
        Section versym = FindSection(ShtGnuVersym);
        Section dynsym = FindSection(ShtDynsym);
        if (versym == null || dynsym == null)
            return symbols;
        Section names = SectionAt(dynsym.Link);

        long count = dynsym.Size / SymbolSize;
        for (long i = 0; i < count; i++)
        {
            Seek(versym.Offset + 2 * i);
            if ((_reader.ReadUInt16() & 0x7fff) != need.Index) // bit 15 only marks a hidden symbol
                continue;
            Seek(dynsym.Offset + SymbolSize * i); // Elf64_Sym starts with st_name (u32)
            symbols.Add(ReadString(names, _reader.ReadUInt32()));
        }
        return symbols;
    }

    private void ReadSectionHeaders()
    {
        byte[] ident = _reader.ReadBytes(16); // e_ident
        if (ident.Length < 16 || ident[0] != 0x7f || ident[1] != 'E' || ident[2] != 'L' || ident[3] != 'F')
            throw new InvalidDataException("not an ELF file");
        if (ident[4] != 2 || ident[5] != 1) // EI_CLASS = ELFCLASS64, EI_DATA = ELFDATA2LSB
            throw new InvalidDataException("not a 64-bit little-endian ELF file");

        Seek(0x28);
        long headersOffset = checked((long)_reader.ReadUInt64()); // e_shoff
        Seek(0x3A);
        ushort headerSize = _reader.ReadUInt16();                 // e_shentsize
        uint count = _reader.ReadUInt16();                        // e_shnum
        if (headersOffset == 0)
            throw new InvalidDataException("no section headers");
        if (count == 0)
        {
            // Too many sections for e_shnum: the count is in section 0's sh_size instead.
            Seek(headersOffset + 32);
            count = checked((uint)_reader.ReadUInt64());
        }

        for (uint i = 0; i < count; i++)
        {
            // Elf64_Shdr: sh_name, sh_type (u32); sh_flags, sh_addr, sh_offset, sh_size (u64); sh_link, sh_info (u32); ...
            long header = headersOffset + (long)i * headerSize;
            Seek(header + 4);
            var section = new Section { Type = _reader.ReadUInt32() };
            Seek(header + 24);
            section.Offset = checked((long)_reader.ReadUInt64());
            section.Size = checked((long)_reader.ReadUInt64());
            section.Link = _reader.ReadUInt32();
            section.Info = _reader.ReadUInt32();
            _sections.Add(section);
        }
    }

    private Section FindSection(uint type) => _sections.Find(section => section.Type == type);

    private Section SectionAt(uint index)
    {
        if (index >= _sections.Count)
            throw new InvalidDataException("section index " + index + " out of range");
        return _sections[(int)index];
    }

    private void Seek(long offset)
    {
        if (offset < 0 || offset >= _stream.Length)
            throw new InvalidDataException("offset 0x" + offset.ToString("x") + " lies outside the file");
        _stream.Position = offset;
    }

    private string ReadString(Section stringTable, uint offset)
    {
        if (offset >= stringTable.Size)
            throw new InvalidDataException("string offset outside its string table");
        Seek(stringTable.Offset + offset);
        var bytes = new List<byte>();
        for (byte b = _reader.ReadByte(); b != 0; b = _reader.ReadByte())
            bytes.Add(b);
        return Encoding.ASCII.GetString(bytes.ToArray());
    }
}
