using System.Collections.ObjectModel;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace DctNet.Detection.Coco;

/// <summary>
/// pycocotools' COCOeval for boxes and masks with its default parameters, step for step: per image and category the
/// detections are sorted by score (stably, as NumPy's mergesort), cut to 100, and matched greedily to the ground
/// truth at each IoU threshold; crowd regions and objects outside the area range are "ignored" (a detection matched
/// to them counts neither way, a crowd can absorb any number of detections); precision is interpolated at 101 recall
/// points. Detections are prepared as <c>loadRes</c> does: ids 1..N in list order, and when the first detection has
/// a box every area is the box's w x h (even for mask evaluation), otherwise the mask's pixel count.
/// </summary>
public static class CocoEvaluator
{
    /// <summary>0.50, 0.55, ..., 0.95, computed as NumPy's linspace computes them (the last but one is 0.8999999999999999).</summary>
    public static IReadOnlyList<double> IouThresholds { get; } = Linspace(0.5, 0.95, 10);

    /// <summary>0.00, 0.01, ..., 1.00, as NumPy's linspace.</summary>
    public static IReadOnlyList<double> RecallThresholds { get; } = Linspace(0, 1, 101);

    public static IReadOnlyList<int> MaxDetections { get; } = new ReadOnlyCollection<int>([1, 10, 100]);

    /// <summary>all, small, medium, large: areas in pixels, both ends included.</summary>
    public static IReadOnlyList<(string Name, double Min, double Max)> AreaRanges { get; } =
        new ReadOnlyCollection<(string, double, double)>([("all", 0, 1e10), ("small", 0, 32 * 32), ("medium", 32 * 32, 96 * 96), ("large", 96 * 96, 1e10)]);

    // pycocotools never lets an IoU threshold reach 1, so that an IoU of exactly 1 still matches.
    private const double MaxIouThreshold = 1 - 1e-10;

    /// <summary>
    /// Evaluates <paramref name="detections"/> against every image and category of <paramref name="groundTruth"/>.
    /// A detection on an unknown image or of an unknown category is an <see cref="ArgumentException"/> (pycocotools
    /// refuses the first and silently drops the second); mask evaluation needs every annotation's segmentation.
    /// </summary>
    public static CocoEvaluation Evaluate(CocoDataset groundTruth, IReadOnlyList<CocoDetection> detections, CocoIouType iouType)
    {
        ArgumentNullException.ThrowIfNull(groundTruth);
        ArgumentNullException.ThrowIfNull(detections);
        var groundTruthGroups = GroupGroundTruth(groundTruth, iouType);
        var detectionGroups = GroupDetections(groundTruth, detections, iouType);
        long[] imageIds = [.. groundTruth.Images.Select(image => image.Id).Order()];
        int[] categoryIds = [.. groundTruth.Categories.Select(category => category.Id)];

        var perImage = new ImageEvaluation?[categoryIds.Length, AreaRanges.Count, imageIds.Length];
        for (int k = 0; k < categoryIds.Length; k++)
        {
            for (int i = 0; i < imageIds.Length; i++)
            {
                var key = (imageIds[i], categoryIds[k]);
                List<Region> truths = groundTruthGroups.GetValueOrDefault(key) ?? [];
                List<Region> found = detectionGroups.GetValueOrDefault(key) ?? [];
                if (truths.Count == 0 && found.Count == 0)
                    continue;
                Region[] ranked = [.. found.OrderByDescending(d => d.Score).Take(MaxDetections[^1])];
                double[,] ious = Ious(ranked, truths, iouType);
                for (int a = 0; a < AreaRanges.Count; a++)
                    perImage[k, a, i] = EvaluateImage(ranked, truths, ious, AreaRanges[a]);
            }
        }
        var (precision, recall) = Accumulate(perImage);
        return new CocoEvaluation(iouType, categoryIds, precision, recall, Summarize(precision, recall));
    }

    /// <summary>A ground-truth object or a detection, with what matching needs.</summary>
    private sealed record Region(long Id, double Score, CocoBox Box, double Area, bool IsCrowd, Rle? Mask, CocoBox MaskBox);

    /// <summary>One image and category at one area range: pycocotools' <c>evaluateImg</c> result.</summary>
    private sealed class ImageEvaluation(double[] scores, long[] matchedIds, bool[] ignored, int countedTruths)
    {
        /// <summary>Scores of the ranked detections.</summary>
        public double[] Scores { get; } = scores;

        /// <summary>[threshold, detection]: the matched ground truth's annotation id, 0 for none (pycocotools' dtMatches).</summary>
        public long[] MatchedIds { get; } = matchedIds;

        /// <summary>[threshold, detection]: matched to an ignored object, or unmatched and outside the area range.</summary>
        public bool[] Ignored { get; } = ignored;

