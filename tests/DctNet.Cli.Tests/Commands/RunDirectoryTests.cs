using System.Diagnostics;
using DctNet.Training;

namespace DctNet.Cli.Tests.Commands;

/// <summary>
/// Run directories against real second processes: the dctnet binary trains in a child process while this one tries
/// the same directory, and is SIGKILLed.
/// </summary>
public sealed class RunDirectoryTests
{
    private static string[] TrainArguments(string data, string run, int epochs) =>
        ["train", "--model", "resnet18-dct-s2", "--channels", "6", "--data", data, "--out", run, "--batch-size", "2", "--threads", "1",
            "--epochs", epochs.ToString(System.Globalization.CultureInfo.InvariantCulture)];

    private static string MakeDataset(CliHarness harness)
    {
        harness.CopyImage("jpeg_420.jpg", "data/train/ants/a.jpg");
        harness.CopyImage("png_rgb.png", "data/train/bees/b.png");
        harness.CopyImage("jpeg_progressive.jpg", "data/val/ants/c.jpg");
        harness.CopyImage("webp_lossy.webp", "data/val/bees/d.webp");
        return harness.PathIn("data");
    }

    [Fact]
    public void A_second_training_is_refused_while_the_first_runs_and_resume_takes_over_once_it_is_killed()
    {
        using var harness = new CliHarness();
        string data = MakeDataset(harness);
        string run = harness.PathIn("run");
        using var owner = StartDctnet(TrainArguments(data, run, epochs: 1000));
        try
        {
            WaitForCommittedEpoch(owner, run);
            string refusal = $"error: {run}: in use by process {owner.Id} on {Environment.MachineName} since ";

            var second = CliHarness.Run(TrainArguments(data, run, epochs: 1));
            var resume = CliHarness.Run("train", "--resume", run);

            Assert.True(second.ExitCode == 1 && second.ErrorLines is [var secondLine] && secondLine.StartsWith(refusal, StringComparison.Ordinal), second.ToString());
            Assert.True(resume.ExitCode == 1 && resume.ErrorLines is [var resumeLine] && resumeLine.StartsWith(refusal, StringComparison.Ordinal), resume.ToString());
        }
        finally
        {
            owner.Kill(); // SIGKILL: no handler of the owner's runs
            owner.WaitForExit();
        }
        // What a write the kill cut short leaves; the owner may also have been killed in one of its own.
        File.WriteAllBytes(Path.Combine(run, $".last.safetensors.{owner.Id}.{Guid.NewGuid():N}.tmp"), new byte[4096]);

        // Interrupted at once, so that the resume claims the directory and stops before an epoch.
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        using var interrupt = new CancellationTokenSource();
        interrupt.Cancel();
        int exitCode = DctNetCli.Run(["train", "--resume", run], new CliContext(stdout, stderr, interactive: false, interrupt.Token));

        Assert.True(exitCode == 130, $"exit {exitCode}\n{stdout}{stderr}");
        Assert.Contains("resuming after epoch ", stdout.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(CliHarness.FilesBelow(run), file => file.EndsWith(".tmp", StringComparison.Ordinal));
        Assert.StartsWith($"process {Environment.ProcessId} on ", File.ReadAllText(Path.Combine(run, RunDirectoryLock.FileName)), StringComparison.Ordinal);
    }

    [Fact]
    public void Train_det_refuses_a_directory_another_process_holds()
    {
        using var harness = new CliHarness();
        string run = harness.PathIn("run");
        harness.Write("run/options.json", "{}"u8.ToArray());
        using (RunDirectoryLock.Acquire(run))
        {
            var result = CliHarness.Run("train-det", "--resume", run);

            Assert.Equal(1, result.ExitCode);
            Assert.StartsWith($"error: {run}: in use by process {Environment.ProcessId} on ", Assert.Single(result.ErrorLines), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_start_refused_for_a_corrupt_init_file_exits_1_and_leaves_no_run_directory()
    {
        using var harness = new CliHarness();
        string data = MakeDataset(harness);
        string run = harness.PathIn("new");
        harness.Write("corrupt.pth", "not a checkpoint"u8.ToArray());

        var result = CliHarness.Run([.. TrainArguments(data, run, epochs: 1), "--init", harness.PathIn("corrupt.pth")]);

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith($"error: {harness.PathIn("corrupt.pth")}: ", Assert.Single(result.ErrorLines), StringComparison.Ordinal);
        Assert.False(Directory.Exists(run));
    }

    [Fact]
    public void A_resume_refuses_an_options_json_edited_past_the_bounds_with_exit_1_naming_the_file()
    {
        using var harness = new CliHarness();
        string data = MakeDataset(harness);
        string run = harness.PathIn("run");
        var options = new TrainingOptions { Model = "resnet18-dct-s2", Data = data, Threads = 1_000_000 };
        harness.Write("run/options.json", System.Text.Encoding.UTF8.GetBytes(options.ToJson()));

        var result = CliHarness.Run("train", "--resume", run);

        Assert.Equal(1, result.ExitCode);
        Assert.Equal($"error: {Path.Combine(run, RunLedger.OptionsFile)}: threads must be from 1 to 1024, got 1000000.", Assert.Single(result.ErrorLines));
    }

    /// <summary>A write the file system refuses, as a full disk does, on any host: last.safetensors is a folder, so its rename fails.</summary>
    [Fact]
    public void A_refused_write_exits_1_with_one_line_naming_the_file_and_the_resume_and_leaves_no_temporary_file()
    {
        using var harness = new CliHarness();
        string data = MakeDataset(harness);
        string run = harness.PathIn("run");
        string last = Path.Combine(run, "last.safetensors");
        Directory.CreateDirectory(Path.Combine(last, "in-the-way"));

        var result = CliHarness.Run(TrainArguments(data, run, epochs: 1));

        Assert.Equal(1, result.ExitCode);
        string error = Assert.Single(result.ErrorLines);
        Assert.StartsWith($"error: {last}: not written (", error, StringComparison.Ordinal);
        Assert.EndsWith($"{run} keeps its last committed epoch; continue with: dctnet train --resume {run}", error, StringComparison.Ordinal);
        Assert.DoesNotContain(CliHarness.FilesBelow(run), file => file.EndsWith(".tmp", StringComparison.Ordinal));
        Assert.False(File.Exists(Path.Combine(run, RunLedger.StateFile)));
    }

    /// <summary>
    /// A real full disk: a tmpfs mounted in a user and mount namespace of its own, sized so that epoch 1's files fit
    /// and epoch 2's first checkpoint does not. The run stops with one line, keeps epoch 1 whole, and leaves no
    /// temporary file; a resume on the still full disk does the same; once there is room it finishes.
    /// </summary>
    [TmpfsFact]
    public void A_full_disk_stops_the_run_with_one_line_and_keeps_the_last_committed_epoch_whole()
    {
        using var harness = new CliHarness();
        string data = MakeDataset(harness);
        string mount = Directory.CreateDirectory(harness.PathIn("disk")).FullName;
        string report = Directory.CreateDirectory(harness.PathIn("report")).FullName;
        string run = Path.Combine(mount, "run");
        string script = harness.PathIn("full-disk.sh");
        File.WriteAllText(script, """
            set -u
            export LC_ALL=C
            mount=$1 data=$2 report=$3 host=$4 dll=$5
            dctnet() { "$host" exec "$dll" "$@"; }
            train=(train --model resnet18-dct-s2 --channels 6 --data "$data" --batch-size 2 --threads 1)
            mount -t tmpfs -o size=1g tmpfs "$mount" || exit 90
            # What epoch 1 leaves (best, last and the state: four checkpoints' worth), measured, plus half a checkpoint.
            dctnet "${train[@]}" --out "$mount/probe" --epochs 1 > /dev/null || exit 91
            size=$(( $(du -sb "$mount/probe" | cut -f1) + $(stat -c %s "$mount/probe/last.safetensors") / 2 ))
            rm -r "$mount/probe"
            mount -o remount,size=$size "$mount" || exit 92
            step() { name=$1; shift; dctnet "$@" > "$report/$name.out" 2> "$report/$name.err"; echo $? > "$report/$name.exit"
                     ls -A "$mount/run" > "$report/$name.files"; cp "$mount/run/metrics.jsonl" "$report/$name.metrics"; }
            step full "${train[@]}" --out "$mount/run" --epochs 2
            step resume-full train --resume "$mount/run"
            step eval eval --model resnet18-dct-s2 --weights "$mount/run" --data "$data/val" --threads 1
            mount -o remount,size=1g "$mount" || exit 93
            step resume-room train --resume "$mount/run"
            """);
        string host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } path ? path : "dotnet";
        var start = new ProcessStartInfo("unshare") { RedirectStandardError = true };
        foreach (string argument in (string[])["--user", "--map-root-user", "--mount", "bash", script, mount, data, report, host, typeof(DctNetCli).Assembly.Location])
            start.ArgumentList.Add(argument);
        using (var namespaced = Process.Start(start)!)
        {
            string errors = namespaced.StandardError.ReadToEnd();
            namespaced.WaitForExit();
            Assert.True(namespaced.ExitCode == 0, $"the full-disk script failed with {namespaced.ExitCode}: {errors}");
        }
        string Read(string name) => File.ReadAllText(Path.Combine(report, name));
        string[] keptFiles = ["best.safetensors", "curves.png", "last.safetensors", "metrics.jsonl", "options.json", "run.lock", "tensorboard", "train_state.safetensors"];

        foreach (string step in (string[])["full", "resume-full"])
        {
            Assert.Equal("1", Read($"{step}.exit").Trim());
            string error = Assert.Single(Read($"{step}.err").Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.Matches($"^error: {System.Text.RegularExpressions.Regex.Escape(run)}/(best|last|train_state)\\.safetensors: not written \\(No space left on device\\); ", error);
            Assert.EndsWith($"{run} keeps its last committed epoch; continue with: dctnet train --resume {run}", error, StringComparison.Ordinal);
            Assert.Equal(keptFiles, Read($"{step}.files").Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.StartsWith("{\"epoch\":1,", Assert.Single(Read($"{step}.metrics").Split('\n', StringSplitOptions.RemoveEmptyEntries)), StringComparison.Ordinal);
        }
        Assert.Contains("epoch 1/2: train loss", Read("full.out"), StringComparison.Ordinal);
        Assert.Contains("resuming after epoch 1 of 2", Read("resume-full.out"), StringComparison.Ordinal);
        Assert.Equal("0", Read("eval.exit").Trim());
        Assert.Equal("0", Read("resume-room.exit").Trim());
        Assert.Equal(2, Read("resume-room.metrics").Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    /// <summary>The dctnet of this build in a child process, its output drained (and dropped) so that it never blocks on a full pipe.</summary>
    private static Process StartDctnet(string[] arguments)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string argument in (string[])["exec", typeof(DctNetCli).Assembly.Location, .. arguments])
            start.ArgumentList.Add(argument);
        var process = Process.Start(start)!;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>Until the child has committed an epoch: then it holds the directory, and a resume has an epoch to resume after.</summary>
    private static void WaitForCommittedEpoch(Process child, string run)
    {
        string metrics = Path.Combine(run, RunLedger.MetricsFile);
        var clock = Stopwatch.StartNew();
        while (!(File.Exists(metrics) && File.ReadAllText(metrics).Contains('\n', StringComparison.Ordinal)))
        {
            Assert.False(child.HasExited, $"dctnet train exited with {(child.HasExited ? child.ExitCode : 0)} before its first epoch");
            Assert.True(clock.Elapsed < TimeSpan.FromMinutes(3), "dctnet train committed no epoch in 3 minutes");
            Thread.Sleep(100);
        }
    }
}

/// <summary>A fact that mounts a tmpfs in a user and mount namespace of its own; skipped with the reason where this host refuses that.</summary>
public sealed class TmpfsFactAttribute : FactAttribute
{
    public TmpfsFactAttribute()
    {
        if (!OperatingSystem.IsLinux())
        {
            Skip = "tmpfs and unshare are Linux's.";
            return;
        }
        try
        {
            var start = new ProcessStartInfo("unshare") { RedirectStandardError = true };
            foreach (string argument in (string[])["--user", "--map-root-user", "--mount", "mount", "-t", "tmpfs", "tmpfs", Path.GetTempPath()])
                start.ArgumentList.Add(argument);
            using var probe = Process.Start(start)!;
            string error = probe.StandardError.ReadToEnd().Trim();
            probe.WaitForExit();
            if (probe.ExitCode != 0)
                Skip = $"this host refuses a tmpfs in a namespace of its own ({error}); the full-disk test needs a small file system to fill.";
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            Skip = $"unshare cannot be run ({e.Message}); the full-disk test mounts a small tmpfs in a namespace of its own.";
        }
    }
}
