using System.Buffers.Binary;
using DctNet.Frequency.Channels;
using DctNet.Frequency.Geometry;
using DctNet.Frequency.Imaging;

namespace DctNet.Frequency.Tests;

/// <summary>Broken, hostile and degenerate inputs get a clear error naming the source - or, when valid, the right result.</summary>
public class BadInputTests
{
    private static readonly ImageDecoder Decoder = new();
    private static byte[] GoodJpeg => File.ReadAllBytes(Fixtures.PathOf("images/jpeg_420.jpg"));

    private static ImageDecodeException DecodeFails(byte[] data, string name)
    {
        var error = Assert.Throws<ImageDecodeException>(() => Decoder.Decode(data, name));
        Assert.StartsWith(name + ": ", error.Message);
        return error;
    }

    [Fact]
    public void Empty_file_is_reported_as_empty() => Assert.Contains("empty", DecodeFails([], "empty.jpg").Problem);

    [Fact]
    public void Truncated_jpeg_is_an_error_not_a_gray_filled_image()
    {
        var jpeg = GoodJpeg;
        Assert.Contains("truncated", DecodeFails(jpeg[..(jpeg.Length / 2)], "cut.jpg").Problem);
    }

    [Fact]
    public void Header_only_jpeg_is_an_error()
    {
        var jpeg = GoodJpeg;
        int startOfScan = Enumerable.Range(0, jpeg.Length - 1).First(i => jpeg[i] == 0xFF && jpeg[i + 1] == 0xDA);
        DecodeFails(jpeg[..startOfScan], "header.jpg");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Random_bytes_are_an_error(bool withJpegSignature)
    {
        var data = new byte[4096];
        new Random(11).NextBytes(data);
        if (withJpegSignature)
            new byte[] { 0xFF, 0xD8, 0xFF }.CopyTo(data, 0);
        DecodeFails(data, "noise.jpg");
    }

    [Fact]
    public void Text_named_png_is_an_unrecognised_format()
        => Assert.Contains("unrecognised image format", DecodeFails("hello, I am not a picture\n"u8.ToArray(), "note.png").Problem);

    [Fact]
    public void Gif_is_refused_with_the_reason()
        => Assert.Contains("GIF is not supported", DecodeFails("GIF89a\x01\x00\x01\x00\x00\x00\x00;"u8.ToArray(), "placeholder.jpg").Problem);

    [Fact]
    public void Png_declaring_30000_squared_pixels_is_refused_before_allocating()
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        var error = DecodeFails(PngHeaderOnly(30000, 30000), "bomb.png");
        Assert.Contains("exceeds the limit", error.Problem);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 16 << 20, "the decoder allocated for the declared size");
    }

    [Fact]
    public void Pixel_limit_is_configurable()
    {
        var error = Assert.Throws<ImageDecodeException>(() => new ImageDecoder(maxPixels: 1000).Decode(GoodJpeg, "small-limit.jpg"));
        Assert.Contains("83x61", error.Problem);
    }

    [Fact]
    public void Corrupt_png_data_is_an_error()
    {
        var png = File.ReadAllBytes(Fixtures.PathOf("images/png_rgb.png"));
        for (int i = png.Length / 2; i < png.Length - 12; i++)
            png[i] ^= 0x5A;
        DecodeFails(png, "scrambled.png");
    }

    [Fact]
    public void One_pixel_image_gives_a_flat_crop_with_only_dc()
    {
        var image = new RgbImage(1, 1, [200, 100, 50]);
        var coefficients = new DctTransform(new CropGeometry(64, 48), ChannelSubset.All, statistics: null).RawCoefficients(image);
        int blocks = 36;
        // Y = 124, Cb = 86, Cr = 182 for (200, 100, 50) by libjpeg's fixed-point formulas.
        Assert.All(coefficients[..blocks], c => Assert.Equal(8 * 124 - 1024, c));
        Assert.All(coefficients[(64 * blocks)..(65 * blocks)], c => Assert.Equal(8 * 86 - 1024, c));
        Assert.All(coefficients[(128 * blocks)..(129 * blocks)], c => Assert.Equal(8 * 182 - 1024, c));
        int nonZeroAc = Enumerable.Range(0, 192).Where(ch => ch % 64 != 0).Sum(ch => coefficients.Skip(ch * blocks).Take(blocks).Count(c => c != 0));
        Assert.Equal(0, nonZeroAc);
    }

    /// <summary>A PNG (8-bit RGB) declaring the given size, whose data is one short zlib stream of zero rows.</summary>
    private static byte[] PngHeaderOnly(int width, int height)
    {
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8; // bit depth
        ihdr[9] = 2; // colour type RGB
        var compressed = new MemoryStream();
        using (var zlib = new System.IO.Compression.ZLibStream(compressed, System.IO.Compression.CompressionLevel.Optimal, leaveOpen: true))
            zlib.Write(new byte[64 * 1024]);
        return [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A,
            .. Chunk("IHDR", ihdr), .. Chunk("IDAT", compressed.ToArray()), .. Chunk("IEND", [])];
    }

    private static byte[] Chunk(string type, byte[] payload)
    {
        var typeBytes = System.Text.Encoding.ASCII.GetBytes(type);
        var chunk = new byte[12 + payload.Length];
        BinaryPrimitives.WriteInt32BigEndian(chunk, payload.Length);
        typeBytes.CopyTo(chunk, 4);
        payload.CopyTo(chunk, 8);
        BinaryPrimitives.WriteUInt32BigEndian(chunk.AsSpan(8 + payload.Length), System.IO.Hashing.Crc32.HashToUInt32([.. typeBytes, .. payload]));
        return chunk;
    }
}
