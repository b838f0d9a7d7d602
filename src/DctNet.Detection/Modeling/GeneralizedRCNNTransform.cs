using static TorchSharp.torch;

namespace DctNet.Detection.Modeling;

/// <summary>A padded batch and the resized size of each image in it.</summary>
public sealed record ImageBatch(Tensor Tensors, IReadOnlyList<(long Height, long Width)> ImageSizes);

/// <summary>
/// torchvision 0.14's GeneralizedRCNNTransform: normalize each (3, H, W) [0, 1] image with ImageNet's mean
/// and std, resize it bilinearly (align_corners false) by min(800 / short side, 1333 / long side) - computed in float32 as PyTorch does,
/// output size floor(size x scale) in double - and batch the images zero-padded to a multiple of 32. In training the
/// targets follow: boxes scaled by the float32 ratios of the sizes, masks resized by nearest neighbour. Postprocessing
/// scales the boxes back to the original sizes and pastes the masks into the original images.
/// </summary>
public sealed class GeneralizedRCNNTransform
{
    private static readonly float[] Mean = [0.485f, 0.456f, 0.406f];
    private static readonly float[] Std = [0.229f, 0.224f, 0.225f];

    public int MinSize { get; init; } = 800;

    public int MaxSize { get; init; } = 1333;

    public int SizeDivisible { get; init; } = 32;

    /// <summary>The size an image of <paramref name="height"/> x <paramref name="width"/> is resized to.</summary>
    public (long Height, long Width) ResizedSize(long height, long width)
    {
        float shortSide = Math.Min(height, width), longSide = Math.Max(height, width);
        // torchvision divides a Python float by a float32 tensor, which PyTorch computes as reciprocal() * number.
        float scale = Math.Min(1f / shortSide * MinSize, 1f / longSide * MaxSize);
        return ((long)Math.Floor(height * (double)scale), (long)Math.Floor(width * (double)scale));
    }

    public ImageBatch Apply(IReadOnlyList<Tensor> images) => Apply(images, null).Batch;

    /// <summary>The batch and the <paramref name="targets"/> (in the images' own coordinates) resized with their images.</summary>
    public (ImageBatch Batch, DetectionTarget[] Targets) Apply(IReadOnlyList<Tensor> images, IReadOnlyList<DetectionTarget>? targets)
    {
        if (targets is not null && targets.Count != images.Count)
            throw new ArgumentException($"{targets.Count} targets for {images.Count} images.", nameof(targets));
        using var scope = NewDisposeScope();
        var mean = tensor(Mean).view(-1, 1, 1);
        var std = tensor(Std).view(-1, 1, 1);
        var resized = new List<Tensor>();
        var resizedTargets = new List<DetectionTarget>();
        for (int i = 0; i < images.Count; i++)
        {
            var image = images[i];
            var normalized = (image - mean.to(image.device)) / std.to(image.device);
            var (height, width) = ResizedSize(image.shape[1], image.shape[2]);
            resized.Add(nn.functional.interpolate(normalized.unsqueeze(0), size: [height, width], mode: InterpolationMode.Bilinear, align_corners: false)[0]);
            if (targets is not null)
                resizedTargets.Add(Resize(targets[i], (image.shape[1], image.shape[2]), (height, width)).MoveToOuterDisposeScope());
        }
        long Padded(long size) => (long)Math.Ceiling(size / (double)SizeDivisible) * SizeDivisible;
        long batchHeight = Padded(resized.Max(r => r.shape[1])), batchWidth = Padded(resized.Max(r => r.shape[2]));
        var batch = zeros([resized.Count, 3, batchHeight, batchWidth], images[0].dtype, images[0].device);
        for (int i = 0; i < resized.Count; i++)
            batch[i, TensorIndex.Colon, TensorIndex.Slice(0, resized[i].shape[1]), TensorIndex.Slice(0, resized[i].shape[2])].copy_(resized[i]);
        return (new ImageBatch(batch.MoveToOuterDisposeScope(), [.. resized.Select(r => (r.shape[1], r.shape[2]))]), [.. resizedTargets]);
    }

    /// <summary>A target from an image of size <paramref name="original"/> to one of size <paramref name="resized"/>, with the float32 ratios of the sizes.</summary>
    public static DetectionTarget Resize(DetectionTarget target, (long Height, long Width) original, (long Height, long Width) resized)
    {
        ArgumentNullException.ThrowIfNull(target);
        return target.Resized((float)resized.Width / original.Width, (float)resized.Height / original.Height, resized);
    }

    /// <summary>Boxes from the resized to the original size (ratios in float32); masks pasted into the original image.</summary>
    public static Detections Postprocess(Detections detections, (long Height, long Width) resized, (long Height, long Width) original)
        => Postprocess(detections, (float)original.Height / resized.Height, (float)original.Width / resized.Width, original);

    /// <summary>Boxes scaled by the given ratios (the DCT input's rescale factor, as mmdetection divides by it); masks pasted into the original image.</summary>
    public static Detections Postprocess(Detections detections, float ratioHeight, float ratioWidth, (long Height, long Width) original)
    {
        using var scope = NewDisposeScope();
        var boxes = detections.Boxes * tensor(new[] { ratioWidth, ratioHeight, ratioWidth, ratioHeight });
        var masks = detections.Masks is null ? null : MaskPaste.PasteInImage(detections.Masks, boxes, original.Height, original.Width);
        return new Detections(boxes.MoveToOuterDisposeScope(), detections.Scores, detections.Labels, masks?.MoveToOuterDisposeScope());
    }
}
