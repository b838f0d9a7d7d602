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
        using var skData = SKData.CreateCopy(data);
        using var codec = SKCodec.Create(skData)
            ?? throw new ImageDecodeException(source, "not a decodable image (the header is unreadable)");
        var info = codec.Info;
        ImageDecoder.CheckPixelLimit(source, info.Width, info.Height, maxPixels);

        bool sixteenBit = info.ColorType == SKColorType.Rgba16161616;
        var target = new SKImageInfo(info.Width, info.Height,
            sixteenBit ? SKColorType.Rgba16161616 : SKColorType.Rgba8888, SKAlphaType.Unpremul, colorspace: null);
        var rgba = new byte[target.BytesSize64];
        SKCodecResult result;
        fixed (byte* pixels = rgba)
            result = codec.GetPixels(target, (IntPtr)pixels);
        if (result is not (SKCodecResult.Success))
            throw new ImageDecodeException(source, result == SKCodecResult.IncompleteInput
                ? "truncated image data"
                : $"corrupt image data ({result})");

        var image = new RgbImage(info.Width, info.Height);
        var rgb = image.Pixels;
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
        return image;
    }
}
