using System.Text.Json;

namespace DctNet.Cli.Tests.Commands;

public sealed class EvalTests(TrainedWeights weights) : IClassFixture<TrainedWeights>
{
    private static readonly (string Class, string Image)[] Images =
        [("ants", "jpeg_420.jpg"), ("ants", "jpeg_444.jpg"), ("ants", "png_rgb.png"), ("bees", "bmp_rgb24.bmp"), ("bees", "jpeg_progressive.jpg"), ("bees", "webp_lossy.webp")];

    /// <summary>Two class folders of fixture images; the in-process top-1 count over them, all in one batch as eval runs them with --batch-size 16.</summary>
    private int MakeFolder(CliHarness harness)
    {
        foreach (var (name, image) in Images)
            harness.CopyImage(image, Path.Combine("val", name, image));
        float[] logits = weights.Logits(TrainedWeights.PipelineInputs([.. Images.Select(i => CliHarness.PathOfImage(i.Image))]), Images.Length, 6, 56, 56);
        return Enumerable.Range(0, Images.Length).Count(i => (logits[2 * i] >= logits[2 * i + 1] ? "ants" : "bees") == Images[i].Class);
    }

    [Fact]
    public void Top1_is_the_in_process_accuracy_and_the_json_is_written()
    {
        using var harness = new CliHarness();
        int correct = MakeFolder(harness);

        var result = CliHarness.Run("eval", "--model", TrainedWeights.Model, "--weights", weights.Checkpoint, "--data", harness.PathIn("val"),
            "--batch-size", "16", "--threads", "2", "--json", harness.PathIn("result.json"));

        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(File.ReadAllText(harness.PathIn("result.json")));
        var root = json.RootElement;
        Assert.Equal(100.0 * correct / Images.Length, root.GetProperty("top1").GetDouble());
        Assert.Equal(100.0, root.GetProperty("top5").GetDouble());
        Assert.Equal(Images.Length, root.GetProperty("count").GetInt32());
        Assert.Equal(0, root.GetProperty("failures").GetInt32());
        Assert.Equal(TrainedWeights.Model, root.GetProperty("model").GetString());
        Assert.Contains(FormattableString.Invariant($"top-1: {100.0 * correct / Images.Length:0.000}%  top-5: 100.000%  (6 images)"), result.Out);
        Assert.Equal(["result.json"], Directory.GetFiles(harness.Temp).Select(Path.GetFileName));
    }

    [Fact]
    public void Unreadable_images_are_reported_and_skipped_the_rest_counted_and_the_exit_code_is_1()
    {
        using var harness = new CliHarness();
        int correct = MakeFolder(harness);
        string broken = harness.Write(Path.Combine("val", "bees", "broken.jpg"), "not an image"u8.ToArray());

        var result = CliHarness.Run("eval", "--model", TrainedWeights.Model, "--weights", weights.ReleaseFile, "--channels", "6",
            "--data", harness.PathIn("val"), "--json", harness.PathIn("result.json"));

        Assert.Equal(1, result.ExitCode);
        Assert.Equal([$"error: {broken}: unrecognised image format (supported: JPEG, PNG, BMP, WebP)",
            "error: 1 of 7 images could not be read; they are not counted."], result.ErrorLines);
        using var json = JsonDocument.Parse(File.ReadAllText(harness.PathIn("result.json")));
        Assert.Equal(100.0 * correct / Images.Length, json.RootElement.GetProperty("top1").GetDouble());
        Assert.Equal(Images.Length, json.RootElement.GetProperty("count").GetInt32());
        Assert.Equal(1, json.RootElement.GetProperty("failures").GetInt32());
        Assert.Equal(broken, json.RootElement.GetProperty("failed_files")[0].GetString());
    }

    [Fact]
    public void A_dataset_with_other_classes_than_the_model_is_a_one_line_error()
    {
        using var harness = new CliHarness();
        MakeFolder(harness);
        harness.CopyImage("png_small.png", Path.Combine("val", "wasps", "png_small.png"));

        var result = CliHarness.Run("eval", "--model", TrainedWeights.Model, "--weights", weights.Checkpoint, "--data", harness.PathIn("val"));

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Equal($"error: {harness.PathIn("val")}: 3 classes (class folders), but the model has 2 outputs; evaluate it on a dataset with its own classes. (see 'dctnet eval --help')",
            Assert.Single(result.ErrorLines));
    }

    [Fact]
    public void A_missing_dataset_is_a_usage_error()
    {
        using var harness = new CliHarness();

        var result = CliHarness.Run("eval", "--model", TrainedWeights.Model, "--weights", weights.Checkpoint, "--data", harness.PathIn("nowhere"));

        Assert.Equal(ExitCodes.Usage, result.ExitCode);
        Assert.Contains("nowhere", Assert.Single(result.ErrorLines));
    }

    [Fact]
    public void A_training_run_directory_is_evaluated_with_its_best_checkpoint()
    {
        using var harness = new CliHarness();
        int correct = MakeFolder(harness);
        harness.Write(Path.Combine("run", "best.safetensors"), File.ReadAllBytes(weights.Checkpoint));

        var result = CliHarness.Run("eval", "--model", TrainedWeights.Model, "--weights", harness.PathIn("run"), "--data", harness.PathIn("val"), "--json", harness.PathIn("r.json"));

        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(File.ReadAllText(harness.PathIn("r.json")));
        Assert.Equal(100.0 * correct / Images.Length, json.RootElement.GetProperty("top1").GetDouble());
        Assert.Equal(harness.PathIn("run", "best.safetensors"), json.RootElement.GetProperty("weights").GetString());
    }
}
