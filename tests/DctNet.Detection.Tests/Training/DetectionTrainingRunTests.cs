using DctNet.Checkpoints;
using DctNet.Inference;
using DctNet.Detection.Modeling;
using DctNet.Detection.Training;
using DctNet.Training;
using static TorchSharp.torch;

namespace DctNet.Detection.Tests.Training;

/// <summary>Detection training runs end to end on tiny COCO-format sets: every model steps, losses fall, runs resume exactly.</summary>
public sealed class DetectionTrainingRunTests
{
    [Theory]
    [InlineData("maskrcnn-r50-fpn")]
    [InlineData("fasterrcnn-r50-fpn")]
    [InlineData("maskrcnn-r50-fpn-dct")]
    [InlineData("fasterrcnn-r50-fpn-dct")]
    public void Each_model_trains_an_epoch_forward_and_backward_and_commits_it(string model)
    {
        using var folder = new TemporaryDirectory();
        var set = TinyDetectionSets.Drawn(folder.Path);
        var options = TinyDetectionSets.Options(model, set) with { Init = TinyDetectionSets.BackboneWeights(folder.Path, model) };
        string directory = folder.File("run");
        using var run = DetectionTrainingRun.Start(options, directory);
        Assert.Contains("backbone from the", run.Initialization, StringComparison.Ordinal);
        var before = Snapshot(run.Model);

        var metrics = run.RunEpoch();

        string[] terms = model.StartsWith("maskrcnn", StringComparison.Ordinal)
            ? ["loss_objectness", "loss_rpn_box_reg", "loss_classifier", "loss_box_reg", "loss_mask"]
            : ["loss_objectness", "loss_rpn_box_reg", "loss_classifier", "loss_box_reg"];
        Assert.Equal(terms, metrics.Losses.Keys);
        Assert.All(metrics.Losses.Values, value => Assert.True(double.IsFinite(value) && value > 0, $"loss term {value}"));
        Assert.Equal(12, metrics.Bbox.Count);
        Assert.Equal(model.StartsWith("maskrcnn", StringComparison.Ordinal), metrics.Segm is not null);
        // The step reached every trained part, and the frozen layer1 stayed as it was.
        var after = Snapshot(run.Model);
        foreach (string key in new[] { "backbone.body.layer4.2.conv3.weight", "backbone.fpn.layer_blocks.0.0.weight", "rpn.head.cls_logits.weight", "roi_heads.box_predictor.cls_score.weight" })
            Assert.True(!before[key].SequenceEqual(after[key]), $"{key} did not change");
        Assert.Equal(before["backbone.body.layer1.0.conv1.weight"], after["backbone.body.layer1.0.conv1.weight"]);

        foreach (string file in new[] { RunLedger.OptionsFile, RunLedger.StateFile, RunDirectory.LastCheckpoint, RunDirectory.BestCheckpoint, RunLedger.CurvesFile })
            Assert.True(File.Exists(Path.Combine(directory, file)), file);
        Assert.Single(DetectionTrainingRun.ReadMetrics(Path.Combine(directory, RunLedger.MetricsFile)));
        var weights = WeightsFile.Read(Path.Combine(directory, RunDirectory.BestCheckpoint));
        var metadata = DetectionCheckpoint.MetadataOf(weights, "best")!;
        Assert.Equal(model, metadata.Model);
        Assert.Equal(["stripes", "dots"], metadata.Categories.Select(c => c.Name));
        Assert.Equal(model.EndsWith("-dct", StringComparison.Ordinal) ? "24" : null, metadata.Channels?.Name);
        Assert.Equal(model.EndsWith("-dct", StringComparison.Ordinal) ? Frequency.Channels.ChannelStatistics.ImageNet.Mean : null, metadata.Statistics?.Mean);
    }

