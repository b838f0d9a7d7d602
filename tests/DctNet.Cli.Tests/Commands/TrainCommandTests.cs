using System.Text.Json;

namespace DctNet.Cli.Tests.Commands;

/// <summary>dctnet train on a few fixture images with the smallest registry model (resnet18-dct-s2 at DCT-6): one short epoch per run.</summary>
public sealed class TrainCommandTests
{
    private const string Model = "resnet18-dct-s2";

    private static string MakeDataset(CliHarness harness, bool withBrokenImage = false)
    {
        harness.CopyImage("jpeg_420.jpg", "data/train/ants/a.jpg");
        harness.CopyImage("jpeg_444.jpg", "data/train/ants/b.jpg");
        harness.CopyImage("png_rgb.png", "data/train/bees/c.png");
        harness.CopyImage("bmp_rgb24.bmp", "data/train/bees/d.bmp");
        harness.CopyImage("jpeg_progressive.jpg", "data/val/ants/e.jpg");
        harness.CopyImage("webp_lossy.webp", "data/val/bees/f.webp");
        if (withBrokenImage)
            harness.Write("data/val/bees/placeholder.gif", "GIF89a"u8.ToArray());
        return harness.PathIn("data");
    }

    /// <summary>One epoch unless <paramref name="extra"/> says otherwise.</summary>
    private static string[] Arguments(string data, string output, params string[] extra) =>
        ["train", "--model", Model, "--channels", "6", "--data", data, "--out", output, "--batch-size", "2", "--threads", "2", "--seed", "3",
            .. extra.Contains("--epochs") ? extra : [.. extra, "--epochs", "1"]];

