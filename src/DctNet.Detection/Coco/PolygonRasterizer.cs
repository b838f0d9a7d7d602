namespace DctNet.Detection.Coco;

/// <summary>
/// maskApi's <c>rleFrPoly</c>, step by step: the polygon is scaled 5x and its edges walked pixel by pixel, the
/// points where the walk changes column give, scaled back, the rows where each column's run of 1s starts and ends,
/// and sorting those positions gives the run lengths. COCO's annotation areas come from this rule, so only a copy
/// of it (not a textbook scan conversion) reproduces them.
/// <para>
/// Unlike maskApi, the work and memory do not grow with the coordinates: the walk is streamed (only its column
/// changes are kept), and a polygon that reaches further than the image's larger side beyond the image is first
/// clipped to that margin (<see cref="ClipWindow"/>). Inside the margin the rule is maskApi's exactly; an edge cut
/// at the margin is walked from the cut point, so where it crosses the image its rounding may differ from maskApi's
/// by a fifth of a pixel (maskApi itself overflows 32-bit integers once a coordinate passes about 4e8).
/// </para>
/// </summary>
internal static class PolygonRasterizer
{
    private const double Scale = 5;

    /// <summary>The image's own bound on its sides (<see cref="CocoDataset.MaxImageSide"/>) keeps every scaled coordinate of the window within int.</summary>
    public static (double Left, double Top, double Right, double Bottom) ClipWindow(int height, int width)
    {
        double margin = Math.Max(height, width);
        return (-margin, -margin, width + margin, height + margin);
    }

    public static Rle Rasterize(ReadOnlySpan<double> xy, int height, int width)
    {
        if (xy.Length < 2 || xy.Length % 2 != 0)
            throw new ArgumentException($"A polygon needs pairs of coordinates; got {xy.Length} numbers.", nameof(xy));
        if (height < 0 || width < 0 || height > CocoDataset.MaxImageSide || width > CocoDataset.MaxImageSide || (long)height * width > uint.MaxValue)
            throw new ArgumentException($"A {height} x {width} mask is beyond the run-length masks' range.", nameof(height));
        var (x, y) = GridVertices(xy, height, width);
        int vertices = x.Length - 1;

        // Where the walk along the edges changes column: the boundary between two pixel columns, kept when it falls
        // on a real pixel column inside the image; the row is clamped to the image. Each edge is walked along its
        // longer axis; the points are produced in the edge's own direction, and only the previous one is needed.
        var positions = new List<uint>();
        int previousU = 0, previousV = 0;
        bool started = false;
        for (int j = 0; j < vertices; j++)
        {
            int xs = x[j], xe = x[j + 1], ys = y[j], ye = y[j + 1];
            int dx = Math.Abs(xe - xs), dy = Math.Abs(ys - ye);
            // Walk from the smaller coordinate, but produce the points in the edge's own direction.
            bool flip = (dx >= dy && xs > xe) || (dx < dy && ys > ye);
            if (flip)
            {
                (xs, xe) = (xe, xs);
                (ys, ye) = (ye, ys);
            }
            // A repeated vertex makes 0/0 here; its single point shares its column with its neighbours, so it never
            // reaches the column-change step.
            double slope = dx >= dy ? (double)(ye - ys) / dx : (double)(xe - xs) / dy;
            int steps = Math.Max(dx, dy);
            for (int d = 0; d <= steps; d++)
            {
                int t = flip ? steps - d : d;
                int u, v;
                if (dx >= dy)
                {
                    u = t + xs;
                    v = (int)(ys + slope * t + .5);
                }
                else
                {
                    v = t + ys;
                    u = (int)(xs + slope * t + .5);
                }
                if (started && u != previousU && Boundary(u, v, previousU, previousV, height, width) is { } position)
                    positions.Add(position);
                (previousU, previousV, started) = (u, v, true);
            }
        }

        // Column-major positions of the boundaries plus the end of the image, sorted, as differences: each boundary
        // toggles between 0s and 1s. A zero difference (two boundaries at one pixel) cancels: the next run is
        // folded into the previous one.
        positions.Add((uint)(height * width));
        positions.Sort();
        uint previous = 0;
        for (int j = 0; j < positions.Count; j++)
        {
            uint position = positions[j];
            positions[j] -= previous;
            previous = position;
        }
        var counts = new uint[positions.Count];
        int k = 0, runs = 0;
        counts[runs++] = positions[k++];
        while (k < positions.Count)
        {
            if (positions[k] > 0)
            {
                counts[runs++] = positions[k++];
            }
            else
            {
                k++;
                if (k < positions.Count)
                    counts[runs - 1] += positions[k++];
            }
        }
        return Rle.FromTrustedCounts(height, width, counts[..runs]);
    }

    /// <summary>How many points the walk visits: the work of <see cref="Rasterize"/>, which a caller can bound beforehand.</summary>
    public static long WalkLength(ReadOnlySpan<double> xy, int height, int width)
    {
        var (x, y) = GridVertices(xy, height, width);
        long points = 0;
        for (int j = 0; j + 1 < x.Length; j++)
            points += Math.Max(Math.Abs((long)x[j] - x[j + 1]), Math.Abs((long)y[j] - y[j + 1])) + 1;
        return points;
    }

