namespace DctNet.Frequency.Jpeg;

/// <summary>
/// An RGB image split into three byte planes with a one-pixel border that replicates the edge pixels, plus slack
/// at the end, so that SIMD kernels can read each pixel's neighbours and whole vectors without bounds branches.
/// </summary>
internal sealed class PlanarRgb
{
    /// <summary>Bytes after the last row that an 8-byte vector load starting at the last pixel may touch.</summary>
    private const int Slack = 16;

    public PlanarRgb(int width, int height)
    {
        Width = width;
        Height = height;
        Stride = width + 2;
        int length = Stride * (height + 2) + Slack;
        R = new byte[length];
        G = new byte[length];
        B = new byte[length];
    }

    public int Width { get; }
    public int Height { get; }
    public int Stride { get; }
    public byte[] R { get; }
    public byte[] G { get; }
    public byte[] B { get; }

    /// <summary>Index of pixel (x, y); x and y may be -1 or Width/Height (the replicated border).</summary>
    public int IndexOf(int x, int y) => (y + 1) * Stride + x + 1;

    /// <summary>Splits interleaved RGB (Width x Height) into the planes and replicates the border.</summary>
    public void Fill(ReadOnlySpan<byte> rgb)
    {
        if (rgb.Length < Width * Height * 3)
            throw new ArgumentException("Interleaved buffer is smaller than the planes.", nameof(rgb));
        for (int y = 0; y < Height; y++)
        {
            var row = rgb.Slice(y * Width * 3, Width * 3);
            int start = IndexOf(0, y);
            for (int x = 0, i = 0; x < Width; x++, i += 3)
            {
                R[start + x] = row[i];
                G[start + x] = row[i + 1];
                B[start + x] = row[i + 2];
            }
        }
        foreach (var plane in new[] { R, G, B })
            ReplicateBorder(plane);
    }

    private void ReplicateBorder(byte[] plane)
    {
        for (int y = 0; y < Height; y++)
        {
            plane[IndexOf(-1, y)] = plane[IndexOf(0, y)];
            plane[IndexOf(Width, y)] = plane[IndexOf(Width - 1, y)];
        }
        Array.Copy(plane, IndexOf(-1, 0), plane, IndexOf(-1, -1), Stride);
        Array.Copy(plane, IndexOf(-1, Height - 1), plane, IndexOf(-1, Height), Stride);
    }
}
