using System.Diagnostics;
using DctNet.Checkpoints;
using DctNet.Frequency.IO;
using DctNet.Training;

namespace DctNet.Tests.Training;

/// <summary>
/// A run directory has one writer: a second run in it is refused with the owner named, and claiming it clears what
/// killed writers left. (flock is per open file, so two runs of this one process contend as two processes do; the
/// CLI tests kill a real second process.)
/// </summary>
[Collection(SharedTorchGenerator.Name)]
public class RunDirectoryLockTests
{
    [Fact]
    public void A_second_run_in_a_held_directory_is_refused_naming_the_owner_and_the_directory_is_free_once_the_first_closes()
    {
        using var tiny = new TinyRun();
        string directory = tiny.RunDirectory("run");
        string owner = $"{directory}: in use by process {Environment.ProcessId} on {Environment.MachineName} since ";
        using (var first = TrainingRun.Start(tiny.Options(epochs: 2), directory, TinyRun.Build))
        {
            first.RunEpoch();
            string options = File.ReadAllText(Path.Combine(directory, RunLedger.OptionsFile));

            var start = Assert.Throws<IOException>(() => TrainingRun.Start(tiny.Options(epochs: 2) with { Seed = 8 }, directory, TinyRun.Build));
            var resume = Assert.Throws<IOException>(() => TrainingRun.Resume(directory, TinyRun.Build));

            Assert.StartsWith(owner, start.Message);
            Assert.StartsWith(owner, resume.Message);
            Assert.Equal(options, File.ReadAllText(Path.Combine(directory, RunLedger.OptionsFile)));
            Assert.Single(File.ReadAllLines(Path.Combine(directory, RunLedger.MetricsFile)));
        }

        using (var resumed = TrainingRun.Resume(directory, TinyRun.Build))
            Assert.Equal(1, resumed.Ledger.CompletedEpochs);
        // Read once released: .NET's own reads take a shared flock, which the held file refuses.
        Assert.StartsWith($"process {Environment.ProcessId} on ", File.ReadAllText(Path.Combine(directory, RunDirectoryLock.FileName)));
    }

