namespace DctNet.Detection.Coco;

/// <summary>
/// A binary mask as COCO run lengths. Pixels are taken column by column (down the first column, then the next:
/// the column-major order of pycocotools), and the counts alternate runs of 0s and 1s starting with 0s, so a mask
/// whose first pixel is set starts with an empty run. Immutable. Every operation follows pycocotools' maskApi.c
/// step by step, so areas, boxes, IoUs and strings are the numbers COCO evaluation computes.
/// </summary>
public sealed class Rle
{
    private readonly uint[] counts;

    /// <summary>A mask from its run lengths, which must add up to <paramref name="height"/> x <paramref name="width"/>.</summary>
    public Rle(int height, int width, ReadOnlySpan<uint> counts)
        : this(height, width, counts.ToArray())
    {
        if (Problem(height, width, counts) is { } problem)
            throw new ArgumentException(problem, nameof(counts));
    }

    private Rle(int height, int width, uint[] counts)
    {
        Height = height;
        Width = width;
        this.counts = counts;
    }

    /// <summary>Why run lengths cannot make a <paramref name="height"/> x <paramref name="width"/> mask, or null.</summary>
    internal static string? Problem(int height, int width, ReadOnlySpan<uint> counts)
    {
        if (height < 0 || width < 0)
            return $"The mask size {height} x {width} is negative.";
        // maskApi counts a mask's pixels in 32-bit unsigned integers, and so do the operations here.
        if ((long)height * width > uint.MaxValue)
            return $"The mask size {height} x {width} has more than {uint.MaxValue} pixels.";
        // maskApi never makes an empty list (an empty image is one run of 0 zeros), and its loops read counts[0].
        if (counts.Length == 0)
            return "No run lengths.";
        long total = 0;
        foreach (uint count in counts)
            total += count;
        return total == (long)height * width ? null : $"The run lengths add up to {total}, not {height} x {width} = {(long)height * width}.";
    }

    /// <summary>For the algorithms of this folder, whose outputs add up by construction.</summary>
    internal static Rle FromTrustedCounts(int height, int width, uint[] counts) => new(height, width, counts);

    public int Height { get; }

    public int Width { get; }

    /// <summary>Run lengths: 0s, 1s, 0s, ... in column-major order.</summary>
    public ReadOnlySpan<uint> Counts => counts;

    /// <summary>Number of set pixels.</summary>
    public long Area
    {
        get
        {
            long area = 0;
            for (int i = 1; i < counts.Length; i += 2)
                area += counts[i];
            return area;
        }
    }

    /// <summary>
    /// Run lengths of <paramref name="mask"/>, <paramref name="height"/> x <paramref name="width"/> bytes in column-major
    /// order (pycocotools' Fortran-ordered array); any nonzero byte is a set pixel.
    /// </summary>
    public static Rle Encode(ReadOnlySpan<byte> mask, int height, int width)
    {
        if (mask.Length != (long)height * width)
            throw new ArgumentException($"The mask has {mask.Length} bytes, not {height} x {width}.", nameof(mask));
        var runs = new List<uint>();
        int position = 0;
        bool set = false;
        while (position < mask.Length)
        {
            ReadOnlySpan<byte> rest = mask[position..];
            int length = set ? rest.IndexOf((byte)0) : rest.IndexOfAnyExcept((byte)0);
            if (length < 0)
                length = rest.Length;
            runs.Add((uint)length);
            position += length;
            set = !set;
        }
        // maskApi always ends with the current run, so an empty mask is one empty run of 0s.
        if (runs.Count == 0)
            runs.Add(0);
        return FromTrustedCounts(height, width, [.. runs]);
    }

    /// <summary>Writes the mask into <paramref name="mask"/> (Height x Width bytes, column-major, 0 or 1).</summary>
    public void Decode(Span<byte> mask)
    {
        if (mask.Length != (long)Height * Width)
            throw new ArgumentException($"The destination has {mask.Length} bytes, not {Height} x {Width}.", nameof(mask));
        int position = 0;
        for (int i = 0; i < counts.Length; i++)
        {
            int length = (int)counts[i];
            mask.Slice(position, length).Fill((byte)(i & 1));
            position += length;
        }
    }

    public byte[] Decode()
    {
        var mask = new byte[(long)Height * Width];
        Decode(mask);
        return mask;
    }

    /// <summary>
    /// The tight box of the set pixels, as maskApi's <c>rleToBbox</c>: all zeros for an empty mask; a run that spans
    /// columns makes the box the image's full height.
    /// </summary>
    public CocoBox ToBox()
    {
        // Only whole (0s, 1s) pairs count: a trailing run of 0s adds nothing.
        int pairs = counts.Length / 2 * 2;
        if (pairs == 0)
            return default;
        uint h = (uint)Height, w = (uint)Width;
        uint xStart = w, yStart = h, xEnd = 0, yEnd = 0, runStartColumn = 0, position = 0;
        for (int j = 0; j < pairs; j++)
        {
            // Unsigned arithmetic as in C: position - 1 is the last pixel of a run of 1s.
            position += counts[j];
            uint pixel = position - (uint)(j % 2);
            uint y = pixel % h, x = (pixel - y) / h;
            if (j % 2 == 0)
                runStartColumn = x;
            else if (runStartColumn < x)
            {
                yStart = 0;
                yEnd = h - 1;
            }
            xStart = Math.Min(xStart, x);
            xEnd = Math.Max(xEnd, x);
            yStart = Math.Min(yStart, y);
            yEnd = Math.Max(yEnd, y);
        }
        return new CocoBox(xStart, yStart, xEnd - xStart + 1, yEnd - yStart + 1);
    }

