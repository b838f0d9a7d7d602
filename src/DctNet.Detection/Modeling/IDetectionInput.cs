using DctNet.Frequency.Channels;
using DctNet.Frequency.Imaging;
using static TorchSharp.torch;

namespace DctNet.Detection.Modeling;

/// <summary>
/// The detector's input, the component torchvision's <c>GeneralizedRCNN(backbone, rpn, roi_heads, transform)</c> takes
/// as its transform: it prepares each image, batches the prepared images (and their training targets) for the
/// backbone, and maps detections back to the images. <see cref="GeneralizedRCNNTransform"/> resizes and normalizes RGB,
/// <see cref="DctGeneralizedRCNNTransform"/> makes the DCT coefficients of the release's detectors.
/// </summary>
public interface IDetectionInput
{
    /// <summary>The DCT channels the backbone takes; null for RGB.</summary>
    ChannelSubset? Channels => null;

    /// <summary>The DCT channels' normalization; null for RGB (and for raw coefficients).</summary>
    ChannelStatistics? Statistics => null;

    /// <summary>
    /// One image ready for <see cref="Batch"/>, flipped horizontally where asked (training's augmentation): the costly
    /// per-image work, thread-safe and without tensors, so that training runs it off its own thread.
    /// </summary>
    PreparedImage Prepare(RgbImage image, bool flip = false);

    /// <summary>
    /// An image given as torchvision's models take it, (3, H, W) with values in [0, 1]; an input that starts from 8-bit
    /// pixels (the DCT's) takes them times 255, truncated.
    /// </summary>
    PreparedImage Prepare(Tensor image);

    /// <summary>
    /// The backbone's batch of <paramref name="images"/> on <paramref name="device"/> (the CPU, or where the images'
    /// tensors are, when null), and the <paramref name="targets"/> - given in the original images' coordinates - in
    /// the batch's: resized, and flipped with their image.
    /// </summary>
    (ImageBatch Batch, IReadOnlyList<DetectionTarget> Targets) Batch(IReadOnlyList<PreparedImage> images, IReadOnlyList<DetectionTarget>? targets, Device? device);

    /// <summary>Detections of the batch's image <paramref name="resized"/> in the coordinates of the original <paramref name="image"/>; masks pasted into it.</summary>
    Detections Postprocess(Detections detections, PreparedImage image, (long Height, long Width) resized);

    /// <summary>
    /// The backbone's input for one image as mmdetection v1's test pipeline makes it (<see cref="MmdetV1TestTime"/>),
    /// the rescaled size (its img_shape) and the rescale factor.
    /// </summary>
    (Tensor Input, (long Height, long Width) Resized, double Scale) MmdetV1Input(RgbImage image, Device device);
}

/// <summary>One image as an <see cref="IDetectionInput"/> prepared it; only that input can batch it.</summary>
/// <param name="Size">The original image's size.</param>
/// <param name="Flipped">Flipped horizontally (the targets follow when batched).</param>
public abstract record PreparedImage((long Height, long Width) Size, bool Flipped);

/// <summary>A padded batch and the resized size of each image in it.</summary>
/// <param name="Stride">Pixels of the padded images per element of the tensor: 1 for RGB, 4 for the DCT blocks.</param>
public sealed record ImageBatch(Tensor Tensors, IReadOnlyList<(long Height, long Width)> ImageSizes, int Stride = 1)
{
    /// <summary>The padded images' size in pixels, which the anchors cover.</summary>
    public (long Height, long Width) PaddedSize => (Tensors.shape[2] * Stride, Tensors.shape[3] * Stride);
}
