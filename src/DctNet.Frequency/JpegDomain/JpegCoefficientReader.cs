using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using BitMiracle.LibJpeg.Classic;
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
/// coefficients, but took 2.3-3.4x as long: it is therefore not the main route, but the fallback below;</item>
/// <item>a C# entropy decoder of our own was not written: it would have to reimplement progressive refinement and
/// arithmetic decoding and earn libjpeg's exactness and hardening from scratch, against a C decoder already at the
/// cost above.</item>
/// </list>
/// What TurboJPEG does not expose, the quantization table of each component, comes from <see cref="JpegQuantization"/>.
/// </para>
/// <para>
/// Where the system lacks libturbojpeg, BitMiracle's <c>jpeg_read_coefficients</c> reads instead
/// (<see cref="JpegCoefficientRoute.LibJpegNet"/>, through <see cref="LibJpegNetEntropyDecoder"/>), so that the JPEG
/// pipeline needs no system package: the same coefficients (every golden file it reads, and the 1000 ImageNet
/// samples), the same checks in the same order, the same warning policy and scan limit, and the same refusals, at
/// 2.3-3.4x the cost. It reads one kind of valid file TurboJPEG's transformer refuses (a quantization table redefined
/// after a scan that used it) and refuses two that TurboJPEG reads, naming the fix: arithmetic coding, and progressive
/// files with restart markers (<see cref="LibJpegNetEntropyDecoder.ThrowIfUnsupported"/>).
/// </para>
/// </summary>
public static class JpegCoefficientReader
{
    /// <summary>TurboJPEG where the system has libturbojpeg (Debian: <c>apt-get install libturbojpeg0</c>), else BitMiracle.LibJpeg.NET.</summary>
    public static JpegCoefficientRoute DefaultRoute => TurboJpegNative.IsAvailable ? JpegCoefficientRoute.TurboJpeg : JpegCoefficientRoute.LibJpegNet;

    /// <summary>The default route in words, for reports; without TurboJPEG, how to get it.</summary>
    public static string Describe => DefaultRoute == JpegCoefficientRoute.TurboJpeg
        ? $"TurboJPEG's tjTransform with a custom filter ({TurboJpegNative.LoadedName}), no decode"
        : "BitMiracle.LibJpeg.NET's jpeg_read_coefficients (C#), no decode: libturbojpeg.so.0 not found, "
            + "`apt-get install libturbojpeg0` gives TurboJPEG's, 2.3-3.4x faster";

    /// <summary>Reads a JPEG file's coefficients, judging the file first as <see cref="ImageDecoder.ReadFile"/> does.</summary>
    /// <param name="route">How; <see cref="DefaultRoute"/> when null.</param>
    /// <exception cref="ImageDecodeException">Not a regular file, not a JPEG, corrupt, truncated, too large, or CMYK/YCCK/RGB-coded.</exception>
    /// <exception cref="DllNotFoundException"><see cref="JpegCoefficientRoute.TurboJpeg"/> asked for where libturbojpeg is missing.</exception>
    public static JpegCoefficients ReadFile(string path, long maxPixels = ImageDecoder.DefaultMaxPixels, JpegCoefficientRoute? route = null)
        => Read(new ImageDecoder(maxPixels).ReadFile(path), path, maxPixels, route: route);

