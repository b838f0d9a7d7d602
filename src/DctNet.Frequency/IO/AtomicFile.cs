namespace DctNet.Frequency.IO;

/// <summary>Write-then-rename, so that an interrupted run never leaves a half-written output.</summary>
public static class AtomicFile
{
    /// <summary>
    /// Opens a temporary file beside <paramref name="path"/> (the folder is created if needed); <see cref="AtomicFileWriter.Commit"/>
    /// renames it over <paramref name="path"/>, disposing without committing deletes it: the file appears complete or not at all.
    /// </summary>
    public static AtomicFileWriter Create(string path) => new(path);

    public static void Write(string path, Action<Stream> write)
    {
        using var file = Create(path);
        write(file.Stream);
        file.Commit();
    }

    public static void WriteAllBytes(string path, ReadOnlyMemory<byte> bytes) => Write(path, stream => stream.Write(bytes.Span));

    public static void WriteAllText(string path, string text) => WriteAllBytes(path, System.Text.Encoding.UTF8.GetBytes(text));
}

/// <summary>A file being written under a temporary name; see <see cref="AtomicFile.Create"/>.</summary>
public sealed class AtomicFileWriter : IDisposable
{
    private readonly string path;
    private readonly string temporary;
    private readonly FileStream stream;
    private bool committed;

    internal AtomicFileWriter(string path)
    {
        this.path = path;
        string directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory);
        // Same folder, so that the final rename stays on one file system.
        temporary = Path.Combine(directory, $".{Path.GetFileName(path)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
    }

    public Stream Stream => stream;

    /// <summary>Closes the temporary file and renames it over the target.</summary>
    public void Commit()
    {
        stream.Dispose();
        File.Move(temporary, path, overwrite: true);
        committed = true;
    }

    public void Dispose()
    {
        stream.Dispose();
        if (!committed)
            File.Delete(temporary);
    }
}
