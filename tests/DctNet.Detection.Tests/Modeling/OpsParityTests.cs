using System.Text.Json;
using DctNet.Detection.Modeling;
using DctNet.Detection.Ops;
using DctNet.Detection.Structures;
using static DctNet.Detection.Tests.Modeling.DetectionFixtures;
using static TorchSharp.torch;

namespace DctNet.Detection.Tests.Modeling;

/// <summary>The detection structures and ops against torchvision.ops and torchvision's modules (ops.json).</summary>
public sealed class OpsParityTests
{
    [Fact]
    public void Box_coder_decodes_and_encodes_as_torchvision_with_both_weightings()
    {
        var fixture = OpsJson.GetProperty("box_coder");
        using var scope = NewDisposeScope();
        var boxes = Tensor(fixture.GetProperty("boxes"));
        var deltas = Tensor(fixture.GetProperty("deltas"));
        var targets = Tensor(fixture.GetProperty("targets"));
        foreach (var testCase in fixture.GetProperty("cases").EnumerateArray())
        {
            double[] w = [.. testCase.GetProperty("weights").EnumerateArray().Select(v => v.GetDouble())];
            var coder = new BoxCoder(w[0], w[1], w[2], w[3]);
            Assert.True(MaxDifference(coder.DecodeSingle(deltas, boxes), Tensor(testCase.GetProperty("decoded"))) <= 1e-4f);
            Assert.True(MaxDifference(coder.Encode(targets, boxes), Tensor(testCase.GetProperty("encoded"))) <= 1e-5f);
        }
    }

    [Fact]
    public void Nms_keeps_the_boxes_torchvision_keeps_on_every_path()
    {
        foreach (var testCase in OpsJson.GetProperty("nms").EnumerateArray())
        {
            using var scope = NewDisposeScope();
            var boxes = Tensor(testCase.GetProperty("boxes"));
            var scores = Tensor(testCase.GetProperty("scores"));
            double threshold = testCase.GetProperty("threshold").GetDouble();
            var keep = testCase.GetProperty("batched").GetBoolean()
                ? Nms.Batched(boxes, scores, Tensor(testCase.GetProperty("idxs"), integer: true), threshold)
                : Nms.Apply(boxes, scores, threshold);
            long[] expected = Longs(testCase.GetProperty("keep"));
            Assert.True(expected.Length > 10 && expected.Length < boxes.shape[0], "the fixture suppresses some boxes, not all");
            Assert.Equal(expected, keep.data<long>().ToArray());
        }
    }