    [Fact]
    public void Claiming_a_directory_removes_the_temporary_files_of_killed_writers_and_keeps_a_live_ones()
    {
        using var tiny = new TinyRun();
        string directory = tiny.RunDirectory("run");
        using (var run = TrainingRun.Start(tiny.Options(epochs: 2), directory, TinyRun.Build))
            run.RunEpoch();
        using var writer = Process.Start("sleep", ["60"])!;
        try
        {
            string abandoned = Path.Combine(directory, $".train_state.safetensors.{ExitedProcessId()}.{Guid.NewGuid():N}.tmp");
            // A killed run that had this process's id, as every run has PID 1 in a container.
            string abandonedWithOurId = Path.Combine(directory, $".last.safetensors.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
            string live = Path.Combine(directory, $".result.json.{writer.Id}.{Guid.NewGuid():N}.tmp");
            File.WriteAllBytes(abandoned, new byte[1000]);
            File.WriteAllBytes(abandonedWithOurId, new byte[1000]);
            File.WriteAllBytes(live, new byte[10]);

            using (TrainingRun.Resume(directory, TinyRun.Build))
            {
                Assert.False(File.Exists(abandoned));
                Assert.False(File.Exists(abandonedWithOurId));
                Assert.True(File.Exists(live));
            }
        }
        finally
        {
            writer.Kill();
        }
    }

    [Fact]
    public void A_start_refused_for_its_data_leaves_no_directory_behind()
    {
        using var tiny = new TinyRun();
        string directory = tiny.RunDirectory("run");

        Assert.Throws<ArgumentException>(() => TrainingRun.Start(tiny.Options(epochs: 1) with { Data = tiny.RunDirectory("missing") }, directory, TinyRun.Build));

        Assert.False(Directory.Exists(directory));
    }

    [Fact]
    public void A_start_refused_for_its_starting_weights_or_statistics_leaves_no_directory_behind()
    {
        using var tiny = new TinyRun();
        string corrupt = Path.Combine(tiny.Root, "corrupt.pth");
        File.WriteAllText(corrupt, "not a checkpoint");
        string directory = tiny.RunDirectory("new");

        var init = Assert.Throws<CheckpointException>(() => TrainingRun.Start(tiny.Options(epochs: 1) with { Init = corrupt }, directory, TinyRun.Build));
        var stats = Assert.Throws<ArgumentException>(() => TrainingRun.Start(tiny.Options(epochs: 1) with { Model = "resnet50-dct", Stats = corrupt }, directory));

        Assert.StartsWith($"{corrupt}: ", init.Message);
        Assert.StartsWith($"{corrupt}: not a statistics file", stats.Message);
        Assert.False(Directory.Exists(directory));
    }

    [Fact]
    public void A_resume_refuses_an_options_file_edited_past_the_bounds_naming_the_file()
    {
        using var tiny = new TinyRun();
        string directory = tiny.RunDirectory("run");
        string optionsPath = Path.Combine(directory, RunLedger.OptionsFile);
        Directory.CreateDirectory(directory);
        var options = tiny.Options(epochs: 1);
        (TrainingOptions Edited, string Error)[] cases =
        [
            (options with { Threads = 1_000_000 }, "threads must be from 1 to 1024, got 1000000."),
            (options with { BatchSize = 2_000_000_000 }, "batch size must be from 1 to 1024, got 2000000000."),
            (options with { Crop = 7 }, "crop must be a positive multiple of 8 up to 4096, got 7."),
            (options with { Resize = 100_000 }, "resize must be from 1 to 8192, got 100000."),
            (options with { Epochs = int.MaxValue }, "epochs must be from 1 to 10000, got 2147483647."),
        ];
        foreach (var (edited, expected) in cases)
        {
            File.WriteAllText(optionsPath, edited.ToJson());

            var error = Assert.Throws<CheckpointException>(() => TrainingRun.Resume(directory, TinyRun.Build));

            Assert.Equal($"{optionsPath}: {expected}", error.Message);
        }
    }

    [Fact]
    public void A_directory_that_holds_a_run_is_refused_to_a_new_one_and_keeps_its_options()
    {
        using var tiny = new TinyRun();
        string directory = tiny.RunDirectory("run");
        using (TrainingRun.Start(tiny.Options(epochs: 1), directory, TinyRun.Build))
        {
        }

        var error = Assert.Throws<ArgumentException>(() => TrainingRun.Start(tiny.Options(epochs: 1) with { Seed = 8 }, directory, TinyRun.Build));

        Assert.Contains("already holds a run", error.Message);
        Assert.Equal(7, TrainingOptions.FromJson(File.ReadAllText(Path.Combine(directory, RunLedger.OptionsFile))).Seed);
    }

    [Fact]
    public void A_lock_file_that_links_elsewhere_is_refused_and_the_file_it_names_keeps_its_content()
    {
        using var tiny = new TinyRun();
        string directory = tiny.RunDirectory("received");
        Directory.CreateDirectory(directory);
        string victim = Path.Combine(tiny.Root, "thesis.tex");
        File.WriteAllText(victim, "three years of work");
        string lockPath = Path.Combine(directory, RunDirectoryLock.FileName);
        File.CreateSymbolicLink(lockPath, victim);

        var error = Assert.Throws<FileRefusedException>(() => RunDirectoryLock.Acquire(directory));

        Assert.Equal($"{lockPath}: a symbolic link, not a regular file", error.Message);
        Assert.Equal("three years of work", File.ReadAllText(victim));
    }

    [Fact]
    public void A_lock_file_that_is_a_FIFO_is_refused_by_name()
    {
        using var tiny = new TinyRun();
        string directory = tiny.RunDirectory("received");
        Directory.CreateDirectory(directory);
        string lockPath = Path.Combine(directory, RunDirectoryLock.FileName);
        MakeFifo(lockPath);

        var error = Assert.Throws<FileRefusedException>(() => RunDirectoryLock.Acquire(directory));

        Assert.Equal($"{lockPath}: a FIFO (named pipe), not a regular file", error.Message);
    }

    [Fact]
    public void Metrics_are_never_appended_or_read_through_a_link()
    {
        using var tiny = new TinyRun();
        string victim = Path.Combine(tiny.Root, "thesis.tex");
        File.WriteAllText(victim, "three years of work");
        string metrics = Path.Combine(tiny.Root, RunLedger.MetricsFile);
        File.CreateSymbolicLink(metrics, victim);

        var append = Assert.Throws<FileRefusedException>(() => CommittedMetrics.Append(metrics, "{\"epoch\": 1}", epoch: 1));
        var reconcile = Assert.Throws<FileRefusedException>(() => CommittedMetrics.Reconcile(metrics, 1, "{\"epoch\": 1}", _ => 1));

        Assert.Equal($"{metrics}: a symbolic link, not a regular file", append.Message);
        Assert.Equal($"{metrics}: a symbolic link, not a regular file", reconcile.Message);
        Assert.Equal("three years of work", File.ReadAllText(victim));
    }

    [Fact]
    public void Metrics_that_are_a_FIFO_are_refused_rather_than_waited_on()
    {
        using var tiny = new TinyRun();
        string metrics = Path.Combine(tiny.Root, RunLedger.MetricsFile);
        MakeFifo(metrics);

        var append = Assert.Throws<FileRefusedException>(() => CommittedMetrics.Append(metrics, "{\"epoch\": 1}", epoch: 1));
        var reconcile = Assert.Throws<FileRefusedException>(() => CommittedMetrics.Reconcile(metrics, 1, "{\"epoch\": 1}", _ => 1));

        Assert.Equal($"{metrics}: a FIFO (named pipe), not a regular file", append.Message);
        Assert.Equal($"{metrics}: a FIFO (named pipe), not a regular file", reconcile.Message);
    }

    private static void MakeFifo(string path)
    {
        using var mkfifo = Process.Start("mkfifo", [path])!;
        mkfifo.WaitForExit();
        Assert.Equal(0, mkfifo.ExitCode);
    }

    /// <summary>The id of a process that has ended (and been reaped), as a killed writer's is.</summary>
    private static int ExitedProcessId()
    {
        using var process = Process.Start("true")!;
        process.WaitForExit();
        return process.Id;
    }
}
