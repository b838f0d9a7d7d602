using System.Text.Json;
using DctNet.Checkpoints;
using DctNet.Detection.Coco;
using DctNet.Detection.Modeling;
using DctNet.Frequency.Imaging;

namespace DctNet.Cli.Tests.Commands;

/// <summary>
/// <c>dctnet detect</c> end to end against torchvision: with the parity tests' deterministic weights (written as a
/// PyTorch file, as torchvision's checkpoints come), the results file must hold torchvision 0.14's detections on the
/// fixture images (tests/fixtures/detection/models.json, tools/detection/make_parity_fixtures.py) above the threshold.
/// </summary>
public sealed class DetectTests
{
    private const double Threshold = 0.3;
    private static readonly string Fixtures = Path.Combine(CliHarness.RepositoryRoot, "tests", "fixtures", "detection");

    [Fact]
    public void Mask_rcnn_writes_torchvisions_detections_and_pictures_and_reports_bad_images_without_stopping()
    {
        using var harness = new CliHarness();
        string weights = harness.PathIn("maskrcnn.pth");
        using (var model = DetectionModels.Create("maskrcnn-r50-fpn"))
            PyTorchCheckpoint.Write(weights, DeterministicDetectionWeights.For(model));
        string goose = Path.Combine(Fixtures, "images", "goose.png");
        string zebra = Path.Combine(Fixtures, "images", "zebra.png");
        string broken = harness.Write("broken.jpg", "not an image"u8.ToArray());
        string unlisted = harness.Write("unlisted.png", File.ReadAllBytes(goose));
        string annotations = harness.Write("instances.json", """
            {"images": [{"id": 42, "width": 228, "height": 320, "file_name": "goose.png"}, {"id": 7, "width": 320, "height": 240, "file_name": "val/zebra.png"},
                        {"id": 9, "width": 10, "height": 10, "file_name": "broken.jpg"}],
             "categories": [{"id": 66, "name": "n/a"}], "annotations": []}
            """u8.ToArray());
        string output = harness.PathIn("out");

        var result = CliHarness.Run("detect", "--model", "maskrcnn-r50-fpn", "--weights", weights, goose, broken, zebra, unlisted,
            "--annotations", annotations, "--score", "0.3", "--out", output);

        Assert.Equal(1, result.ExitCode);
        Assert.Equal([
            $"error: {broken}: unrecognised image format (supported: JPEG, PNG, BMP, WebP)",
            $"error: {unlisted}: not among the images of {annotations}.",
            "error: 2 of 4 images could not be processed."], result.ErrorLines);
        Assert.Equal(["detections.json", "goose.png", "zebra.png"], CliHarness.FilesBelow(output));

        var written = CocoResults.Read(Path.Combine(output, "detections.json"));
        AssertTorchvisionDetections("goose.png", 42, [.. written.Where(d => d.ImageId == 42)]);
        AssertTorchvisionDetections("zebra.png", 7, [.. written.Where(d => d.ImageId == 7)]);
        Assert.Equal(written.Count, written.Count(d => d.ImageId is 42 or 7));

        foreach (string image in new[] { goose, zebra })
        {
            var original = new ImageDecoder().DecodeFile(image);
            var picture = new ImageDecoder().DecodeFile(Path.Combine(output, Path.GetFileName(image)));
            Assert.Equal((original.Width, original.Height), (picture.Width, picture.Height));
            int changed = original.Pixels.Zip(picture.Pixels, (a, b) => a != b).Count(c => c);
            Assert.True(changed > 0, $"{image}: nothing drawn");
        }
    }

    [Theory]
    [InlineData("--score", "1.5")]
    [InlineData("--model", "yolo")]
    [InlineData("--channels", "24")]
    public void Usage_mistakes_exit_2(string option, string value)
    {
        using var harness = new CliHarness();
        string[] args = ["detect", "--model", "fasterrcnn-r50-fpn", "--weights", harness.PathIn("w.pth"), Path.Combine(Fixtures, "images", "goose.png"), "--out", harness.PathIn("out")];
        int at = Array.IndexOf(args, option);
        if (at >= 0)
            args[at + 1] = value;

        var result = CliHarness.Run([.. args, .. at >= 0 ? Array.Empty<string>() : [option, value]]);

        Assert.Equal(2, result.ExitCode);
        Assert.Single(result.ErrorLines);
        Assert.Empty(CliHarness.FilesBelow(harness.Temp));
    }

    [Fact]
    public void A_dct_detector_reads_the_image_as_dct_coefficients_and_writes_its_detections()
    {
        using var harness = new CliHarness();
        string weights = harness.PathIn("dct.pth");
        using (var model = DetectionModels.Create("fasterrcnn-r50-fpn-dct", channels: DctNet.Frequency.Channels.ChannelSubset.BuiltIn(24)))
            PyTorchCheckpoint.Write(weights, DeterministicDetectionWeights.For(model));
        string output = harness.PathIn("out");

        var result = CliHarness.Run("detect", "--model", "fasterrcnn-r50-fpn-dct", "--channels", "24", "--weights", weights,
            Path.Combine(Fixtures, "images", "goose.png"), "--score", "0", "--out", output);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("DCT-24 input", result.Out, StringComparison.Ordinal);
        var written = CocoResults.Read(Path.Combine(output, "detections.json"));
        Assert.Equal(100, written.Count);
        Assert.All(written, d => Assert.True(d.ImageId == 1 && d.Mask is null && d.Box is { Width: >= 0, Height: >= 0 } && d.CategoryId is > 0 and < 91, $"{d}"));
        Assert.Equal(written.OrderByDescending(d => d.Score).Select(d => d.Score), written.Select(d => d.Score));
        Assert.Equal(["detections.json", "goose.png"], CliHarness.FilesBelow(output));
    }

