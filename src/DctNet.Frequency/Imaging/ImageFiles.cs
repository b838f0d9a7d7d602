namespace DctNet.Frequency.Imaging;

/// <summary>Finds the image files of a folder tree.</summary>
public static class ImageFiles
{
    /// <summary>The extensions that are read (case-insensitive); other files are ignored.</summary>
    public static readonly IReadOnlyList<string> Extensions = [".jpg", ".jpeg", ".png", ".bmp", ".webp", ".gif"];

    public static bool HasImageExtension(string path)
        => Extensions.Contains(Path.GetExtension(path), StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Paths relative to <paramref name="root"/> of every image file below it, recursively, in ordinal order
    /// (so runs are reproducible). Hidden files and folders (names starting with '.') and unreadable folders are skipped.
    /// </summary>
    public static List<string> FindRelative(string root)
    {
        var options = new EnumerationOptions
        {
            RecurseSubdirectories = true,
            IgnoreInaccessible = true,
            AttributesToSkip = FileAttributes.Hidden | FileAttributes.System,
            MatchType = MatchType.Simple,
        };
        var paths = Directory.EnumerateFiles(root, "*", options)
            .Where(HasImageExtension)
            .Select(path => Path.GetRelativePath(root, path))
            .ToList();
        paths.Sort(StringComparer.Ordinal);
        return paths;
    }

    /// <summary>Compares output paths as the file system does: case-insensitively on Windows and macOS.</summary>
    public static StringComparer PathComparer { get; } =
        OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal;
}
