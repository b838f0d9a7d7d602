using System.Text.Json;
using System.Text.Json.Nodes;
using DctNet.Checkpoints;
using DctNet.Detection.Coco;
using DctNet.Detection.Data;
using DctNet.Detection.Modeling;

namespace DctNet.Cli.Tests.Commands;

/// <summary>
/// dctnet train-det on a tiny COCO-format set pasted from the fixture photographs, started from detector weights of
/// another class count (the deterministic ones, as torchvision's COCO checkpoints come), then detect on its run directory.
/// </summary>
public sealed class TrainDetTests
{
    private static readonly string Photographs = Path.Combine(CliHarness.RepositoryRoot, "tests", "fixtures", "detection", "images");

    /// <summary>Category ids 7 (goose) and 14 (bird), not the labels 1 and 2 a model gives them.</summary>
    private static PastedObjectsSet MakeDataset(CliHarness harness, int images = 2)
    {
        var set = PastedObjects.Write(harness.PathIn("data"), [Path.Combine(Photographs, "zebra.png")],
            [("goose", Path.Combine(Photographs, "goose.png")), ("bird", CliHarness.PathOfImage("jpeg_420.jpg"))], images, width: 96, height: 64, seed: 2);
        var file = JsonNode.Parse(File.ReadAllText(set.AnnotationsPath))!;
        foreach (var category in file["categories"]!.AsArray())
            category!["id"] = 7 * category["id"]!.GetValue<int>();
        foreach (var annotation in file["annotations"]!.AsArray())
            annotation!["category_id"] = 7 * annotation["category_id"]!.GetValue<int>();
        File.WriteAllText(set.AnnotationsPath, file.ToJsonString());
        return set;
    }

    private static string DetectorWeights(CliHarness harness, string model)
    {
        string path = harness.PathIn($"{model}.pth");
        using var detector = DetectionModels.Create(model);
        PyTorchCheckpoint.Write(path, DeterministicDetectionWeights.For(detector));
        return path;
    }

    private static string[] Arguments(PastedObjectsSet set, string output, params string[] extra) =>
        ["train-det", "--data", set.ImagesFolder, "--annotations", set.AnnotationsPath, "--val-data", set.ImagesFolder, "--val-annotations", set.AnnotationsPath,
            "--out", output, "--epochs", "1", "--short-edge", "64", "--long-edge", "96", "--rois-per-image", "16", "--warmup-iterations", "0", "--lr", "0.002",
            "--threads", "2", .. extra];

    [Fact]
    public void An_epoch_writes_a_run_that_detect_reads_with_its_categories_and_resume_finds_finished()
    {
        using var harness = new CliHarness();
        var set = MakeDataset(harness);
        string run = harness.PathIn("run");

        var result = CliHarness.Run(Arguments(set, run, "--model", "maskrcnn-r50-fpn", "--init", DetectorWeights(harness, "maskrcnn-r50-fpn")));

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains($"train: 2 of 2 images, {set.Objects} objects", result.Out);
        Assert.Contains("roi_heads.box_predictor.cls_score, roi_heads.box_predictor.bbox_pred, roi_heads.mask_predictor.mask_fcn_logits fresh (the file has another class count)", result.Out);
        Assert.Contains("epoch 1/1: loss ", result.Out);
        Assert.Contains("| val box AP ", result.Out);
        Assert.Contains("| val mask AP ", result.Out);
        Assert.Equal(["best.safetensors", "curves.png", "last.safetensors", "metrics.jsonl", "options.json", "run.lock", "train_state.safetensors"], CliHarness.FilesBelow(run));
        using (var metrics = JsonDocument.Parse(File.ReadAllLines(Path.Combine(run, "metrics.jsonl")).Single()))
        {
            var line = metrics.RootElement;
            Assert.Equal(1, line.GetProperty("epoch").GetInt32());
            Assert.True(line.GetProperty("loss_mask").GetDouble() > 0);
            Assert.Equal(12, line.GetProperty("bbox").EnumerateObject().Count());
            Assert.Equal(12, line.GetProperty("segm").EnumerateObject().Count());
        }

        string output = harness.PathIn("detections");
        string image = Path.Combine(set.ImagesFolder, "0001.jpg");
        var detected = CliHarness.Run("detect", "--weights", run, image, "--score", "0", "--out", output);
        Assert.True(detected.ExitCode == 0, detected.ToString());
        Assert.Contains("maskrcnn-r50-fpn (" + Path.Combine(run, "best.safetensors"), detected.Out);
        var written = CocoResults.Read(Path.Combine(output, "detections.json"));
        Assert.NotEmpty(written);
        Assert.Equal([7, 14], written.Select(d => d.CategoryId).Distinct().Order());
        Assert.Contains(written, d => d.Score > 0);
        Assert.True(File.Exists(Path.Combine(output, "0001.png")));

        var contradicted = CliHarness.Run("detect", "--weights", run, "--model", "fasterrcnn-r50-fpn", image, "--out", output);
        Assert.Equal(2, contradicted.ExitCode);
        Assert.Contains("the checkpoint holds a maskrcnn-r50-fpn model, but fasterrcnn-r50-fpn was asked for", contradicted.Error);

        var resumed = CliHarness.Run("train-det", "--resume", run);
        Assert.True(resumed.ExitCode == 0, resumed.ToString());
        Assert.Contains("best val box AP", resumed.Out);
        Assert.DoesNotContain("epoch 2", resumed.Out);
    }