    [Fact]
    public void A_release_detector_starts_a_run_with_its_coco_statistics_which_the_run_keeps_for_resume()
    {
        using var folder = new TemporaryDirectory();
        var set = TinyDetectionSets.Drawn(folder.Path);
        string release = folder.File("latest.safetensors");
        using (var detector = DetectionModels.Create("fasterrcnn-r50-fpn-dct", classes: 81))
            SafeTensorsFile.WriteFile(release, MmdetV1Weights.ToMmdetV1Names(DeterministicDetectionWeights.For(detector), dctChannels: 24));
        var options = TinyDetectionSets.Options("fasterrcnn-r50-fpn-dct", set) with { Epochs = 2, Init = release };
        string directory = folder.File("run");

        using (var run = DetectionTrainingRun.Start(options, directory))
        {
            Assert.StartsWith("the mmdetection v1 detector from", run.Initialization, StringComparison.Ordinal);
            Assert.Contains("roi_heads.box_predictor.cls_score, roi_heads.box_predictor.bbox_pred fresh", run.Initialization, StringComparison.Ordinal);
            Assert.Same(MmdetV1Weights.CocoStatistics, run.Model.Input.Statistics);
            run.RunEpoch();
        }
        File.Delete(release);
        using (var run = DetectionTrainingRun.Resume(directory))
            Assert.Equal(MmdetV1Weights.CocoStatistics.Std, run.Model.Input.Statistics!.Std);
        var metadata = DetectionCheckpoint.MetadataOf(WeightsFile.Read(Path.Combine(directory, RunDirectory.LastCheckpoint)), "last")!;
        Assert.Equal(MmdetV1Weights.CocoStatistics.Mean, metadata.Statistics!.Mean);
    }

