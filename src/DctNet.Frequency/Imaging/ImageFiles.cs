using System.IO.Enumeration;
using DctNet.Frequency.IO;

namespace DctNet.Frequency.Imaging;

/// <summary>An entry that looks like an image (or is a folder) but is not read, and why.</summary>
public sealed record SkippedFile(string Path, string Reason);

/// <summary>What a walk of a folder tree found: the image files to read, and what it left out.</summary>
/// <param name="Relative">Paths of the regular image files relative to the root, in ordinal order (so runs are reproducible).</param>
/// <param name="Skipped">Image-named entries that are not regular files (FIFOs, devices, sockets, dangling links),
/// names .NET cannot open, and unreadable folders, in ordinal order of their paths.</param>
/// <param name="UnfollowedFolderLinks">Links to folders left alone because links were not to be followed.</param>
public sealed record ImageFileList(IReadOnlyList<string> Relative, IReadOnlyList<SkippedFile> Skipped, int UnfollowedFolderLinks);

/// <summary>Finds the image files of a folder tree: the one walker of transform, stats, bench and the datasets.</summary>
public static class ImageFiles
{
    /// <summary>The extensions that are read (case-insensitive); other files are ignored.</summary>
    public static readonly IReadOnlyList<string> Extensions = [".jpg", ".jpeg", ".png", ".bmp", ".webp", ".gif"];

    public static bool HasImageExtension(string path)
        => Extensions.Contains(Path.GetExtension(path), StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Walks <paramref name="root"/> (itself followed if it is a link) for image files. Hidden entries (names starting
    /// with '.') are ignored. Links to files are read when they lead to a regular file. Links to folders are entered only
    /// when <paramref name="followLinks"/>, after every folder reachable without links, and then every folder is entered
    /// once, known by its device and inode: a loop of links ends, and a folder reached twice is read once, under its own
    /// path where it has one. Nothing is opened: types come from statx, so a
    /// FIFO, device or socket named like an image is listed in <see cref="ImageFileList.Skipped"/> instead.
    /// </summary>
    /// <exception cref="IOException">The root itself cannot be read.</exception>
    public static ImageFileList Find(string root, bool followLinks = false)
    {
        var images = new List<string>();
        var skipped = new List<SkippedFile>();
        int unfollowed = 0;
        var entered = new HashSet<(ulong Device, ulong Inode)>();
        var rootStatus = FileProbe.Stat(root, followLinks: true)
            ?? throw new DirectoryNotFoundException($"{root}: {FileProbe.MissingReason(root)}");
        if (rootStatus.Kind != FileKind.Directory)
            throw new DirectoryNotFoundException($"{root}: {FileProbe.Describe(rootStatus.Kind)}, not a folder");
        entered.Add((rootStatus.Device, rootStatus.Inode));

        // Links to folders wait until every folder reachable without links has been entered, so a folder is always
        // read under its own path, and following links only adds what the links alone lead to.
        var pending = new Stack<string>([""]);
        var links = new Queue<(string Relative, FileStatus Target)>();
        while (pending.TryPop(out var folder) || NextLink(links, entered, out folder))
        {
            string[] names;
            try
            {
                names = ListNames(Path.Combine(root, folder));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException && folder.Length > 0)
            {
                skipped.Add(new SkippedFile(Path.Combine(root, folder), $"cannot read the folder ({e.Message})"));
                continue;
            }
            // Entered in reverse so that the stack pops them in ordinal order: which of two links to one folder wins is fixed.
            for (int i = names.Length - 1; i >= 0; i--)
            {
                string relative = Path.Combine(folder, names[i]);
                string path = Path.Combine(root, relative);
                bool image = HasImageExtension(names[i]);
                FileStatus? status, target;
                try
                {
                    status = FileProbe.Stat(path, followLinks: false);
                    target = status is { Kind: FileKind.SymbolicLink } ? FileProbe.Stat(path, followLinks: true) : status;
                }
                catch (IOException e)
                {
                    // A link loop (ELOOP), a name too long: not something to read.
                    if (image)
                        skipped.Add(new SkippedFile(path, $"cannot read it ({e.Message})"));
                    continue;
                }
                bool link = status is { Kind: FileKind.SymbolicLink };
                switch (target)
                {
                    case null when image || FileNames.IsUndecodable(names[i]):
                        skipped.Add(new SkippedFile(path, FileProbe.MissingReason(path)));
                        break;
                    case null:
                        break; // gone since it was listed, or a dangling link without an image name
                    case { Kind: FileKind.Directory } when link && !followLinks:
                        unfollowed++;
                        break;
                    case { Kind: FileKind.Directory } directory when link:
                        links.Enqueue((relative, directory));
                        break;
                    case { Kind: FileKind.Directory } directory:
                        if (entered.Add((directory.Device, directory.Inode)))
                            pending.Push(relative);
                        break;
                    case { Kind: FileKind.Regular } when image:
                        images.Add(relative);
                        break;
                    case { Kind: var kind } when image:
                        skipped.Add(new SkippedFile(path, FileProbe.Describe(kind) + (link ? " (through a link)" : "") + ", not a regular file"));
                        break;
                }
            }
        }
        images.Sort(StringComparer.Ordinal);
        skipped.Sort((a, b) => StringComparer.Ordinal.Compare(a.Path, b.Path));
        return new ImageFileList(images, skipped, unfollowed);
    }

    /// <summary>The first waiting link to a folder not entered yet, which is then entered; false when none is left.</summary>
    private static bool NextLink(Queue<(string Relative, FileStatus Target)> links, HashSet<(ulong, ulong)> entered, out string folder)
    {
        while (links.TryDequeue(out var link))
        {
            if (entered.Add((link.Target.Device, link.Target.Inode)))
            {
                folder = link.Relative;
                return true;
            }
        }
        folder = "";
        return false;
    }

    /// <summary>The names in one folder, hidden ones left out, in ordinal order.</summary>
    private static string[] ListNames(string folder)
    {
        var options = new EnumerationOptions
        {
            RecurseSubdirectories = false,
            IgnoreInaccessible = false,
            AttributesToSkip = FileAttributes.Hidden,
            MatchType = MatchType.Simple,
        };
        var names = new FileSystemEnumerable<string>(folder, (ref FileSystemEntry entry) => entry.FileName.ToString(), options).ToArray();
        Array.Sort(names, StringComparer.Ordinal);
        return names;
    }

    /// <summary>Compares output paths as the file system does: case-insensitively on Windows and macOS.</summary>
    public static StringComparer PathComparer { get; } =
        OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal;
}
