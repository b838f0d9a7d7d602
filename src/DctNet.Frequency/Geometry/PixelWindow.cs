namespace DctNet.Frequency.Geometry;

/// <summary>An axis-aligned rectangle of pixels; it may extend beyond the image it refers to.</summary>
public readonly record struct PixelWindow(int Left, int Top, int Width, int Height)
{
    public int Right => Left + Width;
    public int Bottom => Top + Height;
    public bool IsEmpty => Width <= 0 || Height <= 0;

    /// <summary>The part of this window inside an image of the given size (possibly empty).</summary>
    public PixelWindow Intersect(int imageWidth, int imageHeight)
    {
        int left = Math.Max(Left, 0), top = Math.Max(Top, 0);
        int right = Math.Min(Right, imageWidth), bottom = Math.Min(Bottom, imageHeight);
        return new PixelWindow(left, top, Math.Max(right - left, 0), Math.Max(bottom - top, 0));
    }
}
