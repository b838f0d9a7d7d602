using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using DctNet.Frequency.IO;
using Microsoft.Win32.SafeHandles;

namespace DctNet.Training;

/// <summary>
/// One process's claim on a run directory, held while a training writes it (<see cref="TrainingRun"/>, and detection's
/// run): a second process that would write the same options, checkpoints and metrics is refused with the owner's pid,
/// and a killed owner's claim is gone with it. Claiming also removes the temporary files that writers killed in the
/// directory left behind, which only the directory's owner may safely do.
/// </summary>
/// <remarks>
/// The claim is an exclusive flock(2) on <see cref="FileName"/>. The kernel releases it when the process ends in any
/// way, SIGKILL and the OOM killer included, so no stale lock outlives its owner, as a pid file's would (and a pid file
/// cannot tell a live owner from a recycled pid). .NET's FileShare.None is flock too, but with it every other .NET open
/// of the file takes a shared flock and fails, so the refused process could not read who holds the directory: the file
/// is opened with open(2) itself (<see cref="FileProbe.OpenOrCreateRegularFile"/>) and read and written without .NET's
/// locks (while it is held, .NET's File.ReadAllText of it is refused as well; cat reads it). It is opened close-on-exec,
/// so that child processes do not inherit the claim and keep it after the owner's death, and never through a symbolic
/// link nor as a FIFO or device: a run directory received from someone else could otherwise make the owner line
/// overwrite and cut any file the user may write. The file stays after release: deleting it
/// would let a process that opened the old file and one that creates a new one both hold "the" lock.
/// </remarks>
public sealed class RunDirectoryLock : IDisposable
{
    /// <summary>The lock file; it names the process that holds the directory, or held it last.</summary>
    public const string FileName = "run.lock";

    // Linux's values (x64 and arm64 alike).
    private const int LockExclusive = 2, LockNonBlocking = 4; // LOCK_EX, LOCK_NB
    private const int WouldBlock = 11; // EWOULDBLOCK
    private const int OwnerBytes = 256;

    private readonly SafeFileHandle file;

    private RunDirectoryLock(string directory, SafeFileHandle file)
    {
        Directory = directory;
        this.file = file;
    }

    public string Directory { get; }

    /// <summary>
    /// Claims <paramref name="directory"/> (created if needed) for this process and removes the temporary files that
    /// killed writers left in it.
    /// </summary>
    /// <exception cref="IOException">
    /// Another live process holds the directory (the message names it), or the lock file cannot be written or is not
    /// a regular file (<see cref="FileRefusedException"/>).
    /// </exception>
    public static RunDirectoryLock Acquire(string directory)
    {
        if (!OperatingSystem.IsLinux())
            throw new PlatformNotSupportedException($"{directory}: run directories are claimed with Linux's flock; DctNet trains on Linux.");
        System.IO.Directory.CreateDirectory(directory);
        string path = Path.Combine(directory, FileName);
        var (file, _) = FileProbe.OpenOrCreateRegularFile(path);
        try
        {
            if (Flock(file, LockExclusive | LockNonBlocking) != 0)
            {
                int error = Marshal.GetLastPInvokeError();
                throw new IOException(error == WouldBlock
                    ? $"{directory}: in use by {Owner(file)}; a run directory is written by one process at a time."
                    : $"{path}: cannot lock the run directory ({Marshal.GetPInvokeErrorMessage(error)}).");
            }
            // Before the owner line, which may need a block of a full disk that the abandoned files free. No write of this
            // process is under way here before it holds the claim, so a file with its pid is a killed run's that had the
            // same one (every run is PID 1 in a container).
            AtomicFile.RemoveAbandoned(directory, beforeThisProcessWrites: true);
            RecordOwner(file, path);
            return new RunDirectoryLock(directory, file);
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }

    /// <summary>Claims <paramref name="directory"/> for a new run: refused if it holds one already (<paramref name="marker"/>, a file every run writes first).</summary>
    /// <exception cref="ArgumentException">The directory holds a run.</exception>
    /// <exception cref="IOException">See <see cref="Acquire"/>.</exception>
    public static RunDirectoryLock AcquireForNewRun(string directory, string marker)
    {
        var claim = Acquire(directory);
        // Checked under the claim: a run that ended a moment ago is seen here, and no new one can start meanwhile.
        if (File.Exists(Path.Combine(directory, marker)))
        {
            claim.Dispose();
            throw new ArgumentException($"{directory} already holds a run ({marker}); resume it or choose another directory.");
        }
        return claim;
    }

    /// <summary>Overwritten in place, then cut to length: a full disk may have no block for a rewritten file.</summary>
    private static void RecordOwner(SafeFileHandle file, string path)
    {
        byte[] owner = Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture,
            $"process {Environment.ProcessId} on {Environment.MachineName} since {DateTime.UtcNow:yyyy-MM-dd HH:mm:ss}Z\n"));
        try
        {
            RandomAccess.Write(file, owner, 0);
            RandomAccess.SetLength(file, owner.Length);
        }
        catch (IOException e)
        {
            throw new IOException($"{path}: cannot record this process as the run directory's owner ({IOFailure.Reason(e)}).", e);
        }
    }

    /// <summary>The owner's line, as one line of bounded length whatever the file holds.</summary>
    private static string Owner(SafeFileHandle file)
    {
        var buffer = new byte[OwnerBytes];
        int read = RandomAccess.Read(file, buffer, 0);
        string line = new([.. Encoding.UTF8.GetString(buffer, 0, read).Select(c => char.IsControl(c) ? ' ' : c)]);
        return line.Trim() is { Length: > 0 } owner ? owner : "another process (not yet recorded)";
    }

    /// <summary>Releases the claim (closing the file releases the flock); disposing again does nothing.</summary>
    public void Dispose() => file.Dispose();

    [DllImport("libc", EntryPoint = "flock", SetLastError = true)]
    private static extern int Flock(SafeFileHandle file, int operation);
}
