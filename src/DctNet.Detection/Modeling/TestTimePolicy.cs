using DctNet.Frequency.Imaging;
using static TorchSharp.torch;

namespace DctNet.Detection.Modeling;

/// <summary>
/// The test-time algorithms a detector runs on an image, and how its boxes are measured: torchvision's
/// (<see cref="TorchvisionTestTime"/>), or mmdetection v1's "+1" ones for the release's checkpoints
/// (<see cref="MmdetV1TestTime"/>). Training is torchvision's either way.
/// </summary>
public interface ITestTimePolicy
{
    /// <summary>
    /// Whether a box from x1 to x2 covers x2 - x1 + 1 pixels (mmdetection v1's convention) rather than x2 - x1
    /// (torchvision's): its COCO width and height follow.
    /// </summary>
    bool InclusiveCorners => false;

    /// <summary>Detections for one image, in its coordinates. Call in eval mode, under no_grad.</summary>
    Detections Detect(GeneralizedRCNN model, RgbImage image, Device device);
}

/// <summary>torchvision's test time: <see cref="GeneralizedRCNN.Detect"/> on the model's <see cref="GeneralizedRCNN.Input"/> (the models' parity reference).</summary>
public sealed class TorchvisionTestTime : ITestTimePolicy
{
    public static TorchvisionTestTime Instance { get; } = new();

    public Detections Detect(GeneralizedRCNN model, RgbImage image, Device device) => model.Detect([model.Input.Prepare(image)], device)[0];
}
