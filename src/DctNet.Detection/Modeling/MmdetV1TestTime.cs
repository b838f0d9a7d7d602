using DctNet.Detection.Ops;
using DctNet.Detection.Structures;
using DctNet.Frequency.Imaging;
using TorchSharp;
using static TorchSharp.torch;

namespace DctNet.Detection.Modeling;

/// <summary>
/// mmdetection v1's test time over the model's layers (the release's configs): the image rescaled by mmcv to fit
/// 1333 x 800 (<see cref="IDetectionInput.MmdetV1Input"/> - RGB: OpenCV's bilinear, normalized with ImageNet's mean and std in 0-255, zero-padded to 32; -dct models:
/// the DCT input); per FPN level the 1000 best anchors by objectness decoded (delta2bbox, "+1" widths, clamped to
/// size - 1), NMS at 0.7 and the 1000 best of all levels; RoIs pooled at the level floor(log2(sqrt((w+1)(h+1)) / 56))
/// by mmdetection's RoIAlign; class boxes decoded with stds (0.1, 0.1, 0.2, 0.2) and divided by the rescale factor before
/// a per-class NMS at 0.5 on scores above 0.05, the best 100 kept; each mask's 28 x 28 probabilities resized to its
/// truncated box's (w + 1) x (h + 1) pixels and thresholded at 0.5. Boxes and masks come in the original image's
/// coordinates, best first. Its boxes are mmdetection v1's "+1" ones: a box from x1 to x2 covers x2 - x1 + 1 pixels -
/// in its anchors, box coding, clipping to size - 1, NMS, RoIAlign, level mapping, mask paste and COCO widths. The
/// release's checkpoints were trained and evaluated so.
/// </summary>
public sealed class MmdetV1TestTime : ITestTimePolicy
{
    public static MmdetV1TestTime Instance { get; } = new();

    /// <summary>COCO widths x2 - x1 + 1.</summary>
    public bool InclusiveCorners => true;

    private static readonly int[] AnchorStrides = [4, 8, 16, 32, 64];
    private static readonly double[] AnchorRatios = [0.5, 1.0, 2.0];
    private const double AnchorScale = 8;
    private const int FinestScale = 56;
    private const int RpnPreNms = 1000, RpnProposals = 1000, DetectionsPerImage = 100;
    private const double RpnNmsThreshold = 0.7, ScoreThreshold = 0.05, NmsThreshold = 0.5, MaskThreshold = 0.5;
    private static readonly double MaxRatio = Math.Abs(Math.Log(16.0 / 1000));
    private static readonly float[] RpnStds = [1, 1, 1, 1];
    private static readonly float[] BoxStds = [0.1f, 0.1f, 0.2f, 0.2f];

    public Detections Detect(GeneralizedRCNN model, RgbImage image, Device device)
    {
        using var scope = NewDisposeScope();
        var (input, resized, scale) = model.Input.MmdetV1Input(image, device);
        var features = model.Backbone.call(input);
        var proposals = Proposals(model.Rpn.Head, features, resized);
        var (boxes, scores, labels) = Boxes(model.RoIHeads, features, proposals, resized, scale);
        var masks = model.RoIHeads.HasMasks ? Masks(model.RoIHeads, features, boxes, labels, scale, (image.Height, image.Width)) : null;
        var order = scores.sort(0, descending: true, stable: true).Indices;
        var result = new Detections(boxes.index_select(0, order), scores.index_select(0, order), labels.index_select(0, order), masks?.index_select(0, order));
        foreach (var tensor in new[] { result.Boxes, result.Scores, result.Labels, result.Masks })
            tensor?.MoveToOuterDisposeScope();
        return result;
    }