        /// <summary>Ground-truth objects that count toward recall (not crowd, inside the area range).</summary>
        public int CountedTruths { get; } = countedTruths;
    }

    private static Dictionary<(long, int), List<Region>> GroupGroundTruth(CocoDataset groundTruth, CocoIouType iouType)
    {
        var groups = new Dictionary<(long, int), List<Region>>();
        foreach (CocoAnnotation annotation in groundTruth.Annotations)
        {
            Rle? mask = null;
            if (iouType == CocoIouType.Segm)
            {
                CocoSegmentation segmentation = annotation.Segmentation ?? throw new ArgumentException(
                    $"{groundTruth.Source}: annotation {annotation.Id} has no segmentation, which mask evaluation needs.", nameof(groundTruth));
                CocoImage image = groundTruth.Image(annotation.ImageId);
                mask = segmentation.ToRle(image.Height, image.Width);
            }
            Add(groups, (annotation.ImageId, annotation.CategoryId),
                new Region(annotation.Id, 0, annotation.Box, annotation.Area, annotation.IsCrowd, mask, mask?.ToBox() ?? default));
        }
        return groups;
    }

    /// <summary>pycocotools' <c>loadRes</c>: detection ids, areas and boxes, and the masks that segm evaluation compares.</summary>
    private static Dictionary<(long, int), List<Region>> GroupDetections(CocoDataset groundTruth, IReadOnlyList<CocoDetection> detections, CocoIouType iouType)
    {
        bool boxResults = detections.Count > 0 && detections[0].Box is not null;
        var groups = new Dictionary<(long, int), List<Region>>();
        for (int i = 0; i < detections.Count; i++)
        {
            CocoDetection detection = detections[i];
            if (!groundTruth.ContainsImage(detection.ImageId))
                throw new ArgumentException($"Detection {i} is on image {detection.ImageId}, which {groundTruth.Source} does not have.", nameof(detections));
            if (!groundTruth.ContainsCategory(detection.CategoryId))
                throw new ArgumentException($"Detection {i} has category {detection.CategoryId}, which {groundTruth.Source} does not have.", nameof(detections));
            CocoBox box;
            double area;
            Rle? mask = detection.Mask;
            if (boxResults)
            {
                box = detection.Box ?? throw new ArgumentException(
                    $"Detection {i} has no box, but the first detection has one, which makes these box results.", nameof(detections));
                area = box.Area;
                if (iouType == CocoIouType.Segm && mask is null)
                {
                    CocoImage image = groundTruth.Image(detection.ImageId);
                    mask = Rle.FromBox(box, image.Height, image.Width);
                }
            }
            else
            {
                if (mask is null)
                    throw new ArgumentException($"Detection {i} has no mask, but the first detection has only a mask, which makes these mask results.", nameof(detections));
                area = mask.Area;
                box = detection.Box ?? mask.ToBox();
            }
            CocoBox maskBox = iouType == CocoIouType.Segm ? mask!.ToBox() : default;
            Add(groups, (detection.ImageId, detection.CategoryId), new Region(i + 1, detection.Score, box, area, false, mask, maskBox));
        }
        return groups;
    }

    private static void Add(Dictionary<(long, int), List<Region>> groups, (long, int) key, Region region)
    {
        if (!groups.TryGetValue(key, out var list))
            groups[key] = list = [];
        list.Add(region);
    }

    /// <summary>[detection, ground truth] IoUs with the crowd rule; empty when either side is.</summary>
    private static double[,] Ious(Region[] detections, List<Region> truths, CocoIouType iouType)
    {
        var ious = new double[detections.Length, truths.Count];
        for (int d = 0; d < detections.Length; d++)
        {
            Region detection = detections[d];
            for (int g = 0; g < truths.Count; g++)
            {
                Region truth = truths[g];
                ious[d, g] = iouType == CocoIouType.Bbox
                    ? CocoBox.Iou(detection.Box, truth.Box, truth.IsCrowd)
                    : Rle.Iou(detection.Mask!, detection.MaskBox, truth.Mask!, truth.MaskBox, truth.IsCrowd);
            }
        }
        return ious;
    }

