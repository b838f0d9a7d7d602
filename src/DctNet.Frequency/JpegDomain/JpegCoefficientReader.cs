using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using DctNet.Frequency.Imaging;

namespace DctNet.Frequency.JpegDomain;

/// <summary>
/// Reads the quantized DCT coefficients of a JPEG file without decoding it: no inverse DCT, colour conversion or resize.
/// <para>
/// The route is TurboJPEG's <c>tjTransform</c> with a custom filter and <c>TJXOPT_NOOUTPUT</c>, TurboJPEG's documented
/// way to capture coefficients without transcoding. It was chosen over the alternatives measured for issue 14
/// (<c>bench/DctNet.Benchmarks</c>, <c>jpeg-routes</c>):
/// <list type="bullet">
/// <item>it is libjpeg-turbo's own entropy decoder, the library the exact pipeline already loads, so it is exact by
/// construction (baseline, progressive, arithmetic, restart intervals, every sampling TurboJPEG names) with no new
/// dependency, and with its memory reused it costs what libjpeg's <c>jpeg_read_coefficients</c> costs in C
/// (<c>tools/baseline/jpeg_entropy_cost.c</c>): 1.1 against 1.0-1.1 ms per ImageNet sample on the host measured;</item>
/// <item>BitMiracle.LibJpeg.NET (a C# port of libjpeg) exposes <c>jpeg_read_coefficients</c> too and gives the same
/// coefficients, but took 2.3-3.4x as long and would add a package for what the loaded library already does;</item>
/// <item>a C# entropy decoder of our own was not written: it would have to reimplement progressive refinement and
/// arithmetic decoding and earn libjpeg's exactness and hardening from scratch, against a C decoder already at the
/// cost above.</item>
/// </list>
/// What TurboJPEG does not expose, the quantization table of each component, comes from <see cref="JpegQuantization"/>.
/// </para>
/// </summary>
public static class JpegCoefficientReader
{
    /// <summary>Whether the system's libturbojpeg, which this reader needs, is present.</summary>
    public static bool IsAvailable => TurboJpegNative.IsAvailable;

    /// <summary>The route in words, for reports.</summary>
    public static string Describe => $"TurboJPEG's tjTransform with a custom filter ({TurboJpegNative.LoadedName ?? "libturbojpeg.so.0, not found"}), no decode";

    /// <summary>Reads a JPEG file's coefficients, judging the file first as <see cref="ImageDecoder.ReadFile"/> does.</summary>
    /// <exception cref="ImageDecodeException">Not a regular file, not a JPEG, corrupt, truncated, too large, or CMYK/YCCK/RGB-coded.</exception>
    public static JpegCoefficients ReadFile(string path, long maxPixels = ImageDecoder.DefaultMaxPixels)
        => Read(new ImageDecoder(maxPixels).ReadFile(path), path, maxPixels);

    /// <param name="source">Names the data in error messages, usually its path.</param>
    /// <param name="maxPixels">Images with more pixels are refused before their coefficients are allocated.</param>
    /// <param name="buffers">Memory to reuse (the result is then valid until the next read with it); null allocates.</param>
    /// <exception cref="ImageDecodeException">Not a JPEG, corrupt, truncated, too large, or CMYK/YCCK/RGB-coded.</exception>
    public static unsafe JpegCoefficients Read(ReadOnlySpan<byte> jpeg, string source, long maxPixels = ImageDecoder.DefaultMaxPixels, CoefficientBuffers? buffers = null)
    {
        var format = ImageFormatSniffer.Detect(jpeg);
        if (format != ImageFormat.Jpeg)
            throw new ImageDecodeException(source, format == ImageFormat.Unknown
                ? "not a JPEG file; the JPEG-domain pipeline reads coefficients from JPEG files only"
                : $"a {(format == ImageFormat.WebP ? "WebP" : format.ToString().ToUpperInvariant())} image, not a JPEG; the JPEG-domain pipeline reads coefficients from JPEG files only");
        TurboJpegNative.EnsureLoaded();
        IntPtr handle = TurboJpegNative.tjInitTransform();
        if (handle == IntPtr.Zero)
            throw new ImageDecodeException(source, "could not initialise TurboJPEG's transformer");
        var capture = new Capture { Buffers = buffers };
        var pin = GCHandle.Alloc(capture);
        try
        {
            fixed (byte* data = jpeg)
            {
                if (TurboJpegNative.tjDecompressHeader3(handle, data, (nuint)jpeg.Length, out int width, out int height, out _, out int colorspace) != 0)
                    throw new ImageDecodeException(source, $"not a readable JPEG ({TurboJpegNative.LastError(handle)})");
                ImageDecoder.CheckPixelLimit(source, width, height, maxPixels);
                CheckColorspace(colorspace, source);
                var frame = JpegQuantization.Read(jpeg, source);
                capture.Components = new ComponentCoefficients?[frame.Length];
                capture.Frame = frame;
                capture.MaxHorizontal = frame.Max(c => c.HorizontalSampling);
                capture.MaxVertical = frame.Max(c => c.VerticalSampling);
                (capture.Width, capture.Height) = (width, height);

                var transform = new TurboJpegNative.TjTransform
                {
                    Operation = TurboJpegNative.TransformNone,
                    Options = TurboJpegNative.TransformOptionNoOutput | TurboJpegNative.TransformOptionCopyNone,
                    Data = (void*)GCHandle.ToIntPtr(pin),
                    CustomFilter = &CaptureRow,
                };
                byte* output = null;
                nuint outputSize = 0;
                int status = TurboJpegNative.tjTransform(handle, data, (nuint)jpeg.Length, 1, &output, &outputSize, &transform, TurboJpegNative.FlagLimitScans);
                if (capture.Failure is { } failure)
                    throw new ImageDecodeException(source, $"not a readable JPEG ({failure})");
                if (status != 0)
                    ThrowIfFatal(handle, source);
                var components = new ComponentCoefficients[frame.Length];
                for (int i = 0; i < frame.Length; i++)
                    components[i] = capture.Components[i] ?? throw new ImageDecodeException(source, $"not a readable JPEG (component {frame[i].Id} was not read)");
                return new JpegCoefficients(width, height, components, ExifOrientation.ReadFromJpeg(jpeg));
            }
        }
        finally
        {
            pin.Free();
            _ = TurboJpegNative.tjDestroy(handle);
        }
    }

