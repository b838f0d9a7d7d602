using System.Collections.Concurrent;
using System.Text.Json;
using DctNet.Checkpoints;
using DctNet.Detection.Coco;
using DctNet.Detection.Modeling;
using DctNet.Frequency.Imaging;
using static DctNet.Detection.Tests.Modeling.DetectionFixtures;
using static TorchSharp.torch;

namespace DctNet.Detection.Tests.Modeling;

/// <summary>
/// Mask R-CNN and Faster R-CNN against torchvision 0.14 (models.json): the same deterministic weights on both sides
/// (detection_weights.py, <see cref="DeterministicDetectionWeights"/>), the same real images, eval mode. Detections
/// must agree: boxes within 0.01 px, scores within 1e-4, the same labels, mask IoU at least 0.99 - with the backbone and
/// FPN on libtorch and on ONNX Runtime (<see cref="OnnxBackbone"/>, what <c>dctnet detect</c> runs on the CPU).
/// </summary>
public sealed class ModelParityTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const float BoxTolerance = 0.01f;
    private const float ScoreTolerance = 1e-4f;
    private const double MinimumMaskIou = 0.99;

    // One forward pass per model and image (tens of seconds each on two cores), shared by the tests.
    private static readonly ConcurrentDictionary<(string Model, string Image, bool OnnxRuntime), Lazy<Run>> Runs = new();

    public static TheoryData<string, string, bool> Cases()
    {
        var data = new TheoryData<string, string, bool>();
        foreach (var testCase in ModelsJson.GetProperty("cases").EnumerateArray())
        {
            foreach (bool onnxRuntime in new[] { false, true })
                data.Add(testCase.GetProperty("model").GetString()!, testCase.GetProperty("image").GetString()!, onnxRuntime);
        }
        return data;
    }

    [Theory]
    [InlineData("maskrcnn-r50-fpn")]
    [InlineData("fasterrcnn-r50-fpn")]
    public void State_dict_keys_and_shapes_are_torchvisions(string name)
    {
        using var model = DetectionModels.Create(name);
        var expected = ModelsJson.GetProperty("keys").GetProperty(name).EnumerateArray()
            .Select(entry => $"{entry[0].GetString()} {string.Join("x", entry[1].EnumerateArray().Select(s => s.GetInt64()))}").ToList();
        var actual = ModuleState.Capture(model).Select(entry => $"{entry.Key} {string.Join("x", entry.Value.Shape)}").ToList();
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Deterministic_weights_equal_the_python_generator()
    {
        foreach (var checksum in ModelsJson.GetProperty("checksums").EnumerateArray())
        {
            string key = checksum.GetProperty("key").GetString()!;
            var shape = ModelsJson.GetProperty("keys").GetProperty("maskrcnn-r50-fpn").EnumerateArray()
                .Single(entry => entry[0].GetString() == key)[1].EnumerateArray().Select(s => s.GetInt64()).ToArray();
            float[] values = DeterministicDetectionWeights.Values(key, shape);
            Assert.Equal(Floats(checksum.GetProperty("first")), values[..4]);
            Assert.Equal(checksum.GetProperty("sum").GetDouble(), values.Sum(v => (double)v), 6);
        }
    }

    [Fact]
    public void Loading_rejects_weights_of_the_other_model()
    {
        using var faster = DetectionModels.Create("fasterrcnn-r50-fpn");
        var maskKeys = KeysOf("maskrcnn-r50-fpn");
        var error = Assert.Throws<StateDictMismatchException>(() => DetectionModels.LoadWeights(faster, DeterministicDetectionWeights.For(maskKeys), "mask weights"));
        Assert.Contains("roi_heads.mask_head.0.0.weight", error.Unexpected);
        Assert.Empty(error.Missing);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Transform_sizes_features_and_proposals_equal_torchvision(string model, string image, bool onnxRuntime)
    {
        var expected = Case(model, image);
        var run = RunOf(model, image, onnxRuntime);
        Assert.Equal(Longs(expected.GetProperty("resized")), new[] { run.Resized.Height, run.Resized.Width });
        Assert.Equal(Longs(expected.GetProperty("batched")), new[] { run.Batched.Height, run.Batched.Width });
        var features = expected.GetProperty("features").EnumerateObject().ToList();
        Assert.Equal(features.Count, run.FeatureSums.Length);
        for (int level = 0; level < features.Count; level++)
        {
            double absSum = features[level].Value.GetProperty("abs_sum").GetDouble();
            Assert.Equal(Longs(features[level].Value.GetProperty("shape")), run.FeatureShapes[level]);
            Assert.True(Math.Abs(run.FeatureSums[level] - features[level].Value.GetProperty("sum").GetDouble()) <= 1e-5 * absSum,
                $"level {features[level].Name}: sum {run.FeatureSums[level]} vs {features[level].Value.GetProperty("sum").GetDouble()}");
        }
        Assert.Equal(expected.GetProperty("proposal_count").GetInt64(), run.ProposalCount);
        using var scope = NewDisposeScope();
        float difference = MaxDifference(tensor(run.FirstProposals).view(-1, 4), Tensor(expected.GetProperty("proposals")));
        Assert.True(difference <= BoxTolerance, $"proposals: max |diff| {difference}");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Detections_equal_torchvision(string model, string image, bool onnxRuntime)
    {
        var expected = Case(model, image).GetProperty("detections");
        var run = RunOf(model, image, onnxRuntime);
        long[] labels = Longs(expected.GetProperty("labels"));
        Assert.True(labels.Length > 10, "the fixture has real detections");
        Assert.Equal(labels, run.Labels);
        float[] scores = Floats(expected.GetProperty("scores"));
        float scoreDifference = scores.Zip(run.Scores, (e, a) => Math.Abs(e - a)).Max();
        Assert.True(scoreDifference <= ScoreTolerance, $"scores: max |diff| {scoreDifference}");
        float[] boxes = Floats(expected.GetProperty("boxes").GetProperty("values"));
        float boxDifference = boxes.Zip(run.Boxes, (e, a) => Math.Abs(e - a)).Max();
        Assert.True(boxDifference <= BoxTolerance, $"boxes: max |diff| {boxDifference}");

        if (!expected.TryGetProperty("masks", out var masks))
        {
            output.WriteLine($"{model} {image}{(onnxRuntime ? " (ONNX Runtime backbone)" : "")}: max |box diff| {boxDifference:G3} px, max |score diff| {scoreDifference:G3}");
            Assert.Null(run.Masks);
            return;
        }
        Assert.NotNull(run.Masks);
        var expectedMasks = masks.EnumerateArray().Select(m => new Rle(run.Height, run.Width, m.EnumerateArray().Select(c => c.GetUInt32()).ToArray())).ToList();
        Assert.Equal(expectedMasks.Count, run.Masks.Count);
        Assert.True(expectedMasks.Count(m => m.Area > 0) > expectedMasks.Count / 2, "most fixture masks are not empty");
        double worst = expectedMasks.Zip(run.Masks, (e, a) => e.Area == 0 && a.Area == 0 ? 1.0 : Rle.Iou(a, e, groundTruthIsCrowd: false)).Min();
        output.WriteLine($"{model} {image}{(onnxRuntime ? " (ONNX Runtime backbone)" : "")}: max |box diff| {boxDifference:G3} px, max |score diff| {scoreDifference:G3}, worst mask IoU {worst:F5}");
        Assert.True(worst >= MinimumMaskIou, $"worst mask IoU {worst:F4}");
    }

    private static JsonElement Case(string model, string image)
        => ModelsJson.GetProperty("cases").EnumerateArray()
            .Single(c => c.GetProperty("model").GetString() == model && c.GetProperty("image").GetString() == image);

    private static List<(string Key, long[] Shape)> KeysOf(string model)
        => [.. ModelsJson.GetProperty("keys").GetProperty(model).EnumerateArray()
            .Select(entry => (entry[0].GetString()!, entry[1].EnumerateArray().Select(s => s.GetInt64()).ToArray()))];

    private static Run RunOf(string model, string image, bool onnxRuntime)
        => Runs.GetOrAdd((model, image, onnxRuntime), key => new Lazy<Run>(() => Run.Of(key.Model, key.Image, key.OnnxRuntime))).Value;

    /// <summary>What one forward pass gave, as plain arrays (the tensors are freed).</summary>
    private sealed record Run(
        (long Height, long Width) Resized, (long Height, long Width) Batched, long[][] FeatureShapes, double[] FeatureSums,
        long ProposalCount, float[] FirstProposals, int Height, int Width, float[] Boxes, float[] Scores, long[] Labels, List<Rle>? Masks)
    {
        public static Run Of(string modelName, string imageFile, bool onnxRuntime)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            using var model = DetectionModels.Create(modelName);
            // Through a PyTorch zip file, the way torchvision's checkpoints load.
            using (var weightsDirectory = new TemporaryDirectory())
            {
                string path = weightsDirectory.File("weights.pth");
                PyTorchCheckpoint.Write(path, DeterministicDetectionWeights.For(KeysOf(modelName)));
                DetectionModels.LoadWeights(model, path);
            }
            var picture = new ImageDecoder().DecodeFile(Path.Combine(DetectionFixtures.Directory, "images", imageFile));
            var image = tensor(picture.Pixels, ScalarType.Byte).view(picture.Height, picture.Width, 3).permute(2, 0, 1).to(ScalarType.Float32).div(255);

            var batch = Assert.IsType<GeneralizedRCNNTransform>(model.Input).Apply([image]);
            using var onnxBackbone = onnxRuntime ? OnnxBackbone.Export(model.Backbone, threads: 0) : null;
            var features = onnxBackbone?.Run(batch.Tensors) ?? model.Backbone.call(batch.Tensors);
            var proposals = model.Rpn.Propose(batch.Tensors, batch.ImageSizes, features);
            var detections = GeneralizedRCNNTransform.Postprocess(
                model.RoIHeads.Detect(features, proposals, batch.ImageSizes)[0], batch.ImageSizes[0], (picture.Height, picture.Width));

            List<Rle>? masks = null;
            if (detections.Masks is not null)
            {
                byte[] binary = detections.Masks.gt(0.5).to(ScalarType.Byte).data<byte>().ToArray();
                int pixels = picture.Height * picture.Width;
                masks = [.. Enumerable.Range(0, (int)detections.Masks.shape[0]).Select(i => Rle.Encode(RowMajorToColumnMajor(binary.AsSpan(i * pixels, pixels), picture.Height, picture.Width), picture.Height, picture.Width))];
            }
            return new Run(
                batch.ImageSizes[0], (batch.Tensors.shape[2], batch.Tensors.shape[3]),
                [.. features.Select(f => f.shape)], [.. features.Select(f => f.to(ScalarType.Float64).sum().item<double>())],
                proposals[0].shape[0], proposals[0].narrow(0, 0, 20).contiguous().data<float>().ToArray(),
                picture.Height, picture.Width,
                detections.Boxes.contiguous().data<float>().ToArray(), detections.Scores.data<float>().ToArray(), detections.Labels.data<long>().ToArray(),
                masks);
        }

        private static byte[] RowMajorToColumnMajor(ReadOnlySpan<byte> mask, int height, int width)
        {
            var result = new byte[mask.Length];
            for (int y = 0; y < height; y++)
            {
                for (int x = 0; x < width; x++)
                    result[x * height + y] = mask[y * width + x];
            }
            return result;
        }
    }
}
