using DctNet.Checkpoints;
using DctNet.Detection.Coco;
using DctNet.Detection.Inference;
using DctNet.Detection.Modeling;
using DctNet.Frequency.Channels;
using DctNet.Frequency.Imaging;
using static DctNet.Detection.Tests.Modeling.DetectionFixtures;
using static TorchSharp.torch;

namespace DctNet.Detection.Tests.Modeling;

/// <summary>The -dct detectors: torchvision's module names without the RGB stem, layer1 adapted to C channels, DCT input at 1/4 of the padded image.</summary>
public sealed class DctDetectionModelTests
{
    [Theory]
    [InlineData(24)]
    [InlineData(64)]
    [InlineData(192)]
    public void Keys_are_torchvisions_without_the_stem_and_layer1_takes_the_channels(int channels)
    {
        using var model = DetectionModels.Create("maskrcnn-r50-fpn-dct", channels: ChannelSubset.BuiltIn(channels));
        var rgb = ModelsJson.GetProperty("keys").GetProperty("maskrcnn-r50-fpn").EnumerateArray()
            .Select(entry => (Key: entry[0].GetString()!, Shape: string.Join("x", entry[1].EnumerateArray().Select(s => s.GetInt64()))))
            .Where(entry => !entry.Key.StartsWith("backbone.body.conv1.", StringComparison.Ordinal) && !entry.Key.StartsWith("backbone.body.bn1.", StringComparison.Ordinal))
            .Select(entry => entry.Key switch
            {
                "backbone.body.layer1.0.conv1.weight" => $"{entry.Key} 64x{channels}x1x1",
                "backbone.body.layer1.0.downsample.0.weight" => $"{entry.Key} 256x{channels}x1x1",
                _ => $"{entry.Key} {entry.Shape}",
            });

        var actual = ModuleState.Capture(model).Select(entry => $"{entry.Key} {string.Join("x", entry.Value.Shape)}");

        Assert.Equal(rgb, actual);
    }

    [Theory]
    [InlineData(65)]
    [InlineData(128)]
    public void Channel_counts_the_release_does_not_define_are_refused(int channels)
    {
        var subset = ChannelSubset.FromLists($"{channels}", Enumerable.Range(0, 64), Enumerable.Range(0, channels - 64), []);
        Assert.Throws<ArgumentOutOfRangeException>(() => DetectionModels.Create("fasterrcnn-r50-fpn-dct", channels: subset));
    }

    [Fact]
    public void Rgb_models_refuse_channels()
        => Assert.Throws<ArgumentException>(() => DetectionModels.Create("fasterrcnn-r50-fpn", channels: ChannelSubset.BuiltIn(24)));

    [Fact]
    public void Features_lie_on_the_padded_grid_and_detections_come_back_in_image_coordinates()
    {
        using var model = DetectionModels.Create("maskrcnn-r50-fpn-dct");
        DetectionModels.LoadWeights(model, DeterministicDetectionWeights.For(model), "deterministic");
        var image = new ImageDecoder().DecodeFile(Path.Combine(DetectionFixtures.Directory, "images", "goose.png"));
        var input = Assert.IsType<DctGeneralizedRCNNTransform>(model.Input).Transform.Transform(image);
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();

        var features = model.Backbone.call(tensor(input.Values, [1, input.Channels, input.BlockRows, input.BlockColumns]));
        var found = new ImageDetector(model, CPU).Detect(image, minimumScore: 0);

        // goose.png is 228 wide, 320 high: rescaled by 800 / 228 to 800 x 1123, padded to 800 x 1152, 200 x 288 blocks.
        Assert.Equal((24, 288, 200, 800, 1123), (input.Channels, input.BlockRows, input.BlockColumns, input.ResizedWidth, input.ResizedHeight));
        Assert.Equal([[1, 256, 288, 200], [1, 256, 144, 100], [1, 256, 72, 50], [1, 256, 36, 25], [1, 256, 18, 13]], features.Select(f => f.shape));
        Assert.NotEmpty(found);
        // Boxes are clipped to the rescaled image and divided by the factor, as mmdetection does: the rounding of the
        // rescaled size lets them reach a little past the original border (1123 / (800 / 228) = 320.055).
        double right = input.ResizedWidth / input.Scale + 1e-3, bottom = input.ResizedHeight / input.Scale + 1e-3;
        Assert.All(found, d => Assert.True(d.X1 >= 0 && d.Y1 >= 0 && d.X2 <= right && d.Y2 <= bottom && d.X1 <= d.X2 && d.Y1 <= d.Y2, $"{d}"));
        Assert.All(found, d => Assert.Equal((image.Height, image.Width), (d.Mask!.Height, d.Mask.Width)));
    }

