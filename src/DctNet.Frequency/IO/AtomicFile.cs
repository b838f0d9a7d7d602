namespace DctNet.Frequency.IO;

/// <summary>Write-then-rename helpers, so that an interrupted run never leaves a half-written output.</summary>
public static class AtomicFile
{
    /// <summary>A unique temporary name in the same directory (so the final rename stays on one file system).</summary>
    public static string TemporaryPathFor(string path)
    {
        string directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        return Path.Combine(directory, $".{Path.GetFileName(path)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
    }
}
