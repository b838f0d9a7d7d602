using System.Runtime.InteropServices;
using System.Text;

namespace DctNet.Fuzz;

/// <summary>File system entries .NET cannot make itself: FIFOs, sockets, and names that are not UTF-8 (made from raw bytes).</summary>
public static partial class HostileFiles
{
    /// <summary>A FIFO at <paramref name="path"/>: opening it for reading blocks until a writer comes, which none will.</summary>
    public static void MakeFifo(string path)
    {
        if (mkfifo(path, 0b110_100_100) != 0)
            throw new IOException($"mkfifo {path}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
    }

    /// <summary>
    /// A Unix-domain socket's file system entry at <paramref name="path"/>, made with mknod (.NET's Socket removes the
    /// entry it bound when it is closed).
    /// </summary>
    public static void MakeSocket(string path)
    {
        const uint SocketType = 0xC000; // S_IFSOCK
        if (mknod(path, SocketType | 0b110_100_100, 0) != 0)
            throw new IOException($"mknod {path}: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
    }

    /// <summary>
    /// Writes <paramref name="content"/> to a file in <paramref name="directory"/> whose name is <paramref name="name"/>'s
    /// bytes, valid UTF-8 or not; returns the path as .NET spells it (each invalid byte as U+FFFD).
    /// </summary>
    public static unsafe string WriteWithRawName(string directory, byte[] name, ReadOnlySpan<byte> content)
    {
        byte[] path = [.. Encoding.UTF8.GetBytes(directory), (byte)'/', .. name, 0];
        int descriptor;
        fixed (byte* pathBytes = path)
            descriptor = creat(pathBytes, 0b110_100_100);
        if (descriptor < 0)
            throw new IOException($"creat: {Marshal.GetPInvokeErrorMessage(Marshal.GetLastPInvokeError())}");
        using var handle = new Microsoft.Win32.SafeHandles.SafeFileHandle(descriptor, ownsHandle: true);
        RandomAccess.Write(handle, content, 0);
        return Path.Combine(directory, Encoding.UTF8.GetString(name));
    }

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int mkfifo(string path, uint mode);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int mknod(string path, uint mode, ulong device);

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial int creat(byte* path, uint mode);
}