    [Fact]
    public void Batched_nms_switches_paths_where_torchvision_does()
    {
        var sizes = OpsJson.GetProperty("nms").EnumerateArray().Where(c => c.GetProperty("batched").GetBoolean())
            .Select(c => c.GetProperty("boxes").GetProperty("shape")[0].GetInt64() * 4).ToList();
        Assert.Contains(sizes, size => size <= Nms.CoordinateTrickLimit);
        Assert.Contains(sizes, size => size > Nms.CoordinateTrickLimit);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void RoIAlign_equals_torchvision_roi_align(bool aligned)
    {
        var fixture = OpsJson.GetProperty("roi_align");
        using var scope = NewDisposeScope();
        var features = Tensor(fixture.GetProperty("features"));
        var rois = Tensor(fixture.GetProperty("rois"));
        foreach (var testCase in fixture.GetProperty("cases").EnumerateArray().Where(c => c.GetProperty("aligned").GetBoolean() == aligned))
        {
            int[] size = [.. testCase.GetProperty("output_size").EnumerateArray().Select(v => v.GetInt32())];
            var output = RoIAlign.Apply(features, rois, size[0], size[1], testCase.GetProperty("spatial_scale").GetSingle(),
                testCase.GetProperty("sampling_ratio").GetInt32(), aligned);
            var expected = Tensor(testCase.GetProperty("output"));
            float difference = MaxDifference(output, expected);
            Assert.True(difference <= 2e-6f, $"aligned {aligned}, {size[0]}x{size[1]}: max |diff| {difference:G3}");
        }
    }

    [Fact]
    public void RoIAlign_is_differentiable_with_respect_to_the_features()
    {
        var fixture = OpsJson.GetProperty("roi_align");
        using var scope = NewDisposeScope();
        var features = Tensor(fixture.GetProperty("features")).requires_grad_();
        var rois = Tensor(fixture.GetProperty("rois"));
        RoIAlign.Apply(features, rois, 7, 7, 0.5f, 2, aligned: false).sum().backward();
        var gradient = features.grad!;
        // Every sample's bilinear weights sum to one, so the gradient of the sum is 1/4 per in-map sample.
        Assert.True(gradient.sum().item<float>() > 0);
        Assert.True(gradient.min().item<float>() >= 0);
    }

    [Fact]
    public void Anchors_equal_torchvision_anchor_generator()
    {
        var fixture = OpsJson.GetProperty("anchors");
        using var scope = NewDisposeScope();
        long[] image = Longs(fixture.GetProperty("image_size"));
        var grids = fixture.GetProperty("feature_sizes").EnumerateArray().Select(s => (s[0].GetInt64(), s[1].GetInt64())).ToList();
        var anchors = AnchorGenerator.ForFpn().Anchors(image[0], image[1], grids);
        Assert.Equal(0f, MaxDifference(anchors, Tensor(fixture.GetProperty("anchors"))));
    }

    [Fact]
    public void Level_mapper_assigns_torchvision_levels()
    {
        var fixture = OpsJson.GetProperty("level_mapper");
        using var scope = NewDisposeScope();
        var levels = new LevelMapper(2, 5).Map(Tensor(fixture.GetProperty("boxes")));
        long[] expected = Longs(fixture.GetProperty("levels"));
        Assert.Equal(4, expected.Distinct().Count());
        Assert.Equal(expected, levels.data<long>().ToArray());
    }

    [Fact]
    public void Multiscale_roi_align_equals_torchvision()
    {
        var fixture = OpsJson.GetProperty("multiscale_roi_align");
        using var scope = NewDisposeScope();
        var features = fixture.GetProperty("features").EnumerateArray().Select(f => Tensor(f)).ToList();
        var boxes = fixture.GetProperty("boxes").EnumerateArray().Select(b => Tensor(b)).ToList();
        var sizes = fixture.GetProperty("image_sizes").EnumerateArray().Select(s => (s[0].GetInt64(), s[1].GetInt64())).ToList();
        var output = new MultiScaleRoIAlign(7, 2).Apply(features, boxes, sizes);
        Assert.True(MaxDifference(output, Tensor(fixture.GetProperty("output"))) <= 2e-6f);
    }

    [Fact]
    public void Masks_are_pasted_as_torchvision_pastes_them()
    {
        var fixture = OpsJson.GetProperty("paste_masks");
        using var scope = NewDisposeScope();
        long[] size = Longs(fixture.GetProperty("image_size"));
        var pasted = MaskPaste.PasteInImage(Tensor(fixture.GetProperty("masks")), Tensor(fixture.GetProperty("boxes")), size[0], size[1]);
        Assert.True(MaxDifference(pasted, Tensor(fixture.GetProperty("pasted"))) <= 1e-6f);
    }

    [Fact]
    public void Transform_resizes_and_pads_as_torchvision()
    {
        var transform = new GeneralizedRCNNTransform();
        foreach (var testCase in OpsJson.GetProperty("transform").EnumerateArray())
        {
            long height = testCase.GetProperty("height").GetInt64(), width = testCase.GetProperty("width").GetInt64();
            long[] resized = Longs(testCase.GetProperty("resized"));
            Assert.Equal((resized[0], resized[1]), transform.ResizedSize(height, width));
            if (testCase.GetProperty("image").ValueKind == JsonValueKind.Null)
                continue;
            using var scope = NewDisposeScope();
            var batch = transform.Apply([Tensor(testCase.GetProperty("image"))]);
            Assert.Equal(Longs(testCase.GetProperty("batched")), batch.Tensors.shape[2..]);
            double expected = testCase.GetProperty("sum").GetDouble();
            double actual = batch.Tensors.to(ScalarType.Float64).sum().item<double>();
            Assert.True(Math.Abs(actual - expected) <= 1e-5 * batch.Tensors.abs().sum().item<float>(), $"sum {actual} vs {expected}");
        }
    }
}
