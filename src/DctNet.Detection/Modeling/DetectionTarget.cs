using static TorchSharp.torch;

namespace DctNet.Detection.Modeling;

/// <summary>One image's ground truth for training, in the coordinates of the image it comes with.</summary>
/// <param name="Boxes">(n, 4) float32 x1, y1, x2, y2, each with a positive width and height.</param>
/// <param name="Labels">(n) int64 class labels 1..classes-1.</param>
/// <param name="Masks">(n, height, width) uint8 binary masks at the image's size; null for box-only models.</param>
public sealed record DetectionTarget(Tensor Boxes, Tensor Labels, Tensor? Masks)
{
    /// <summary>
    /// The target of the image resized to <paramref name="size"/>: x scaled by <paramref name="ratioWidth"/>, y by
    /// <paramref name="ratioHeight"/> (float32, as torchvision's resize_boxes), masks resized by nearest neighbour (its
    /// interpolate of the masks).
    /// </summary>
    public DetectionTarget Resized(float ratioWidth, float ratioHeight, (long Height, long Width) size)
    {
        using var scope = NewDisposeScope();
        var boxes = Boxes * tensor(new[] { ratioWidth, ratioHeight, ratioWidth, ratioHeight }, device: Boxes.device);
        Tensor? masks = null;
        if (Masks is { } given)
        {
            masks = given.shape[0] == 0
                ? zeros([0, size.Height, size.Width], ScalarType.Byte, given.device)
                : nn.functional.interpolate(given.unsqueeze(1).to(ScalarType.Float32), size: [size.Height, size.Width], mode: InterpolationMode.Nearest)
                    .squeeze(1).to(ScalarType.Byte);
        }
        return new DetectionTarget(boxes, Labels.clone(), masks).MoveToOuterDisposeScope();
    }

    /// <summary>The target of the image mirrored left to right, <paramref name="width"/> pixels wide: x becomes width - x.</summary>
    public DetectionTarget FlippedHorizontally(long width)
    {
        using var scope = NewDisposeScope();
        var x1 = Boxes[TensorIndex.Colon, 0];
        var x2 = Boxes[TensorIndex.Colon, 2];
        var boxes = stack([(-x2).Plus(width), Boxes[TensorIndex.Colon, 1], (-x1).Plus(width), Boxes[TensorIndex.Colon, 3]], dim: 1);
        return new DetectionTarget(boxes, Labels.clone(), Masks?.flip(2)).MoveToOuterDisposeScope();
    }

    /// <summary>Keeps the tensors alive beyond the caller's dispose scope.</summary>
    public DetectionTarget MoveToOuterDisposeScope()
    {
        Boxes.MoveToOuterDisposeScope();
        Labels.MoveToOuterDisposeScope();
        Masks?.MoveToOuterDisposeScope();
        return this;
    }
}

/// <summary>The loss terms of one training step, with torchvision's names; <see cref="Total"/> is their sum.</summary>
/// <param name="Objectness">RPN: sigmoid cross-entropy of the sampled anchors' objectness.</param>
/// <param name="RpnBoxRegression">RPN: smooth L1 (beta 1/9) of the positive anchors' deltas, over the sampled anchors.</param>
/// <param name="Classifier">Box head: cross-entropy of the sampled proposals' classes.</param>
/// <param name="BoxRegression">Box head: smooth L1 (beta 1/9) of the positives' deltas of their own class, over the sampled proposals.</param>
/// <param name="Mask">Mask head: binary cross-entropy of the positives' 28 x 28 masks of their own class; null for Faster R-CNN.</param>
public sealed record DetectionLosses(Tensor Objectness, Tensor RpnBoxRegression, Tensor Classifier, Tensor BoxRegression, Tensor? Mask)
{
    /// <summary>The terms by torchvision's names (loss_objectness, ...), in that order.</summary>
    public IEnumerable<(string Name, Tensor Value)> Terms
    {
        get
        {
            yield return ("loss_objectness", Objectness);
            yield return ("loss_rpn_box_reg", RpnBoxRegression);
            yield return ("loss_classifier", Classifier);
            yield return ("loss_box_reg", BoxRegression);
            if (Mask is not null)
                yield return ("loss_mask", Mask);
        }
    }

    public Tensor Total() => Terms.Select(term => term.Value).Aggregate((sum, term) => sum.add(term, HeldScalars.One));

    /// <summary>Keeps the terms alive beyond the caller's dispose scope.</summary>
    public DetectionLosses MoveToOuterDisposeScope()
    {
        foreach (var (_, value) in Terms)
            value.MoveToOuterDisposeScope();
        return this;
    }
}
