using System.Text.RegularExpressions;

namespace DctNet.Cli.Tests;

public class BenchTests
{
    [Fact]
    public void Bench_transform_prints_the_single_and_multi_thread_lines_and_cleans_up()
    {
        string[] ScratchFolders() => Directory.GetDirectories(Path.GetTempPath(), "dctnet-bench-*");
        var before = ScratchFolders();

        var result = CliHarness.Run("bench", "transform", "--data", CliHarness.Images, "--limit", "4", "--threads", "2", "--warmup", "1", "--resize", "64", "--crop", "48");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Matches(new Regex(@"^single-thread: \d+\.\d images/s \(\d+\.\d\d ms/image\)$", RegexOptions.Multiline), result.Out);
        Assert.Matches(new Regex(@"^2 threads: \d+\.\d images/s$", RegexOptions.Multiline), result.Out);
        Assert.Contains("4 images from", result.Out);
        Assert.Equal(before, ScratchFolders());
    }
}
