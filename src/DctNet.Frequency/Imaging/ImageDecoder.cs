using DctNet.Frequency.IO;
using Microsoft.Win32.SafeHandles;

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

    /// <summary>
    /// Where the header of a file must end: marker segments are at most 64 KiB each, and 16 MiB holds the largest ICC
    /// profiles and EXIF thumbnails of camera files many times over. A file that has not declared its size by then is
    /// refused before more of it is read.
    /// </summary>
    public const int HeaderWindow = 16 << 20;

    /// <summary>
    /// The most bytes an image of <paramref name="pixels"/> pixels can plausibly take: 16 bytes per pixel, twice the
    /// largest uncompressed sample (16-bit RGBA PNG, 8 bytes) to cover container framing and entropy coding that
    /// expands noise, plus 64 MiB of metadata (EXIF, ICC, XMP). Anything larger is not read.
    /// </summary>
    public static long MaxFileBytes(long pixels) => pixels * 16 + (64L << 20);

    /// <summary>
    /// Reads and decodes one image file, judging it before the work: the path must be a regular file (FIFOs, devices,
    /// sockets and folders are never opened, or read), its header must be one of the supported formats and declare a size
    /// within <see cref="MaxPixels"/>, and its length must be plausible for that size (<see cref="MaxFileBytes"/>).
    /// </summary>
    public RgbImage DecodeFile(string path) => Decode(ReadFile(path), path);

    /// <summary>
    /// Reads one image file whole, judged as <see cref="DecodeFile"/> judges it (a regular file, a supported format, a
    /// plausible length for its declared size), for work that needs its bytes rather than its pixels.
    /// </summary>
    /// <exception cref="ImageDecodeException">The file is refused or cannot be read; the message says why.</exception>
    public byte[] ReadFile(string path)
    {
        SafeFileHandle handle;
        long size;
        try
        {
            (handle, size) = FileProbe.OpenRegularFile(path);
        }
        catch (FileRefusedException e)
        {
            throw new ImageDecodeException(path, e.Reason, e);
        }
        using (handle)
            return ReadChecked(handle, size, path);
    }

    private byte[] ReadChecked(SafeFileHandle handle, long size, string path)
    {
        if (size == 0)
            throw new ImageDecodeException(path, "the file is empty");
        var head = new byte[(int)Math.Min(size, HeaderWindow)];
        ReadExactly(handle, head, 0, path);
        var format = ImageFormatSniffer.Detect(head);
        CheckSupported(format, path);
        long declaredPixels = MaxPixels;
        switch (ImageHeader.ReadSize(head, format, out long width, out long height))
        {
            case ImageHeader.Outcome.Declared:
                if (width > int.MaxValue || height > int.MaxValue)
                    throw new ImageDecodeException(path, $"invalid image size {width}x{height}");
                CheckPixelLimit(path, (int)width, (int)height, MaxPixels);
                declaredPixels = width * height;
                break;
            case ImageHeader.Outcome.Malformed:
                throw new ImageDecodeException(path, $"not a decodable {Name(format)} image (its header is malformed)");
            case ImageHeader.Outcome.BeyondPrefix when head.Length < size:
                throw new ImageDecodeException(path, $"no {Name(format)} image size in the first {HeaderWindow >> 20} MiB of a {size:N0}-byte file; not read further");
            case ImageHeader.Outcome.BeyondPrefix:
                break; // the whole file is in hand: the decoder says what is missing
        }
        long limit = Math.Min(MaxFileBytes(declaredPixels), Array.MaxLength);
        if (size > limit)
            throw new ImageDecodeException(path, $"{size:N0} bytes is more than a {Name(format)} image of {declaredPixels:N0} pixels can take "
                + $"(at most {limit:N0} bytes); not read");
        if (head.Length == size)
            return head;
        var data = new byte[size];
        head.CopyTo(data, 0);
        ReadExactly(handle, data.AsSpan(head.Length), head.Length, path);
        return data;
    }

    private static void ReadExactly(SafeFileHandle handle, Span<byte> buffer, long offset, string path)
    {
        try
        {
            while (!buffer.IsEmpty)
            {
                int read = RandomAccess.Read(handle, buffer, offset);
                if (read == 0)
                    throw new ImageDecodeException(path, "the file became shorter while it was read");
                buffer = buffer[read..];
                offset += read;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ImageDecodeException(path, $"cannot read the file ({e.Message})", e);
        }
    }

    private static string Name(ImageFormat format) => format == ImageFormat.WebP ? "WebP" : format.ToString().ToUpperInvariant();

    private static void CheckSupported(ImageFormat format, string source)
    {
        if (format == ImageFormat.Gif)
            throw new ImageDecodeException(source, "GIF is not supported (the reference decoder, OpenCV 4.6 imread, cannot read it)");
        if (format == ImageFormat.Unknown)
            throw new ImageDecodeException(source, "unrecognised image format (supported: JPEG, PNG, BMP, WebP)");
    }

    /// <param name="source">Names the data in error messages, usually its path.</param>
    public RgbImage Decode(ReadOnlySpan<byte> data, string source)
    {
        if (data.IsEmpty)
            throw new ImageDecodeException(source, "the file is empty");
        var format = ImageFormatSniffer.Detect(data);
        CheckSupported(format, source);
        return format switch
        {
            ImageFormat.Jpeg when Jpeg == JpegBackend.TurboJpeg => JpegDecoder.Decode(data, source, MaxPixels),
            ImageFormat.Jpeg => DecodeJpegWithSkia(data, source),
            _ => SkiaDecoder.Decode(data, source, MaxPixels),
        };
    }

    /// <summary>
    /// Skia's libjpeg-turbo gives OpenCV's pixels for gray and YCbCr JPEGs (every golden file and the 1000 ImageNet
    /// samples, bit for bit), but converts CMYK with its own rounding (one level off on almost every value), so those
    /// are refused rather than decoded differently. Skia also ignores libjpeg's warnings, so damaged entropy-coded data
    /// would come back with its lost blocks filled in: the file first passes TurboJPEG's path's warning policy in a
    /// C# libjpeg (<see cref="LibJpegNetEntropyDecoder.ThrowIfDamaged"/>, which says what it costs).
    /// </summary>
    private RgbImage DecodeJpegWithSkia(ReadOnlySpan<byte> data, string source)
    {
        if (JpegSegments.ComponentCount(data) == 4)
            throw new ImageDecodeException(source, "a CMYK JPEG, which only TurboJPEG decodes as OpenCV does (SkiaSharp rounds its colours differently): "
                + "install libturbojpeg (apt-get install libturbojpeg0)");
        LibJpegNetEntropyDecoder.ThrowIfDamaged(data, source, MaxPixels);
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
