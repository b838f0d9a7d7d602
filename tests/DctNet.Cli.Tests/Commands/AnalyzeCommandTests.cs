using System.Text.Json;
using DctNet.Checkpoints;
using DctNet.Frequency;
using DctNet.Frequency.Channels;
using DctNet.Frequency.Imaging;
using DctNet.Inference;
using DctNet.Models;
using DctNet.TestSupport;
using static TorchSharp.torch;

namespace DctNet.Cli.Tests.Commands;

public sealed class AnalyzeCommandTests : IDisposable
{
    private const string Model = "resnet18-dct-s2";

    /// <summary>The channels whose gate is forced on; every other gate is forced off.</summary>
    private static readonly int[] ForcedOn = [0, 1, 2, 8, 9, 16, 64, 65, 128, 129];

    private readonly CliHarness harness = new();

    public void Dispose() => harness.Dispose();

    [Fact]
    public void Run_directory_with_recorded_data_gives_exact_frequencies_heat_map_and_subset()
    {
        string runDirectory = GatedRunDirectory(recordData: true);
        string output = harness.PathIn("analysis");

        var result = CliHarness.Run("analyze", runDirectory, "--out", output, "--export-subset", "10", "--threads", "2", "--batch-size", "2");

        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Contains("3 images", result.Out, StringComparison.Ordinal);
        Assert.Contains("10.0 of 192 channels on", result.Out, StringComparison.Ordinal);
        var selection = ReadSelection(Path.Combine(output, "selection.json"));
        Assert.Equal(Enumerable.Range(0, 192).Select(c => ForcedOn.Contains(c) ? 1.0 : 0.0), selection);
        var keep = ReadSelection(Path.Combine(output, "keep_probability.json"));
        Assert.All(Enumerable.Range(0, 192), c => Assert.Equal(ForcedOn.Contains(c) ? 1.0 : 0.0, keep[c], 12));
        AssertPngWithContent(Path.Combine(output, "heatmap.png"), 1500, 560);
        var subset = ChannelSubset.Parse(Path.Combine(output, "subset.json"));
        Assert.Equal([0, 1, 2, 8, 9, 16], subset.Y);
        Assert.Equal([0, 1], subset.Cb);
        Assert.Equal([0, 1], subset.Cr);
        Assert.Equal(["heatmap.png", "keep_probability.json", "selection.json", "subset.json"], CliHarness.FilesBelow(output));
    }

    [Fact]
    public void Weights_file_with_data_option_gives_the_same_frequencies()
    {
        string runDirectory = GatedRunDirectory(recordData: false);
        string output = harness.PathIn("analysis");

        var result = CliHarness.Run("analyze", Path.Combine(runDirectory, "best.safetensors"), "--data", harness.PathIn("data", "val"), "--out", output, "--threads", "2");

        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Equal(Enumerable.Range(0, 192).Select(c => ForcedOn.Contains(c) ? 1.0 : 0.0), ReadSelection(Path.Combine(output, "selection.json")));
        Assert.Equal(["heatmap.png", "keep_probability.json", "selection.json"], CliHarness.FilesBelow(output));
    }

    [Fact]
    public void A_release_layout_gated_checkpoint_still_analyzes_to_the_same_frequencies()
    {
        string runDirectory = GatedRunDirectory(recordData: false);
        string release = harness.PathIn("model_best.pth.tar");
        using (var model = InferenceModel.Load(new InferenceRequest(ModelRegistry.Get(Model), runDirectory)))
            WeightsExport.Save(model, release, releaseLayout: true);
        string output = harness.PathIn("analysis");

        var result = CliHarness.Run("analyze", release, "--model", Model, "--data", harness.PathIn("data", "val"), "--out", output, "--threads", "2");

        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Equal(Enumerable.Range(0, 192).Select(c => ForcedOn.Contains(c) ? 1.0 : 0.0), ReadSelection(Path.Combine(output, "selection.json")));
    }

    [Fact]
    public void Run_directory_without_recorded_data_needs_the_data_option()
    {
        string runDirectory = GatedRunDirectory(recordData: false);

        var result = CliHarness.Run("analyze", runDirectory, "--out", harness.PathIn("analysis"));

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--data is required", result.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(harness.PathIn("analysis")));
    }

