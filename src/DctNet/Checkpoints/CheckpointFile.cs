using DctNet.Frequency.IO;

namespace DctNet.Checkpoints;

/// <summary>
/// A checkpoint file whose tensors are read on first use, each by opening the path again. All the tensors of one read
/// must come from the file whose header was read: training renames a new last.safetensors over the old one between
/// epochs, and a reader that went on with the new file would mix two epochs' weights (or read at shifted offsets).
/// So every reopen checks that the path still names the same file (device, inode and size).
/// </summary>
internal sealed class CheckpointFile
{
    private const int BufferBytes = 1 << 16;
    private readonly FileStatus identity;

    private CheckpointFile(string path, FileStatus identity)
    {
        Path = path;
        this.identity = identity;
    }

    public string Path { get; }

    /// <summary>Opens the file for its header (a FIFO, device or folder is refused by name), and remembers which file it is.</summary>
    public static (FileStream Stream, CheckpointFile File) Open(string path)
    {
        var stream = FileProbe.OpenRead(path, BufferBytes);
        return (stream, new CheckpointFile(path, FileProbe.Identify(stream.SafeFileHandle)));
    }

    /// <exception cref="InvalidDataException">The path names another file now.</exception>
    public FileStream Reopen()
    {
        var stream = FileProbe.OpenRead(Path, BufferBytes);
        if (FileProbe.Identify(stream.SafeFileHandle) != identity)
        {
            stream.Dispose();
            throw new InvalidDataException("the file was replaced while its tensors were being read; read it again.");
        }
        return stream;
    }
}
