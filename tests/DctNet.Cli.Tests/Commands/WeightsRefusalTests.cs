namespace DctNet.Cli.Tests.Commands;

/// <summary>Weights that contradict the command line, do not fit the model, or are unsafe: one line, and exit 2 or 1.</summary>
public sealed class WeightsRefusalTests(TrainedWeights weights) : IClassFixture<TrainedWeights>
{
    private static readonly string Fixtures = Path.Combine(CliHarness.RepositoryRoot, "tests", "fixtures");

    private static readonly string Image = CliHarness.PathOfImage("jpeg_420.jpg");

    [Theory]
    [InlineData("--model resnet18-dct", "the checkpoint holds a resnet18-dct-s2 model, but resnet18-dct was asked for.")]
    [InlineData("--model resnet18-dct-s2 --channels 24", "the checkpoint was trained on channels 6, but channels 24 were asked for; leave the channels out to use the checkpoint's.")]
    [InlineData("--model resnet18-dct-s2 --classes 1000", "the classifier has 2 outputs (fc.weight is [2, 512]), but 1000 classes were asked for.")]
    public void Options_that_the_checkpoint_contradicts_are_one_line_usage_errors(string options, string message)
    {
        using var harness = new CliHarness();
        string data = TwoClassFolder(harness);
        foreach (string command in new[] { "predict", "eval", "convert" })
        {
            string[] rest = command switch
            {
                "predict" => [Image],
                "eval" => ["--data", data],
                _ => ["--out", harness.PathIn("never-written.safetensors")],
            };

            var result = CliHarness.Run([command, "--weights", weights.Checkpoint, .. options.Split(' '), .. rest]);

            Assert.True(result.ExitCode == ExitCodes.Usage, result.ToString());
            Assert.Equal($"error: {weights.Checkpoint}: {message} (see 'dctnet {command} --help')", Assert.Single(result.ErrorLines));
            Assert.Equal("", result.Out);
        }
    }

    [Fact]
    public void Weights_that_do_not_fit_the_model_are_one_line_failures_naming_the_keys()
    {
        // No metadata in a PyTorch file: the channels default to 24, which the weights' layer1 does not take.
        var result = CliHarness.Run("predict", "--model", TrainedWeights.Model, "--weights", weights.ReleaseFile, Image);

        Assert.Equal(ExitCodes.Failure, result.ExitCode);
        string line = Assert.Single(result.ErrorLines);
        Assert.StartsWith($"error: {weights.ReleaseFile}: the weights do not match the model shape mismatches, file vs model (2): ", line);
        Assert.Contains("model.0.0.conv1.weight: [64, 6, 3, 3] vs [64, 24, 3, 3]", line);
    }

    [Theory]
    [InlineData("predict", "malicious_os_system.zip.pth", "posix.system")]
    [InlineData("eval", "malicious_os_system.legacy.pth", "posix.system")]
    [InlineData("convert", "malicious_eval.protocol4.zip.pth", "builtins.eval")]
    public void Malicious_checkpoints_are_refused_in_one_line_and_run_nothing(string command, string file, string global)
    {
        using var harness = new CliHarness();
        const string marker = "/tmp/dctnet_pwned";
        File.Delete(marker);
        string path = Path.Combine(Fixtures, "checkpoints", file);
        string[] rest = command switch
        {
            "predict" => [Image],
            "eval" => ["--data", TwoClassFolder(harness)],
            _ => ["--out", harness.PathIn("never-written.pth")],
        };

        var result = CliHarness.Run([command, "--model", "resnet50", "--weights", path, .. rest]);

        Assert.Equal(ExitCodes.Failure, result.ExitCode);
        Assert.Equal($"error: {path}: refuses to load global '{global}' (only tensors and plain containers are allowed)", Assert.Single(result.ErrorLines));
        Assert.False(File.Exists(marker), $"{marker} was created");
        Assert.DoesNotContain(CliHarness.FilesBelow(harness.Temp), f => f.StartsWith("never-written", StringComparison.Ordinal));
    }

    [Fact]
    public void A_truncated_checkpoint_and_an_empty_run_directory_are_one_line_failures()
    {
        using var harness = new CliHarness();
        Directory.CreateDirectory(harness.PathIn("run"));

        var truncated = CliHarness.Run("predict", "--model", "resnet50", "--weights", Path.Combine(Fixtures, "checkpoints", "truncated.zip.pth"), Image);
        var empty = CliHarness.Run("predict", "--model", "resnet50", "--weights", harness.PathIn("run"), Image);

        Assert.Equal(ExitCodes.Failure, truncated.ExitCode);
        Assert.StartsWith($"error: {Path.Combine(Fixtures, "checkpoints", "truncated.zip.pth")}: ", Assert.Single(truncated.ErrorLines));
        Assert.Equal(ExitCodes.Failure, empty.ExitCode);
        Assert.Equal($"error: {harness.PathIn("run")}: a directory without best.safetensors or last.safetensors; give a weights file or a DctNet training run directory.",
            Assert.Single(empty.ErrorLines));
    }

    private static string TwoClassFolder(CliHarness harness)
    {
        harness.CopyImage("jpeg_420.jpg", Path.Combine("val", "ants", "a.jpg"));
        harness.CopyImage("png_rgb.png", Path.Combine("val", "bees", "b.png"));
        return harness.PathIn("val");
    }
}