    /// <summary>
    /// End to end against the paper's detector in PyTorch (dct_models.json, tools/detection/make_dct_parity_fixtures.py):
    /// the release's input pipeline (OpenCV, TurboJPEG, libjpeg's coefficients) and torchvision 0.14's heads on the DCT
    /// body, the deterministic weights, real images. The same detections, as for the RGB models, also with the backbone
    /// and FPN on ONNX Runtime (what <c>dctnet detect</c> runs on the CPU).
    /// </summary>
    [Theory]
    [InlineData("maskrcnn-r50-fpn-dct", "goose.png", false)]
    [InlineData("maskrcnn-r50-fpn-dct", "zebra.png", false)]
    [InlineData("fasterrcnn-r50-fpn-dct", "goose.png", false)]
    [InlineData("fasterrcnn-r50-fpn-dct", "zebra.png", false)]
    [InlineData("maskrcnn-r50-fpn-dct", "goose.png", true)]
    [InlineData("fasterrcnn-r50-fpn-dct", "zebra.png", true)]
    public void Detections_equal_the_reference_pipeline_and_torchvisions_heads(string name, string image, bool onnxRuntimeBackbone)
    {
        var expected = DctModelsJson.GetProperty("cases").EnumerateArray()
            .Single(c => c.GetProperty("model").GetString() == name && c.GetProperty("image").GetString() == image).GetProperty("detections");
        using var scope = NewDisposeScope();
        using var model = DetectionModels.Create(name, channels: ChannelSubset.BuiltIn(24));
        DetectionModels.LoadWeights(model, DeterministicDetectionWeights.For(model), "deterministic");
        var picture = new ImageDecoder().DecodeFile(Path.Combine(DetectionFixtures.Directory, "images", image));
        if (onnxRuntimeBackbone)
            model.RunBackboneOnOnnxRuntime(threads: 0);

        var found = new ImageDetector(model, CPU).Detect(picture, minimumScore: 0);

        long[] labels = Longs(expected.GetProperty("labels"));
        float[] scores = Floats(expected.GetProperty("scores"));
        float[] boxes = Floats(expected.GetProperty("boxes").GetProperty("values"));
        var masks = expected.TryGetProperty("masks", out var runs)
            ? runs.EnumerateArray().Select(m => new Rle(picture.Height, picture.Width, [.. m.EnumerateArray().Select(c => c.GetUInt32())])).ToList()
            : null;
        Assert.True(labels.Length > 10, "the fixture has real detections");
        Assert.Equal(labels.Length, found.Count);
        // These weights saturate many scores at exactly 1 on DCT input, and tied scores have no order: each reference
        // detection is matched to its nearest unmatched twin of the same label with a score within 1e-4 and corners
        // within 1e-4 of the image's larger side - the logits' parity bar (1e-4 of the largest value) applied to
        // coordinates. A corner's float32 error is that of the regression deltas times the proposal's size, not the
        // box's: these weights decode many boxes a few hundredths of a pixel thick from proposals tens of pixels wide,
        // and such a box's long side moved by 0.0103 px between two hosts' kernels (70.592 against 70.582 on a 320 px
        // image), beyond a fixed 0.01 px but at 3e-5 of the image.
        float cornerBar = 1e-4f * Math.Max(picture.Width, picture.Height);
        var unmatched = found.ToList();
        double worstMask = 1;
        for (int i = 0; i < labels.Length; i++)
        {
            int index = i;
            float CornerError(DetectedObject d) => new[] { d.X1 - boxes[4 * index], d.Y1 - boxes[4 * index + 1], d.X2 - boxes[4 * index + 2], d.Y2 - boxes[4 * index + 3] }.Max(Math.Abs);
            var twin = unmatched.Where(d => d.Label == labels[i] && Math.Abs(d.Score - scores[i]) <= 1e-4f && CornerError(d) <= cornerBar)
                .MinBy(CornerError);
            Assert.True(twin is not null, $"reference detection {i} (label {labels[i]}, score {scores[i]}, box {string.Join(", ", boxes[(4 * i)..(4 * i + 4)])}) has no twin");
            unmatched.Remove(twin);
            if (masks is not null)
                worstMask = Math.Min(worstMask, masks[i].Area == 0 && twin.Mask!.Area == 0 ? 1.0 : Rle.Iou(twin.Mask!, masks[i], groundTruthIsCrowd: false));
        }
        Assert.True(worstMask >= 0.99, $"worst mask IoU {worstMask:F4}");
    }

    private static readonly System.Text.Json.JsonElement DctModelsJson = Fixtures.JsonAt(Path.Combine(DetectionFixtures.Directory, "dct_models.json"));
}