    [Fact]
    public void Images_that_would_share_a_picture_are_refused_before_any_work()
    {
        using var harness = new CliHarness();
        string png = Path.Combine(Fixtures, "images", "goose.png");
        string jpg = harness.Write("goose.jpg", File.ReadAllBytes(png));

        var result = CliHarness.Run("detect", "--model", "fasterrcnn-r50-fpn", "--weights", harness.PathIn("w.pth"), png, jpg, "--out", harness.PathIn("out"));

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith($"error: {png} and {jpg} would both be drawn to {Path.Combine(harness.PathIn("out"), "goose.png")}", result.ErrorLines.Single(), StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_weights_are_one_line_and_exit_1()
    {
        using var harness = new CliHarness();

        var result = CliHarness.Run("detect", "--model", "fasterrcnn-r50-fpn", "--weights", harness.PathIn("missing.pth"),
            Path.Combine(Fixtures, "images", "goose.png"), "--out", harness.PathIn("out"));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains(harness.PathIn("missing.pth"), result.ErrorLines.Single(), StringComparison.Ordinal);
        Assert.Empty(CliHarness.FilesBelow(harness.Temp));
    }

    /// <summary>Labels and order equal, boxes within 0.01 px, scores within 1e-4, masks with IoU at least 0.99 (the parity tests' tolerances).</summary>
    private static void AssertTorchvisionDetections(string image, long imageId, List<CocoDetection> actual)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures, "models.json")));
        var expected = json.RootElement.GetProperty("cases").EnumerateArray()
            .Single(c => c.GetProperty("model").GetString() == "maskrcnn-r50-fpn" && c.GetProperty("image").GetString() == image).GetProperty("detections");
        float[] scores = [.. expected.GetProperty("scores").EnumerateArray().Select(s => s.GetSingle())];
        long[] labels = [.. expected.GetProperty("labels").EnumerateArray().Select(s => s.GetInt64())];
        float[] boxes = [.. expected.GetProperty("boxes").GetProperty("values").EnumerateArray().Select(s => s.GetSingle())];
        var masks = expected.GetProperty("masks").EnumerateArray().ToList();
        Assert.True(scores.All(s => Math.Abs(s - Threshold) > 1e-3), "no fixture score so close to the threshold that 1e-4 could flip it");
        int kept = scores.Count(s => s >= Threshold);
        Assert.True(kept >= 2, $"{image}: the fixture has detections above {Threshold}");
        Assert.Equal(kept, actual.Count);
        for (int i = 0; i < kept; i++)
        {
            var detection = actual[i];
            Assert.Equal(imageId, detection.ImageId);
            Assert.Equal(labels[i], detection.CategoryId);
            Assert.Equal(scores[i], detection.Score, 1e-4);
            var box = detection.Box!.Value;
            double[] xywh = [boxes[4 * i], boxes[4 * i + 1], boxes[4 * i + 2] - boxes[4 * i], boxes[4 * i + 3] - boxes[4 * i + 1]];
            Assert.Equal(xywh, [box.X, box.Y, box.Width, box.Height], (a, b) => Math.Abs(a - b) <= 0.01);
            var mask = detection.Mask!;
            var torchvisionMask = new Rle(mask.Height, mask.Width, [.. masks[i].EnumerateArray().Select(c => c.GetUInt32())]);
            double iou = mask.Area == 0 && torchvisionMask.Area == 0 ? 1 : Rle.Iou(mask, torchvisionMask, groundTruthIsCrowd: false);
            Assert.True(iou >= 0.99, $"{image} detection {i}: mask IoU {iou:F4}");
        }
    }

    [Fact]
    public void A_release_checkpoint_brings_its_model_channels_coco_categories_and_plus_one_boxes()
    {
        using var harness = new CliHarness();
        string weights = harness.PathIn("latest.pth");
        using (var model = DetectionModels.Create("maskrcnn-r50-fpn-dct", classes: 81, channels: DctNet.Frequency.Channels.ChannelSubset.BuiltIn(24)))
            PyTorchCheckpoint.Write(weights, MmdetV1Weights.ToMmdetV1Names(DeterministicDetectionWeights.For(model), dctChannels: 24));
        string goose = Path.Combine(Fixtures, "images", "goose.png");
        string output = harness.PathIn("out");

        var result = CliHarness.Run("detect", "--weights", weights, goose, "--score", "0.05", "--out", output);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("maskrcnn-r50-fpn-dct (" + weights + ", DCT-24 input)", result.Out);
        var written = CocoResults.Read(Path.Combine(output, "detections.json"));
        Assert.NotEmpty(written);
        var cocoIds = MmdetV1Weights.CocoCategories.Select(c => c.Id).ToHashSet();
        Assert.All(written, d => Assert.Contains(d.CategoryId, cocoIds));
        Assert.All(written, d => Assert.NotNull(d.Mask));

        var contradicted = CliHarness.Run("detect", "--weights", weights, "--channels", "64", goose, "--out", output);
        Assert.Equal(2, contradicted.ExitCode);
        Assert.Contains("backbone takes 24 DCT channels, but channels 64 were asked for", contradicted.Error);
    }
}
