using System.Buffers.Binary;

namespace DctNet.Frequency.Imaging;

/// <summary>
/// Reads the EXIF orientation tag of a JPEG and applies it as OpenCV's <c>imread</c> does.
/// Hand-written because only one tag of IFD0 is needed and the bytes are already in memory;
/// a metadata library would parse far more than this on every image.
/// </summary>
public static class ExifOrientation
{
    private const ushort OrientationTag = 0x0112;

    /// <summary>The orientation (1-8) from the first EXIF APP1 segment, or 1 when absent or malformed.</summary>
    public static int ReadFromJpeg(ReadOnlySpan<byte> jpeg)
    {
        foreach (var segment in new JpegSegments(jpeg))
        {
            if (segment.Marker == 0xE1 && segment.Payload.Length >= 6 && segment.Payload[..6].SequenceEqual("Exif\0\0"u8))
                return ReadFromTiff(segment.Payload[6..]);
        }
        return 1;
    }

    private static int ReadFromTiff(ReadOnlySpan<byte> tiff)
    {
        if (tiff.Length < 8)
            return 1;
        bool littleEndian;
        if (tiff[0] == 'I' && tiff[1] == 'I')
            littleEndian = true;
        else if (tiff[0] == 'M' && tiff[1] == 'M')
            littleEndian = false;
        else
            return 1;

        uint ifdOffset = U32(tiff, 4, littleEndian);
        if (ifdOffset > tiff.Length - 2)
            return 1;
        int entryCount = U16(tiff, (int)ifdOffset, littleEndian);
        for (int i = 0; i < entryCount; i++)
        {
            int entry = (int)ifdOffset + 2 + i * 12;
            if (entry + 12 > tiff.Length)
                return 1;
            if (U16(tiff, entry, littleEndian) != OrientationTag)
                continue;
            int value = U16(tiff, entry + 8, littleEndian);
            return value is >= 1 and <= 8 ? value : 1;
        }
        return 1;
    }

    private static ushort U16(ReadOnlySpan<byte> data, int offset, bool littleEndian) => littleEndian
        ? BinaryPrimitives.ReadUInt16LittleEndian(data.Slice(offset, 2))
        : BinaryPrimitives.ReadUInt16BigEndian(data.Slice(offset, 2));

    private static uint U32(ReadOnlySpan<byte> data, int offset, bool littleEndian) => littleEndian
        ? BinaryPrimitives.ReadUInt32LittleEndian(data.Slice(offset, 4))
        : BinaryPrimitives.ReadUInt32BigEndian(data.Slice(offset, 4));

    /// <summary>Returns the image as displayed: OpenCV's ApplyExifOrientation (flips and transposes).</summary>
    public static RgbImage Apply(RgbImage image, int orientation)
    {
        return orientation switch
        {
            2 => Remap(image, transpose: false, flipX: true, flipY: false),
            3 => Remap(image, transpose: false, flipX: true, flipY: true),
            4 => Remap(image, transpose: false, flipX: false, flipY: true),
            5 => Remap(image, transpose: true, flipX: false, flipY: false),
            6 => Remap(image, transpose: true, flipX: true, flipY: false),
            7 => Remap(image, transpose: true, flipX: true, flipY: true),
            8 => Remap(image, transpose: true, flipX: false, flipY: true),
            _ => image,
        };
    }

    /// <summary>Optionally transposes, then flips the result horizontally and/or vertically.</summary>
    private static RgbImage Remap(RgbImage source, bool transpose, bool flipX, bool flipY)
    {
        int width = transpose ? source.Height : source.Width;
        int height = transpose ? source.Width : source.Height;
        var result = new RgbImage(width, height);
        var src = source.Pixels;
        var dst = result.Pixels;
        for (int y = 0; y < height; y++)
        {
            int ty = flipY ? height - 1 - y : y;
            for (int x = 0; x < width; x++)
            {
                int tx = flipX ? width - 1 - x : x;
                // (tx, ty) is the pixel position in the transposed-or-not intermediate image.
                int sx = transpose ? ty : tx;
                int sy = transpose ? tx : ty;
                int s = (sy * source.Width + sx) * 3;
                int d = (y * width + x) * 3;
                dst[d] = src[s];
                dst[d + 1] = src[s + 1];
                dst[d + 2] = src[s + 2];
            }
        }
        return result;
    }
}