    private static ImageEvaluation EvaluateImage(Region[] detections, List<Region> truths, double[,] ious, (string Name, double Min, double Max) range)
    {
        int thresholds = IouThresholds.Count, detectionCount = detections.Length, truthCount = truths.Count;
        bool Outside(double area) => area < range.Min || area > range.Max;

        // Counted objects first, ignored ones after, each group in its own order (a stable sort, as pycocotools').
        int[] order = [.. Enumerable.Range(0, truthCount).OrderBy(g => truths[g].IsCrowd || Outside(truths[g].Area))];
        bool[] truthIgnored = [.. order.Select(g => truths[g].IsCrowd || Outside(truths[g].Area))];

        var matchedIds = new long[thresholds * detectionCount];
        var ignored = new bool[thresholds * detectionCount];
        var truthTaken = new bool[truthCount];
        for (int t = 0; t < thresholds; t++)
        {
            Array.Clear(truthTaken);
            for (int d = 0; d < detectionCount; d++)
            {
                double best = Math.Min(IouThresholds[t], MaxIouThreshold);
                int match = -1;
                for (int s = 0; s < truthCount; s++)
                {
                    Region truth = truths[order[s]];
                    if (truthTaken[s] && !truth.IsCrowd)
                        continue;
                    // Sorted ignored-last: once matched to a counted object, ignored ones cannot take the detection.
                    if (match > -1 && !truthIgnored[match] && truthIgnored[s])
                        break;
                    double iou = ious[d, order[s]];
                    if (iou < best)
                        continue;
                    best = iou;
                    match = s;
                }
                if (match == -1)
                    continue;
                ignored[t * detectionCount + d] = truthIgnored[match];
                // pycocotools stores the annotation id, and later reads 0 as "unmatched" - an annotation with id 0 stays so.
                matchedIds[t * detectionCount + d] = truths[order[match]].Id;
                truthTaken[match] = true;
            }
        }
        for (int t = 0; t < thresholds; t++)
        {
            for (int d = 0; d < detectionCount; d++)
            {
                if (matchedIds[t * detectionCount + d] == 0 && Outside(detections[d].Area))
                    ignored[t * detectionCount + d] = true;
            }
        }
        return new ImageEvaluation([.. detections.Select(d => d.Score)], matchedIds, ignored, truthIgnored.Count(ignore => !ignore));
    }

    /// <summary>pycocotools' <c>accumulate</c>: precision/recall curves over all images, per category, area range and detection limit.</summary>
    private static (double[,,,,] Precision, double[,,,] Recall) Accumulate(ImageEvaluation?[,,] perImage)
    {
        int thresholds = IouThresholds.Count, recallPoints = RecallThresholds.Count;
        int categories = perImage.GetLength(0), areas = perImage.GetLength(1), images = perImage.GetLength(2), limits = MaxDetections.Count;
        var precision = new double[thresholds, recallPoints, categories, areas, limits];
        var recall = new double[thresholds, categories, areas, limits];
        FillWithMinusOne(precision);
        FillWithMinusOne(recall);

        var scores = new List<double>();
        var matched = new List<bool>[thresholds];
        var ignored = new List<bool>[thresholds];
        for (int t = 0; t < thresholds; t++)
        {
            matched[t] = [];
            ignored[t] = [];
        }
        var q = new double[recallPoints];
        for (int k = 0; k < categories; k++)
        {
            for (int a = 0; a < areas; a++)
            {
                for (int m = 0; m < limits; m++)
                {
                    int limit = MaxDetections[m];
                    scores.Clear();
                    for (int t = 0; t < thresholds; t++)
                    {
                        matched[t].Clear();
                        ignored[t].Clear();
                    }
                    int countedTruths = 0;
                    bool any = false;
                    for (int i = 0; i < images; i++)
                    {
                        if (perImage[k, a, i] is not { } image)
                            continue;
                        any = true;
                        countedTruths += image.CountedTruths;
                        int kept = Math.Min(limit, image.Scores.Length), detectionCount = image.Scores.Length;
                        scores.AddRange(image.Scores.AsSpan(0, kept));
                        for (int t = 0; t < thresholds; t++)
                        {
                            for (int d = 0; d < kept; d++)
                            {
                                matched[t].Add(image.MatchedIds[t * detectionCount + d] != 0);
                                ignored[t].Add(image.Ignored[t * detectionCount + d]);
                            }
                        }
                    }
                    if (!any || countedTruths == 0)
                        continue;
                    // Highest score first, ties in image order then rank order (NumPy's stable mergesort).
                    int[] ranking = [.. Enumerable.Range(0, scores.Count).OrderByDescending(j => scores[j])];
                    for (int t = 0; t < thresholds; t++)
                    {
                        recall[t, k, a, m] = PrecisionCurve(ranking, matched[t], ignored[t], countedTruths, q);
                        for (int r = 0; r < recallPoints; r++)
                            precision[t, r, k, a, m] = q[r];
                    }
                }
            }
        }
        return (precision, recall);
    }

