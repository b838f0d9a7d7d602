namespace DctNet.Frequency.Imaging;

/// <summary>An 8-bit image with three interleaved channels in R, G, B order, rows packed without padding.</summary>
public sealed class RgbImage
{
    public RgbImage(int width, int height)
        : this(width, height, new byte[checked(width * height * 3)])
    {
    }

    public RgbImage(int width, int height, byte[] pixels)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        if (pixels.Length != checked(width * height * 3))
            throw new ArgumentException($"Expected {width * height * 3} bytes for {width}x{height} RGB, got {pixels.Length}.", nameof(pixels));
        Width = width;
        Height = height;
        Pixels = pixels;
    }

    public int Width { get; }
    public int Height { get; }

    /// <summary>Row-major R, G, B bytes; row y starts at <c>y * Width * 3</c>.</summary>
    public byte[] Pixels { get; }

    public int Stride => Width * 3;

    public Span<byte> Row(int y) => Pixels.AsSpan(y * Stride, Stride);

    /// <summary>Writes the pixels as opaque R, G, B, A bytes (Skia's Rgba8888) into <paramref name="rgba"/>.</summary>
    public void CopyToRgba(Span<byte> rgba)
    {
        for (int p = 0, q = 0; p < Pixels.Length; p += 3, q += 4)
        {
            rgba[q] = Pixels[p];
            rgba[q + 1] = Pixels[p + 1];
            rgba[q + 2] = Pixels[p + 2];
            rgba[q + 3] = 255;
        }
    }
}
