using System.Buffers.Binary;

namespace DctNet.Frequency.Imaging;

/// <summary>
/// The image size a file declares in its header, read from the first bytes alone, so that a file is judged before
/// it is read whole or decoded.
/// </summary>
internal static class ImageHeader
{
    /// <summary>Where a declared size was looked for.</summary>
    public enum Outcome
    {
        /// <summary>Found: width and height are set.</summary>
        Declared,

        /// <summary>The header goes on past the bytes given.</summary>
        BeyondPrefix,

        /// <summary>The header cannot be that of a decodable image.</summary>
        Malformed,
    }

    /// <summary>The declared width and height of a JPEG, PNG, BMP or WebP from the bytes <paramref name="head"/>.</summary>
    public static Outcome ReadSize(ReadOnlySpan<byte> head, ImageFormat format, out long width, out long height)
    {
        width = height = 0;
        switch (format)
        {
            case ImageFormat.Jpeg:
                return ReadJpegSize(head, out width, out height);
            case ImageFormat.Png:
                // IHDR is the first chunk: length, "IHDR", width, height (big-endian).
                if (head.Length < 24)
                    return Outcome.BeyondPrefix;
                if (!head.Slice(12, 4).SequenceEqual("IHDR"u8))
                    return Outcome.Malformed;
                width = BinaryPrimitives.ReadUInt32BigEndian(head[16..]);
                height = BinaryPrimitives.ReadUInt32BigEndian(head[20..]);
                return Outcome.Declared;
            case ImageFormat.Bmp:
                // BITMAPCOREHEADER (12 bytes) has 16-bit sizes; the others 32-bit, the height negative for top-down rows.
                if (head.Length < 26)
                    return Outcome.BeyondPrefix;
                if (BinaryPrimitives.ReadUInt32LittleEndian(head[14..]) == 12)
                {
                    width = BinaryPrimitives.ReadUInt16LittleEndian(head[18..]);
                    height = BinaryPrimitives.ReadUInt16LittleEndian(head[20..]);
                }
                else
                {
                    width = BinaryPrimitives.ReadInt32LittleEndian(head[18..]);
                    height = Math.Abs((long)BinaryPrimitives.ReadInt32LittleEndian(head[22..]));
                }
                return Outcome.Declared;
            case ImageFormat.WebP:
                return ReadWebPSize(head, out width, out height);
            default:
                return Outcome.Malformed;
        }
    }

    /// <summary>The frame header (SOFn) after the marker segments that precede it; libjpeg skips stray bytes between markers, so this does too.</summary>
    private static Outcome ReadJpegSize(ReadOnlySpan<byte> jpeg, out long width, out long height)
    {
        width = height = 0;
        int position = 2; // after SOI
        while (true)
        {
            int marker = jpeg[position..].IndexOf((byte)0xFF);
            if (marker < 0)
                return Outcome.BeyondPrefix;
            position += marker;
            if (position + 1 >= jpeg.Length)
                return Outcome.BeyondPrefix;
            byte code = jpeg[position + 1];
            if (code is 0xFF or 0x00)
            {
                position++; // a fill byte, or a stuffed zero in stray data
                continue;
            }
            if (code is 0xDA or 0xD9)
                return Outcome.Malformed; // a scan or the end before any frame header
            if (code is 0x01 or (>= 0xD0 and <= 0xD8))
            {
                position += 2; // a marker without a length
                continue;
            }
            if (position + 4 > jpeg.Length)
                return Outcome.BeyondPrefix;
            int length = BinaryPrimitives.ReadUInt16BigEndian(jpeg[(position + 2)..]);
            if (length < 2)
                return Outcome.Malformed;
            if (code is >= 0xC0 and <= 0xCF and not (0xC4 or 0xC8 or 0xCC))
            {
                // SOFn: length, precision, height, width.
                if (position + 9 > jpeg.Length)
                    return Outcome.BeyondPrefix;
                height = BinaryPrimitives.ReadUInt16BigEndian(jpeg[(position + 5)..]);
                width = BinaryPrimitives.ReadUInt16BigEndian(jpeg[(position + 7)..]);
                return Outcome.Declared;
            }
            position += 2 + length;
            if (position >= jpeg.Length)
                return Outcome.BeyondPrefix;
        }
    }

    /// <summary>RIFF header, then the first chunk: VP8 (lossy key frame), VP8L (lossless) or VP8X (extended, the canvas size).</summary>
    private static Outcome ReadWebPSize(ReadOnlySpan<byte> webp, out long width, out long height)
    {
        width = height = 0;
        if (webp.Length < 30)
            return Outcome.BeyondPrefix;
        var chunk = webp.Slice(12, 4);
        if (chunk.SequenceEqual("VP8 "u8))
        {
            width = BinaryPrimitives.ReadUInt16LittleEndian(webp[26..]) & 0x3FFF;
            height = BinaryPrimitives.ReadUInt16LittleEndian(webp[28..]) & 0x3FFF;
        }
        else if (chunk.SequenceEqual("VP8L"u8))
        {
            uint bits = BinaryPrimitives.ReadUInt32LittleEndian(webp[21..]);
            width = (bits & 0x3FFF) + 1;
            height = ((bits >> 14) & 0x3FFF) + 1;
        }
        else if (chunk.SequenceEqual("VP8X"u8))
        {
            width = (webp[24] | (webp[25] << 8) | (webp[26] << 16)) + 1L;
            height = (webp[27] | (webp[28] << 8) | (webp[29] << 16)) + 1L;
        }
        else
        {
            return Outcome.Malformed;
        }
        return Outcome.Declared;
    }
}
