namespace DctNet.Frequency.Imaging;

public enum ImageFormat
{
    Unknown,
    Jpeg,
    Png,
    Bmp,
    WebP,
    Gif,
}

public static class ImageFormatSniffer
{
    /// <summary>Identifies the container from its signature bytes; file extensions are not trusted.</summary>
    public static ImageFormat Detect(ReadOnlySpan<byte> data)
    {
        if (data.Length >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF)
            return ImageFormat.Jpeg;
        if (data.Length >= 8 && data[..8].SequenceEqual((ReadOnlySpan<byte>)[0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]))
            return ImageFormat.Png;
        if (data.Length >= 2 && data[0] == 'B' && data[1] == 'M')
            return ImageFormat.Bmp;
        if (data.Length >= 12 && data[..4].SequenceEqual("RIFF"u8) && data.Slice(8, 4).SequenceEqual("WEBP"u8))
            return ImageFormat.WebP;
        if (data.Length >= 6 && data[..4].SequenceEqual("GIF8"u8))
            return ImageFormat.Gif;
        return ImageFormat.Unknown;
    }
}
