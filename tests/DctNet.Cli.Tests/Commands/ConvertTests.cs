using DctNet.Checkpoints;

namespace DctNet.Cli.Tests.Commands;

public sealed class ConvertTests(TrainedWeights weights) : IClassFixture<TrainedWeights>
{
    [Fact]
    public void Weights_round_trip_safetensors_to_pth_to_safetensors_unchanged()
    {
        using var harness = new CliHarness();
        string pth = harness.PathIn("out", "dct6.pth"), back = harness.PathIn("back.safetensors");

        var toPyTorch = CliHarness.Run("convert", "--model", TrainedWeights.Model, "--weights", weights.Checkpoint, "--out", pth);
        var toDctNet = CliHarness.Run("convert", "--model", TrainedWeights.Model, "--channels", "6", "--weights", pth, "--out", back);

        Assert.True(toPyTorch.ExitCode == 0, toPyTorch.ToString());
        Assert.True(toDctNet.ExitCode == 0, toDctNet.ToString());
        Assert.Equal($"{weights.Checkpoint} (safetensors) -> {pth} (PyTorch state_dict): resnet18-dct-s2, channels 6, 2 classes\n", toPyTorch.Out.ReplaceLineEndings("\n"));
        var original = DctNetCheckpoint.Load(weights.Checkpoint);
        var roundTripped = DctNetCheckpoint.Load(back);
        AssertSameWeights(original.Weights, PyTorchCheckpoint.ReadStateDict(pth));
        AssertSameWeights(original.Weights, roundTripped.Weights);
        Assert.Equal(original.Metadata.ToJson(), roundTripped.Metadata.ToJson());
    }

    [Fact]
    public void The_release_layout_is_what_the_release_saves()
    {
        using var harness = new CliHarness();
        string target = harness.PathIn("model_best.pth.tar");

        var result = CliHarness.Run("convert", "--model", TrainedWeights.Model, "--weights", weights.Checkpoint, "--out", target, "--release-layout");

        Assert.True(result.ExitCode == 0, result.ToString());
        var contents = PyTorchCheckpoint.Read(target);
        Assert.Equal("state_dict", contents.StateDictEntry);
        Assert.True(contents.DataParallelPrefixRemoved);
        Assert.Equal(["epoch", "arch", "best_prec1"], contents.IgnoredEntries);
        AssertSameWeights(DctNetCheckpoint.Load(weights.Checkpoint).Weights, contents.StateDict);
    }

    [Fact]
    public void A_PyTorch_file_becomes_a_DctNet_checkpoint_with_the_model_metadata()
    {
        using var harness = new CliHarness();
        string target = harness.PathIn("converted.safetensors");

        var result = CliHarness.Run("convert", "--model", TrainedWeights.Model, "--channels", "6", "--weights", weights.ReleaseFile, "--out", target);

        Assert.True(result.ExitCode == 0, result.ToString());
        var metadata = DctNetCheckpoint.Load(target).Metadata;
        Assert.Equal(TrainedWeights.Model, metadata.Model);
        Assert.Equal(2, metadata.Classes);
        Assert.Equal("6", metadata.Channels!.Name);
        Assert.Equal(2, metadata.Layer2Stride);
        Assert.Equal(192, metadata.Normalization!.Mean.Count);
    }

    [Theory]
    [InlineData("out.bin", "", "--out")]
    [InlineData("out.safetensors", "--release-layout", "--release-layout")]
    public void Unknown_formats_and_layouts_are_usage_errors_and_nothing_is_written(string target, string flag, string mentioned)
    {
        using var harness = new CliHarness();

        var result = CliHarness.Run(["convert", "--model", TrainedWeights.Model, "--weights", weights.Checkpoint, "--out", harness.PathIn(target),
            .. flag.Split(' ', StringSplitOptions.RemoveEmptyEntries)]);

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains(mentioned, Assert.Single(result.ErrorLines));
        Assert.Empty(CliHarness.FilesBelow(harness.Temp));
    }

    private static void AssertSameWeights(StateDict expected, StateDict actual)
    {
        Assert.Equal(expected.Keys, actual.Keys);
        foreach (var (key, tensor) in expected)
        {
            Assert.Equal(tensor.ElementType, actual[key].ElementType);
            Assert.Equal(tensor.Shape, actual[key].Shape);
            Assert.True(tensor.Bytes.Span.SequenceEqual(actual[key].Bytes.Span), $"{key} differs");
        }
    }
}