    private static void CheckColorspace(int colorspace, string source)
    {
        switch (colorspace)
        {
            case TurboJpegNative.ColorspaceYCbCr or TurboJpegNative.ColorspaceGray:
                return;
            case TurboJpegNative.ColorspaceCmyk or TurboJpegNative.ColorspaceYcck:
                throw new ImageDecodeException(source, "a CMYK/YCCK JPEG, which holds no Y, Cb and Cr coefficients to read; "
                    + "the JPEG-domain pipeline reads YCbCr and grayscale JPEGs only (the exact pipeline decodes it)");
            default:
                throw new ImageDecodeException(source, "a JPEG whose components are coded as RGB, not YCbCr; "
                    + "the JPEG-domain pipeline reads YCbCr and grayscale JPEGs only (the exact pipeline decodes it)");
        }
    }

    /// <summary>
    /// libjpeg reports a truncated or damaged stream as a warning and reads the missing blocks as zeros; as in the exact
    /// pipeline, only the warnings that lose no data let the file through (<see cref="TurboJpegWarnings"/>).
    /// </summary>
    private static void ThrowIfFatal(IntPtr handle, string source)
    {
        if (TurboJpegWarnings.Failure(handle) is not { } message)
            return;
        // libjpeg reads such a file (each component keeps the table it latched); the transformer will not hold two
        // tables in one slot. A valid file, so it is not called corrupt.
        if (message.Contains("multiple use of quantization table", StringComparison.Ordinal))
            throw new ImageDecodeException(source, "a quantization table is redefined after a scan that used it, which TurboJPEG's transformer "
                + "cannot read (the exact pipeline decodes it)");
        throw new ImageDecodeException(source, $"corrupt or truncated JPEG ({message.Replace("tjTransform(): ", "")})");
    }

    /// <summary>
    /// The custom filter: TurboJPEG hands over one row of blocks of one component at a time (arrayRegion.y / 8 is the row),
    /// and planeRegion the component's full size in coefficients. Rows past the component's height (the last MCU row's
    /// padding) are ignored. Returning -1 makes tjTransform fail; nothing may be thrown across the native frame.
    /// </summary>
    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static unsafe int CaptureRow(short* coefficients, TurboJpegNative.TjRegion arrayRegion, TurboJpegNative.TjRegion planeRegion,
        int componentIndex, int transformIndex, TurboJpegNative.TjTransform* transform)
    {
        var capture = (Capture)GCHandle.FromIntPtr((IntPtr)transform->Data).Target!;
        try
        {
            var component = capture.Component(componentIndex, planeRegion.W / 8, planeRegion.H / 8);
            int row = arrayRegion.Y / 8;
            if (row >= component.HeightInBlocks)
                return 0;
            int count = component.WidthInBlocks * ComponentCoefficients.CoefficientsPerBlock;
            new ReadOnlySpan<short>(coefficients, count).CopyTo(component.Blocks.Slice(row * count, count));
            return 0;
        }
        catch (Exception e)
        {
            capture.Failure ??= e.Message;
            return -1;
        }
    }

    /// <summary>What the filter fills: one component per index, made on its first row from the frame header and checked against TurboJPEG's size.</summary>
    private sealed class Capture
    {
        public FrameComponent[] Frame = [];
        public ComponentCoefficients?[] Components = [];
        public int Width, Height, MaxHorizontal, MaxVertical;
        public string? Failure;
        public CoefficientBuffers? Buffers;

        public ComponentCoefficients Component(int index, int widthInBlocks, int heightInBlocks)
        {
            if ((uint)index >= (uint)Components.Length)
                throw new InvalidOperationException($"TurboJPEG reported component {index} of a {Components.Length}-component frame");
            if (Components[index] is { } known)
                return known;
            var frame = Frame[index];
            // libjpeg's width_in_blocks: ceil(ceil(width * h / hmax) / 8).
            int expectedWidth = BlocksCovering(Width, frame.HorizontalSampling, MaxHorizontal);
            int expectedHeight = BlocksCovering(Height, frame.VerticalSampling, MaxVertical);
            if (widthInBlocks != expectedWidth || heightInBlocks != expectedHeight)
                throw new InvalidOperationException($"component {frame.Id} has {widthInBlocks}x{heightInBlocks} blocks where its frame header implies {expectedWidth}x{expectedHeight}");
            var storage = Buffers?.For(index, checked(widthInBlocks * heightInBlocks * ComponentCoefficients.CoefficientsPerBlock));
            return Components[index] = new ComponentCoefficients(frame.Id, frame.HorizontalSampling, frame.VerticalSampling, widthInBlocks, heightInBlocks, frame.Quantization, storage);
        }

        private static int BlocksCovering(int pixels, int sampling, int maxSampling)
            => (int)(((long)pixels * sampling + maxSampling - 1) / maxSampling + 7) / 8;
    }
}
