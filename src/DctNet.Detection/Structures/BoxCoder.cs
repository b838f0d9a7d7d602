using TorchSharp;
using static TorchSharp.torch;

namespace DctNet.Detection.Structures;

/// <summary>
/// torchvision's BoxCoder: boxes as (dx, dy, dw, dh) offsets from reference boxes, each scaled by a weight -
/// (1, 1, 1, 1) in the RPN, (10, 10, 5, 5) in the box head. Decoding clamps dw and dh at log(1000 / 16) so that
/// exp cannot overflow.
/// </summary>
public sealed class BoxCoder
{
    public static readonly double DefaultClip = Math.Log(1000.0 / 16);

    public BoxCoder(double wx, double wy, double ww, double wh, double clip = double.NaN)
    {
        (Wx, Wy, Ww, Wh) = (wx, wy, ww, wh);
        Clip = double.IsNaN(clip) ? DefaultClip : clip;
        (weightX, weightY, weightWidth, weightHeight, clipAt) = (wx.ToScalar(), wy.ToScalar(), ww.ToScalar(), wh.ToScalar(), Clip.ToScalar());
    }

    // The same values held for the coder's life rather than passed as temporaries (HeldScalars).
    private readonly Scalar weightX, weightY, weightWidth, weightHeight, clipAt;

    public double Wx { get; }
    public double Wy { get; }
    public double Ww { get; }
    public double Wh { get; }
    public double Clip { get; }

    /// <summary>The offsets (N, 4) that turn <paramref name="proposals"/> into <paramref name="targets"/> (both N x 4).</summary>
    public Tensor Encode(Tensor targets, Tensor proposals)
    {
        using var scope = NewDisposeScope();
        var (exWidths, exHeights, exCenterX, exCenterY) = Geometry(proposals);
        var (gtWidths, gtHeights, gtCenterX, gtCenterY) = Geometry(targets);
        var dx = (gtCenterX - exCenterX).mul(weightX) / exWidths;
        var dy = (gtCenterY - exCenterY).mul(weightY) / exHeights;
        var dw = (gtWidths / exWidths).log().mul(weightWidth);
        var dh = (gtHeights / exHeights).log().mul(weightHeight);
        return stack([dx, dy, dw, dh], dim: 1).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// decode_single: <paramref name="codes"/> (N, 4k) - k boxes per reference, e.g. one per class - applied to
    /// <paramref name="references"/> (N, 4); returns (N, 4k).
    /// </summary>
    public Tensor DecodeSingle(Tensor codes, Tensor references)
    {
        using var scope = NewDisposeScope();
        references = references.to(codes.dtype);
        var (widths, heights, centerX, centerY) = Geometry(references);
        var dx = codes[TensorIndex.Colon, TensorIndex.Slice(0, null, 4)].div(weightX);
        var dy = codes[TensorIndex.Colon, TensorIndex.Slice(1, null, 4)].div(weightY);
        var dw = codes[TensorIndex.Colon, TensorIndex.Slice(2, null, 4)].div(weightWidth).clamp_max(clipAt);
        var dh = codes[TensorIndex.Colon, TensorIndex.Slice(3, null, 4)].div(weightHeight).clamp_max(clipAt);
        var predCenterX = (dx * widths.unsqueeze(1)).add(centerX.unsqueeze(1), HeldScalars.One);
        var predCenterY = (dy * heights.unsqueeze(1)).add(centerY.unsqueeze(1), HeldScalars.One);
        var halfWidth = dw.exp().mul(widths.unsqueeze(1)).mul(HeldScalars.Half);
        var halfHeight = dh.exp().mul(heights.unsqueeze(1)).mul(HeldScalars.Half);
        return stack([predCenterX - halfWidth, predCenterY - halfHeight, predCenterX.add(halfWidth, HeldScalars.One), predCenterY.add(halfHeight, HeldScalars.One)], dim: 2)
            .flatten(1).MoveToOuterDisposeScope();
    }

    /// <summary>decode: as <see cref="DecodeSingle"/>, shaped (N, k, 4).</summary>
    public Tensor Decode(Tensor codes, Tensor references)
    {
        using var scope = NewDisposeScope();
        long count = references.shape[0];
        return DecodeSingle(codes.reshape(count, -1), references).reshape(count, -1, 4).MoveToOuterDisposeScope();
    }

    private static (Tensor Widths, Tensor Heights, Tensor CenterX, Tensor CenterY) Geometry(Tensor boxes)
    {
        var widths = boxes[TensorIndex.Colon, 2] - boxes[TensorIndex.Colon, 0];
        var heights = boxes[TensorIndex.Colon, 3] - boxes[TensorIndex.Colon, 1];
        return (widths, heights, boxes[TensorIndex.Colon, 0].add(widths.mul(HeldScalars.Half), HeldScalars.One),
            boxes[TensorIndex.Colon, 1].add(heights.mul(HeldScalars.Half), HeldScalars.One));
    }
}
