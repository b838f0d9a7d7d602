using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace DctNet.Frequency.IO;

/// <summary>The type of a file system entry, as stat(2) gives it.</summary>
public enum FileKind
{
    Regular,
    Directory,
    SymbolicLink,
    Fifo,
    Socket,
    CharacterDevice,
    BlockDevice,
}

/// <summary>What statx(2) says about a path: type, size, and the device and inode that identify it across links.</summary>
public readonly record struct FileStatus(FileKind Kind, long Size, ulong Device, ulong Inode);

/// <summary>
/// Looks at files without opening them, and opens regular files without ever blocking. .NET has no public API for a
/// file's type, and opening a FIFO blocks until a writer comes, opening a device can have effects, and reading one
/// (/dev/zero) never ends: so the type is read first with statx, whose record has one layout on every Linux
/// architecture (DctNet runs on Linux only: libtorch and Skia's native assets are the linux-x64 ones).
/// </summary>
public static partial class FileProbe
{
    private const int AtCurrentDirectory = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const int AtEmptyPath = 0x1000;
    private const uint StatxBasicStats = 0x7ff;
    private const int StatxRecordBytes = 256;
    private const int ErrorNotFound = 2;
    private const int ErrorNotDirectory = 20;
    private const int OpenReadOnlyNonBlocking = 0x800 | 0x100 | 0x80000; // O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC
    private const int OpenOrCreateReadWriteNoFollow = 0x2 | 0x40 | 0x20000 | 0x800 | 0x100 | 0x80000; // O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC
    private const int CreatedMode = 0x1A4; // rw-r--r--
    private const int ErrorLinkLoop = 40; // ELOOP: what O_NOFOLLOW answers for a link

    /// <summary>
    /// The status of <paramref name="path"/>, of the link itself unless <paramref name="followLinks"/>; null when nothing
    /// is there (also for a link whose target is missing when following).
    /// </summary>
    /// <exception cref="IOException">Any other failure (permission, name too long, a loop of links), with the system's reason.</exception>
    public static unsafe FileStatus? Stat(string path, bool followLinks)
    {
        byte* record = stackalloc byte[StatxRecordBytes];
        if (statx(AtCurrentDirectory, path, followLinks ? 0 : AtSymlinkNoFollow, StatxBasicStats, record) == 0)
            return Parse(new ReadOnlySpan<byte>(record, StatxRecordBytes));
        int error = Marshal.GetLastPInvokeError();
        if (error is ErrorNotFound or ErrorNotDirectory)
            return null;
        throw new IOException(Marshal.GetPInvokeErrorMessage(error));
    }

    /// <summary>
    /// Opens a regular file for reading after checking, without opening it, that it is one. The open itself does not
    /// block (O_NONBLOCK), and the type is checked again on the open handle, so a FIFO or device swapped in between
    /// is refused too. Returns the handle and the size of what was opened.
    /// </summary>
    /// <exception cref="FileRefusedException">The path is missing, not a regular file, or cannot be opened.</exception>
    public static (SafeFileHandle Handle, long Size) OpenRegularFile(string path)
    {
        var status = StatOrRefuse(path);
        if (status.Kind != FileKind.Regular)
            throw new FileRefusedException(path, Describe(status.Kind) + ", not a regular file");
        int descriptor = open(path, OpenReadOnlyNonBlocking, 0);
        if (descriptor < 0)
            throw new FileRefusedException(path, $"cannot open the file ({Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())})");
        var handle = new SafeFileHandle(descriptor, ownsHandle: true);
        return (handle, RegularOrRefuse(handle, path).Size);
    }

    /// <summary>
    /// Opens <paramref name="path"/> for reading and writing, creating it (rw-r--r--) if nothing is there, only if it
    /// is a regular file of its own: a symbolic link is not followed (a folder received from someone else could point
    /// it at any file the user may write), and a FIFO or device is refused, before the open where it can be and on the
    /// open handle in any case. The handle is close-on-exec.
    /// </summary>
    /// <exception cref="FileRefusedException">The path is a link or not a regular file, or cannot be opened.</exception>
    public static (SafeFileHandle Handle, long Size) OpenOrCreateRegularFile(string path)
    {
        FileStatus? existing;
        try
        {
            existing = Stat(path, followLinks: false);
        }
        catch (IOException e)
        {
            throw new FileRefusedException(path, $"cannot read the file ({e.Message})");
        }
        if (existing is { Kind: not FileKind.Regular } other)
            throw new FileRefusedException(path, Describe(other.Kind) + ", not a regular file");
        int descriptor = open(path, OpenOrCreateReadWriteNoFollow, CreatedMode);
        if (descriptor < 0)
        {
            int error = Marshal.GetLastPInvokeError();
            throw new FileRefusedException(path, error == ErrorLinkLoop
                ? Describe(FileKind.SymbolicLink) + ", not a regular file"
                : $"cannot open the file ({Marshal.GetPInvokeErrorMessage(error)})");
        }
        var handle = new SafeFileHandle(descriptor, ownsHandle: true);
        return (handle, RegularOrRefuse(handle, path).Size);
    }

    /// <summary>The status of what <paramref name="handle"/> opened, which must be a regular file (else the handle is closed and the path refused).</summary>
    private static unsafe FileStatus RegularOrRefuse(SafeFileHandle handle, string path)
    {
        byte* record = stackalloc byte[StatxRecordBytes];
        if (statx((int)handle.DangerousGetHandle(), "", AtEmptyPath, StatxBasicStats, record) == 0
            && Parse(new ReadOnlySpan<byte>(record, StatxRecordBytes)) is { Kind: FileKind.Regular } opened)
            return opened;
        handle.Dispose();
        throw new FileRefusedException(path, "not a regular file (it changed while it was opened)");
    }

