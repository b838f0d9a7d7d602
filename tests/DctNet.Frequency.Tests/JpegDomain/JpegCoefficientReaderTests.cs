using System.Security.Cryptography;
using DctNet.Frequency.Imaging;
using DctNet.Frequency.JpegDomain;

namespace DctNet.Frequency.Tests.JpegDomain;

/// <summary>The coefficients DctNet reads from JPEG files against libjpeg's jpeg_read_coefficients (tools/golden/jpeg_coefficients.c).</summary>
public class JpegCoefficientReaderTests
{
    public static TheoryData<string> Readable => JpegDomainFixtures.Readable();

    [TurboJpegTheory]
    [MemberData(nameof(Readable))]
    public void Coefficients_and_tables_equal_libjpegs_in_every_encoding(string name)
    {
        var read = JpegCoefficientReader.ReadFile(JpegDomainFixtures.Jpeg(name));
        var expected = JpegDomainFixtures.Jcof(name);
        var actual = JpegDomainFixtures.ToJcof(read);
        Assert.Equal(expected.Length, actual.Length);
        int first = expected.AsSpan().CommonPrefixLength(actual);
        Assert.True(first == expected.Length, $"{name}: the JCOF bytes first differ at offset {first}");
    }

    /// <summary>
    /// libjpeg reads a progressive file whose quantization table is redefined after a scan that used it (each component
    /// keeps the table it latched), but TurboJPEG's transformer refuses to carry two tables in one slot: the one kind of
    /// valid file the JPEG pipeline cannot read, refused in one line (the exact pipeline decodes it).
    /// </summary>
    [TurboJpegFact]
    public void A_table_redefined_after_a_scan_that_used_it_is_refused_by_name()
    {
        string path = JpegDomainFixtures.Jpeg("dqt_after_first_scan");
        var e = Assert.Throws<ImageDecodeException>(() => JpegCoefficientReader.ReadFile(path));
        Assert.Equal($"{path}: a quantization table is redefined after a scan that used it, which TurboJPEG's transformer cannot read "
            + "(the exact pipeline decodes it)", e.Message);
        Assert.NotNull(new ImageDecoder().DecodeFile(path));
    }

    [SharedDataTurboJpegFact]
    public void Coefficients_equal_libjpegs_on_all_imagenet_samples()
    {
        var digests = JpegDomainFixtures.ImageNetDigests();
        var files = Directory.GetFiles(Fixtures.ImageNetSamples).Where(f => digests.ContainsKey(Path.GetFileName(f))).ToArray();
        Assert.Equal(1000, files.Length);
        var differing = files.AsParallel()
            .Where(f => Convert.ToHexStringLower(SHA256.HashData(JpegDomainFixtures.ToJcof(JpegCoefficientReader.ReadFile(f)))) != digests[Path.GetFileName(f)])
            .Select(Path.GetFileName)
            .ToArray();
        Assert.True(differing.Length == 0, $"{differing.Length} of 1000 samples differ from libjpeg, e.g. {string.Join(", ", differing.Take(5))}");
    }

    [Fact]
    public void The_zigzag_order_is_the_standards()
    {
        byte[] standard =
        [
            0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
            35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
        ];
        Assert.Equal(standard, JpegQuantization.NaturalOrder);
    }

    [TurboJpegTheory]
    [InlineData("cmyk")]
    [InlineData("ycck")]
    public void Four_channel_files_are_refused_by_name(string name)
    {
        string path = JpegDomainFixtures.Jpeg(name);
        var e = Assert.Throws<ImageDecodeException>(() => JpegCoefficientReader.ReadFile(path));
        Assert.StartsWith(path + ": a CMYK/YCCK JPEG", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [TurboJpegFact]
    public void Truncated_and_corrupt_files_fail_with_one_line_naming_them()
    {
        var whole = File.ReadAllBytes(JpegDomainFixtures.Jpeg("progressive_420"));
        foreach (int length in new[] { 2, 3, 20, whole.Length / 3, whole.Length / 2, whole.Length - 2 })
        {
            var e = Assert.Throws<ImageDecodeException>(() => JpegCoefficientReader.Read(whole.AsSpan(0, length), "cut.jpg"));
            Assert.StartsWith("cut.jpg: ", e.Message);
            Assert.DoesNotContain('\n', e.Message);
        }
        var corrupt = (byte[])whole.Clone();
        for (int i = whole.Length / 2; i < whole.Length / 2 + 40; i++)
            corrupt[i] = 0xFF;
        Assert.Throws<ImageDecodeException>(() => JpegCoefficientReader.Read(corrupt, "corrupt.jpg"));
    }

    [TurboJpegFact]
    public void Other_formats_are_refused_by_name()
    {
        byte[] png = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13];
        var e = Assert.Throws<ImageDecodeException>(() => JpegCoefficientReader.Read(png, "a.png"));
        Assert.Equal("a.png: a PNG image, not a JPEG; the JPEG-domain pipeline reads coefficients from JPEG files only", e.Message);
        Assert.Throws<ImageDecodeException>(() => JpegCoefficientReader.Read("hello"u8, "text.jpg"));
    }

    [TurboJpegFact]
    public void Images_over_the_pixel_limit_are_refused_before_reading()
    {
        var e = Assert.Throws<ImageDecodeException>(() => JpegCoefficientReader.ReadFile(JpegDomainFixtures.Jpeg("baseline_420_q75"), maxPixels: 100));
        Assert.Contains("exceeds the limit of 100 pixels", e.Message);
    }
}
