using System.Globalization;
using System.Text.RegularExpressions;
using DctNet.Checkpoints;
using DctNet.Data;
using DctNet.Frequency.IO;
using DctNet.Models;
using static TorchSharp.torch;

namespace DctNet.Cli.Tests.Commands;

public sealed partial class PredictTests(TrainedWeights weights) : IClassFixture<TrainedWeights>
{
    [Fact]
    public void An_input_tensor_goes_to_the_model_as_is_and_its_logits_are_written()
    {
        using var harness = new CliHarness();
        var random = new Random(1);
        float[] inputs = [.. Enumerable.Range(0, 3 * 6 * 56 * 56).Select(_ => (float)(random.NextDouble() * 4 - 2))];
        string inputPath = harness.PathIn("x.npy"), logitsPath = harness.PathIn("out", "logits.npy");
        Npy.WriteFile<float>(inputPath, inputs, 3, 6, 56, 56);

        var result = CliHarness.Run("predict", "--model", TrainedWeights.Model, "--weights", weights.Checkpoint,
            "--input-tensor", inputPath, "--logits", logitsPath, "--threads", "2", "--batch-size", "2");

        Assert.True(result.ExitCode == 0, result.ToString());
        var logits = Npy.ReadFile(logitsPath);
        Assert.Equal([3, 2], logits.Shape);
        AssertClose(weights.Logits(inputs, 3, 6, 56, 56), logits.AsFloat32());
        Assert.Equal([$"{inputPath}[0]", $"{inputPath}[1]", $"{inputPath}[2]"], result.Out.Split('\n').Where(l => l.Length > 0 && !l.StartsWith(' ')));
    }

    [Fact]
    public void A_single_C_x_H_x_W_tensor_is_one_input()
    {
        using var harness = new CliHarness();
        float[] inputs = [.. Enumerable.Range(0, 6 * 56 * 56).Select(i => (float)Math.Sin(i))];
        Npy.WriteFile<float>(harness.PathIn("x.npy"), inputs, 6, 56, 56);

        var result = CliHarness.Run("predict", "--model", TrainedWeights.Model, "--weights", weights.ReleaseFile, "--channels", "6",
            "--input-tensor", harness.PathIn("x.npy"), "--logits", harness.PathIn("logits.npy"));

        Assert.True(result.ExitCode == 0, result.ToString());
        AssertClose(weights.Logits(inputs, 1, 6, 56, 56), Npy.ReadFile(harness.PathIn("logits.npy")).AsFloat32());
    }

    [Fact]
    public void Images_go_through_the_model_pipeline_and_unreadable_ones_are_reported_once_each()
    {
        using var harness = new CliHarness();
        string[] images = [CliHarness.PathOfImage("jpeg_420.jpg"), CliHarness.PathOfImage("png_rgb.png"), CliHarness.PathOfImage("bmp_rgb24.bmp")];
        string missing = harness.PathIn("missing.jpg");

        var result = CliHarness.Run("predict", "--model", TrainedWeights.Model, "--weights", weights.Checkpoint,
            images[0], missing, images[1], images[2], "--logits", harness.PathIn("logits.npy"), "--batch-size", "2");

        Assert.Equal(1, result.ExitCode);
        var error = Assert.Single(result.ErrorLines);
        Assert.Equal($"error: {missing}: does not exist", error);
        var logits = Npy.ReadFile(harness.PathIn("logits.npy"));
        Assert.Equal([3, 2], logits.Shape);
        AssertClose(weights.Logits(TrainedWeights.PipelineInputs(images), 3, 6, 56, 56), logits.AsFloat32());
        Assert.Equal(images, result.Out.Split('\n').Where(l => l.Length > 0 && !l.StartsWith(' ')));
    }

    [Fact]
    public void Top_classes_are_printed_with_their_softmax_probabilities_and_label_names()
    {
        using var harness = new CliHarness();
        string image = CliHarness.PathOfImage("jpeg_444.jpg");
        File.WriteAllLines(harness.PathIn("labels.txt"), ["# two insects", "n1\tants", "bees"]);

        var result = CliHarness.Run("predict", "--model", TrainedWeights.Model, "--weights", weights.Checkpoint, image, "--labels", harness.PathIn("labels.txt"));

        Assert.True(result.ExitCode == 0, result.ToString());
        float[] logits = weights.Logits(TrainedWeights.PipelineInputs(image), 1, 6, 56, 56);
        int best = logits[0] >= logits[1] ? 0 : 1;
        double probability = 1 / (1 + Math.Exp(logits[1 - best] - logits[best]));
        string[] names = ["ants", "bees"];
        Assert.Equal(
            $"{image}\n  {probability.ToString("0.0000", CultureInfo.InvariantCulture)}  {names[best]} (class {best})\n"
            + $"  {(1 - probability).ToString("0.0000", CultureInfo.InvariantCulture)}  {names[1 - best]} (class {1 - best})\n",
            result.Out.ReplaceLineEndings("\n"));
    }

