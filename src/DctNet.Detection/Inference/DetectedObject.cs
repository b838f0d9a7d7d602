using DctNet.Detection.Coco;

namespace DctNet.Detection.Inference;

/// <summary>One detection in image coordinates: corners (x1, y1, x2, y2) in pixels, the model's label, and for Mask R-CNN the binary mask.</summary>
/// <param name="Mask">The mask probabilities thresholded at 0.5 (torchvision's and mmdetection's rule), at the image's size.</param>
public sealed record DetectedObject(int Label, float Score, float X1, float Y1, float X2, float Y2, Rle? Mask)
{
    /// <summary>COCO's [x, y, width, height], as torchvision's COCO evaluation converts its boxes.</summary>
    public CocoBox CocoBox => new(X1, Y1, X2 - X1, Y2 - Y1);

    /// <summary>The COCO results entry, under the category the model's label stands for.</summary>
    public CocoDetection ToCoco(long imageId, int categoryId) => new(imageId, categoryId, Score, CocoBox, Mask);
}