    /// <summary>RPNHead.get_bboxes_single: per level top 1000, decode, NMS 0.7; the 1000 best of all levels.</summary>
    private static Tensor Proposals(RpnHead head, Tensor[] features, (long Height, long Width) resized)
    {
        var (objectnessMaps, deltaMaps) = head.call(features);
        var boxes = new List<Tensor>();
        var scores = new List<Tensor>();
        for (int level = 0; level < features.Length; level++)
        {
            long height = features[level].shape[2], width = features[level].shape[3];
            var anchors = Anchors(AnchorStrides[level], height, width, features[level].device);
            var levelScores = objectnessMaps[level][0].permute(1, 2, 0).reshape(-1).sigmoid();
            var levelDeltas = deltaMaps[level][0].permute(1, 2, 0).reshape(-1, 4);
            if (levelScores.shape[0] > RpnPreNms)
            {
                var top = levelScores.topk(RpnPreNms).indexes;
                (levelScores, levelDeltas, anchors) = (levelScores.index_select(0, top), levelDeltas.index_select(0, top), anchors.index_select(0, top));
            }
            var decoded = Decode(anchors, levelDeltas, RpnStds, resized);
            var keep = Nms.Apply(Inclusive(decoded), levelScores, RpnNmsThreshold);
            boxes.Add(decoded.index_select(0, keep));
            scores.Add(levelScores.index_select(0, keep));
        }
        var allBoxes = cat(boxes, 0);
        var allScores = cat(scores, 0);
        var best = allScores.topk((int)Math.Min(RpnProposals, allScores.shape[0])).indexes;
        return allBoxes.index_select(0, best);
    }