    [Fact]
    public void Thousand_class_models_name_ImageNet_classes_and_topk_limits_the_lines()
    {
        using var harness = new CliHarness();
        manual_seed(3);
        using (var model = ModelRegistry.Create("mobilenetv2"))
            PyTorchCheckpoint.Write(harness.PathIn("mobilenetv2.pth"), ModuleState.Capture(model));

        var result = CliHarness.Run("predict", "--model", "mobilenetv2", "--weights", harness.PathIn("mobilenetv2.pth"),
            CliHarness.PathOfImage("png_rgb.png"), "--topk", "3");

        Assert.True(result.ExitCode == 0, result.ToString());
        var lines = result.Out.ReplaceLineEndings("\n").TrimEnd('\n').Split('\n');
        Assert.Equal(4, lines.Length);
        foreach (string line in lines[1..])
        {
            var match = ScoreLine().Match(line);
            Assert.True(match.Success, line);
            Assert.Equal(ClassLabels.ImageNet[int.Parse(match.Groups["index"].Value, CultureInfo.InvariantCulture)], match.Groups["name"].Value);
        }
    }

    [Fact]
    public void Gated_weights_draw_the_gate_noise_from_the_seed()
    {
        using var harness = new CliHarness();
        using var scope = NewDisposeScope();
        manual_seed(4);
        using var model = (DctModel)ModelRegistry.Create("mobilenetv2-dct", Frequency.Channels.ChannelSubset.All, classes: 3, gate: true);
        model.eval();
        PyTorchCheckpoint.Write(harness.PathIn("gated.pth"), ModuleState.Capture(model));
        var x = randn(2, 192, 112, 112);
        Npy.WriteFile<float>(harness.PathIn("x.npy"), x.data<float>().ToArray(), 2, 192, 112, 112);
        var (expected, _) = model.ForwardWithGates(x, GumbelSoftmax.SampleNoise([2, 192, 2], new Generator(42)));

        var result = CliHarness.Run("predict", "--model", "mobilenetv2-dct", "--weights", harness.PathIn("gated.pth"),
            "--input-tensor", harness.PathIn("x.npy"), "--logits", harness.PathIn("logits.npy"), "--seed", "42");

        Assert.True(result.ExitCode == 0, result.ToString());
        AssertClose(expected.data<float>().ToArray(), Npy.ReadFile(harness.PathIn("logits.npy")).AsFloat32());
    }

    [Theory]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (-1, 6, 8, 8), }", 64, "'shape' has the dimension -1; dimensions are whole numbers >= 0.")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (1000, 6, 512, 512), }", 64,
        "the file is truncated: shape (1000, 6, 512, 512) of '<f4' declares 6291456000 data bytes, but 64 follow the header.")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 6, 8, 8), }", 0, "shape (0, 6, 8, 8) is not C x H x W or N x C x H x W, with no dimension 0.")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 4097), }", 4097 * 4, "shape (1, 1, 4097): H and W must be at most 4096, the largest crop DctNet takes.")]
    public void A_hostile_tensor_is_refused_naming_it_before_any_weights_are_read(string header, int dataBytes, string reason)
    {
        using var harness = new CliHarness();
        byte[] headerBytes = System.Text.Encoding.ASCII.GetBytes(header.PadRight(118) + "\n");
        string path = harness.Write("bad.npy", [0x93, .. "NUMPY"u8, 1, 0, (byte)headerBytes.Length, 0, .. headerBytes, .. new byte[dataBytes]]);

        var result = CliHarness.Run("predict", "--model", TrainedWeights.Model, "--weights", harness.PathIn("absent.safetensors"), "--input-tensor", path);

        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith($"error: {path}: {reason}", Assert.Single(result.ErrorLines));
        Assert.Equal(["bad.npy"], CliHarness.FilesBelow(harness.Temp));
    }

    [Fact]
    public void A_tensor_of_other_channels_is_refused_in_one_line()
    {
        using var harness = new CliHarness();
        Npy.WriteFile<float>(harness.PathIn("x24.npy"), new float[24 * 8 * 8], 24, 8, 8);

        var result = CliHarness.Run("predict", "--model", TrainedWeights.Model, "--weights", weights.Checkpoint, "--input-tensor", harness.PathIn("x24.npy"));

        Assert.Equal(1, result.ExitCode);
        Assert.Equal($"error: {harness.PathIn("x24.npy")}: shape (24, 8, 8) is not 6 x H x W or N x 6 x H x W, the input of resnet18-dct-s2 "
            + "(DCT 6 x 56 x 56 (channels 6, resize 512, crop 448, normalized)).", Assert.Single(result.ErrorLines));
    }

    [Theory]
    [InlineData("", "give image files or --input-tensor")]
    [InlineData("image.jpg --input-tensor x.npy", "not both")]
    [InlineData("--input-tensor no-such.npy", "no-such.npy")]
    [InlineData("image.jpg --topk 0", "--topk")]
    [InlineData("image.jpg --labels no-such.txt", "no-such.txt")]
    public void Incomplete_or_contradictory_inputs_are_usage_errors(string args, string mentioned)
    {
        var result = CliHarness.Run(["predict", "--model", TrainedWeights.Model, "--weights", weights.Checkpoint, .. args.Split(' ', StringSplitOptions.RemoveEmptyEntries)]);

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains(mentioned, Assert.Single(result.ErrorLines));
        Assert.Equal("", result.Out);
    }

    internal static void AssertClose(float[] expected, float[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        // predict folds BatchNorms into the convolutions, so outputs match an unfolded model up to float rounding:
        // the tolerance of the PyTorch parity tests, 1e-4 of the largest logit.
        float tolerance = 1e-4f * Math.Max(expected.Max(MathF.Abs), 1e-3f);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance, $"element {i}: {actual[i]}, expected {expected[i]} (tolerance {tolerance})");
    }

    [GeneratedRegex(@"^  (?<p>[01]\.\d{4})  (?<name>.+) \(class (?<index>\d+)\)$")]
    private static partial Regex ScoreLine();
}
