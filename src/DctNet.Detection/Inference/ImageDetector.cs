using DctNet.Detection.Coco;
using DctNet.Detection.Modeling;
using DctNet.Frequency.Imaging;
using TorchSharp;
using static TorchSharp.torch;

namespace DctNet.Detection.Inference;

/// <summary>Runs a detection model on decoded images and returns plain detections (no tensors outlive a call).</summary>
public sealed class ImageDetector
{
    /// <summary>The mask probability above which a pixel belongs to the object (torchvision's COCO evaluation, mmdetection's test config).</summary>
    public const double MaskThreshold = 0.5;

    private readonly GeneralizedRCNN model;
    private readonly Device device;

    /// <summary>Moves <paramref name="model"/> to <paramref name="device"/> and into evaluation mode.</summary>
    public ImageDetector(GeneralizedRCNN model, Device device)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(device);
        this.model = model;
        this.device = device;
        model.to(device).eval();
    }

    /// <summary>The detections with a score of at least <paramref name="minimumScore"/>, best first.</summary>
    public IReadOnlyList<DetectedObject> Detect(RgbImage image, double minimumScore)
    {
        ArgumentNullException.ThrowIfNull(image);
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var detections = model.TestTime.Detect(model, image, device);
        var keep = detections.Scores.ge(minimumScore).nonzero().view(-1);
        if (keep.shape[0] == 0)
            return [];
        float[] boxes = detections.Boxes.index_select(0, keep).cpu().contiguous().data<float>().ToArray();
        float[] scores = detections.Scores.index_select(0, keep).cpu().data<float>().ToArray();
        long[] labels = detections.Labels.index_select(0, keep).cpu().data<long>().ToArray();
        // COCO's run lengths go down the columns: transposed, each mask's bytes are already in that order.
        var masks = detections.Masks?.index_select(0, keep).squeeze(1).gt(MaskThreshold).transpose(1, 2).to(ScalarType.Byte).cpu().contiguous();
        byte[]? maskBytes = masks?.data<byte>().ToArray();
        int pixels = image.Width * image.Height;
        var result = new DetectedObject[scores.Length];
        for (int i = 0; i < result.Length; i++)
        {
            Rle? mask = maskBytes is null ? null : Rle.Encode(maskBytes.AsSpan(i * pixels, pixels), image.Height, image.Width);
            result[i] = new DetectedObject((int)labels[i], scores[i], boxes[4 * i], boxes[4 * i + 1], boxes[4 * i + 2], boxes[4 * i + 3], mask, model.TestTime.InclusiveCorners);
        }
        return result;
    }
}
