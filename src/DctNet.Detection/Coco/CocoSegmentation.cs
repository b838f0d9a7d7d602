namespace DctNet.Detection.Coco;

/// <summary>
/// An object's shape as COCO stores it: polygon parts <c>[[x0, y0, x1, y1, ...], ...]</c> (in image coordinates, to
/// be rasterized at the image's size) or a run-length mask (uncompressed <c>{"size", "counts": [...]}</c>, as COCO's
/// crowd regions, or compressed <c>{"size", "counts": "..."}</c>), which carries its own size.
/// </summary>
public sealed class CocoSegmentation
{
    private CocoSegmentation(IReadOnlyList<double[]>? polygons, Rle? mask)
    {
        Polygons = polygons;
        Mask = mask;
    }

    /// <summary>
    /// Polygon parts; each needs an even count of at least 2 numbers. (pycocotools would take a first part of exactly
    /// 4 numbers for a box list and fail; here it is the two-point polygon it says it is.)
    /// </summary>
    public static CocoSegmentation FromPolygons(IReadOnlyList<double[]> parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        return PolygonProblem(parts) is { } problem ? throw new ArgumentException(problem, nameof(parts)) : new CocoSegmentation(parts, null);
    }

    /// <summary>Why <paramref name="parts"/> is not a polygon segmentation, or null.</summary>
    internal static string? PolygonProblem(IReadOnlyList<double[]> parts)
    {
        if (parts.Count == 0)
            return "A polygon segmentation needs at least one part.";
        for (int i = 0; i < parts.Count; i++)
        {
            if (parts[i].Length < 2 || parts[i].Length % 2 != 0)
                return $"Polygon part {i} has {parts[i].Length} numbers; a part is x, y pairs.";
        }
        return null;
    }

    public static CocoSegmentation FromMask(Rle mask) => new(null, mask ?? throw new ArgumentNullException(nameof(mask)));

    /// <summary>The polygon parts, or null for a run-length mask.</summary>
    public IReadOnlyList<double[]>? Polygons { get; }

    /// <summary>The run-length mask, or null for polygons.</summary>
    public Rle? Mask { get; }

    /// <summary>
    /// The mask as pycocotools' <c>annToRLE</c> makes it: polygon parts rasterized at the image's size and merged;
    /// a run-length mask as it is.
    /// </summary>
    public Rle ToRle(int imageHeight, int imageWidth) => Mask ?? Rle.FromPolygons(Polygons!, imageHeight, imageWidth);
}
