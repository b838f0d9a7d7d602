namespace DctNet.Detection.Coco;

/// <summary>
/// maskApi's <c>rleFrPoly</c>, step by step: the polygon is scaled 5x and its edges walked pixel by pixel, the
/// points where the walk changes column give, scaled back, the rows where each column's run of 1s starts and ends,
/// and sorting those positions gives the run lengths. COCO's annotation areas come from this rule, so only a copy
/// of it (not a textbook scan conversion) reproduces them.
/// </summary>
internal static class PolygonRasterizer
{
    private const double Scale = 5;

    public static Rle Rasterize(ReadOnlySpan<double> xy, int height, int width)
    {
        if (xy.Length < 2 || xy.Length % 2 != 0)
            throw new ArgumentException($"A polygon needs pairs of coordinates; got {xy.Length} numbers.", nameof(xy));
        int vertices = xy.Length / 2;

        // Vertices on the upsampled grid, closed by repeating the first.
        var x = new int[vertices + 1];
        var y = new int[vertices + 1];
        for (int j = 0; j < vertices; j++)
        {
            x[j] = (int)(Scale * xy[2 * j] + .5);
            y[j] = (int)(Scale * xy[2 * j + 1] + .5);
        }
        x[vertices] = x[0];
        y[vertices] = y[0];

        // Every grid point along every edge, each edge walked along its longer axis.
        long pointCount = 0;
        for (int j = 0; j < vertices; j++)
            pointCount += Math.Max(Math.Abs(x[j] - x[j + 1]), Math.Abs(y[j] - y[j + 1])) + 1;
        var u = new int[pointCount];
        var v = new int[pointCount];
        int m = 0;
        for (int j = 0; j < vertices; j++)
        {
            int xs = x[j], xe = x[j + 1], ys = y[j], ye = y[j + 1];
            int dx = Math.Abs(xe - xs), dy = Math.Abs(ys - ye);
            // Walk from the smaller coordinate, but store the points in the edge's own direction.
            bool flip = (dx >= dy && xs > xe) || (dx < dy && ys > ye);
            if (flip)
            {
                (xs, xe) = (xe, xs);
                (ys, ye) = (ye, ys);
            }
            // A repeated vertex makes 0/0 here; its single point shares its column with its neighbours, so it never
            // reaches the column-change step below.
            double slope = dx >= dy ? (double)(ye - ys) / dx : (double)(xe - xs) / dy;
            if (dx >= dy)
            {
                for (int d = 0; d <= dx; d++)
                {
                    int t = flip ? dx - d : d;
                    u[m] = t + xs;
                    v[m] = (int)(ys + slope * t + .5);
                    m++;
                }
            }
            else
            {
                for (int d = 0; d <= dy; d++)
                {
                    int t = flip ? dy - d : d;
                    v[m] = t + ys;
                    u[m] = (int)(xs + slope * t + .5);
                    m++;
                }
            }
        }

        // Where the walk changes column: the boundary between two pixel columns, kept when it falls on a real
        // pixel column inside the image; the row is clamped to the image.
        var boundaryX = new int[m];
        var boundaryY = new int[m];
        int boundaries = 0;
        for (int j = 1; j < m; j++)
        {
            if (u[j] == u[j - 1])
                continue;
            double xd = u[j] < u[j - 1] ? u[j] : u[j] - 1;
            xd = (xd + .5) / Scale - .5;
            if (Math.Floor(xd) != xd || xd < 0 || xd > width - 1)
                continue;
            double yd = v[j] < v[j - 1] ? v[j] : v[j - 1];
            yd = (yd + .5) / Scale - .5;
            if (yd < 0)
                yd = 0;
            else if (yd > height)
                yd = height;
            yd = Math.Ceiling(yd);
            boundaryX[boundaries] = (int)xd;
            boundaryY[boundaries] = (int)yd;
            boundaries++;
        }

        // Column-major positions of the boundaries plus the end of the image, sorted, as differences: each boundary
        // toggles between 0s and 1s. A zero difference (two boundaries at one pixel) cancels: the next run is
        // folded into the previous one.
        var positions = new uint[boundaries + 1];
        for (int j = 0; j < boundaries; j++)
            positions[j] = (uint)(boundaryX[j] * height + boundaryY[j]);
        positions[boundaries] = (uint)(height * width);
        Array.Sort(positions);
        uint previous = 0;
        for (int j = 0; j < positions.Length; j++)
        {
            uint position = positions[j];
            positions[j] -= previous;
            previous = position;
        }
        var counts = new uint[positions.Length];
        int k = 0, runs = 0;
        counts[runs++] = positions[k++];
        while (k < positions.Length)
        {
            if (positions[k] > 0)
            {
                counts[runs++] = positions[k++];
            }
            else
            {
                k++;
                if (k < positions.Length)
                    counts[runs - 1] += positions[k++];
            }
        }
        return Rle.FromTrustedCounts(height, width, counts[..runs]);
    }
}
