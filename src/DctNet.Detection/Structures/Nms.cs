using static TorchSharp.torch;

namespace DctNet.Detection.Structures;

/// <summary>
/// Non-maximum suppression as torchvision's CPU kernel computes it: boxes sorted by decreasing score, each kept box
/// suppresses the later ones whose IoU with it exceeds the threshold; float32 areas and overlaps, the comparison in
/// double. Runs over arrays (the loop is inherently sequential); inputs are CPU tensors.
/// </summary>
public static class Nms
{
    /// <summary>torchvision's batched_nms switches from the coordinate trick to a loop over classes above this many coordinates on CPU.</summary>
    public const long CoordinateTrickLimit = 4000;

    /// <summary>nms: the indices (int64) of the kept boxes, by decreasing score.</summary>
    public static Tensor Apply(Tensor boxes, Tensor scores, double iouThreshold)
        => tensor(Keep(Floats(boxes), Floats(scores), iouThreshold), ScalarType.Int64);

    /// <summary>
    /// batched_nms: suppression only within each value of <paramref name="groups"/> (class or level). As torchvision
    /// 0.14 on CPU: up to <see cref="CoordinateTrickLimit"/> coordinates, one NMS over boxes offset by
    /// group x (max coordinate + 1) so that groups cannot overlap; above it, one NMS per group, merged by score.
    /// </summary>
    public static Tensor Batched(Tensor boxes, Tensor scores, Tensor groups, double iouThreshold)
    {
        if (boxes.shape[0] == 0)
            return empty(0, ScalarType.Int64);
        if (boxes.numel() > CoordinateTrickLimit)
            return BatchedPerGroup(boxes, scores, groups, iouThreshold);
        using var scope = NewDisposeScope();
        var maxCoordinate = boxes.max();
        var offsets = groups.to(boxes.dtype) * maxCoordinate.Plus(1L);
        return Apply(boxes.Plus(offsets.unsqueeze(1)), scores, iouThreshold).MoveToOuterDisposeScope();
    }

    private static Tensor BatchedPerGroup(Tensor boxes, Tensor scores, Tensor groups, double iouThreshold)
    {
        float[] allBoxes = Floats(boxes);
        float[] allScores = Floats(scores);
        long[] groupOf = groups.to(ScalarType.Int64).data<long>().ToArray();
        var kept = new List<long>();
        foreach (var members in Enumerable.Range(0, groupOf.Length).GroupBy(i => groupOf[i]))
        {
            int[] indices = [.. members];
            float[] memberBoxes = new float[indices.Length * 4];
            float[] memberScores = new float[indices.Length];
            for (int m = 0; m < indices.Length; m++)
            {
                Array.Copy(allBoxes, indices[m] * 4, memberBoxes, m * 4, 4);
                memberScores[m] = allScores[indices[m]];
            }
            kept.AddRange(Keep(memberBoxes, memberScores, iouThreshold).Select(k => (long)indices[k]));
        }
        long[] ordered = [.. kept.Order()];
        return tensor(ordered.OrderBy(i => i, DescendingScore(allScores)).ToArray(), ScalarType.Int64);
    }

    /// <summary>The greedy kernel over (x1, y1, x2, y2) rows; returns the kept indices by decreasing score.</summary>
    internal static long[] Keep(float[] boxes, float[] scores, double iouThreshold)
    {
        int count = scores.Length;
        var order = Enumerable.Range(0, count).Select(i => (long)i).OrderBy(i => i, DescendingScore(scores)).ToArray();
        var areas = new float[count];
        for (int i = 0; i < count; i++)
            areas[i] = (boxes[4 * i + 2] - boxes[4 * i]) * (boxes[4 * i + 3] - boxes[4 * i + 1]);
        var suppressed = new bool[count];
        var keep = new List<long>();
        for (int a = 0; a < count; a++)
        {
            long i = order[a];
            if (suppressed[i])
                continue;
            keep.Add(i);
            float ix1 = boxes[4 * i], iy1 = boxes[4 * i + 1], ix2 = boxes[4 * i + 2], iy2 = boxes[4 * i + 3];
            for (int b = a + 1; b < count; b++)
            {
                long j = order[b];
                if (suppressed[j])
                    continue;
                float width = Math.Max(0f, Math.Min(ix2, boxes[4 * j + 2]) - Math.Max(ix1, boxes[4 * j]));
                float height = Math.Max(0f, Math.Min(iy2, boxes[4 * j + 3]) - Math.Max(iy1, boxes[4 * j + 1]));
                float intersection = width * height;
                float iou = intersection / (areas[i] + areas[j] - intersection);
                if (iou > iouThreshold)
                    suppressed[j] = true;
            }
        }
        return [.. keep];
    }

    // By decreasing score; equal scores keep their index order (OrderBy is stable).
    private static Comparer<long> DescendingScore(float[] scores) => Comparer<long>.Create((a, b) => scores[b].CompareTo(scores[a]));

    private static float[] Floats(Tensor tensor) => tensor.detach().to(ScalarType.Float32).cpu().contiguous().data<float>().ToArray();
}
