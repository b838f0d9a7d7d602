using System.Buffers.Binary;

namespace DctNet.Frequency.Tests.Imaging;

/// <summary>Damaged and hostile JPEGs made from a good one, for every route that reads JPEG data.</summary>
internal static class HostileJpegs
{
    public static byte[] Good => File.ReadAllBytes(Fixtures.PathOf("images/jpeg_420.jpg"));

    /// <summary>64 bytes of 0xFF written over the entropy-coded data: libjpeg warns and reads the rest as zeros.</summary>
    public static byte[] Corrupt()
    {
        var jpeg = Good;
        Array.Fill(jpeg, (byte)0xFF, jpeg.Length / 3, 64);
        return jpeg;
    }

    public static byte[] Truncated() => Good[..(Good.Length / 2)];

    /// <summary>Stray bytes between the scan and the end marker: libjpeg warns, and no coefficient is lost.</summary>
    public static byte[] Stray() => [.. Good[..^2], 0x01, 0x02, 0xFF, 0xD9];

    /// <summary>A frame header declaring 30000 x 30000 pixels, and nothing after it that a decoder could reach.</summary>
    public static byte[] Oversize()
    {
        var jpeg = Good;
        int sof = Enumerable.Range(0, jpeg.Length - 1).First(i => jpeg[i] == 0xFF && jpeg[i + 1] == 0xC0);
        BinaryPrimitives.WriteUInt16BigEndian(jpeg.AsSpan(sof + 5), 30000);
        BinaryPrimitives.WriteUInt16BigEndian(jpeg.AsSpan(sof + 7), 30000);
        return jpeg;
    }

    /// <summary>
    /// A valid progressive 8x8 gray JPEG of <paramref name="scans"/> scans (at most 704): every coefficient sent in
    /// successive approximation, a first scan at bit 10 and ten refinements each, DC first, every value zero. Each scan's
    /// data is one Huffman code (a one-symbol table: DC difference 0, or end of band) or one correction bit.
    /// </summary>
    public static byte[] Progressive(int scans)
    {
        const int FirstBit = 10; // libjpeg's MAX_COEF_BITS for 8-bit data: the highest point transform allowed
        var jpeg = new List<byte> { 0xFF, 0xD8 };
        void Segment(byte marker, params byte[] payload)
        {
            jpeg.AddRange([0xFF, marker, (byte)((payload.Length + 2) >> 8), (byte)(payload.Length + 2)]);
            jpeg.AddRange(payload);
        }
        Segment(0xDB, [0, .. Enumerable.Repeat((byte)1, 64)]);
        Segment(0xC2, 8, 0, 8, 0, 8, 1, 1, 0x11, 0);
        byte[] oneCodeOfLengthOne = [1, .. new byte[15], 0x00];
        Segment(0xC4, [0x00, .. oneCodeOfLengthOne]);
        Segment(0xC4, [0x10, .. oneCodeOfLengthOne]);
        int written = 0;
        for (int k = 0; k < 64 && written < scans; k++)
        {
            for (int high = 0; high <= FirstBit && written < scans; high++, written++)
            {
                // The first scan of a band (high 0) sends bits from FirstBit up; each refinement one bit more.
                int ah = high == 0 ? 0 : FirstBit - high + 1, al = high == 0 ? FirstBit : FirstBit - high;
                Segment(0xDA, 1, 1, 0x00, (byte)k, (byte)k, (byte)(ah << 4 | al));
                jpeg.Add(0x7F); // a 0 bit (the one code, or a correction bit), padded with ones
            }
        }
        if (written < scans)
            throw new ArgumentOutOfRangeException(nameof(scans), $"at most {written} scans");
        jpeg.AddRange([0xFF, 0xD9]);
        return [.. jpeg];
    }
}
