using System.Text.Json;
using DctNet.Checkpoints;
using DctNet.Detection.Inference;
using DctNet.Detection.Modeling;
using DctNet.Detection.Ops;
using DctNet.Frequency.Channels;
using DctNet.Frequency.Imaging;
using static DctNet.Detection.Tests.Modeling.DetectionFixtures;
using static TorchSharp.torch;

namespace DctNet.Detection.Tests.Modeling;

/// <summary>
/// The release's mmdetection v1 checkpoints and "+1" test time. mmdetection v1 itself is not installable here (it needs
/// its own compiled CUDA ops), so its RoIAlign and mask resizing are checked against the libraries they equal
/// (mmdet_v1.json from tools/detection/make_mmdet_v1_fixtures.py: torchvision's roi_align on "+1" boxes, OpenCV's resize),
/// and its anchors and box decoding against values worked out from its formulas (mmdet/core/anchor/anchor_generator.py,
/// mmdet/core/bbox/transforms.py delta2bbox).
/// </summary>
public sealed class MmdetV1Tests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static readonly float[] UnitStds = [1, 1, 1, 1];
    private static readonly float[] BoxStds = [0.1f, 0.1f, 0.2f, 0.2f];
    private static readonly JsonElement Fixture = Fixtures.JsonAt(Path.Combine(DetectionFixtures.Directory, "mmdet_v1.json"));

    [Fact]
    public void RoIAlign_ends_one_pixel_after_the_box_as_torchvision_on_plus_one_boxes()
    {
        using var scope = NewDisposeScope();
        var roiAlign = Fixture.GetProperty("roi_align");
        var features = Tensor(roiAlign.GetProperty("features"));
        foreach (var testCase in roiAlign.GetProperty("cases").EnumerateArray())
        {
            int size = testCase.GetProperty("output_size").GetInt32();
            var result = RoIAlign.ApplyMmdetV1(features, Tensor(testCase.GetProperty("rois")), size, testCase.GetProperty("spatial_scale").GetSingle(), 2);
            float difference = MaxDifference(result, Tensor(testCase.GetProperty("output")));
            Assert.True(difference <= 2e-6f, $"{size}x{size}: max |diff| {difference}");
        }
    }

    [Fact]
    public void Mask_probabilities_resize_and_threshold_as_opencv()
    {
        using var scope = NewDisposeScope();
        foreach (var testCase in Fixture.GetProperty("mask_resize").EnumerateArray())
        {
            int width = testCase.GetProperty("width").GetInt32(), height = testCase.GetProperty("height").GetInt32();
            var mask = tensor(Floats(testCase.GetProperty("mask"))).view(28, 28);
            float[] binary = MmdetV1TestTime.BinaryMask(mask, width, height).contiguous().data<float>().ToArray();
            int[] expected = [.. testCase.GetProperty("binary").EnumerateArray().Select(v => v.GetInt32())];
            int differing = expected.Zip(binary, (e, a) => e != (int)a).Count(d => d);
            output.WriteLine($"{width} x {height}: {differing} of {expected.Length} pixels differ");
            Assert.Equal(0, differing);
        }
    }

    [Fact]
    public void Anchors_are_centred_at_half_the_stride_minus_a_half_with_plus_one_sizes()
    {
        using var scope = NewDisposeScope();
        // Stride 4, scale 8, ratios 0.5, 1, 2: centre 1.5, sizes 45.25 x 22.63, 32 x 32, 22.63 x 45.25, corners +-(size - 1) / 2, rounded.
        var anchors = MmdetV1TestTime.Anchors(4, 2, 3, CPU);
        Assert.Equal([2L * 3 * 3, 4], anchors.shape);
        float[] values = anchors.contiguous().data<float>().ToArray();
        Assert.Equal([-21f, -9, 24, 12, -14, -14, 17, 17, -9, -21, 12, 24], values[..12]);
        // The next position along x is 4 pixels on; the first of the second row 4 pixels down.
        Assert.Equal([-17f, -9, 28, 12], values[12..16]);
        Assert.Equal([-21f, -5, 24, 16], values[(3 * 3 * 4)..(3 * 3 * 4 + 4)]);
    }

    [Fact]
    public void Box_decoding_counts_both_end_pixels_and_clamps_to_the_last_pixel()
    {
        using var scope = NewDisposeScope();
        var references = Boxes(0, 0, 9, 9, 2, 3, 5, 4);
        var zero = MmdetV1TestTime.Decode(references, zeros(2, 4), UnitStds, (100, 100));
        Assert.Equal(references.data<float>().ToArray(), zero.data<float>().ToArray());

        // dx 0.1 of a 10-pixel box moves it by one pixel; the image ends at x = 7.
        var moved = MmdetV1TestTime.Decode(references.narrow(0, 0, 1), Boxes(0.1f, 0, 0, 0), UnitStds, (20, 8));
        Assert.Equal([1f, 0f, 7f, 9f], moved.data<float>().ToArray());
        // Box-head deltas are scaled by the stds (0.1, 0.1, 0.2, 0.2): dw 0.2 x ln 2 / 0.2 doubles the width.
        var wider = MmdetV1TestTime.Decode(Boxes(20, 20, 29, 29), Boxes(0, 0, MathF.Log(2) / 0.2f, 0),
            BoxStds, (100, 100));
        float[] box = wider.data<float>().ToArray();
        Assert.Equal(15f, box[0], 4);
        Assert.Equal(34f, box[2], 4);
        Assert.Equal([20f, 29f], new[] { box[1], box[3] });
    }

    [Theory]
    [InlineData("maskrcnn-r50-fpn")]
    [InlineData("maskrcnn-r50-fpn-dct")]
    [InlineData("fasterrcnn-r50-fpn-dct")]
    public void Release_checkpoint_keys_map_onto_the_model_tensor_for_tensor(string name)
    {
        using var scope = NewDisposeScope();
        using var model = DetectionModels.Create(name, classes: 81);
        var ours = DeterministicDetectionWeights.For(model);
        var release = MmdetV1Weights.ToMmdetV1Names(ours, model.Input.Channels?.Count);
        Assert.True(MmdetV1Weights.Recognizes(release));
        Assert.Equal(81, MmdetV1Weights.Classes(release, "release"));
        Assert.Equal(name.StartsWith("maskrcnn", StringComparison.Ordinal), MmdetV1Weights.HasMasks(release));

        DetectionModels.LoadWeights(model, release, "release");
        using (var created = MmdetV1Weights.CreateModel(release, "release"))
        {
            Assert.Equal(name, created.GetName());
            Assert.Same(MmdetV1TestTime.Instance, created.TestTime);
            Assert.Equal(name.EndsWith("-dct", StringComparison.Ordinal) ? "24" : null, created.Input.Channels?.Name);
            if (created.Input is { Channels: not null } input)
            {
                // The release's configs/mean_std.py: the DC coefficients of Y, Cb and Cr (COCO train2017, not ImageNet).
                Assert.Same(MmdetV1Weights.CocoStatistics, input.Statistics);
                Assert.Equal([-123.44, -47.657, 29.966], new[] { input.Statistics!.Mean[0], input.Statistics.Mean[64], input.Statistics.Mean[128] });
                Assert.Equal([168.99, 56.080, 49.220], new[] { input.Statistics.Std[0], input.Statistics.Std[64], input.Statistics.Std[128] });
            }
        }

        var loaded = ModuleState.Capture(model);
        foreach (var (ourKey, releaseKey) in new[]
        {
            ("backbone.body.layer1.0.conv1.weight", "backbone.layer1.0.conv1.weight"),
            ("backbone.body.layer3.5.bn2.running_var", "backbone.layer3.5.bn2.running_var"),
            ("backbone.fpn.inner_blocks.2.0.weight", "neck.lateral_convs.2.conv.weight"),
            ("backbone.fpn.layer_blocks.3.0.bias", "neck.fpn_convs.3.conv.bias"),
            ("rpn.head.conv.0.0.weight", "rpn_head.rpn_conv.weight"),
            ("rpn.head.cls_logits.weight", "rpn_head.rpn_cls.weight"),
            ("rpn.head.bbox_pred.bias", "rpn_head.rpn_reg.bias"),
            ("roi_heads.box_head.fc6.weight", "bbox_head.shared_fcs.0.weight"),
            ("roi_heads.box_head.fc7.bias", "bbox_head.shared_fcs.1.bias"),
            ("roi_heads.box_predictor.cls_score.weight", "bbox_head.fc_cls.weight"),
            ("roi_heads.box_predictor.bbox_pred.weight", "bbox_head.fc_reg.weight"),
        })
        {
            Assert.Equal(release[releaseKey].Bytes.ToArray(), loaded[ourKey].Bytes.ToArray());
        }
        if (model.RoIHeads.HasMasks)
        {
            Assert.Equal(release["mask_head.convs.3.conv.weight"].Bytes.ToArray(), loaded["roi_heads.mask_head.3.0.weight"].Bytes.ToArray());
            Assert.Equal(release["mask_head.upsample.weight"].Bytes.ToArray(), loaded["roi_heads.mask_predictor.conv5_mask.weight"].Bytes.ToArray());
            Assert.Equal(release["mask_head.conv_logits.bias"].Bytes.ToArray(), loaded["roi_heads.mask_predictor.mask_fcn_logits.bias"].Bytes.ToArray());
        }
    }

    [Fact]
    public void The_plus_one_test_time_finds_what_torchvisions_finds_with_the_same_weights()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var model = DetectionModels.Create("maskrcnn-r50-fpn");
        DetectionModels.LoadWeights(model, DeterministicDetectionWeights.For(model), "deterministic");
        var picture = new ImageDecoder().DecodeFile(Path.Combine(DetectionFixtures.Directory, "images", "zebra.png"));
        var detector = new ImageDetector(model, CPU);
        var torchvision = detector.Detect(picture, 0.3);
        model.TestTime = MmdetV1TestTime.Instance;
        var mmdet = detector.Detect(picture, 0.3);

        // The two conventions differ by a pixel here and there (anchors, box widths, OpenCV against torch resizing), which
        // reorders near ties in NMS among these random weights' many overlapping boxes, but not in what they find.
        Assert.True(torchvision.Count > 5, "the weights find objects");
        int matched = torchvision.Count(t => mmdet.Any(m => m.Label == t.Label && Math.Abs(m.Score - t.Score) < 0.05
            && Math.Abs(m.X1 - t.X1) < 8 && Math.Abs(m.Y1 - t.Y1) < 8 && Math.Abs(m.X2 - t.X2) < 8 && Math.Abs(m.Y2 - t.Y2) < 8));
        output.WriteLine($"{matched} of {torchvision.Count} torchvision detections have an mmdetection v1 twin ({mmdet.Count} found)");
        Assert.True(matched >= 0.7 * torchvision.Count, $"{matched} of {torchvision.Count}");
        Assert.All(mmdet, d => Assert.Equal(d.X2 - d.X1 + 1, (float)d.CocoBox.Width, 3));
        Assert.All(mmdet, d => Assert.NotNull(d.Mask));
    }

    private static Tensor Boxes(params float[] values) => tensor(values).view(-1, 4);
}