    /// <summary>The status of the file an open handle refers to (statx on the descriptor), e.g. to tell whether a path still names it.</summary>
    /// <exception cref="IOException">The system's reason.</exception>
    public static unsafe FileStatus Identify(SafeFileHandle handle)
    {
        ArgumentNullException.ThrowIfNull(handle);
        byte* record = stackalloc byte[StatxRecordBytes];
        if (statx((int)handle.DangerousGetHandle(), "", AtEmptyPath, StatxBasicStats, record) != 0)
            throw new IOException(Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError()));
        return Parse(new ReadOnlySpan<byte>(record, StatxRecordBytes));
    }

    /// <summary>
    /// Opens <paramref name="path"/> for reading as <see cref="OpenRegularFile"/> does: the one way DctNet opens an input
    /// file, so that a FIFO, a device or a folder given for one is refused by name instead of blocking or never ending.
    /// </summary>
    /// <exception cref="FileRefusedException">The path is missing, not a regular file, or cannot be opened.</exception>
    public static FileStream OpenRead(string path, int bufferSize = 4096)
    {
        var (handle, _) = OpenRegularFile(path);
        try
        {
            return new FileStream(handle, FileAccess.Read, bufferSize);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Reads a small text file whole (UTF-8 unless it starts with another encoding's byte order mark), refusing one
    /// larger than <paramref name="maxBytes"/> before reading it: a mistaken path (a dataset archive given as a list of
    /// labels) then costs nothing, where reading it whole would hold its size in memory twice over.
    /// </summary>
    /// <exception cref="FileRefusedException">Missing, not a regular file, not openable, or larger than <paramref name="maxBytes"/>.</exception>
    public static string ReadAllText(string path, int maxBytes)
    {
        using var stream = OpenRead(path, bufferSize: 1);
        // The size is read again from the stream: the file may have grown since it was opened.
        if (stream.Length > maxBytes)
            throw new FileRefusedException(path, $"{stream.Length:N0} bytes, more than the {maxBytes:N0} a file of this kind may hold; not read");
        var bytes = new byte[stream.Length];
        int length = stream.ReadAtLeast(bytes, bytes.Length, throwOnEndOfStream: false);
        using var reader = new StreamReader(new MemoryStream(bytes, 0, length), System.Text.Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        return reader.ReadToEnd();
    }

    /// <summary>The status, following links; a missing file is refused with the most useful reason.</summary>
    private static FileStatus StatOrRefuse(string path)
    {
        try
        {
            if (Stat(path, followLinks: true) is { } status)
                return status;
        }
        catch (IOException e)
        {
            throw new FileRefusedException(path, IsLink(path) ? $"a symbolic link that cannot be followed ({e.Message})" : $"cannot read the file ({e.Message})");
        }
        throw new FileRefusedException(path, MissingReason(path));
    }

    /// <summary>Why nothing can be read at <paramref name="path"/>: a dangling link, an undecodable name, or simply missing.</summary>
    public static string MissingReason(string path)
    {
        if (FileNames.IsUndecodable(path))
            return FileNames.UndecodableReason;
        if (IsLink(path))
        {
            try
            {
                _ = Stat(path, followLinks: true);
            }
            catch (IOException e)
            {
                return $"a symbolic link that cannot be followed ({e.Message})";
            }
            return "a symbolic link whose target does not exist";
        }
        return "does not exist";
    }

    private static bool IsLink(string path)
    {
        try
        {
            return Stat(path, followLinks: false) is { Kind: FileKind.SymbolicLink };
        }
        catch (IOException)
        {
            return false; // the folder is unreadable: "does not exist" is then the honest answer
        }
    }

    /// <summary>"a FIFO (named pipe)", "a character device", ...: for messages.</summary>
    public static string Describe(FileKind kind) => kind switch
    {
        FileKind.Regular => "a regular file",
        FileKind.Directory => "a folder",
        FileKind.SymbolicLink => "a symbolic link",
        FileKind.Fifo => "a FIFO (named pipe)",
        FileKind.Socket => "a socket",
        FileKind.CharacterDevice => "a character device",
        FileKind.BlockDevice => "a block device",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>struct statx: stx_mode (u16) at 28, stx_ino at 32, stx_size at 40, stx_dev_major/minor at 136/140.</summary>
    private static FileStatus Parse(ReadOnlySpan<byte> record)
    {
        int mode = BinaryPrimitives.ReadUInt16LittleEndian(record[28..]);
        var kind = (mode & 0xF000) switch
        {
            0x8000 => FileKind.Regular,
            0x4000 => FileKind.Directory,
            0xA000 => FileKind.SymbolicLink,
            0x1000 => FileKind.Fifo,
            0xC000 => FileKind.Socket,
            0x2000 => FileKind.CharacterDevice,
            _ => FileKind.BlockDevice,
        };
        ulong device = ((ulong)BinaryPrimitives.ReadUInt32LittleEndian(record[136..]) << 32) | BinaryPrimitives.ReadUInt32LittleEndian(record[140..]);
        return new FileStatus(kind, (long)BinaryPrimitives.ReadUInt64LittleEndian(record[40..]), device, BinaryPrimitives.ReadUInt64LittleEndian(record[32..]));
    }

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static unsafe partial int statx(int directory, string path, int flags, uint mask, byte* record);

    // open(2) is variadic; its third argument (the mode) is read only with O_CREAT, and on Linux x64 and arm64 it
    // travels as a fixed int argument does.
    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int open(string path, int flags, int mode);
}

/// <summary>A file that is not read at all: missing, not a regular file, or not openable; the message names it and says why.</summary>
public sealed class FileRefusedException(string path, string reason) : IOException($"{path}: {reason}")
{
    public string Path { get; } = path;

    public string Reason { get; } = reason;
}