    [Fact]
    public void An_epoch_writes_the_run_directory_that_eval_and_resume_accept()
    {
        using var harness = new CliHarness();
        string data = MakeDataset(harness, withBrokenImage: true);
        string run = harness.PathIn("run");

        var result = CliHarness.Run(Arguments(data, run));

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("epoch 1/1: train loss", result.Out);
        Assert.Contains("skipped 1", result.Out);
        Assert.Contains("warning: " + Path.Combine(data, "val", "bees", "placeholder.gif"), result.Error);
        var files = CliHarness.FilesBelow(run);
        Assert.Equal(["best.safetensors", "curves.png", "last.safetensors", "metrics.jsonl", "options.json", "run.lock", "train_state.safetensors"],
            files.Where(file => !file.StartsWith("tensorboard/", StringComparison.Ordinal)));
        Assert.Single(files, file => file.StartsWith("tensorboard/events.out.tfevents.", StringComparison.Ordinal));
        var line = Assert.Single(File.ReadAllLines(Path.Combine(run, "metrics.jsonl")));
        using (var metrics = JsonDocument.Parse(line))
        {
            Assert.Equal(1, metrics.RootElement.GetProperty("epoch").GetInt32());
            Assert.Equal(1, metrics.RootElement.GetProperty("skipped").GetInt32());
            // The default learning rate follows the batch size: 0.1 x 2 / 256, cosine over one epoch ends near 0.
            Assert.InRange(metrics.RootElement.GetProperty("lr").GetDouble(), 0, 0.1 * 2 / 256);
        }
        using (var options = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "options.json"))))
            Assert.Equal(0.1 * 2 / 256, options.RootElement.GetProperty("learning_rate").GetDouble());

        var eval = CliHarness.Run("eval", "--model", Model, "--weights", run, "--data", Path.Combine(data, "val"), "--threads", "2");
        Assert.Contains("(2 images)", eval.Out);

        var resumed = CliHarness.Run("train", "--resume", run);
        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        Assert.Contains("best val top-1", resumed.Out);
        Assert.Single(File.ReadAllLines(Path.Combine(run, "metrics.jsonl")));
    }

    [Fact]
    public void Ctrl_C_abandons_the_epoch_and_exits_130_with_the_resume_command()
    {
        using var harness = new CliHarness();
        string data = MakeDataset(harness);
        string run = harness.PathIn("run");
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        using var interrupt = new CancellationTokenSource();
        interrupt.Cancel();

        int exitCode = DctNetCli.Run(Arguments(data, run), new CliContext(stdout, stderr, interactive: false, interrupt.Token));

        Assert.Equal(130, exitCode);
        Assert.Contains($"interrupted in epoch 1; {run} keeps 0 complete epoch(s). Continue with: dctnet train --resume {run}", stderr.ToString());
        Assert.Equal(["options.json", "run.lock"], CliHarness.FilesBelow(run));
    }

    [Fact]
    public void Strict_makes_an_unreadable_image_an_error()
    {
        using var harness = new CliHarness();
        string data = MakeDataset(harness, withBrokenImage: true);

        var result = CliHarness.Run(Arguments(data, harness.PathIn("run"), "--strict"));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("placeholder.gif", result.Error);
        Assert.Contains("a strict run stops", result.Error);
        Assert.False(File.Exists(harness.PathIn("run", "metrics.jsonl")));
    }

    [Fact]
    public void A_dataset_entry_that_is_no_file_to_read_is_named_once_and_left_out_or_stops_a_strict_run()
    {
        using var harness = new CliHarness();
        string data = MakeDataset(harness);
        string fifo = harness.PathIn("data", "train", "ants", "pipe.jpg");
        DctNet.Fuzz.HostileFiles.MakeFifo(fifo);

        var strict = CliHarness.Run(Arguments(data, harness.PathIn("strict"), "--strict"));
        var lenient = CliHarness.Run(Arguments(data, harness.PathIn("run")));

        Assert.Equal(1, strict.ExitCode);
        Assert.Equal([$"error: {fifo}: a FIFO (named pipe), not a regular file (--strict stops on a dataset entry that cannot be read)"], strict.ErrorLines);
        Assert.True(lenient.ExitCode == 0, lenient.ToString());
        Assert.Single(lenient.ErrorLines, line => line == $"warning: {fifo}: a FIFO (named pipe), not a regular file (not in the dataset)");
        Assert.Contains("4 training and 2 validation images", lenient.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void A_diverging_loss_stops_with_exit_code_1_and_a_message()
    {
        using var harness = new CliHarness();
        string data = MakeDataset(harness);

        var result = CliHarness.Run(Arguments(data, harness.PathIn("run"), "--lr", "1e30", "--epochs", "3"));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("error: the loss became", result.Error);
        Assert.Contains("keeps the last complete epoch", result.Error);
    }

    [Theory]
    [InlineData("--epochs", "2")]
    [InlineData("--lr", "0.5")]
    public void Resume_refuses_options_that_would_change_the_run(string option, string value)
    {
        using var harness = new CliHarness();
        var result = CliHarness.Run("train", "--resume", harness.Temp, option, value);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"{option} cannot change them", result.Error);
    }

    [Fact]
    public void A_new_run_needs_model_data_and_out_and_an_unused_directory()
    {
        using var harness = new CliHarness();
        string data = MakeDataset(harness);
        var missing = CliHarness.Run("train", "--data", data, "--out", harness.PathIn("run"));
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("--model is required", missing.Error);

        harness.Write("used/options.json", "{}"u8.ToArray());
        var used = CliHarness.Run(Arguments(data, harness.PathIn("used")));
        Assert.Equal(2, used.ExitCode);
        Assert.Contains("already holds a run", used.Error);

        var gate = CliHarness.Run(Arguments(data, harness.PathIn("gate"), "--gate-lambda", "0.1"));
        Assert.Equal(2, gate.ExitCode);
        Assert.Contains("--gate-lambda needs --gate", gate.Error);
    }

    [Theory]
    [InlineData("--gate-target", "8")]
    [InlineData("--gate-lr", "1")]
    [InlineData("--gate-temperature", "2")]
    [InlineData("--gate-penalty-warmup", "1")]
    [InlineData("--gate-sharpness", "4")]
    public void Targeted_recipe_options_are_refused_with_the_release_recipe_or_without_a_gate(string option, string value)
    {
        using var harness = new CliHarness();
        string data = MakeDataset(harness);

        var release = CliHarness.Run("train", "--model", Model, "--gate", "--gate-recipe", "release", option, value, "--data", data, "--out", harness.PathIn("run"));
        var ungated = CliHarness.Run(Arguments(data, harness.PathIn("run"), option, value));

        Assert.Equal((2, 2), (release.ExitCode, ungated.ExitCode));
        Assert.Contains($"{option} belongs to the targeted recipe", release.Error);
        Assert.Contains($"{option} needs --gate", ungated.Error);
        Assert.False(Directory.Exists(harness.PathIn("run")));
    }

    [Fact]
    public void Crop_and_stats_are_recorded_so_that_eval_reads_the_images_as_the_run_did()
    {
        using var harness = new CliHarness();
        string data = MakeDataset(harness);
        string StatsFile(string name, double std) => harness.Write(name, System.Text.Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new
        {
            mean = Enumerable.Repeat(1.0, 192),
            std = Enumerable.Repeat(std, 192),
        })));
        string stats = StatsFile("stats.json", 20);
        string run = harness.PathIn("run");

        var trained = CliHarness.Run(Arguments(data, run, "--crop", "32", "--stats", stats, "--no-augmentation"));
        Assert.True(trained.ExitCode == 0, trained.ToString());
        using (var options = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "options.json"))))
        {
            Assert.False(options.RootElement.GetProperty("augment").GetBoolean());
            Assert.Equal(32, options.RootElement.GetProperty("crop").GetInt32());
            Assert.Equal(stats, options.RootElement.GetProperty("stats").GetString());
        }

        var eval = CliHarness.Run("eval", "--model", Model, "--weights", run, "--data", Path.Combine(data, "val"), "--threads", "2");
        Assert.True(eval.ExitCode == 0, eval.ToString());
        Assert.Contains("input DCT 6 x 4 x 4 (channels 6, resize 37, crop 32, normalized)", eval.Out);

        var sameStats = CliHarness.Run("eval", "--model", Model, "--weights", run, "--data", Path.Combine(data, "val"), "--stats", stats);
        Assert.True(sameStats.ExitCode == 0, sameStats.ToString());
        var otherStats = CliHarness.Run("eval", "--model", Model, "--weights", run, "--data", Path.Combine(data, "val"), "--stats", StatsFile("other.json", 30));
        Assert.Equal(2, otherStats.ExitCode);
        Assert.Contains("records the normalization it was trained with", otherStats.Error);
    }

    [Fact]
    public void A_jpeg_pipeline_run_skips_non_jpeg_files_by_name_and_its_checkpoint_refuses_the_exact_pipeline()
    {
        using var harness = new CliHarness();
        string data = MakeDataset(harness);
        string run = harness.PathIn("run");

        var trained = CliHarness.Run(Arguments(data, run, "--pipeline", "jpeg", "--crop", "32"));

        Assert.True(trained.ExitCode == 0, trained.ToString());
        Assert.Contains($"warning: {Path.Combine(data, "train", "bees", "c.png")}: a PNG image, not a JPEG", trained.Error);
        using (var options = JsonDocument.Parse(File.ReadAllText(Path.Combine(run, "options.json"))))
            Assert.Equal("jpeg", options.RootElement.GetProperty("pipeline").GetString());

        var eval = CliHarness.Run("eval", "--model", Model, "--weights", run, "--data", Path.Combine(data, "val"), "--threads", "2", "--engine", "torch");
        Assert.True(eval.ExitCode == 1, eval.ToString()); // the WebP image is not a JPEG: one line names it, the other image is counted
        Assert.Contains($"error: {Path.Combine(data, "val", "bees", "f.webp")}: a WebP image, not a JPEG", eval.Error);
        Assert.Contains("input DCT 6 x 4 x 4 (channels 6, pipeline jpeg: the file's coefficients, a 4 x 4-block window, normalized)", eval.Out);
        Assert.Contains("(1 images)", eval.Out);

        var exact = CliHarness.Run("eval", "--model", Model, "--weights", run, "--data", Path.Combine(data, "val"), "--pipeline", "exact");
        Assert.Equal(2, exact.ExitCode);
        Assert.Contains("the checkpoint was trained on the jpeg pipeline's input, but the exact pipeline was asked for", exact.Error);
    }

    [Fact]
    public void A_device_this_libtorch_cannot_reach_is_a_usage_error()
    {
        using var harness = new CliHarness();
        var cuda = CliHarness.Run(Arguments(MakeDataset(harness), harness.PathIn("run"), "--device", "cuda"));
        Assert.Equal(2, cuda.ExitCode);
        Assert.Contains("--device: device 'cuda': CUDA is not available", cuda.Error);
        Assert.False(Directory.Exists(harness.PathIn("run")));

        var unknown = CliHarness.Run("bench", "model", "--model", Model, "--device", "gpu");
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("not one of cpu, cuda, cuda:N", unknown.Error);
    }

    [Fact]
    public void An_RGB_model_trains_with_torchvisions_recipe_at_a_small_crop()
    {
        using var harness = new CliHarness();
        string data = MakeDataset(harness);
        string run = harness.PathIn("run");

        var trained = CliHarness.Run("train", "--model", "resnet18", "--crop", "32", "--data", data, "--out", run, "--epochs", "1", "--batch-size", "2", "--threads", "2");
        Assert.True(trained.ExitCode == 0, trained.ToString());

        var eval = CliHarness.Run("eval", "--model", "resnet18", "--weights", run, "--data", Path.Combine(data, "val"), "--threads", "2");
        Assert.True(eval.ExitCode == 0, eval.ToString());
        Assert.Contains("input RGB 3 x 32 x 32 (resize 37, crop 32, ImageNet mean/std)", eval.Out);

        var refused = CliHarness.Run("train", "--model", "resnet18", "--channels", "24", "--data", data, "--out", harness.PathIn("rgb24"));
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("takes RGB images", refused.Error);
    }
}