    /// <summary>The union (or intersection) of masks of one size, as maskApi's <c>rleMerge</c>.</summary>
    public static Rle Merge(IReadOnlyList<Rle> masks, bool intersect = false)
    {
        ArgumentNullException.ThrowIfNull(masks);
        if (masks.Count == 0)
            throw new ArgumentException("Nothing to merge.", nameof(masks));
        Rle merged = masks[0];
        for (int i = 1; i < masks.Count; i++)
            merged = MergePair(merged, masks[i], intersect);
        return merged;
    }

    private static Rle MergePair(Rle a, Rle b, bool intersect)
    {
        if (a.Height != b.Height || a.Width != b.Width)
            throw new ArgumentException($"Cannot merge a {a.Height} x {a.Width} mask with a {b.Height} x {b.Width} one.");
        // Every boundary of the result is a boundary of a or of b.
        var merged = new uint[a.counts.Length + b.counts.Length];
        int count = 0;
        uint remainingA = a.counts[0], remainingB = b.counts[0], run = 0, total = 1;
        bool setA = false, setB = false, set = false;
        int nextA = 1, nextB = 1;
        while (total > 0)
        {
            uint step = Math.Min(remainingA, remainingB);
            run += step;
            total = 0;
            remainingA -= step;
            if (remainingA == 0 && nextA < a.counts.Length)
            {
                remainingA = a.counts[nextA++];
                setA = !setA;
            }
            total += remainingA;
            remainingB -= step;
            if (remainingB == 0 && nextB < b.counts.Length)
            {
                remainingB = b.counts[nextB++];
                setB = !setB;
            }
            total += remainingB;
            bool previous = set;
            set = intersect ? setA && setB : setA || setB;
            if (set != previous || total == 0)
            {
                merged[count++] = run;
                run = 0;
            }
        }
        return FromTrustedCounts(a.Height, a.Width, merged[..count]);
    }

    /// <summary>
    /// Intersection over union of two masks as maskApi's <c>rleIou</c>: 0 where the boxes do not overlap, -1 where the
    /// boxes overlap but the masks have different sizes, and for a crowd ground truth the union is the detection's area.
    /// </summary>
    public static double Iou(Rle detection, Rle groundTruth, bool groundTruthIsCrowd) =>
        Iou(detection, detection.ToBox(), groundTruth, groundTruth.ToBox(), groundTruthIsCrowd);

    /// <summary><see cref="Iou(Rle, Rle, bool)"/> with the boxes computed once by the caller.</summary>
    internal static double Iou(Rle detection, CocoBox detectionBox, Rle groundTruth, CocoBox groundTruthBox, bool groundTruthIsCrowd)
    {
        if (CocoBox.Iou(detectionBox, groundTruthBox, groundTruthIsCrowd) <= 0)
            return 0;
        if (detection.Height != groundTruth.Height || detection.Width != groundTruth.Width)
            return -1;
        uint[] d = detection.counts, g = groundTruth.counts;
        uint remainingD = d[0], remainingG = g[0], intersection = 0, union = 0, total = 1;
        bool setD = false, setG = false;
        int nextD = 1, nextG = 1;
        while (total > 0)
        {
            uint step = Math.Min(remainingD, remainingG);
            if (setD || setG)
            {
                union += step;
                if (setD && setG)
                    intersection += step;
            }
            total = 0;
            remainingD -= step;
            if (remainingD == 0 && nextD < d.Length)
            {
                remainingD = d[nextD++];
                setD = !setD;
            }
            total += remainingD;
            remainingG -= step;
            if (remainingG == 0 && nextG < g.Length)
            {
                remainingG = g[nextG++];
                setG = !setG;
            }
            total += remainingG;
        }
        if (intersection == 0)
            return 0;
        if (groundTruthIsCrowd)
            union = (uint)detection.Area;
        return (double)intersection / union;
    }

    /// <summary>
    /// A polygon <c>[x0, y0, x1, y1, ...]</c> rasterized as maskApi's <c>rleFrPoly</c>, whose pixel rule COCO's
    /// areas come from.
    /// </summary>
    public static Rle FromPolygon(ReadOnlySpan<double> xy, int height, int width) => PolygonRasterizer.Rasterize(xy, height, width);

    /// <summary>The union of polygon parts, as pycocotools' <c>annToRLE</c> builds an object's mask.</summary>
    public static Rle FromPolygons(IReadOnlyList<double[]> parts, int height, int width)
    {
        ArgumentNullException.ThrowIfNull(parts);
        var masks = new Rle[parts.Count];
        for (int i = 0; i < parts.Count; i++)
            masks[i] = FromPolygon(parts[i], height, width);
        return Merge(masks);
    }

    /// <summary>A box as maskApi's <c>rleFrBbox</c> rasterizes it: the polygon of its four corners.</summary>
    public static Rle FromBox(CocoBox box, int height, int width)
    {
        double x0 = box.X, x1 = box.X + box.Width, y0 = box.Y, y1 = box.Y + box.Height;
        return FromPolygon([x0, y0, x0, y1, x1, y1, x1, y0], height, width);
    }

    /// <summary>The compact "counts" string of COCO's JSON files (see <see cref="RleCountsString"/>).</summary>
    public string ToCountsString() => RleCountsString.Encode(counts);

    /// <summary>A mask from the compact "counts" string; <see cref="FormatException"/> when the string is not one.</summary>
    public static Rle FromCountsString(string countsString, int height, int width)
    {
        uint[] decoded = RleCountsString.Decode(countsString);
        return Problem(height, width, decoded) is { } problem ? throw new FormatException(problem) : new Rle(height, width, decoded);
    }
}
