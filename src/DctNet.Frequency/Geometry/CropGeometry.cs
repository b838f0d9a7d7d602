namespace DctNet.Frequency.Geometry;

/// <summary>The validation geometry of REFERENCE.md 1.2-1.3: shorter side resized to <see cref="Resize"/>, then a centre crop.</summary>
/// <param name="Resize">Target shorter side; 0 leaves the image at its size.</param>
/// <param name="Crop">Side of the square crop; a multiple of 8, giving Crop / 8 blocks per side.</param>
public sealed record CropGeometry(int Resize, int Crop)
{
    public static CropGeometry ResNet { get; } = new(512, 448);
    public static CropGeometry MobileNetV2 { get; } = new(1024, 896);

    /// <summary>
    /// The largest crop side: 4.5 times MobileNetV2's 896; a 4096 crop's YCbCr planes are already 200 MB. A geometry comes
    /// from the command line or from a checkpoint's metadata, and decides what every image costs.
    /// </summary>
    public const int MaxCrop = 4096;

    /// <summary>The largest resize of the shorter side: twice the largest crop (a larger one only keeps a smaller middle of the image).</summary>
    public const int MaxResize = 2 * MaxCrop;

    public int BlocksPerSide => Crop / 8;

    public void Validate()
    {
        if (Crop <= 0 || Crop % 8 != 0 || Crop > MaxCrop)
            throw new ArgumentException($"Crop {Crop} must be a positive multiple of 8 (whole 8x8 blocks) up to {MaxCrop}.");
        if (Resize is < 0 or > MaxResize)
            throw new ArgumentException($"Resize {Resize} must be from 1 to {MaxResize} (or 0 for no resize).");
    }

    /// <summary>The resized size: shorter side = Resize, longer side = int(Resize * long / short); unchanged if the shorter side already fits.</summary>
    public (int Width, int Height) ResizedSize(int width, int height)
    {
        int shorter = Math.Min(width, height), longer = Math.Max(width, height);
        if (Resize == 0 || shorter == Resize)
            return (width, height);
        int scaledLonger = (int)((double)Resize * longer / shorter);
        return width <= height ? (Resize, scaledLonger) : (scaledLonger, Resize);
    }

    /// <summary>The centre crop window in resized coordinates: offsets round((size - crop) / 2), half to even, as Python's round.</summary>
    public PixelWindow CenterCrop(int width, int height)
    {
        int left = (int)Math.Round((width - Crop) / 2.0, MidpointRounding.ToEven);
        int top = (int)Math.Round((height - Crop) / 2.0, MidpointRounding.ToEven);
        return new PixelWindow(left, top, Crop, Crop);
    }
}
