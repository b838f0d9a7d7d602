using System.Globalization;

namespace DctNet.Detection.Coco;

/// <summary>What COCO evaluation compares: boxes or masks.</summary>
public enum CocoIouType
{
    Bbox,
    Segm,
}

/// <summary>
/// The outcome of <see cref="CocoEvaluator.Evaluate"/>: pycocotools' 12-number summary, -1 where there was nothing to
/// evaluate (no ground truth in that area range, for instance).
/// </summary>
public sealed class CocoEvaluation
{
    private static readonly (bool Precision, string Iou, string Area, int MaxDetections)[] SummaryRows =
    [
        (true, "0.50:0.95", "all", 100), (true, "0.50", "all", 100), (true, "0.75", "all", 100),
        (true, "0.50:0.95", "small", 100), (true, "0.50:0.95", "medium", 100), (true, "0.50:0.95", "large", 100),
        (false, "0.50:0.95", "all", 1), (false, "0.50:0.95", "all", 10), (false, "0.50:0.95", "all", 100),
        (false, "0.50:0.95", "small", 100), (false, "0.50:0.95", "medium", 100), (false, "0.50:0.95", "large", 100),
    ];

    internal CocoEvaluation(CocoIouType iouType, IReadOnlyList<int> categoryIds, double[,,,,] precision, double[,,,] recall, double[] stats)
    {
        IouType = iouType;
        CategoryIds = categoryIds;
        Precision = precision;
        Recall = recall;
        Stats = stats;
    }

    /// <summary>The names of the 12 <see cref="Stats"/>, in their order, as JSON files carry them.</summary>
    public static IReadOnlyList<string> StatNames { get; } = ["AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl"];

    public CocoIouType IouType { get; }

    /// <summary>The categories evaluated (all of the ground truth's), in the order of the K axis.</summary>
    public IReadOnlyList<int> CategoryIds { get; }

    /// <summary>Interpolated precision [IoU threshold, recall threshold, category, area range, max detections]; -1 where undefined.</summary>
    internal double[,,,,] Precision { get; }

    /// <summary>Recall [IoU threshold, category, area range, max detections]; -1 where undefined.</summary>
    internal double[,,,] Recall { get; }

    /// <summary>AP, AP50, AP75, APs, APm, APl, AR1, AR10, AR100, ARs, ARm, ARl - pycocotools' <c>stats</c>.</summary>
    public IReadOnlyList<double> Stats { get; }

    /// <summary>AP averaged over IoU 0.50:0.95, all areas, 100 detections: COCO's headline number.</summary>
    public double Ap => Stats[0];

    /// <summary>AR with one detection per image, all areas.</summary>
    public double Ar1 => Stats[6];

    /// <summary>The 12 lines pycocotools' <c>summarize()</c> prints, character for character.</summary>
    public IEnumerable<string> SummaryLines() =>
        SummaryRows.Select((row, i) => string.Format(CultureInfo.InvariantCulture,
            " {0,-18} {1} @[ IoU={2,-9} | area={3,6} | maxDets={4,3} ] = {5:0.000}",
            row.Precision ? "Average Precision" : "Average Recall", row.Precision ? "(AP)" : "(AR)",
            row.Iou, row.Area, row.MaxDetections, Stats[i]));
}
