namespace DctNet.Frequency.Imaging;

/// <summary>
/// Decodes image files to 8-bit RGB with the semantics of OpenCV's <c>imread(path, IMREAD_COLOR)</c>,
/// the decoder of the reference pipeline (REFERENCE.md 1.1).
/// </summary>
public sealed class ImageDecoder
{
    /// <summary>PIL's decompression-bomb threshold (2 x MAX_IMAGE_PIXELS): larger images are refused before any allocation.</summary>
    public const long DefaultMaxPixels = 178_956_970;

    public ImageDecoder(long maxPixels = DefaultMaxPixels)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxPixels);
        MaxPixels = maxPixels;
    }

    public long MaxPixels { get; }

    public RgbImage DecodeFile(string path)
    {
        byte[] data;
        try
        {
            data = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ImageDecodeException(path, $"cannot read the file ({e.Message})", e);
        }
        return Decode(data, path);
    }

    /// <param name="source">Names the data in error messages, usually its path.</param>
    public RgbImage Decode(ReadOnlySpan<byte> data, string source)
    {
        if (data.IsEmpty)
            throw new ImageDecodeException(source, "the file is empty");
        return ImageFormatSniffer.Detect(data) switch
        {
            ImageFormat.Jpeg => JpegDecoder.Decode(data, source, MaxPixels),
            ImageFormat.Png or ImageFormat.Bmp or ImageFormat.WebP => SkiaDecoder.Decode(data, source, MaxPixels),
            ImageFormat.Gif => throw new ImageDecodeException(source, "GIF is not supported (the reference decoder, OpenCV 4.6 imread, cannot read it)"),
            _ => throw new ImageDecodeException(source, "unrecognised image format (supported: JPEG, PNG, BMP, WebP)"),
        };
    }

    internal static void CheckPixelLimit(string source, int width, int height, long maxPixels)
    {
        if (width <= 0 || height <= 0)
            throw new ImageDecodeException(source, $"invalid image size {width}x{height}");
        long pixels = (long)width * height;
        if (pixels > maxPixels)
            throw new ImageDecodeException(source,
                $"image of {width}x{height} = {pixels:N0} pixels exceeds the limit of {maxPixels:N0} pixels (possible decompression bomb)");
    }
}
