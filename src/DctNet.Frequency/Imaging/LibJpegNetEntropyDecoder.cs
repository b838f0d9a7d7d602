using BitMiracle.LibJpeg.Classic;

namespace DctNet.Frequency.Imaging;

/// <summary>
/// libjpeg's entropy decoding in C# (BitMiracle.LibJpeg.NET, a port of IJG libjpeg): <c>jpeg_read_header</c>, then
/// <c>jpeg_read_coefficients</c>, which leaves the quantized DCT coefficients of every block and decodes nothing further.
/// It serves where the system lacks libturbojpeg: the JPEG-domain pipeline reads its coefficients with it, and the exact
/// pipeline runs it over a JPEG before Skia decodes the pixels, because Skia ignores libjpeg's warnings and so lets a
/// damaged file through with its lost blocks filled in.
/// <para>
/// The policy is TurboJPEG's paths' (<see cref="TurboJpegWarnings"/>): a warning that loses no image data is let
/// through, any other fails the file at once - which also ends the work on a damaged file at its first damage - and so
/// does a progressive file of more than <see cref="MaxScans"/> scans. Every failure is one line naming the source.
/// </para>
/// </summary>
internal sealed class LibJpegNetEntropyDecoder
{
    /// <summary>TurboJPEG's limit (TJFLAG_LIMITSCANS): more scans is a known way for a small file to take minutes.</summary>
    public const int MaxScans = 500;

    private readonly string _source;

    /// <summary>Reads the header and refuses an image over the pixel limit, before any coefficient memory is allocated.</summary>
    /// <param name="jpeg">The whole file, read from its start.</param>
    /// <exception cref="ImageDecodeException">Not a readable JPEG header, or too many pixels.</exception>
    public LibJpegNetEntropyDecoder(Stream jpeg, string source, long maxPixels)
    {
        _source = source;
        Header = new jpeg_decompress_struct(new WarningPolicy()) { Progress = new jpeg_progress_mgr() };
        Header.Progress.OnProgress += (_, _) =>
        {
            // Called by jpeg_read_coefficients before each step of input, so at the latest when the next scan starts.
            if (Header.Input_scan_number > MaxScans)
                throw new LibJpegFailure($"Progressive JPEG image has more than {MaxScans} scans");
        };
        Run("not a readable JPEG", () =>
        {
            Header.jpeg_stdio_src(jpeg);
            Header.jpeg_read_header(require_image: true);
        });
        ImageDecoder.CheckPixelLimit(source, Header.Image_width, Header.Image_height, maxPixels);
    }

    /// <summary>The decompressor after <c>jpeg_read_header</c>: size, components, sampling.</summary>
    public jpeg_decompress_struct Header { get; }

    /// <summary>Entropy-decodes the whole file; the arrays hold each component's blocks padded to whole MCU rows.</summary>
    /// <exception cref="ImageDecodeException">Corrupt or truncated data, a fatal error, or too many scans.</exception>
    public jvirt_array<JBLOCK>[] ReadCoefficients()
    {
        jvirt_array<JBLOCK>[] arrays = [];
        Run("corrupt or truncated JPEG", () => arrays = Header.jpeg_read_coefficients());
        return arrays;
    }

    /// <summary>
    /// Refuses, naming the fix, the two kinds of valid file this port cannot read right: arithmetic coding, which it
    /// does not implement, and progressive files with restart markers, whose coefficients it misreads (with warnings,
    /// which would call the file corrupt). Judged on the header up to the first scan, where encoders put both.
    /// </summary>
    /// <exception cref="ImageDecodeException">Either kind.</exception>
    public static void ThrowIfUnsupported(ReadOnlySpan<byte> jpeg, string source)
    {
        bool progressive = false, restarts = false;
        foreach (var segment in new JpegSegments(jpeg))
        {
            switch (segment.Marker)
            {
                case 0xCC or (>= 0xC9 and <= 0xCB) or (>= 0xCD and <= 0xCF): // DAC, and the arithmetic SOFn
                    throw new ImageDecodeException(source, "an arithmetic-coded JPEG, which BitMiracle.LibJpeg.NET (the reader where libturbojpeg is missing) "
                        + "cannot read: install libturbojpeg (apt-get install libturbojpeg0)");
                case 0xC2 or 0xC6:
                    progressive = true;
                    break;
                case 0xDD when segment.Payload.Length >= 2 && (segment.Payload[0] | segment.Payload[1]) != 0:
                    restarts = true;
                    break;
            }
        }
        if (progressive && restarts)
            throw new ImageDecodeException(source, "a progressive JPEG with restart markers, which BitMiracle.LibJpeg.NET (the reader where libturbojpeg is missing) "
                + "misreads: install libturbojpeg (apt-get install libturbojpeg0)");
    }

    /// <summary>
    /// Whether the pixels of a JPEG can be trusted to a decoder that ignores libjpeg's warnings: it must pass the same
    /// entropy decoding as the coefficients do. Measured on the 1000 ImageNet samples (one thread, a busy 2-core host):
    /// 2.9-3.6 ms per image, where Skia's decode itself takes 3.1-3.7 ms, so the exact pipeline's JPEG decode without
    /// TurboJPEG takes about twice as long; and while it runs it holds the coefficients, about 200 bytes per 8x8 block
    /// (BitMiracle keeps each block as an object), where the decode's RGB result takes 192. No cheaper check is exact:
    /// the damage shows only while the entropy-coded data is decoded, Skia reports none of libjpeg's warnings, and this
    /// port cannot decode at 1/8 scale (its scaled inverse DCTs are not implemented), which would have spared the arrays.
    /// </summary>
    /// <exception cref="ImageDecodeException">Corrupt, truncated, too many pixels or scans; the message says why.</exception>
    public static unsafe void ThrowIfDamaged(ReadOnlySpan<byte> jpeg, string source, long maxPixels)
    {
        fixed (byte* data = jpeg)
        {
            using var stream = new UnmanagedMemoryStream(data, jpeg.Length);
            var decoder = new LibJpegNetEntropyDecoder(stream, source, maxPixels);
            ThrowIfUnsupported(jpeg, source);
            decoder.ReadCoefficients();
        }
    }

    /// <summary>
    /// One step of the library, its failures as one line naming the file. Besides libjpeg's own errors, a port can meet
    /// hostile data with an exception libjpeg's C would not raise (an index past an array): that is the file's fault too.
    /// </summary>
    private void Run(string failure, Action step)
    {
        try
        {
            step();
        }
        catch (LibJpegFailure e)
        {
            throw new ImageDecodeException(_source, $"{failure} ({e.Message})", e);
        }
        catch (Exception e) when (e is IndexOutOfRangeException or ArgumentException or InvalidOperationException or NullReferenceException)
        {
            throw new ImageDecodeException(_source, $"{failure} (BitMiracle.LibJpeg.NET failed: {e.GetType().Name})", e);
        }
    }

    /// <summary>libjpeg's error manager: errors and data-losing warnings end the call; nothing is printed.</summary>
    private sealed class WarningPolicy : jpeg_error_mgr
    {
        public override void error_exit() => throw new LibJpegFailure(format_message());

        public override void emit_message(int msg_level)
        {
            // -1 is a warning; trace messages (0 and up) are ignored, and formatted only when judged.
            if (msg_level < 0 && format_message() is var warning && !TurboJpegWarnings.IsHarmless(warning))
                throw new LibJpegFailure(warning);
        }

        public override void output_message()
        {
        }
    }

    private sealed class LibJpegFailure(string message) : Exception(message);
}
