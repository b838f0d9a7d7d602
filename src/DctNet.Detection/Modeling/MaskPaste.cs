using static TorchSharp.torch;

namespace DctNet.Detection.Modeling;

/// <summary>
/// torchvision's paste_masks_in_image: each M x M mask padded by one pixel of zeros and its box grown by (M + 2) / M
/// about its centre (so the mask's border falls off smoothly), the box truncated to integers, the mask resized
/// bilinearly to the box's (w + 1) x (h + 1) pixels and written into an empty image, cut at the image's border.
/// </summary>
public static class MaskPaste
{
    private const int Padding = 1;

    /// <param name="masks">(n, 1, M, M) probabilities.</param>
    /// <param name="boxes">(n, 4) in the target image's coordinates.</param>
    /// <returns>(n, 1, height, width).</returns>
    public static Tensor PasteInImage(Tensor masks, Tensor boxes, long height, long width)
    {
        if (masks.shape[0] == 0)
            return zeros([0, 1, height, width], masks.dtype, masks.device);
        using var scope = NewDisposeScope();
        long size = masks.shape[^1];
        var padded = nn.functional.pad(masks, [Padding, Padding, Padding, Padding]);
        double scale = (double)(size + 2 * Padding) / size;
        long[] corners = ExpandBoxes(boxes, scale).to(ScalarType.Int64).data<long>().ToArray();
        var result = zeros([masks.shape[0], 1, height, width], masks.dtype);
        for (int i = 0; i < masks.shape[0]; i++)
        {
            long x1 = corners[4 * i], y1 = corners[4 * i + 1], x2 = corners[4 * i + 2], y2 = corners[4 * i + 3];
            long boxWidth = Math.Max(x2 - x1 + 1, 1), boxHeight = Math.Max(y2 - y1 + 1, 1);
            var resized = nn.functional.interpolate(padded[i].unsqueeze(0), size: [boxHeight, boxWidth], mode: InterpolationMode.Bilinear, align_corners: false)[0, 0];
            long left = Math.Max(x1, 0), right = Math.Min(x2 + 1, width), top = Math.Max(y1, 0), bottom = Math.Min(y2 + 1, height);
            if (right <= left || bottom <= top)
                continue;
            result[i, 0, TensorIndex.Slice(top, bottom), TensorIndex.Slice(left, right)]
                .copy_(resized[TensorIndex.Slice(top - y1, bottom - y1), TensorIndex.Slice(left - x1, right - x1)]);
        }
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>expand_boxes: half-sizes scaled about the centre, in float32.</summary>
    private static Tensor ExpandBoxes(Tensor boxes, double scale)
    {
        var halfWidth = (boxes[TensorIndex.Colon, 2] - boxes[TensorIndex.Colon, 0]).Times(0.5);
        var halfHeight = (boxes[TensorIndex.Colon, 3] - boxes[TensorIndex.Colon, 1]).Times(0.5);
        var centerX = boxes[TensorIndex.Colon, 2].Plus(boxes[TensorIndex.Colon, 0]).Times(0.5);
        var centerY = boxes[TensorIndex.Colon, 3].Plus(boxes[TensorIndex.Colon, 1]).Times(0.5);
        halfWidth = halfWidth.Times(scale);
        halfHeight = halfHeight.Times(scale);
        return stack([centerX - halfWidth, centerY - halfHeight, centerX.Plus(halfWidth), centerY.Plus(halfHeight)], dim: 1);
    }
}
