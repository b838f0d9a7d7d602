using DctNet.Frequency.Detection;
using DctNet.Frequency.Geometry;
using DctNet.Frequency.Imaging;
using static TorchSharp.torch;

namespace DctNet.Detection.Modeling;

/// <summary>
/// torchvision 0.14's GeneralizedRCNNTransform: normalize each (3, H, W) [0, 1] image with ImageNet's mean
/// and std, resize it bilinearly (align_corners false) by min(800 / short side, 1333 / long side) - computed in float32 as PyTorch does,
/// output size floor(size x scale) in double - and batch the images zero-padded to a multiple of 32. In training the
/// targets follow: boxes scaled by the float32 ratios of the sizes, masks resized by nearest neighbour. Postprocessing
/// scales the boxes back to the original sizes and pastes the masks into the original images. The input of RGB detectors.
/// </summary>
public sealed class GeneralizedRCNNTransform : IDetectionInput
{
    private static readonly float[] Mean = [0.485f, 0.456f, 0.406f];
    private static readonly float[] Std = [0.229f, 0.224f, 0.225f];

    // mmdetection v1's img_norm_cfg: ImageNet's mean and std in 0-255.
    private static readonly float[] MmdetV1Mean = [123.675f, 116.28f, 103.53f];
    private static readonly float[] MmdetV1Std = [58.395f, 57.12f, 57.375f];

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

    /// <summary>The image's pixels; its float tensor is made when batched.</summary>
    public PreparedImage Prepare(RgbImage image, bool flip = false)
    {
        ArgumentNullException.ThrowIfNull(image);
        return new Pixels((image.Height, image.Width), flip, image, null);
    }

    /// <inheritdoc/>
    public PreparedImage Prepare(Tensor image)
    {
        ArgumentNullException.ThrowIfNull(image);
        return new Pixels((image.shape[1], image.shape[2]), false, null, image);
    }

    /// <inheritdoc/>
    public (ImageBatch Batch, IReadOnlyList<DetectionTarget> Targets) Batch(IReadOnlyList<PreparedImage> images, IReadOnlyList<DetectionTarget>? targets, Device? device)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (targets is not null && targets.Count != images.Count)
            throw new ArgumentException($"{targets.Count} targets for {images.Count} images.", nameof(targets));
        using var scope = NewDisposeScope();
        var tensors = images.Select(image => ((Pixels)image).ToTensor(device)).ToList();
        var flipped = targets?.Select((target, i) => images[i].Flipped ? target.FlippedHorizontally(images[i].Size.Width) : target).ToList();
        var (batch, resized) = Apply(tensors, flipped);
        batch.Tensors.MoveToOuterDisposeScope();
        return (batch, [.. resized.Select(target => target.MoveToOuterDisposeScope())]);
    }

    /// <summary>Boxes from the resized to the original size (ratios in float32); masks pasted into the original image.</summary>
    public Detections Postprocess(Detections detections, PreparedImage image, (long Height, long Width) resized)
        => Postprocess(detections, resized, image.Size);

    /// <summary>mmcv's rescale to fit <see cref="MaxSize"/> x <see cref="MinSize"/> (OpenCV's bilinear), normalized in 0-255, zero-padded to 32.</summary>
    public (Tensor Input, (long Height, long Width) Resized, double Scale) MmdetV1Input(RgbImage image, Device device)
    {
        ArgumentNullException.ThrowIfNull(image);
        using var scope = NewDisposeScope();
        var (width, height, scale) = DetectionDctTransform.RescaledSize(image.Width, image.Height, MaxSize, MinSize);
        byte[] pixels = width == image.Width && height == image.Height ? image.Pixels : LinearResize.Resize(image.Pixels, image.Width, image.Height, 3, width, height);
        var (paddedWidth, paddedHeight) = DetectionDctTransform.PaddedSize(width, height);
        var normalized = (tensor(pixels, [height, width, 3]).to(ScalarType.Float32) - tensor(MmdetV1Mean)) / tensor(MmdetV1Std);
        // mmdetection v1 normalizes, then pads: the padding is zero in the normalized image.
        var batch = zeros([1, 3, paddedHeight, paddedWidth]);
        batch[0, TensorIndex.Colon, TensorIndex.Slice(0, height), TensorIndex.Slice(0, width)].copy_(normalized.permute(2, 0, 1));
        return (batch.to(device).MoveToOuterDisposeScope(), (height, width), scale);
    }

    public ImageBatch Apply(IReadOnlyList<Tensor> images) => Apply(images, null).Batch;

    /// <summary>The batch and the <paramref name="targets"/> (in the images' own coordinates) resized with their images.</summary>
    private (ImageBatch Batch, DetectionTarget[] Targets) Apply(IReadOnlyList<Tensor> images, List<DetectionTarget>? targets)
    {
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
                resizedTargets.Add(targets[i].Resized((float)width / image.shape[2], (float)height / image.shape[1], (height, width)).MoveToOuterDisposeScope());
        }
        long Padded(long size) => (long)Math.Ceiling(size / (double)SizeDivisible) * SizeDivisible;
        long batchHeight = Padded(resized.Max(r => r.shape[1])), batchWidth = Padded(resized.Max(r => r.shape[2]));
        var batch = zeros([resized.Count, 3, batchHeight, batchWidth], images[0].dtype, images[0].device);
        for (int i = 0; i < resized.Count; i++)
            batch[i, TensorIndex.Colon, TensorIndex.Slice(0, resized[i].shape[1]), TensorIndex.Slice(0, resized[i].shape[2])].copy_(resized[i]);
        return (new ImageBatch(batch.MoveToOuterDisposeScope(), [.. resized.Select(r => (r.shape[1], r.shape[2]))]), [.. resizedTargets]);
    }

    /// <summary>Boxes from the resized to the original size (ratios in float32); masks pasted into the original image.</summary>
    public static Detections Postprocess(Detections detections, (long Height, long Width) resized, (long Height, long Width) original)
        => Postprocess(detections, (float)original.Height / resized.Height, (float)original.Width / resized.Width, original);

    /// <summary>Boxes scaled by the given ratios (the DCT input's rescale factor, as mmdetection divides by it); masks pasted into the original image.</summary>
    internal static Detections Postprocess(Detections detections, float ratioHeight, float ratioWidth, (long Height, long Width) original)
    {
        using var scope = NewDisposeScope();
        var boxes = detections.Boxes * tensor(new[] { ratioWidth, ratioHeight, ratioWidth, ratioHeight });
        var masks = detections.Masks is null ? null : MaskPaste.PasteInImage(detections.Masks, boxes, original.Height, original.Width);
        return new Detections(boxes.MoveToOuterDisposeScope(), detections.Scores, detections.Labels, masks?.MoveToOuterDisposeScope());
    }

    /// <summary>An image's 8-bit pixels, or a [0, 1] float tensor given as it is.</summary>
    private sealed record Pixels((long Height, long Width) Size, bool Flipped, RgbImage? Image, Tensor? Values) : PreparedImage(Size, Flipped)
    {
        /// <summary>(3, H, W) in [0, 1] on the device, flipped where asked, as torchvision's models take images.</summary>
        public Tensor ToTensor(Device? device)
        {
            if (Values is not null)
                return device is null ? Values : Values.to(device);
            var pixels = tensor(Image!.Pixels, [Image.Height, Image.Width, 3], device: device).permute(2, 0, 1).to(ScalarType.Float32).div(HeldScalars.ByteMax);
            return Flipped ? pixels.flip(2) : pixels;
        }
    }
}
