using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace DctNet.Frequency.IO;

/// <summary>Write-then-rename, so that an interrupted run never leaves a half-written output.</summary>
public static partial class AtomicFile
{
    /// <summary>
    /// Opens a temporary file beside <paramref name="path"/> (the folder is created if needed); <see cref="AtomicFileWriter.Commit"/>
    /// renames it over <paramref name="path"/>, disposing without committing deletes it: the file appears complete or not at all.
    /// </summary>
    public static AtomicFileWriter Create(string path) => new(path);

    /// <exception cref="IOException">
    /// <paramref name="path"/> could not be written (a full disk, say): one line that starts with the path and gives the
    /// reason. The file keeps its previous content and no temporary file is left.
    /// </exception>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        try
        {
            using var file = Create(path);
            write(file.Stream);
            file.Commit();
        }
        catch (IOException e)
        {
            throw NotWritten(path, e);
        }
    }

    /// <summary>The failure of writing <paramref name="path"/>, named by it and not by the temporary file that failed.</summary>
    public static IOException NotWritten(string path, IOException failure)
        => new($"{path}: not written ({IOFailure.Reason(failure)}); it keeps its previous content, if it had any.", failure);

    public static void WriteAllBytes(string path, ReadOnlyMemory<byte> bytes) => Write(path, stream => stream.Write(bytes.Span));

    public static void WriteAllText(string path, string text) => WriteAllBytes(path, System.Text.Encoding.UTF8.GetBytes(text));

    /// <summary>
    /// Deletes the temporary files in <paramref name="folder"/> (not below it) that writers killed mid-write left there:
    /// the files named as <see cref="Create"/> names them whose writing process is no longer running. A live process's
    /// temporary file - a write in progress - is kept, and so is every file named otherwise. Removal is best-effort: a
    /// file that cannot be deleted (a read-only folder, a race with its writer) stays, and the others still go.
    /// </summary>
    /// <param name="beforeThisProcessWrites">
    /// This process has not written into <paramref name="folder"/> yet, so a temporary file named with its own process
    /// id is an earlier process's: in a container every run is PID 1, and a killed run's files carry the id of the next.
    /// </param>
    /// <remarks>
    /// The writer is known by the process id in the name; in a folder that processes of another host or PID namespace
    /// also write to, their live writes cannot be told from abandoned ones, so call this only on a folder this process
    /// owns (a locked run directory).
    /// </remarks>
    public static void RemoveAbandoned(string folder, bool beforeThisProcessWrites)
    {
        foreach (string path in Directory.EnumerateFiles(folder, ".*.tmp", new EnumerationOptions { AttributesToSkip = 0 }))
        {
            if (TemporaryName().Match(Path.GetFileName(path)) is { Success: true } name
                && int.TryParse(name.Groups["pid"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out int pid)
                && (pid == Environment.ProcessId ? beforeThisProcessWrites : !IsRunning(pid)))
            {
                try
                {
                    File.Delete(path);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // Left for a later claim: a stale temporary file only takes space, which is no reason to refuse the run.
                }
            }
        }
    }

    internal static string TemporaryPath(string directory, string path)
        => Path.Combine(directory, $".{Path.GetFileName(path)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");

    /// <summary>The names <see cref="TemporaryPath"/> gives: <c>.{name}.{pid}.{32 hex digits}.tmp</c>.</summary>
    [GeneratedRegex(@"^\..+\.(?<pid>[0-9]{1,10})\.[0-9a-f]{32}\.tmp$", RegexOptions.CultureInvariant)]
    private static partial Regex TemporaryName();

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
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
        temporary = AtomicFile.TemporaryPath(directory, path);
        stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16);
    }

    public Stream Stream => stream;

    /// <summary>Closes the temporary file and renames it over the target.</summary>
    /// <exception cref="IOException">The buffered rest could not be written (a full disk) or the rename failed; disposing deletes the temporary file.</exception>
    public void Commit()
    {
        stream.Dispose();
        File.Move(temporary, path, overwrite: true);
        committed = true;
    }

    /// <summary>Deletes the temporary file unless it was committed.</summary>
    public void Dispose()
    {
        if (committed)
            return;
        try
        {
            stream.Dispose();
        }
        catch (IOException)
        {
            // Closing flushes the buffer, which fails again on a full disk; what it holds is discarded anyway, and the
            // write's own exception is the one to report. The handle is closed all the same.
        }
        File.Delete(temporary);
    }
}
