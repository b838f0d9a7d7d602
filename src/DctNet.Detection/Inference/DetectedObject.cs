using DctNet.Detection.Coco;
using DctNet.Detection.Modeling;

namespace DctNet.Detection.Inference;

/// <summary>One detection in image coordinates: corners (x1, y1, x2, y2) in pixels, the model's label, and for Mask R-CNN the binary mask.</summary>
/// <param name="Mask">The mask probabilities thresholded at 0.5 (torchvision's and mmdetection's rule), at the image's size.</param>
/// <param name="InclusiveCorners">The model measured the box as mmdetection v1 does, x2 - x1 + 1 pixels (<see cref="ITestTimePolicy.InclusiveCorners"/>).</param>
public sealed record DetectedObject(int Label, float Score, float X1, float Y1, float X2, float Y2, Rle? Mask, bool InclusiveCorners = false)
{
    /// <summary>COCO's [x, y, width, height], as torchvision's (x2 - x1) or mmdetection v1's (x2 - x1 + 1) evaluation converts the box.</summary>
    public CocoBox CocoBox
    {
        get
        {
            float inclusive = InclusiveCorners ? 1 : 0;
            return new(X1, Y1, X2 - X1 + inclusive, Y2 - Y1 + inclusive);
        }
    }

    /// <summary>The COCO results entry, under the category the model's label stands for.</summary>
    public CocoDetection ToCoco(long imageId, int categoryId) => new(imageId, categoryId, Score, CocoBox, Mask);
}
