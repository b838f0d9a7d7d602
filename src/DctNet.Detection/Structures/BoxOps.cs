using TorchSharp;
using static TorchSharp.torch;

namespace DctNet.Detection.Structures;

/// <summary>torchvision's box_ops on (x1, y1, x2, y2) boxes in pixels, without the "+1" of mmdetection v1.</summary>
public static class BoxOps
{
    /// <summary>(x2 - x1) * (y2 - y1) of every row of an (N, 4) tensor.</summary>
    public static Tensor Area(Tensor boxes)
        => (boxes[TensorIndex.Colon, 2] - boxes[TensorIndex.Colon, 0]) * (boxes[TensorIndex.Colon, 3] - boxes[TensorIndex.Colon, 1]);

    /// <summary>
    /// box_iou: the (N, M) intersection over union of every pair of <paramref name="boxes1"/> (N, 4) and
    /// <paramref name="boxes2"/> (M, 4), in torchvision's order of operations (the matchers compare it for equality).
    /// </summary>
    public static Tensor Iou(Tensor boxes1, Tensor boxes2)
    {
        using var scope = NewDisposeScope();
        var area1 = Area(boxes1);
        var area2 = Area(boxes2);
        var topLeft = maximum(boxes1[TensorIndex.Colon, TensorIndex.None, TensorIndex.Slice(null, 2)], boxes2[TensorIndex.Colon, TensorIndex.Slice(null, 2)]);
        var bottomRight = minimum(boxes1[TensorIndex.Colon, TensorIndex.None, TensorIndex.Slice(2, null)], boxes2[TensorIndex.Colon, TensorIndex.Slice(2, null)]);
        var size = (bottomRight - topLeft).clamp_min(HeldScalars.Zero);
        var intersection = size[TensorIndex.Ellipsis, 0] * size[TensorIndex.Ellipsis, 1];
        var union = area1.unsqueeze(1).add(area2, HeldScalars.One) - intersection;
        return (intersection / union).MoveToOuterDisposeScope();
    }

    /// <summary>clip_boxes_to_image: x into [0, width], y into [0, height]; any leading dimensions.</summary>
    public static Tensor ClipToImage(Tensor boxes, long height, long width)
    {
        using var scope = NewDisposeScope();
        using Scalar right = width, bottom = height;
        var x = boxes[TensorIndex.Ellipsis, TensorIndex.Slice(0, null, 2)].clamp(HeldScalars.Zero, right);
        var y = boxes[TensorIndex.Ellipsis, TensorIndex.Slice(1, null, 2)].clamp(HeldScalars.Zero, bottom);
        return stack([x, y], dim: boxes.dim()).reshape(boxes.shape).MoveToOuterDisposeScope();
    }

    /// <summary>remove_small_boxes: the indices of the boxes at least <paramref name="minSize"/> wide and high.</summary>
    public static Tensor RemoveSmall(Tensor boxes, double minSize)
    {
        using var scope = NewDisposeScope();
        using Scalar least = minSize;
        var widths = boxes[TensorIndex.Colon, 2] - boxes[TensorIndex.Colon, 0];
        var heights = boxes[TensorIndex.Colon, 3] - boxes[TensorIndex.Colon, 1];
        return widths.ge(least).logical_and(heights.ge(least)).nonzero().view(-1).MoveToOuterDisposeScope();
    }
}