    /// <param name="source">Names the data in error messages, usually its path.</param>
    /// <param name="maxPixels">Images with more pixels are refused before their coefficients are allocated.</param>
    /// <param name="buffers">Memory to reuse (the result is then valid until the next read with it); null allocates.</param>
    /// <param name="route">How; <see cref="DefaultRoute"/> when null. Both give the same coefficients and refuse the same files.</param>
    /// <exception cref="ImageDecodeException">Not a JPEG, corrupt, truncated, too large, or CMYK/YCCK/RGB-coded.</exception>
    /// <exception cref="DllNotFoundException"><see cref="JpegCoefficientRoute.TurboJpeg"/> asked for where libturbojpeg is missing.</exception>
    public static JpegCoefficients Read(ReadOnlySpan<byte> jpeg, string source, long maxPixels = ImageDecoder.DefaultMaxPixels, CoefficientBuffers? buffers = null,
        JpegCoefficientRoute? route = null)
    {
        var format = ImageFormatSniffer.Detect(jpeg);
        if (format != ImageFormat.Jpeg)
            throw new ImageDecodeException(source, format == ImageFormat.Unknown
                ? "not a JPEG file; the JPEG-domain pipeline reads coefficients from JPEG files only"
                : $"a {(format == ImageFormat.WebP ? "WebP" : format.ToString().ToUpperInvariant())} image, not a JPEG; the JPEG-domain pipeline reads coefficients from JPEG files only");
        return (route ?? DefaultRoute) == JpegCoefficientRoute.TurboJpeg
            ? ReadWithTurboJpeg(jpeg, source, maxPixels, buffers)
            : ReadWithLibJpegNet(jpeg, source, maxPixels, buffers);
    }

    private static unsafe JpegCoefficients ReadWithTurboJpeg(ReadOnlySpan<byte> jpeg, string source, long maxPixels, CoefficientBuffers? buffers)
    {
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
        public int Width, Height;
        public string? Failure;
        public CoefficientBuffers? Buffers;

        public ComponentCoefficients Component(int index, int widthInBlocks, int heightInBlocks)
        {
            if ((uint)index >= (uint)Components.Length)
                throw new InvalidOperationException($"TurboJPEG reported component {index} of a {Components.Length}-component frame");
            if (Components[index] is { } known)
                return known;
            var blocks = BlocksOf(Frame, index, Width, Height);
            if ((widthInBlocks, heightInBlocks) != blocks)
                throw new InvalidOperationException($"component {Frame[index].Id} has {widthInBlocks}x{heightInBlocks} blocks where its frame header implies {blocks.Width}x{blocks.Height}");
            return Components[index] = NewComponent(Frame[index], blocks, index, Buffers);
        }
    }

    /// <summary>libjpeg's width_in_blocks and height_in_blocks of a frame component: ceil(ceil(width * h / hmax) / 8), and so for the height.</summary>
    private static (int Width, int Height) BlocksOf(FrameComponent[] frame, int index, int width, int height)
    {
        static int BlocksCovering(int pixels, int sampling, int maxSampling)
            => (int)(((long)pixels * sampling + maxSampling - 1) / maxSampling + 7) / 8;
        return (BlocksCovering(width, frame[index].HorizontalSampling, frame.Max(c => c.HorizontalSampling)),
            BlocksCovering(height, frame[index].VerticalSampling, frame.Max(c => c.VerticalSampling)));
    }

    private static ComponentCoefficients NewComponent(FrameComponent frame, (int Width, int Height) blocks, int index, CoefficientBuffers? buffers)
    {
        var storage = buffers?.For(index, checked(blocks.Width * blocks.Height * ComponentCoefficients.CoefficientsPerBlock));
        return new ComponentCoefficients(frame.Id, frame.HorizontalSampling, frame.VerticalSampling, blocks.Width, blocks.Height, frame.Quantization, storage);
    }