    /// <summary>
    /// One precision/recall curve: fills <paramref name="interpolated"/> with the precision envelope at the recall
    /// thresholds (0 beyond the largest recall reached) and returns the final recall.
    /// </summary>
    private static double PrecisionCurve(int[] ranking, List<bool> matched, List<bool> ignored, int countedTruths, double[] interpolated)
    {
        int count = ranking.Length;
        var recallAt = new double[count];
        var precisionAt = new double[count];
        double truePositives = 0, falsePositives = 0;
        for (int j = 0; j < count; j++)
        {
            int d = ranking[j];
            if (!ignored[d])
            {
                if (matched[d])
                    truePositives++;
                else
                    falsePositives++;
            }
            recallAt[j] = truePositives / countedTruths;
            precisionAt[j] = truePositives / (falsePositives + truePositives + Spacing1);
        }
        for (int j = count - 1; j > 0; j--)
        {
            if (precisionAt[j] > precisionAt[j - 1])
                precisionAt[j - 1] = precisionAt[j];
        }
        Array.Clear(interpolated);
        for (int r = 0; r < interpolated.Length; r++)
        {
            // NumPy's searchsorted(side='left'): the first point whose recall reaches the threshold.
            int at = LowerBound(recallAt, RecallThresholds[r]);
            if (at == count)
                break;
            interpolated[r] = precisionAt[at];
        }
        return count > 0 ? recallAt[count - 1] : 0;
    }

    /// <summary>NumPy's <c>np.spacing(1)</c>, pycocotools' guard against 0/0.</summary>
    private const double Spacing1 = 2.220446049250313e-16;

    private static int LowerBound(double[] sorted, double value)
    {
        int low = 0, high = sorted.Length;
        while (low < high)
        {
            int middle = (low + high) >>> 1;
            if (sorted[middle] < value)
                low = middle + 1;
            else
                high = middle;
        }
        return low;
    }

    /// <summary>pycocotools' <c>summarize</c>: each number is the mean of the defined (> -1) entries of its slice, or -1.</summary>
    private static double[] Summarize(double[,,,,] precision, double[,,,] recall)
    {
        int all = -1;
        int iou50 = IndexOf(IouThresholds, 0.5), iou75 = IndexOf(IouThresholds, 0.75);
        int maxDets100 = MaxDetections.Count - 1;
        return
        [
            MeanPrecision(precision, all, 0, maxDets100),
            MeanPrecision(precision, iou50, 0, maxDets100),
            MeanPrecision(precision, iou75, 0, maxDets100),
            MeanPrecision(precision, all, 1, maxDets100),
            MeanPrecision(precision, all, 2, maxDets100),
            MeanPrecision(precision, all, 3, maxDets100),
            MeanRecall(recall, 0, 0),
            MeanRecall(recall, 0, 1),
            MeanRecall(recall, 0, maxDets100),
            MeanRecall(recall, 1, maxDets100),
            MeanRecall(recall, 2, maxDets100),
            MeanRecall(recall, 3, maxDets100),
        ];
    }

    private static double MeanPrecision(double[,,,,] precision, int threshold, int area, int limit)
    {
        var mean = new DefinedMean();
        for (int t = 0; t < precision.GetLength(0); t++)
        {
            if (threshold >= 0 && t != threshold)
                continue;
            for (int r = 0; r < precision.GetLength(1); r++)
            {
                for (int k = 0; k < precision.GetLength(2); k++)
                    mean.Add(precision[t, r, k, area, limit]);
            }
        }
        return mean.Value;
    }

    private static double MeanRecall(double[,,,] recall, int area, int limit)
    {
        var mean = new DefinedMean();
        for (int t = 0; t < recall.GetLength(0); t++)
        {
            for (int k = 0; k < recall.GetLength(1); k++)
                mean.Add(recall[t, k, area, limit]);
        }
        return mean.Value;
    }

    private struct DefinedMean
    {
        private double sum;
        private int count;

        public void Add(double value)
        {
            if (value > -1)
            {
                sum += value;
                count++;
            }
        }

        public readonly double Value => count == 0 ? -1 : sum / count;
    }

    private static int IndexOf(IReadOnlyList<double> values, double value)
    {
        for (int i = 0; i < values.Count; i++)
        {
            if (values[i] == value)
                return i;
        }
        throw new InvalidOperationException($"{value} is not among the thresholds.");
    }

    /// <summary>Sets every element of a (multidimensional) double array to -1, pycocotools' "undefined".</summary>
    private static void FillWithMinusOne(Array array) =>
        MemoryMarshal.CreateSpan(ref Unsafe.As<byte, double>(ref MemoryMarshal.GetArrayDataReference(array)), array.Length).Fill(-1);

    /// <summary>NumPy's linspace: start + i * step, with the last point set to stop exactly.</summary>
    private static ReadOnlyCollection<double> Linspace(double start, double stop, int count)
    {
        double step = (stop - start) / (count - 1);
        var values = new double[count];
        for (int i = 0; i < count; i++)
            values[i] = i * step + start;
        values[^1] = stop;
        return new ReadOnlyCollection<double>(values);
    }
}
