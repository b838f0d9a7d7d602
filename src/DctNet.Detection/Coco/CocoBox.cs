namespace DctNet.Detection.Coco;

/// <summary>A COCO box: top-left corner and size in pixels (<c>[x, y, width, height]</c> in the JSON files).</summary>
public readonly record struct CocoBox(double X, double Y, double Width, double Height)
{
    public double Area => Width * Height;

    /// <summary>
    /// Intersection over union as pycocotools' <c>bbIou</c> computes it: for a crowd ground truth the union is the
    /// detection's own area, so that a detection inside a crowd region scores high however large the region is.
    /// </summary>
    public static double Iou(CocoBox detection, CocoBox groundTruth, bool groundTruthIsCrowd)
    {
        double width = Math.Min(detection.X + detection.Width, groundTruth.X + groundTruth.Width) - Math.Max(detection.X, groundTruth.X);
        if (width <= 0)
            return 0;
        double height = Math.Min(detection.Y + detection.Height, groundTruth.Y + groundTruth.Height) - Math.Max(detection.Y, groundTruth.Y);
        if (height <= 0)
            return 0;
        double intersection = width * height;
        double union = groundTruthIsCrowd ? detection.Area : detection.Area + groundTruth.Area - intersection;
        return intersection / union;
    }
}
