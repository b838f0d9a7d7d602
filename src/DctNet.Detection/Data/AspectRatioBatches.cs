namespace DctNet.Detection.Data;

/// <summary>
/// Batches of images of one aspect-ratio group (landscape or portrait, mmdetection's GroupSampler flag), so that a
/// padded batch wastes little: the images shuffled, split by group in that order, cut into batches, and the batches
/// shuffled again. A group's last batch may be smaller; no image is repeated or left out. The order is a function of
/// the seed and the epoch alone, so that a resumed run draws the batches the uninterrupted one did.
/// </summary>
public static class AspectRatioBatches
{
    /// <summary>How many batches <see cref="Create"/> makes, whatever the order: each group's size over the batch size, rounded up.</summary>
    public static int Count(IReadOnlyList<bool> landscape, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(landscape);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        int wide = landscape.Count(isLandscape => isLandscape);
        return (wide + batchSize - 1) / batchSize + (landscape.Count - wide + batchSize - 1) / batchSize;
    }

    /// <param name="landscape">Per image, its group.</param>
    /// <param name="random">The epoch's stream (<c>SeededStreams.SampleOrder</c>'s kind).</param>
    public static IReadOnlyList<int[]> Create(IReadOnlyList<bool> landscape, int batchSize, Random random)
    {
        ArgumentNullException.ThrowIfNull(landscape);
        ArgumentNullException.ThrowIfNull(random);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        int[] order = [.. Enumerable.Range(0, landscape.Count)];
        random.Shuffle(order);
        var batches = new List<int[]>();
        foreach (bool group in new[] { true, false })
            batches.AddRange(order.Where(i => landscape[i] == group).Chunk(batchSize));
        var shuffled = batches.ToArray();
        random.Shuffle(shuffled);
        return shuffled;
    }
}
