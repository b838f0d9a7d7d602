namespace DctNet.Frequency.Imaging;

/// <summary>Decodes JPEG with libjpeg-turbo exactly as OpenCV 4.6's <c>imread(IMREAD_COLOR)</c> does.</summary>
internal static class JpegDecoder
{
    public static unsafe RgbImage Decode(ReadOnlySpan<byte> jpeg, string source, long maxPixels)
    {
        TurboJpegNative.EnsureLoaded();
        IntPtr handle = TurboJpegNative.tjInitDecompress();
        if (handle == IntPtr.Zero)
            throw new ImageDecodeException(source, "could not initialise the JPEG decoder");
        try
        {
            fixed (byte* jpegPtr = jpeg)
            {
                if (TurboJpegNative.tjDecompressHeader3(handle, jpegPtr, (nuint)jpeg.Length,
                        out int width, out int height, out _, out int colorspace) != 0)
                    throw new ImageDecodeException(source, $"not a decodable JPEG ({TurboJpegNative.LastError(handle)})");
                ImageDecoder.CheckPixelLimit(source, width, height, maxPixels);

                bool cmyk = colorspace is TurboJpegNative.ColorspaceCmyk or TurboJpegNative.ColorspaceYcck;
                int channels = cmyk ? 4 : 3;
                var pixels = new byte[checked(width * height * channels)];
                fixed (byte* dst = pixels)
                {
                    int status = TurboJpegNative.tjDecompress2(handle, jpegPtr, (nuint)jpeg.Length, dst, width, width * channels, height,
                        cmyk ? TurboJpegNative.PixelFormatCmyk : TurboJpegNative.PixelFormatRgb, flags: 0);
                    if (status != 0)
                        ThrowDecodeError(handle, source);
                }
                var image = cmyk ? CmykToRgb(pixels, width, height) : new RgbImage(width, height, pixels);
                return ExifOrientation.Apply(image, ExifOrientation.ReadFromJpeg(jpeg));
            }
        }
        finally
        {
            _ = TurboJpegNative.tjDestroy(handle);
        }
    }

    /// <summary>
    /// libjpeg reports a truncated or damaged stream as a warning and fills the rest with gray; a silently half-gray
    /// sample would poison training, so only the warnings that lose no data let the image through (<see cref="TurboJpegWarnings"/>).
    /// </summary>
    private static void ThrowDecodeError(IntPtr handle, string source)
    {
        if (TurboJpegWarnings.Failure(handle) is { } message)
            throw new ImageDecodeException(source, $"corrupt or truncated JPEG ({message})");
    }

    /// <summary>OpenCV's icvCvt_CMYK2BGR_8u_C4C3R: libjpeg's (Adobe-inverted) CMYK samples to RGB.</summary>
    private static RgbImage CmykToRgb(byte[] cmyk, int width, int height)
    {
        var image = new RgbImage(width, height);
        var rgb = image.Pixels;
        for (int i = 0, j = 0; i < cmyk.Length; i += 4, j += 3)
        {
            int k = cmyk[i + 3];
            rgb[j] = (byte)(k - ((255 - cmyk[i]) * k >> 8));
            rgb[j + 1] = (byte)(k - ((255 - cmyk[i + 1]) * k >> 8));
            rgb[j + 2] = (byte)(k - ((255 - cmyk[i + 2]) * k >> 8));
        }
        return image;
    }
}
