namespace DctNet.Cli.Tests.Commands;

public class ModelCommandsTests
{
    [Fact]
    public void Models_lists_the_registry_with_inputs()
    {
        var result = CliHarness.Run("models");
        Assert.True(result.ExitCode == 0, result.ToString());
        foreach (string name in new[] { "resnet50", "resnet50-dct", "resnet50-dct-s2", "resnet18-dct", "mobilenetv2", "mobilenetv2-dct" })
            Assert.Contains(name + " ", result.Out);
        Assert.Contains("DCT C x 112 x 112", result.Out);
    }

    [Fact]
    public void Info_reports_torchvision_resnet18_size_and_cost()
    {
        var result = CliHarness.Run("info", "--model", "resnet18");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("11,689,512", result.Out); // torchvision's resnet18 parameter count
        Assert.Contains("1.814 GMAC", result.Out); // 1,814,073,344 multiply-accumulates at 224 x 224
        Assert.Contains("3 x 224 x 224", result.Out);
        Assert.Equal(["model:", "input:", "parameters:", "MACs/image:", "inference:"], result.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line.Split(' ')[0]));
        Assert.Contains("inference:   onnxruntime engine on the CPU", result.Out);
    }

    [Fact]
    public void Info_of_a_dct_model_uses_its_channels()
    {
        var result = CliHarness.Run("info", "--model", "resnet18-dct-s2", "--channels", "64");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("64 x 56 x 56", result.Out);
    }

    [Theory]
    [InlineData("--model", "resnet51", "Known models")]
    [InlineData("--model", "resnet50", "--channels", "24", "takes RGB images")]
    [InlineData("--model", "mobilenetv2-dct", "--channels", "64", "1 to 32 DCT channels or all 192")]
    [InlineData("--model", "resnet50-dct", "--gate", "192")]
    public void Refusals_are_one_line_usage_errors(params string[] argsAndExpected)
    {
        var result = CliHarness.Run(["info", .. argsAndExpected[..^1]]);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains(argsAndExpected[^1], result.Error);
        Assert.DoesNotContain("(Parameter", result.Error);
        Assert.Single(result.Error.Trim().Split('\n'));
    }

    [Fact]
    public void Bench_model_prints_images_per_second()
    {
        var result = CliHarness.Run("bench", "model", "--model", "resnet18-dct-s2", "--channels", "6", "--batch-size", "2", "--batches", "1", "--threads", "1");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Matches(@"(?m)^\d+(\.\d+)? images/s$", result.Out);
    }

    [Fact]
    public void Bench_train_prints_images_per_second()
    {
        var result = CliHarness.Run("bench", "train", "--model", "resnet18-dct-s2", "--channels", "6", "--classes", "2", "--batch-size", "2", "--steps", "1", "--threads", "1");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("SGD, batch 2", result.Out);
        Assert.Matches(@"(?m)^\d+(\.\d+)? images/s$", result.Out);
    }
}
