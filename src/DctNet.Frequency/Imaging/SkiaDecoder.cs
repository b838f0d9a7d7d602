using SkiaSharp;

namespace DctNet.Frequency.Imaging;

/// <summary>
/// PNG, BMP, WebP and (where the system lacks libturbojpeg) JPEG through Skia (libpng, libwebp, libjpeg-turbo), producing the pixels OpenCV's <c>imread(IMREAD_COLOR)</c>
/// gives: alpha dropped without compositing, gray replicated, palettes expanded, 16-bit samples reduced to
/// their high byte, no colour management.
/// </summary>
internal static class SkiaDecoder
{
    public static unsafe RgbImage Decode(ReadOnlySpan<byte> data, string source, long maxPixels)
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
            else
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
    /// Formats Skia decodes only whole (PNG and WebP: this Skia answers Unimplemented to a scanline decode of them):
    /// through a full-size RGBA buffer, 4 bytes a pixel (8 for 16-bit PNG) beside the result's 3.
    /// </summary>
    private static unsafe void DecodeWhole(SKCodec codec, SKImageInfo target, RgbImage image, bool sixteenBit, string source)
    {
        var rgba = new byte[target.BytesSize64];
        SKCodecResult result;
        fixed (byte* pixels = rgba)
            result = codec.GetPixels(target, (IntPtr)pixels);
        if (result is not SKCodecResult.Success)
            throw new ImageDecodeException(source, result == SKCodecResult.IncompleteInput
                ? "truncated image data"
                : $"corrupt image data ({result})");
        ToRgb(rgba, image.Pixels, sixteenBit);
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