    /// <summary>
    /// AnchorGenerator: per position of a stride-s grid, for ratios 0.5, 1, 2 a box of area (8 s)^2 about the centre
    /// (s - 1) / 2, its corners at centre +- (size - 1) / 2, rounded - in float32, position-major as the head's outputs.
    /// </summary>
    internal static Tensor Anchors(int stride, long height, long width, Device device)
    {
        using var scope = NewDisposeScope();
        float center = 0.5f * (stride - 1);
        var heightRatios = tensor(AnchorRatios.Select(r => (float)r).ToArray()).sqrt();
        var widthRatios = heightRatios.reciprocal();
        var widths = widthRatios.Times((float)stride).Times((float)AnchorScale);
        var heights = heightRatios.Times((float)stride).Times((float)AnchorScale);
        // center -+ 0.5 (size - 1), in TorchSharp's order for a number minus a tensor: -t + center.
        var halfWidths = widths.Minus(1L).Times(0.5f);
        var halfHeights = heights.Minus(1L).Times(0.5f);
        var cell = stack([halfWidths.Subtracted(center), halfHeights.Subtracted(center), halfWidths.Plus(center), halfHeights.Plus(center)], 1).round();
        var shiftX = arange(0, width, ScalarType.Int64).mul(stride).to(ScalarType.Float32);
        var shiftY = arange(0, height, ScalarType.Int64).mul(stride).to(ScalarType.Float32);
        var grid = meshgrid([shiftY, shiftX], indexing: "ij");
        var shifts = stack([grid[1].reshape(-1), grid[0].reshape(-1), grid[1].reshape(-1), grid[0].reshape(-1)], 1);
        return shifts.view(-1, 1, 4).Plus(cell.view(1, -1, 4)).reshape(-1, 4).to(device).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// delta2bbox: k boxes per reference (N x 4k deltas), widths x2 - x1 + 1, dw and dh clamped to +-|log(16 / 1000)|,
    /// corners at centre -+ (size / 2 - 0.5), clamped to [0, size - 1] of the rescaled image.
    /// </summary>
    internal static Tensor Decode(Tensor references, Tensor deltas, float[] stds, (long Height, long Width) size)
    {
        using var scope = NewDisposeScope();
        long k = deltas.shape[1] / 4;
        var denormalized = deltas * tensor(stds, device: deltas.device).repeat(k);
        Tensor Column(int c) => denormalized[TensorIndex.Colon, TensorIndex.Slice(c, null, 4)];
        var (dx, dy) = (Column(0), Column(1));
        var dw = Column(2).clamp(-MaxRatio, MaxRatio);
        var dh = Column(3).clamp(-MaxRatio, MaxRatio);
        Tensor Reference(int c) => references[TensorIndex.Colon, c].unsqueeze(1);
        var px = Reference(0).Plus(Reference(2)).Times(0.5).expand_as(dx);
        var py = Reference(1).Plus(Reference(3)).Times(0.5).expand_as(dy);
        var pw = (Reference(2) - Reference(0)).Plus(1.0).expand_as(dw);
        var ph = (Reference(3) - Reference(1)).Plus(1.0).expand_as(dh);
        var gw = pw * dw.exp();
        var gh = ph * dh.exp();
        var gx = px.Plus(pw * dx);
        var gy = py.Plus(ph * dy);
        var x1 = (gx - gw.Times(0.5)).Plus(0.5).clamp(0, size.Width - 1);
        var y1 = (gy - gh.Times(0.5)).Plus(0.5).clamp(0, size.Height - 1);
        var x2 = gx.Plus(gw.Times(0.5)).Minus(0.5).clamp(0, size.Width - 1);
        var y2 = gy.Plus(gh.Times(0.5)).Minus(0.5).clamp(0, size.Height - 1);
        return stack([x1, y1, x2, y2], -1).view(deltas.shape).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// mmcv.imresize of a mask's probabilities to width x height (OpenCV's INTER_LINEAR, whose weights are those of
    /// PyTorch's bilinear interpolation without aligned corners), thresholded: 1 above 0.5, else 0.
    /// </summary>
    internal static Tensor BinaryMask(Tensor probabilities, int width, int height)
        => nn.functional.interpolate(probabilities.view(1, 1, probabilities.shape[0], probabilities.shape[1]), size: [height, width],
            mode: InterpolationMode.Bilinear, align_corners: false)[0, 0].gt(MaskThreshold).to(ScalarType.Float32);

    /// <summary>The boxes with their far corners one pixel on: torchvision's NMS then computes mmdetection v1's "+1" areas and overlaps.</summary>
    private static Tensor Inclusive(Tensor boxes) => boxes.Plus(tensor(FarCornerShift, device: boxes.device));

    private static readonly float[] FarCornerShift = [0, 0, 1, 1];

    /// <summary>SingleRoIExtractor: each RoI pooled from the level its "+1" size maps to, by mmdetection's RoIAlign.</summary>
    private static Tensor Pool(IReadOnlyList<Tensor> features, Tensor boxes, int outputSize)
    {
        long channels = features[0].shape[1];
        var rois = cat([zeros([boxes.shape[0], 1], device: boxes.device), boxes], 1);
        var size = ((boxes[TensorIndex.Colon, 2] - boxes[TensorIndex.Colon, 0]).Plus(1L) * (boxes[TensorIndex.Colon, 3] - boxes[TensorIndex.Colon, 1]).Plus(1L)).sqrt();
        var levels = size.Over(FinestScale).Plus(1e-6).log2().floor().clamp(0, 3).to(ScalarType.Int64);
        var result = zeros([boxes.shape[0], channels, outputSize, outputSize], device: boxes.device);
        for (int level = 0; level < 4; level++)
        {
            var inLevel = levels.eq(level).nonzero().view(-1);
            if (inLevel.shape[0] > 0)
                result = result.index_copy(0, inLevel, RoIAlign.ApplyMmdetV1(features[level], rois.index_select(0, inLevel), outputSize, 1f / AnchorStrides[level], 2));
        }
        return result;
    }

    /// <summary>The box head on the proposals, get_det_bboxes and multiclass_nms: boxes in the original image, labels 1..classes-1.</summary>
    private static (Tensor Boxes, Tensor Scores, Tensor Labels) Boxes(RoIHeads heads, IReadOnlyList<Tensor> features, Tensor proposals,
        (long Height, long Width) resized, double scale)
    {
        var (classLogits, boxDeltas) = heads.BoxPredictor.call(heads.BoxHead.call(Pool(features, proposals, 7)));
        var scores = nn.functional.softmax(classLogits, 1);
        var boxes = Decode(proposals, boxDeltas, BoxStds, resized).Over(scale);
        var keptBoxes = new List<Tensor>();
        var keptScores = new List<Tensor>();
        var keptLabels = new List<Tensor>();
        for (int label = 1; label < scores.shape[1]; label++)
        {
            var candidates = scores[TensorIndex.Colon, label].gt(ScoreThreshold).nonzero().view(-1);
            if (candidates.shape[0] == 0)
                continue;
            var classBoxes = boxes.index_select(0, candidates)[TensorIndex.Colon, TensorIndex.Slice(4 * label, 4 * label + 4)];
            var classScores = scores[TensorIndex.Colon, label].index_select(0, candidates);
            var keep = Nms.Apply(Inclusive(classBoxes), classScores, NmsThreshold);
            keptBoxes.Add(classBoxes.index_select(0, keep));
            keptScores.Add(classScores.index_select(0, keep));
            keptLabels.Add(full(keep.shape[0], label, ScalarType.Int64, device: boxes.device));
        }
        if (keptBoxes.Count == 0)
            return (zeros([0, 4], device: boxes.device), zeros(0, device: boxes.device), zeros(0, ScalarType.Int64, device: boxes.device));
        var (allBoxes, allScores, allLabels) = (cat(keptBoxes, 0), cat(keptScores, 0), cat(keptLabels, 0));
        if (allScores.shape[0] > DetectionsPerImage)
        {
            var best = allScores.sort(0, descending: true, stable: true).Indices.narrow(0, 0, DetectionsPerImage);
            (allBoxes, allScores, allLabels) = (allBoxes.index_select(0, best), allScores.index_select(0, best), allLabels.index_select(0, best));
        }
        return (allBoxes, allScores, allLabels);
    }

    /// <summary>
    /// The mask head on the detections (back in the rescaled image) and get_seg_masks: each mask's probabilities for its
    /// class, bilinearly resized to its box truncated to whole pixels, (x2 - x1 + 1) x (y2 - y1 + 1), thresholded at 0.5
    /// and pasted into an empty image. (n, 1, height, width), 0 or 1.
    /// </summary>
    private static Tensor Masks(RoIHeads heads, IReadOnlyList<Tensor> features, Tensor boxes, Tensor labels, double scale, (long Height, long Width) original)
    {
        var result = zeros([boxes.shape[0], 1, original.Height, original.Width], device: boxes.device);
        if (boxes.shape[0] == 0)
            return result;
        var logits = heads.MaskPredictor!.call(heads.MaskHead!.call(Pool(features, boxes.Times(scale), 14)));
        var probabilities = logits.sigmoid()[arange(labels.shape[0], device: labels.device), labels];
        int[] corners = [.. boxes.Times(scale).Over(scale).to(ScalarType.Int32).cpu().contiguous().data<int>()];
        for (int i = 0; i < boxes.shape[0]; i++)
        {
            int x1 = corners[4 * i], y1 = corners[4 * i + 1];
            int width = Math.Max(corners[4 * i + 2] - x1 + 1, 1), height = Math.Max(corners[4 * i + 3] - y1 + 1, 1);
            var mask = BinaryMask(probabilities[i], width, height);
            int right = (int)Math.Min(x1 + width, original.Width), bottom = (int)Math.Min(y1 + height, original.Height);
            result[i, 0, TensorIndex.Slice(y1, bottom), TensorIndex.Slice(x1, right)].copy_(mask[TensorIndex.Slice(0, bottom - y1), TensorIndex.Slice(0, right - x1)]);
        }
        return result;
    }
}
