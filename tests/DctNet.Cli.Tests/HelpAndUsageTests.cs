namespace DctNet.Cli.Tests;

public class HelpAndUsageTests
{
    [Fact]
    public void Root_help_lists_the_commands()
    {
        var result = CliHarness.Run("--help");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("transform", result.Out);
        Assert.Contains("bench", result.Out);
        foreach (string command in new[] { "predict", "eval", "convert" })
            Assert.Contains($"  dctnet {command} --model", result.Out);
        Assert.Equal("", result.Error);
    }

    [Theory]
    [InlineData("transform", "--channels", "[default: 24]")]
    [InlineData("transform", "--stats", "--raw")]
    [InlineData("transform", "--threads", "--max-pixels")]
    [InlineData("bench transform", "--limit", "[default: 200]")]
    [InlineData("bench", "transform", "Example")]
    [InlineData("predict", "--input-tensor", "--logits")]
    [InlineData("predict", "--topk", "[default: 5]")]
    [InlineData("eval", "--data", "--json")]
    [InlineData("convert", "--out", "--release-layout")]
    public void Every_command_has_help_with_options_defaults_and_examples(string command, string expected1, string expected2)
    {
        var result = CliHarness.Run([.. command.Split(' '), "--help"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains(expected1, result.Out);
        Assert.Contains(expected2, result.Out);
        Assert.Contains("Example", result.Out);
    }

    [Theory]
    [InlineData("--channels 7", "7")]
    [InlineData("--channels nope.json", "nope.json")]
    [InlineData("--raw --stats stats.json", "--raw")]
    [InlineData("--threads 0", "--threads")]
    [InlineData("--threads many", "many")]
    [InlineData("--crop 50", "50")]
    [InlineData("--geometry vgg", "vgg")]
    [InlineData("--stats missing.json", "missing.json")]
    [InlineData("--bogus", "--bogus")]
    public void Bad_options_give_one_line_and_exit_code_2(string options, string mentioned)
    {
        string image = Path.Combine(CliHarness.Images, "jpeg_420.jpg");
        var result = CliHarness.Run(["transform", image, "--out", Path.Combine(Path.GetTempPath(), "never-written.npy"), .. options.Split(' ')]);

        AssertUsageError(result, mentioned);
    }

    [Fact]
    public void Missing_input_is_a_usage_error()
    {
        using var harness = new CliHarness();
        var result = CliHarness.Run("transform", harness.PathIn("no-such-image.jpg"), "--out", harness.PathIn("out.npy"));

        AssertUsageError(result, "no-such-image.jpg");
        Assert.Empty(CliHarness.FilesBelow(harness.Temp));
    }

    [Theory]
    [InlineData("transform")]
    [InlineData("transform image.jpg")]
    [InlineData("bench")]
    [InlineData("bench transform")]
    [InlineData("bench transform --data /no/such/folder")]
    [InlineData("frobnicate")]
    [InlineData("predict image.jpg")]
    [InlineData("predict --model resnet50 image.jpg")]
    [InlineData("eval --model resnet50 --weights w.pth")]
    [InlineData("convert --model resnet50 --weights w.pth")]
    public void Incomplete_commands_are_usage_errors(string args)
    {
        AssertUsageError(CliHarness.Run(args.Split(' ')), "error:");
    }

    private static void AssertUsageError(CliResult result, string mentioned)
    {
        Assert.True(result.ExitCode == ExitCodes.Usage, result.ToString());
        var line = Assert.Single(result.ErrorLines);
        Assert.StartsWith("error: ", line);
        Assert.Contains(mentioned, line);
        Assert.DoesNotContain("   at ", result.Error);
        Assert.Equal("", result.Out);
    }
}