    /// <summary>
    /// The route without TurboJPEG: libjpeg's <c>jpeg_read_coefficients</c> in C# (<see cref="LibJpegNetEntropyDecoder"/>,
    /// which applies TurboJPEG's warning policy and scan limit), checked in the same order as <see cref="ReadWithTurboJpeg"/>.
    /// </summary>
    private static unsafe JpegCoefficients ReadWithLibJpegNet(ReadOnlySpan<byte> jpeg, string source, long maxPixels, CoefficientBuffers? buffers)
    {
        fixed (byte* data = jpeg)
        {
            using var stream = new UnmanagedMemoryStream(data, jpeg.Length);
            var decoder = new LibJpegNetEntropyDecoder(stream, source, maxPixels);
            var header = decoder.Header;
            CheckColorspace(ColorspaceAsTurboJpegSeesIt(jpeg, header.Comp_info, source), source);
            LibJpegNetEntropyDecoder.ThrowIfUnsupported(jpeg, source);
            var frame = JpegQuantization.Read(jpeg, source);
            var arrays = decoder.ReadCoefficients();
            int width = header.Image_width, height = header.Image_height;
            var components = new ComponentCoefficients[frame.Length];
            for (int i = 0; i < frame.Length; i++)
            {
                var blocks = BlocksOf(frame, i, width, height);
                var info = header.Comp_info[i];
                if (info.Component_id != frame[i].Id || info.Width_in_blocks != blocks.Width)
                    throw new ImageDecodeException(source, $"not a readable JPEG (component {info.Component_id} of {info.Width_in_blocks} blocks a row, "
                        + $"where the frame header says component {frame[i].Id} of {blocks.Width})");
                components[i] = NewComponent(frame[i], blocks, i, buffers);
                CopyBlocks(arrays[i], components[i]);
            }
            return new JpegCoefficients(width, height, components, ExifOrientation.ReadFromJpeg(jpeg));
        }
    }

    /// <summary>The blocks that cover the component, out of an array padded to whole MCU rows and columns.</summary>
    private static void CopyBlocks(jvirt_array<JBLOCK> array, ComponentCoefficients component)
    {
        var rows = array.Access(0, component.HeightInBlocks);
        var target = component.Blocks;
        for (int y = 0; y < component.HeightInBlocks; y++)
        {
            var row = rows[y];
            for (int x = 0; x < component.WidthInBlocks; x++, target = target[ComponentCoefficients.CoefficientsPerBlock..])
            {
                // JBLOCK shows its 64 values only through its indexer.
                var block = row[x];
                for (int k = 0; k < ComponentCoefficients.CoefficientsPerBlock; k++)
                    target[k] = block[k];
            }
        }
    }

    /// <summary>
    /// The colorspace TurboJPEG's header call reports (libjpeg-turbo's jdapimin.c, default_decompress_parms), so that
    /// both routes refuse the same files: libjpeg 9, which BitMiracle ports, guesses a few three-component files
    /// otherwise (its Adobe marker outranks JFIF, and it knows component IDs TurboJPEG does not).
    /// </summary>
    private static int ColorspaceAsTurboJpegSeesIt(ReadOnlySpan<byte> jpeg, jpeg_component_info[] components, string source)
    {
        switch (components.Length)
        {
            case 1:
                return TurboJpegNative.ColorspaceGray;
            case 4:
                return TurboJpegNative.ColorspaceCmyk;
            case not 3:
                throw new ImageDecodeException(source, $"not a readable JPEG (a {components.Length}-component JPEG is neither gray, YCbCr nor CMYK)");
        }
        bool jfif = false;
        int? adobeTransform = null;
        foreach (var segment in new JpegSegments(jpeg))
        {
            // libjpeg's examine_app0 and examine_app14: their first 14 and 12 bytes; the last Adobe marker counts.
            if (segment.Marker == 0xE0 && segment.Payload.Length >= 14 && segment.Payload.StartsWith("JFIF\0"u8))
                jfif = true;
            else if (segment.Marker == 0xEE && segment.Payload.Length >= 12 && segment.Payload.StartsWith("Adobe"u8))
                adobeTransform = segment.Payload[11];
        }
        if (jfif)
            return TurboJpegNative.ColorspaceYCbCr;
        if (adobeTransform is { } transform)
            return transform == 0 ? TurboJpegNative.ColorspaceRgb : TurboJpegNative.ColorspaceYCbCr;
        bool rgbIds = components[0].Component_id == 'R' && components[1].Component_id == 'G' && components[2].Component_id == 'B';
        return rgbIds ? TurboJpegNative.ColorspaceRgb : TurboJpegNative.ColorspaceYCbCr;
    }
}