    [Fact]
    public void A_backbone_of_the_other_input_is_refused_with_the_reason()
    {
        using var folder = new TemporaryDirectory();
        string rgb = TinyDetectionSets.BackboneWeights(folder.Path, "fasterrcnn-r50-fpn");
        string dct = TinyDetectionSets.BackboneWeights(folder.Path, "fasterrcnn-r50-fpn-dct");
        using var dctModel = DetectionModels.Create("fasterrcnn-r50-fpn-dct", classes: 3);
        using var rgbModel = DetectionModels.Create("fasterrcnn-r50-fpn", classes: 3);

        var intoDct = Assert.Throws<CheckpointException>(() => DetectionInitialization.Apply(dctModel, WeightsFile.Read(rgb).Weights, rgb));
        Assert.Contains("a torchvision RGB ResNet-50 does not fit a DCT backbone", intoDct.Message, StringComparison.Ordinal);
        var intoRgb = Assert.Throws<CheckpointException>(() => DetectionInitialization.Apply(rgbModel, WeightsFile.Read(dct).Weights, dct));
        Assert.Contains("a resnet50-dct classifier does not fit an RGB detector's backbone", intoRgb.Message, StringComparison.Ordinal);
        var neither = Assert.Throws<CheckpointException>(() => DetectionInitialization.Apply(rgbModel, new StateDict(), "empty.pth"));
        Assert.StartsWith("empty.pth: neither detector weights", neither.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_directory_that_holds_a_run_is_refused_and_resume_needs_one()
    {
        using var folder = new TemporaryDirectory();
        var set = TinyDetectionSets.Drawn(folder.Path);
        File.WriteAllText(folder.File(RunLedger.OptionsFile), "{}");
        var taken = Assert.Throws<ArgumentException>(() => DetectionTrainingRun.Start(TinyDetectionSets.Options("fasterrcnn-r50-fpn", set), folder.Path));
        Assert.Contains("already holds a run", taken.Message, StringComparison.Ordinal);
        var none = Assert.Throws<CheckpointException>(() => DetectionTrainingRun.Resume(folder.File("empty")));
        Assert.Contains("not a detection training run directory", none.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_directory_another_run_holds_is_refused_to_a_new_run_and_to_a_resume_naming_the_owner()
    {
        using var folder = new TemporaryDirectory();
        var set = TinyDetectionSets.Drawn(folder.Path);
        string run = folder.File("run");
        string owner = $"{run}: in use by process {Environment.ProcessId} on {Environment.MachineName} since ";
        using var held = RunDirectoryLock.Acquire(run);

        var start = Assert.Throws<IOException>(() => DetectionTrainingRun.Start(TinyDetectionSets.Options("fasterrcnn-r50-fpn", set), run));
        File.WriteAllText(Path.Combine(run, RunLedger.OptionsFile), "{}");
        var resume = Assert.Throws<IOException>(() => DetectionTrainingRun.Resume(run));

        Assert.StartsWith(owner, start.Message, StringComparison.Ordinal);
        Assert.StartsWith(owner, resume.Message, StringComparison.Ordinal);
        Assert.Equal([RunLedger.OptionsFile, RunDirectoryLock.FileName], Directory.GetFiles(run).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_resume_refuses_an_options_file_edited_past_the_bounds_naming_the_file()
    {
        using var folder = new TemporaryDirectory();
        var set = TinyDetectionSets.Drawn(folder.Path);
        string run = folder.File("run");
        string optionsPath = Path.Combine(run, RunLedger.OptionsFile);
        Directory.CreateDirectory(run);
        var options = TinyDetectionSets.Options("fasterrcnn-r50-fpn", set);
        (DetectionTrainingOptions Edited, string Error)[] cases =
        [
            (options with { Threads = 1_000_000 }, "threads must be from 1 to 1024, got 1000000."),
            (options with { BatchSize = 2_000_000_000 }, "batch size must be from 1 to 1024, got 2000000000."),
            (options with { Epochs = int.MaxValue }, "epochs must be from 1 to 10000, got 2147483647."),
            (options with { ShortEdge = 800, LongEdge = 100_000 }, "the scale needs 0 < short edge <= long edge <= 4096, got 800 and 100000."),
            (options with { Model = "yolo" }, "Unknown detection model 'yolo'. Known detection models: "),
        ];
        foreach (var (edited, expected) in cases)
        {
            File.WriteAllText(optionsPath, edited.ToJson());

            var error = Assert.Throws<CheckpointException>(() => DetectionTrainingRun.Resume(run));

            Assert.StartsWith($"{optionsPath}: {expected}", error.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("(Parameter", error.Message, StringComparison.Ordinal);
        }
    }

    private static Dictionary<string, float[]> Snapshot(nn.Module model)
        => model.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().cpu().contiguous().data<float>().ToArray());
}

/// <summary>
/// Runs whose outcome depends on their fresh layers, which draw from libtorch's global generator - as every test that
/// builds a model does: these go alone, so that the seed decides them.
/// </summary>
[Collection(SharedTorchGenerator.Name)]
public sealed class SeededDetectionRunTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [SharedDataFact]
    public void A_few_dozen_steps_on_real_images_reduce_every_loss_term()
    {
        using var folder = new TemporaryDirectory();
        var set = TinyDetectionSets.Real(folder.File("train"), images: 6);
        var validation = TinyDetectionSets.Real(folder.File("val"), images: 1);
        var options = TinyDetectionSets.Options("maskrcnn-r50-fpn", set, validation, width: 128, height: 96) with
        {
            Epochs = 8,
            DecayEpochs = [8],
            RoIsPerImage = 64,
            Init = TinyDetectionSets.BackboneWeights(folder.Path, "maskrcnn-r50-fpn"),
        };
        using var run = DetectionTrainingRun.Start(options, folder.File("run"));
        var epochs = new List<DetectionEpochMetrics>();
        while (!run.Ledger.Finished)
            epochs.Add(run.RunEpoch());

        Assert.Equal(24, epochs.Count * run.BatchesPerEpoch);
        foreach (string term in epochs[0].Losses.Keys)
        {
            double first = epochs.Take(2).Average(e => e.Losses[term]), last = epochs.TakeLast(2).Average(e => e.Losses[term]);
            output.WriteLine($"{term}: {first:F4} in the first two epochs, {last:F4} in the last two");
            Assert.True(last < first, $"{term} went from {first} to {last}");
        }
    }

    [Fact]
    public void A_run_resumed_after_its_first_epoch_ends_as_the_uninterrupted_run()
    {
        using var folder = new TemporaryDirectory();
        var set = TinyDetectionSets.Drawn(folder.Path);
        var options = TinyDetectionSets.Options("fasterrcnn-r50-fpn", set) with { Epochs = 2, Init = TinyDetectionSets.BackboneWeights(folder.Path, "fasterrcnn-r50-fpn") };

        string straight = folder.File("straight"), resumed = folder.File("resumed");
        using (var run = DetectionTrainingRun.Start(options, straight))
        {
            while (!run.Ledger.Finished)
                run.RunEpoch();
        }
        using (var run = DetectionTrainingRun.Start(options, resumed))
            run.RunEpoch();
        using (var run = DetectionTrainingRun.Resume(resumed))
        {
            Assert.Equal(1, run.Ledger.CompletedEpochs);
            Assert.Null(run.Initialization);
            run.RunEpoch();
            Assert.True(run.Ledger.Finished);
        }

        Assert.Equal(File.ReadAllLines(Path.Combine(straight, RunLedger.MetricsFile)).Select(WithoutSpeed),
            File.ReadAllLines(Path.Combine(resumed, RunLedger.MetricsFile)).Select(WithoutSpeed));
        Assert.Equal(File.ReadAllBytes(Path.Combine(straight, RunDirectory.LastCheckpoint)), File.ReadAllBytes(Path.Combine(resumed, RunDirectory.LastCheckpoint)));
    }

    private static string WithoutSpeed(string line) => System.Text.RegularExpressions.Regex.Replace(line, "\"images_per_s\":[^,]*,", "");
}
