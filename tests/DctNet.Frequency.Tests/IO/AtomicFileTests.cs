using System.Diagnostics;
using DctNet.Frequency.IO;

namespace DctNet.Frequency.Tests.IO;

/// <summary>Write-then-rename: a failed write changes nothing and leaves nothing; killed writers' leftovers are found by name.</summary>
public sealed class AtomicFileTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("dctnet-atomic-").FullName;

    [Fact]
    public void A_write_that_fails_like_a_full_disk_keeps_the_previous_file_and_leaves_no_temporary_one()
    {
        string path = Path.Combine(folder, "last.safetensors");
        File.WriteAllText(path, "the last good checkpoint");

        var error = Assert.Throws<IOException>(() => AtomicFile.Write(path, stream =>
        {
            stream.Write(new byte[100_000]);
            throw new IOException($"No space left on device : '{Path.Combine(folder, ".last.safetensors.1.tmp")}'");
        }));

        Assert.Equal($"{path}: not written (No space left on device); it keeps its previous content, if it had any.", error.Message);
        Assert.Equal("the last good checkpoint", File.ReadAllText(path));
        Assert.Equal([path], Directory.GetFiles(folder));
    }

    [Fact]
    public void A_completed_write_leaves_only_the_file()
    {
        string path = Path.Combine(folder, "options.json");
        AtomicFile.WriteAllText(path, "{}\n");

        Assert.Equal("{}\n", File.ReadAllText(path));
        Assert.Equal([path], Directory.GetFiles(folder));
    }

    [Fact]
    public void Only_temporary_files_of_writers_that_are_gone_are_removed()
    {
        int dead = ExitedProcessId();
        string abandoned = Touch($".last.safetensors.{dead}.{Guid.NewGuid():N}.tmp");
        string ownWrite = Touch($".best.safetensors.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        string initsWrite = Touch($".curves.png.1.{Guid.NewGuid():N}.tmp");
        string[] otherFiles = [Touch($"last.safetensors.{dead}.{Guid.NewGuid():N}.tmp"), Touch(".notes.tmp"), Touch($".x.{dead}.not-a-guid.tmp"), Touch("metrics.jsonl")];
        Directory.CreateDirectory(Path.Combine(folder, "tensorboard"));
        string below = Touch(Path.Combine("tensorboard", $".events.{dead}.{Guid.NewGuid():N}.tmp"));

        AtomicFile.RemoveAbandoned(folder, beforeThisProcessWrites: false);

        Assert.False(File.Exists(abandoned));
        Assert.All([ownWrite, initsWrite, below, .. otherFiles], path => Assert.True(File.Exists(path), path));
    }

    [Fact]
    public void Before_this_process_writes_a_temporary_file_with_its_own_process_id_is_an_earlier_runs_and_is_removed()
    {
        // In a container every run is PID 1: the killed run's file carries the id of the one that resumes it.
        string killedWithOurId = Touch($".train_state.safetensors.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");

        AtomicFile.RemoveAbandoned(folder, beforeThisProcessWrites: true);

        Assert.False(File.Exists(killedWithOurId));
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void An_abandoned_file_that_cannot_be_deleted_is_left_and_does_not_stop_the_cleanup()
    {
        int dead = ExitedProcessId();
        string stuck = Touch($".best.safetensors.{dead}.{Guid.NewGuid():N}.tmp");
        string other = Touch($".last.safetensors.{dead}.{Guid.NewGuid():N}.tmp");
        // An immutable file cannot be deleted even by root; without the capability to mark it so, a read-only folder
        // refuses every deletion to a user.
        bool immutable = MarkImmutable(stuck, true);
        if (!immutable)
            File.SetUnixFileMode(folder, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        try
        {
            AtomicFile.RemoveAbandoned(folder, beforeThisProcessWrites: false);

            Assert.True(File.Exists(stuck));
            if (immutable)
                Assert.False(File.Exists(other));
        }
        finally
        {
            if (immutable)
                MarkImmutable(stuck, false);
            else
                File.SetUnixFileMode(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    /// <summary>chattr +i or -i; false where the file system, the privileges or the tool are lacking.</summary>
    private static bool MarkImmutable(string path, bool immutable)
    {
        try
        {
            using var chattr = Process.Start(new ProcessStartInfo("chattr", [immutable ? "+i" : "-i", path]) { RedirectStandardError = true })!;
            chattr.WaitForExit();
            return chattr.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    private string Touch(string name)
    {
        string path = Path.Combine(folder, name);
        File.WriteAllText(path, "partial");
        return path;
    }

    /// <summary>The id of a process that has ended (and been reaped).</summary>
    private static int ExitedProcessId()
    {
        using var process = Process.Start("true")!;
        process.WaitForExit();
        return process.Id;
    }

    public void Dispose() => Directory.Delete(folder, recursive: true);
}
