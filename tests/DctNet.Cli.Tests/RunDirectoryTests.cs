using System.Diagnostics;
using DctNet.Training;

namespace DctNet.Cli.Tests;

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
        string metrics = Path.Combine(run, TrainingRun.MetricsFile);
        var clock = Stopwatch.StartNew();
        while (!(File.Exists(metrics) && File.ReadAllText(metrics).Contains('\n', StringComparison.Ordinal)))
        {
            Assert.False(child.HasExited, $"dctnet train exited with {(child.HasExited ? child.ExitCode : 0)} before its first epoch");
            Assert.True(clock.Elapsed < TimeSpan.FromMinutes(3), "dctnet train committed no epoch in 3 minutes");
            Thread.Sleep(100);
        }
    }
}