    [Fact]
    public void Sensitivity_of_a_static_model_writes_the_ablations_their_heat_map_and_the_most_sensitive_channels()
    {
        string dataRoot = WriteImageFolder();
        string weights = harness.PathIn("dct6.safetensors");
        using (var model = ModelRegistry.Create(Model, ChannelSubset.BuiltIn(6), 2))
            new DctNetCheckpoint(Metadata() with { Channels = ChannelSubset.BuiltIn(6), Geometry = new(64, 64) }, ModuleState.Capture(model)).Save(weights);
        string output = harness.PathIn("sensitivity");

        var result = CliHarness.Run("analyze", weights, "--data", Path.Combine(dataRoot, "val"), "--sensitivity", "--ablation", "zero", "--export-subset", "2",
            "--out", output, "--threads", "2");

        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Contains("7 passes (1 + one per channel)", result.Out, StringComparison.Ordinal);
        Assert.Equal(["sensitivity.json", "sensitivity.png", "subset.json"], CliHarness.FilesBelow(output));
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "sensitivity.json")));
        var root = json.RootElement;
        Assert.Equal("zero", root.GetProperty("ablation").GetString());
        Assert.Equal(3, root.GetProperty("samples").GetInt32());
        Assert.Equal(6, root.GetProperty("ablations").GetArrayLength());
        var ranks = root.GetProperty("rank_per_channel").EnumerateArray().ToList();
        Assert.Equal(192, ranks.Count);
        var measured = ChannelSubset.BuiltIn(6).Channels;
        Assert.All(Enumerable.Range(0, 192), c => Assert.Equal(measured.Contains(c), ranks[c].ValueKind == JsonValueKind.Number));
        var best = ranks.Select((rank, c) => (Rank: rank.ValueKind == JsonValueKind.Number ? rank.GetInt32() : 999, Channel: c)).Order().Take(2).Select(r => r.Channel).Order();
        Assert.Equal(best, ChannelSubset.Parse(Path.Combine(output, "subset.json")).Channels.Order());
        AssertPngWithContent(Path.Combine(output, "sensitivity.png"), 1500, 560);
    }

    [Theory]
    [InlineData("--ablation", "zero", "--ablation belongs to --sensitivity")]
    [InlineData("--by", "band", "--by belongs to --sensitivity")]
    [InlineData("--engine", "torch", "--engine belongs to --sensitivity")]
    public void Sensitivity_options_without_sensitivity_are_usage_errors(string option, string value, string message)
    {
        string runDirectory = GatedRunDirectory(recordData: true);

        var result = CliHarness.Run("analyze", runDirectory, "--out", harness.PathIn("analysis"), option, value);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(message, result.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(harness.PathIn("analysis")));
    }

    [Fact]
    public void A_subset_from_bands_is_a_usage_error()
    {
        string runDirectory = GatedRunDirectory(recordData: true);

        var result = CliHarness.Run("analyze", runDirectory, "--out", harness.PathIn("analysis"), "--sensitivity", "--by", "band", "--export-subset", "4");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--by channel", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Help_names_the_outputs_and_the_options()
    {
        var result = CliHarness.Run("analyze", "--help");

        Assert.Equal(0, result.ExitCode);
        foreach (string expected in new[] { "selection.json", "heatmap.png", "subset.json", "--data", "--export-subset", "--seed", "--sensitivity", "sensitivity.json",
            "--ablation", "--by", "Examples:" })
            Assert.Contains(expected, result.Out, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--export-subset", "193", "--export-subset must be from 1 to 192, got 193.")]
    [InlineData("--export-subset", "0", "--export-subset")]
    public void Subset_size_outside_1_to_192_is_a_usage_error(string option, string value, string message)
    {
        var result = CliHarness.Run("analyze", harness.Temp, "--data", harness.Temp, "--out", harness.PathIn("analysis"), option, value);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains(message, result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Weights_without_input_gate_are_refused()
    {
        WriteImageFolder();
        string runDirectory = harness.PathIn("plain-run");
        Directory.CreateDirectory(runDirectory);
        using (var plain = ModelRegistry.Create(Model, ChannelSubset.All, 2))
            new DctNetCheckpoint(Metadata(), ModuleState.Capture(plain)).Save(Path.Combine(runDirectory, "best.safetensors"));

        var result = CliHarness.Run("analyze", runDirectory, "--data", harness.PathIn("data", "val"), "--out", harness.PathIn("analysis"));

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("no input gate", result.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(harness.PathIn("analysis")));
    }

    /// <summary>
    /// A run directory holding a gated resnet18-dct-s2 (192 channels, 2 classes) as best.safetensors, whose gate logits
    /// are +-50 whatever the input (zero weights), so that <see cref="ForcedOn"/> are on in every image and the rest off;
    /// with <paramref name="recordData"/> an options.json names the 2-class dataset as the trainer does.
    /// </summary>
    private string GatedRunDirectory(bool recordData)
    {
        string dataRoot = WriteImageFolder();
        string runDirectory = harness.PathIn("run");
        Directory.CreateDirectory(runDirectory);
        using var model = ModelRegistry.Create(Model, ChannelSubset.All, 2, gate: true);
        ForcedGates.Force(model, ForcedOn);
        new DctNetCheckpoint(Metadata(), ModuleState.Capture(model)).Save(Path.Combine(runDirectory, "best.safetensors"));
        if (recordData)
            File.WriteAllText(Path.Combine(runDirectory, "options.json"), JsonSerializer.Serialize(new { model = Model, data = dataRoot, seed = 1 }));
        return runDirectory;
    }

    /// <summary>A dataset root whose val/ is a 2-class ImageFolder of 3 fixture images.</summary>
    private string WriteImageFolder()
    {
        harness.CopyImage("jpeg_420.jpg", "data/val/ants/a.jpg");
        harness.CopyImage("jpeg_444.jpg", "data/val/ants/b.jpg");
        harness.CopyImage("png_rgb.png", "data/val/bees/c.png");
        return harness.PathIn("data");
    }

    private static CheckpointMetadata Metadata() => new()
    {
        Model = Model,
        Classes = 2,
        Channels = ChannelSubset.All,
        Normalization = InputNormalization.From(ChannelStatistics.ImageNet),
        Layer2Stride = 2,
    };

    private static double[] ReadSelection(string path)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        return [.. document.RootElement.EnumerateArray().Select(e => e.GetDouble())];
    }

    private static void AssertPngWithContent(string path, int width, int height)
    {
        var image = new ImageDecoder().DecodeFile(path);
        Assert.Equal((width, height), (image.Width, image.Height));
        double mean = image.Pixels.Average(p => (double)p);
        Assert.True(image.Pixels.Average(p => (p - mean) * (p - mean)) > 100, $"{path} looks blank.");
    }
}