    [Fact]
    public void A_dct_model_trains_an_epoch_from_detector_weights()
    {
        using var harness = new CliHarness();
        var set = MakeDataset(harness);
        string run = harness.PathIn("run");
        string weights = harness.PathIn("dct.pth");
        using (var detector = DetectionModels.Create("fasterrcnn-r50-fpn-dct", channels: DctNet.Frequency.Channels.ChannelSubset.BuiltIn(24)))
            PyTorchCheckpoint.Write(weights, DeterministicDetectionWeights.For(detector));

        var result = CliHarness.Run(Arguments(set, run, "--model", "fasterrcnn-r50-fpn-dct", "--channels", "24", "--init", weights));

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("fasterrcnn-r50-fpn-dct DCT-24, 2 categories", result.Out);
        Assert.Contains("epoch 1/1: loss ", result.Out);
        Assert.DoesNotContain("mask AP", result.Out);
    }

    [Fact]
    public void Command_line_mistakes_exit_2_and_unusable_data_exits_1_naming_the_file()
    {
        using var harness = new CliHarness();
        var set = MakeDataset(harness, images: 1);
        string run = harness.PathIn("run");

        var missing = CliHarness.Run("train-det", "--model", "maskrcnn-r50-fpn", "--out", run);
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("--data is required (or --resume RUNDIR)", missing.Error);

        var channels = CliHarness.Run(Arguments(set, run, "--model", "maskrcnn-r50-fpn", "--channels", "24"));
        Assert.Equal(2, channels.ExitCode);
        Assert.Contains("takes RGB images; channels are for maskrcnn-r50-fpn-dct", channels.Error);

        var unknown = CliHarness.Run(Arguments(set, run, "--model", "yolo"));
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("Unknown detection model 'yolo'", unknown.Error);

        var decay = CliHarness.Run(Arguments(set, run, "--model", "maskrcnn-r50-fpn", "--decay-epochs", "8,x"));
        Assert.Equal(2, decay.ExitCode);
        Assert.Contains("'x' is not an epoch number", decay.Error);

        var resume = CliHarness.Run("train-det", "--resume", run, "--epochs", "3");
        Assert.Equal(2, resume.ExitCode);
        Assert.Contains("--epochs cannot change them", resume.Error);

        string absentAnnotations = harness.PathIn("nowhere.json");
        var noFile = CliHarness.Run(["train-det", "--model", "maskrcnn-r50-fpn", "--data", set.ImagesFolder, "--annotations", absentAnnotations,
            "--val-data", set.ImagesFolder, "--val-annotations", set.AnnotationsPath, "--out", run]);
        Assert.Equal(1, noFile.ExitCode);
        Assert.Contains(absentAnnotations, noFile.Error);

        File.Delete(Path.Combine(set.ImagesFolder, "0001.jpg"));
        var absent = CliHarness.Run(Arguments(set, run, "--model", "maskrcnn-r50-fpn", "--strict"));
        Assert.Equal(1, absent.ExitCode);
        Assert.Contains("0001.jpg: listed in", absent.Error);
        Assert.False(Directory.Exists(run) && File.Exists(Path.Combine(run, "options.json")), "nothing of a refused run is written");
    }
}
