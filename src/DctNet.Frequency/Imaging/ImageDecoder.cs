namespace DctNet.Frequency.Imaging;

/// <summary>The libjpeg-turbo that decodes JPEG files.</summary>
public enum JpegBackend
{
    /// <summary>The system's libturbojpeg (TurboJPEG API), the library OpenCV's imread uses on Debian: the fast path.</summary>
    TurboJpeg,

    /// <summary>The libjpeg-turbo inside SkiaSharp's native library, which ships through NuGet: no system package needed.</summary>
    Skia,
}

/// <summary>
/// Decodes image files to 8-bit RGB with the semantics of OpenCV's <c>imread(path, IMREAD_COLOR)</c>,
/// the decoder of the reference pipeline (REFERENCE.md 1.1).
/// </summary>
public sealed class ImageDecoder
{
    /// <summary>PIL's decompression-bomb threshold (2 x MAX_IMAGE_PIXELS): larger images are refused before any allocation.</summary>
    public const long DefaultMaxPixels = 178_956_970;

    /// <param name="maxPixels">Images with more pixels are refused before any allocation.</param>
    /// <param name="jpeg">Which libjpeg-turbo decodes JPEG files; <see cref="DefaultJpegBackend"/> when null.</param>
    /// <exception cref="DllNotFoundException"><see cref="JpegBackend.TurboJpeg"/> asked for where libturbojpeg is missing.</exception>
    public ImageDecoder(long maxPixels = DefaultMaxPixels, JpegBackend? jpeg = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxPixels);
        MaxPixels = maxPixels;
        Jpeg = jpeg ?? DefaultJpegBackend;
        if (Jpeg == JpegBackend.TurboJpeg)
            TurboJpegNative.EnsureLoaded();
    }

    public long MaxPixels { get; }

    public JpegBackend Jpeg { get; }

    /// <summary>TurboJPEG where the system has libturbojpeg (Debian: <c>apt-get install libturbojpeg0</c>), else Skia's libjpeg-turbo.</summary>
    public static JpegBackend DefaultJpegBackend => TurboJpegNative.IsAvailable ? JpegBackend.TurboJpeg : JpegBackend.Skia;

    /// <summary>A JPEG decoder in words, for reports: which library, and for Skia's where TurboJPEG is missing, how to get it.</summary>
    public static string Describe(JpegBackend jpeg) => jpeg == JpegBackend.TurboJpeg
        ? $"TurboJPEG ({TurboJpegNative.LoadedName ?? "libturbojpeg.so.0, not found"}), the fast path"
        : $"SkiaSharp's libjpeg-turbo (SkiaSharp {typeof(SkiaSharp.SKCodec).Assembly.GetName().Version?.ToString(3)})"
            + (TurboJpegNative.IsAvailable ? "" : ": libturbojpeg.so.0 not found, `apt-get install libturbojpeg0` gives the faster TurboJPEG");

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
            ImageFormat.Jpeg when Jpeg == JpegBackend.TurboJpeg => JpegDecoder.Decode(data, source, MaxPixels),
            ImageFormat.Jpeg => DecodeJpegWithSkia(data, source),
            ImageFormat.Png or ImageFormat.Bmp or ImageFormat.WebP => SkiaDecoder.Decode(data, source, MaxPixels),
            ImageFormat.Gif => throw new ImageDecodeException(source, "GIF is not supported (the reference decoder, OpenCV 4.6 imread, cannot read it)"),
            _ => throw new ImageDecodeException(source, "unrecognised image format (supported: JPEG, PNG, BMP, WebP)"),
        };
    }

    /// <summary>
    /// Skia's libjpeg-turbo gives OpenCV's pixels for gray and YCbCr JPEGs (every golden file and the 1000 ImageNet
    /// samples, bit for bit), but converts CMYK with its own rounding (one level off on almost every value), so those
    /// are refused rather than decoded differently.
    /// </summary>
    private RgbImage DecodeJpegWithSkia(ReadOnlySpan<byte> data, string source)
    {
        if (JpegSegments.ComponentCount(data) == 4)
            throw new ImageDecodeException(source, "a CMYK JPEG, which only TurboJPEG decodes as OpenCV does (SkiaSharp rounds its colours differently): "
                + "install libturbojpeg (apt-get install libturbojpeg0)");
        return ExifOrientation.Apply(SkiaDecoder.Decode(data, source, MaxPixels), ExifOrientation.ReadFromJpeg(data));
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
