using static TorchSharp.torch;

namespace DctNet.Detection.Structures;

/// <summary>torchvision's box_ops on (x1, y1, x2, y2) boxes in pixels, without the "+1" of mmdetection v1.</summary>
public static class BoxOps
{
    /// <summary>(x2 - x1) * (y2 - y1) of every row of an (N, 4) tensor.</summary>
    public static Tensor Area(Tensor boxes)
        => (boxes[TensorIndex.Colon, 2] - boxes[TensorIndex.Colon, 0]) * (boxes[TensorIndex.Colon, 3] - boxes[TensorIndex.Colon, 1]);

    /// <summary>clip_boxes_to_image: x into [0, width], y into [0, height]; any leading dimensions.</summary>
    public static Tensor ClipToImage(Tensor boxes, long height, long width)
    {
        using var scope = NewDisposeScope();
        var x = boxes[TensorIndex.Ellipsis, TensorIndex.Slice(0, null, 2)].clamp(0, width);
        var y = boxes[TensorIndex.Ellipsis, TensorIndex.Slice(1, null, 2)].clamp(0, height);
        return stack([x, y], dim: boxes.dim()).reshape(boxes.shape).MoveToOuterDisposeScope();
    }

    /// <summary>remove_small_boxes: the indices of the boxes at least <paramref name="minSize"/> wide and high.</summary>
    public static Tensor RemoveSmall(Tensor boxes, double minSize)
    {
        using var scope = NewDisposeScope();
        var widths = boxes[TensorIndex.Colon, 2] - boxes[TensorIndex.Colon, 0];
        var heights = boxes[TensorIndex.Colon, 3] - boxes[TensorIndex.Colon, 1];
        return widths.ge(minSize).logical_and(heights.ge(minSize)).nonzero().view(-1).MoveToOuterDisposeScope();
    }
}
