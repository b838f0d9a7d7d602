using SkiaSharp;

namespace DctNet.Frequency.Imaging;

/// <summary>
/// PNG, BMP, WebP and (where the system lacks libturbojpeg) JPEG through Skia (libpng, libwebp, libjpeg-turbo), producing the pixels OpenCV's <c>imread(IMREAD_COLOR)</c>
/// gives: alpha dropped without compositing, gray replicated, palettes expanded, 16-bit samples reduced to
/// their high byte, no colour management.
/// </summary>
internal static class SkiaDecoder
{
    /// <summary>
    /// The largest RGBA buffer an image is decoded into whole when Skia cannot give it row by row (PNG): above it, the
    /// image is decoded in <see cref="Bands"/> horizontal bands through a buffer of a band, each band a decode that
    /// skips the rows above it. 64 MiB is a 16-megapixel image, whose whole decode costs little beside the process.
    /// </summary>
    internal const long WholeDecodeLimit = 64L << 20;

    /// <summary>
    /// Four bands: the peak is the RGB result plus a quarter of the RGBA image (4 bytes a pixel instead of 7), and the
    /// decode runs about 2.5 times as long, since each band re-reads the stream from the start.
    /// </summary>
    internal const int Bands = 4;

    public static RgbImage Decode(ReadOnlySpan<byte> data, string source, long maxPixels) => Decode(data, source, maxPixels, WholeDecodeLimit);

    internal static unsafe RgbImage Decode(ReadOnlySpan<byte> data, string source, long maxPixels, long wholeDecodeLimit)
    {
        // The codec reads the caller's bytes in place (no copy of the file) while they are pinned here.
        fixed (byte* bytes = data)
        {
            using var skData = SKData.Create((IntPtr)bytes, data.Length);
            using var codec = SKCodec.Create(skData)
                ?? throw new ImageDecodeException(source, "not a decodable image (the header is unreadable)");
            var info = codec.Info;
            ImageDecoder.CheckPixelLimit(source, info.Width, info.Height, maxPixels);

            bool sixteenBit = info.ColorType == SKColorType.Rgba16161616;
            var target = new SKImageInfo(info.Width, info.Height,
                sixteenBit ? SKColorType.Rgba16161616 : SKColorType.Rgba8888, SKAlphaType.Unpremul, colorspace: null);
            var image = new RgbImage(info.Width, info.Height);
            if (codec.StartScanlineDecode(target) == SKCodecResult.Success)
                DecodeRows(codec, target, image, sixteenBit, source);
            else if (target.BytesSize64 <= wholeDecodeLimit || !DecodeBands(codec, target, image, sixteenBit, source))
                DecodeWhole(codec, target, image, sixteenBit, source);
            return image;
        }
    }

    /// <summary>
    /// One row at a time into a one-row buffer (JPEG and BMP), so that the only full-size allocation is the RGB result:
    /// OpenCV's footprint, where a whole RGBA intermediate would add 4 bytes per pixel to its 3.
    /// </summary>
    private static unsafe void DecodeRows(SKCodec codec, SKImageInfo target, RgbImage image, bool sixteenBit, string source)
    {
        var row = new byte[target.RowBytes];
        fixed (byte* rowPointer = row)
        {
            for (int i = 0; i < target.Height; i++)
            {
                int y = codec.NextScanline; // already the output row: bottom-up BMPs deliver their last row first
                if (codec.GetScanlines((IntPtr)rowPointer, 1, target.RowBytes) != 1)
                    throw new ImageDecodeException(source, "truncated or corrupt image data");
                ToRgb(row, image.Row(y), sixteenBit);
            }
        }
    }

    /// <summary>
    /// <see cref="Bands"/> incremental decodes, each of a subset of rows, through one band-sized buffer (PNG: this Skia
    /// answers Unimplemented to a scanline decode of it, but decodes row subsets); false, with nothing done, where the
    /// codec cannot (WebP).
    /// </summary>
    private static unsafe bool DecodeBands(SKCodec codec, SKImageInfo target, RgbImage image, bool sixteenBit, string source)
    {
        int rowsPerBand = (target.Height + Bands - 1) / Bands;
        var band = new byte[(long)rowsPerBand * target.RowBytes];
        int rgbRow = image.Stride;
        fixed (byte* bandPointer = band)
        {
            for (int top = 0; top < target.Height; top += rowsPerBand)
            {
                int rows = Math.Min(rowsPerBand, target.Height - top);
                var options = new SKCodecOptions(new SKRectI(0, top, target.Width, top + rows));
                var result = codec.StartIncrementalDecode(target, (IntPtr)bandPointer, target.RowBytes, options);
                if (result == SKCodecResult.Unimplemented && top == 0)
                    return false;
                if (result == SKCodecResult.Success)
                    result = codec.IncrementalDecode(out _);
                ThrowUnlessDecoded(result, source);
                ToRgb(band.AsSpan(0, rows * target.RowBytes), image.Pixels.AsSpan(top * rgbRow, rows * rgbRow), sixteenBit);
            }
        }
        return true;
    }

    /// <summary>
    /// Formats Skia decodes only whole (WebP, and small PNGs, see <see cref="WholeDecodeLimit"/>): through a full-size
    /// RGBA buffer, 4 bytes a pixel (8 for 16-bit PNG) beside the result's 3.
    /// </summary>
    private static unsafe void DecodeWhole(SKCodec codec, SKImageInfo target, RgbImage image, bool sixteenBit, string source)
    {
        var rgba = new byte[target.BytesSize64];
        SKCodecResult result;
        fixed (byte* pixels = rgba)
            result = codec.GetPixels(target, (IntPtr)pixels);
        ThrowUnlessDecoded(result, source);
        ToRgb(rgba, image.Pixels, sixteenBit);
    }

    private static void ThrowUnlessDecoded(SKCodecResult result, string source)
    {
        if (result is not SKCodecResult.Success)
            throw new ImageDecodeException(source, result == SKCodecResult.IncompleteInput
                ? "truncated image data"
                : $"corrupt image data ({result})");
    }

    private static void ToRgb(ReadOnlySpan<byte> rgba, Span<byte> rgb, bool sixteenBit)
    {
        if (sixteenBit)
        {
            // Little-endian 16-bit samples: the high byte is the odd one. OpenCV strips the low byte.
            for (int i = 0, j = 0; j < rgb.Length; i += 8, j += 3)
            {
                rgb[j] = rgba[i + 1];
                rgb[j + 1] = rgba[i + 3];
                rgb[j + 2] = rgba[i + 5];
            }
        }
        else
        {
            for (int i = 0, j = 0; j < rgb.Length; i += 4, j += 3)
            {
                rgb[j] = rgba[i];
                rgb[j + 1] = rgba[i + 1];
                rgb[j + 2] = rgba[i + 2];
            }
        }
    }
}