    /// <summary>The column-major pixel where the walk's step from (previousU, previousV) to (u, v) sets a boundary, or null.</summary>
    private static uint? Boundary(int u, int v, int previousU, int previousV, int height, int width)
    {
        // maskApi's test that (column + .5) / 5 - .5 is a whole pixel column inside the image, in integers: the
        // value is exact for columns 2, 7, 12, ... and a fifth away from a whole number for all others.
        int column = u < previousU ? u : u - 1;
        if (column < 2 || (column - 2) % 5 != 0)
            return null;
        long xd = (column - 2) / 5;
        if (xd > width - 1)
            return null;
        double yd = v < previousV ? v : previousV;
        yd = (yd + .5) / Scale - .5;
        if (yd < 0)
            yd = 0;
        else if (yd > height)
            yd = height;
        yd = Math.Ceiling(yd);
        return (uint)(xd * height + (long)yd);
    }

    /// <summary>The vertices on the upsampled grid, closed by repeating the first; clipped to <see cref="ClipWindow"/> when one lies outside it.</summary>
    private static (int[] X, int[] Y) GridVertices(ReadOnlySpan<double> xy, int height, int width)
    {
        for (int i = 0; i < xy.Length; i++)
        {
            if (!double.IsFinite(xy[i]))
                throw new ArgumentException($"Polygon coordinate {i} is {xy[i]}, not a finite number.", nameof(xy));
        }
        var window = ClipWindow(height, width);
        bool inside = true;
        for (int i = 0; i + 1 < xy.Length && inside; i += 2)
            inside = xy[i] >= window.Left && xy[i] <= window.Right && xy[i + 1] >= window.Top && xy[i + 1] <= window.Bottom;
        ReadOnlySpan<double> kept = inside ? xy : Clip(xy, window);
        int vertices = kept.Length / 2;
        var x = new int[vertices + 1];
        var y = new int[vertices + 1];
        for (int j = 0; j < vertices; j++)
        {
            x[j] = (int)(Scale * kept[2 * j] + .5);
            y[j] = (int)(Scale * kept[2 * j + 1] + .5);
        }
        // An empty clip result (the polygon misses the window) is one point outside the image: an empty mask.
        if (vertices == 0)
            return ([(int)(Scale * window.Left), (int)(Scale * window.Left)], [(int)(Scale * window.Top), (int)(Scale * window.Top)]);
        x[vertices] = x[0];
        y[vertices] = y[0];
        return (x, y);
    }

    /// <summary>
    /// Sutherland-Hodgman clipping against each side of the window in turn. For any polygon, even a self-crossing
    /// one, each pass keeps the even-odd region on the window's side of the line: the pieces outside are replaced
    /// by runs along the line whose overlaps cancel in pairs, so the parity the rasterizer counts is unchanged.
    /// </summary>
    private static double[] Clip(ReadOnlySpan<double> xy, (double Left, double Top, double Right, double Bottom) window)
    {
        var points = new List<(double X, double Y)>(xy.Length / 2);
        for (int i = 0; i + 1 < xy.Length; i += 2)
            points.Add((xy[i], xy[i + 1]));
        points = ClipSide(points, p => p.X >= window.Left, (a, b) => AtX(a, b, window.Left));
        points = ClipSide(points, p => p.X <= window.Right, (a, b) => AtX(a, b, window.Right));
        points = ClipSide(points, p => p.Y >= window.Top, (a, b) => AtY(a, b, window.Top));
        points = ClipSide(points, p => p.Y <= window.Bottom, (a, b) => AtY(a, b, window.Bottom));
        return [.. points.SelectMany(p => new[] { p.X, p.Y })];
    }

    private static List<(double X, double Y)> ClipSide(List<(double X, double Y)> points, Func<(double X, double Y), bool> keeps,
        Func<(double X, double Y), (double X, double Y), (double X, double Y)> crossing)
    {
        var clipped = new List<(double X, double Y)>(points.Count);
        for (int i = 0; i < points.Count; i++)
        {
            var current = points[i];
            var previous = points[(i + points.Count - 1) % points.Count];
            bool currentIn = keeps(current), previousIn = keeps(previous);
            if (currentIn != previousIn)
                clipped.Add(crossing(previous, current));
            if (currentIn)
                clipped.Add(current);
        }
        return clipped;
    }

    private static (double X, double Y) AtX((double X, double Y) a, (double X, double Y) b, double x)
        => (x, Lerp(a.Y, b.Y, Fraction(a.X, b.X, x)));

    private static (double X, double Y) AtY((double X, double Y) a, (double X, double Y) b, double y)
        => (Lerp(a.X, b.X, Fraction(a.Y, b.Y, y)), y);

    /// <summary>Where <paramref name="at"/> lies from <paramref name="from"/> to <paramref name="to"/>, 0 to 1; halved so that coordinates near double's range do not overflow.</summary>
    private static double Fraction(double from, double to, double at) => (at / 2 - from / 2) / (to / 2 - from / 2);

    /// <summary>A convex combination, which cannot overflow where a + t (b - a) can.</summary>
    private static double Lerp(double a, double b, double t) => a * (1 - t) + b * t;
}
