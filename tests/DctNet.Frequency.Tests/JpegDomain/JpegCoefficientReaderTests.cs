using System.Security.Cryptography;
using DctNet.Frequency.Imaging;
using DctNet.Frequency.JpegDomain;

namespace DctNet.Frequency.Tests.JpegDomain;

/// <summary>
/// The coefficients DctNet reads from JPEG files, by either route, against libjpeg's jpeg_read_coefficients
/// (tools/golden/jpeg_coefficients.c) and against each other.
/// </summary>
public class JpegCoefficientReaderTests
{
    public static TheoryData<string> Readable => JpegDomainFixtures.Readable();

    public static TheoryData<string> ReadableWithoutTurboJpeg => JpegDomainFixtures.ReadableWithoutTurboJpeg();

    public static TheoryData<JpegCoefficientRoute> Routes => JpegDomainFixtures.Routes();

    [TurboJpegTheory]
    [MemberData(nameof(Readable))]
    public void Coefficients_and_tables_equal_libjpegs_in_every_encoding(string name)
        => AssertEqualsLibjpeg(name, JpegCoefficientRoute.TurboJpeg);

    /// <summary>Runs everywhere: the fallback against the C library's own reading.</summary>
    [Theory]
    [MemberData(nameof(ReadableWithoutTurboJpeg))]
    public void The_fallback_reads_libjpegs_coefficients_and_tables_in_every_encoding(string name)
        => AssertEqualsLibjpeg(name, JpegCoefficientRoute.LibJpegNet);

    private static void AssertEqualsLibjpeg(string name, JpegCoefficientRoute route)
    {
        var read = JpegCoefficientReader.ReadFile(JpegDomainFixtures.Jpeg(name), route: route);
        var expected = JpegDomainFixtures.Jcof(name);
        var actual = JpegDomainFixtures.ToJcof(read);
        Assert.Equal(expected.Length, actual.Length);
        int first = expected.AsSpan().CommonPrefixLength(actual);
        Assert.True(first == expected.Length, $"{name}: the JCOF bytes first differ at offset {first}");
    }

    /// <summary>
    /// libjpeg reads a progressive file whose quantization table is redefined after a scan that used it (each component
    /// keeps the table it latched), but TurboJPEG's transformer refuses to carry two tables in one slot: the one kind of
    /// valid file the TurboJPEG route cannot read, refused in one line (the exact pipeline decodes it, and the fallback
    /// reads it: see above).
    /// </summary>
    [TurboJpegFact]
    public void A_table_redefined_after_a_scan_that_used_it_is_refused_by_name()
    {
        string path = JpegDomainFixtures.Jpeg("dqt_after_first_scan");
        var e = Assert.Throws<ImageDecodeException>(() => JpegCoefficientReader.ReadFile(path, route: JpegCoefficientRoute.TurboJpeg));
        Assert.Equal($"{path}: a quantization table is redefined after a scan that used it, which TurboJPEG's transformer cannot read "
            + "(the exact pipeline decodes it)", e.Message);
        Assert.NotNull(new ImageDecoder().DecodeFile(path));
    }

    [SharedDataTheory]
    [MemberData(nameof(Routes))]
    public void Coefficients_equal_libjpegs_on_all_imagenet_samples(JpegCoefficientRoute route)
    {
        var digests = JpegDomainFixtures.ImageNetDigests();
        var files = Directory.GetFiles(Fixtures.ImageNetSamples).Where(f => digests.ContainsKey(Path.GetFileName(f))).ToArray();
        Assert.Equal(1000, files.Length);
        var differing = files.AsParallel()
            .Where(f => Convert.ToHexStringLower(SHA256.HashData(JpegDomainFixtures.ToJcof(JpegCoefficientReader.ReadFile(f, route: route)))) != digests[Path.GetFileName(f)])
            .Select(Path.GetFileName)
            .ToArray();
        Assert.True(differing.Length == 0, $"{differing.Length} of 1000 samples differ from libjpeg, e.g. {string.Join(", ", differing.Take(5))}");
    }

    /// <summary>
    /// BitMiracle.LibJpeg.NET has no arithmetic decoder, and misreads progressive files with restart markers (1401 of
    /// the luma values of the fixture differ from libjpeg's, with warnings): the fallback refuses both kinds, naming the fix.
    /// </summary>
    [Fact]
    public void The_fallback_refuses_what_its_port_cannot_read_and_names_the_fix()
    {
        foreach (string name in JpegDomainFixtures.UnreadableWithoutTurboJpeg)
        {
            string path = JpegDomainFixtures.Jpeg(name);
            var e = Assert.Throws<ImageDecodeException>(() => JpegCoefficientReader.ReadFile(path, route: JpegCoefficientRoute.LibJpegNet));
            string kind = name.StartsWith("arithmetic", StringComparison.Ordinal) ? "an arithmetic-coded JPEG" : "a progressive JPEG with restart markers";
            Assert.StartsWith($"{path}: {kind}, which BitMiracle.LibJpeg.NET (the reader where libturbojpeg is missing) ", e.Message);
            Assert.EndsWith(": install libturbojpeg (apt-get install libturbojpeg0)", e.Message);
        }
    }

    /// <summary>
    /// Both routes, value for value or refusal for refusal, on every JPEG under tests/fixtures but those one route
    /// cannot read (above).
    /// </summary>
    [TurboJpegFact]
    public void The_routes_agree_on_every_fixture_jpeg()
    {
        var files = JpegDomainFixtures.FixtureJpegs()
            .Where(f => Path.GetFileNameWithoutExtension(f) is not "dqt_after_first_scan" && !JpegDomainFixtures.UnreadableWithoutTurboJpeg.Contains(Path.GetFileNameWithoutExtension(f)))
            .ToArray();
        Assert.True(files.Length >= 30, $"only {files.Length} JPEGs found under {Fixtures.Directory}");
        Assert.All(files, AssertRoutesAgree);
    }

    [SharedDataTurboJpegFact]
    public void The_routes_agree_on_all_imagenet_samples()
    {
        var files = Directory.GetFiles(Fixtures.ImageNetSamples);
        Assert.Equal(1000, files.Length);
        files.AsParallel().ForAll(AssertRoutesAgree);
    }

    private static void AssertRoutesAgree(string path)
    {
        string Read(JpegCoefficientRoute route)
        {
            try
            {
                return Convert.ToHexStringLower(SHA256.HashData(JpegDomainFixtures.ToJcof(JpegCoefficientReader.ReadFile(path, route: route))));
            }
            catch (ImageDecodeException e)
            {
                return e.Message;
            }
        }
        Assert.Equal(Read(JpegCoefficientRoute.TurboJpeg), Read(JpegCoefficientRoute.LibJpegNet));
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

    [Theory]
    [MemberData(nameof(Routes))]
    public void Four_channel_files_are_refused_by_name(JpegCoefficientRoute route)
    {
        foreach (string name in new[] { "cmyk", "ycck" })
        {
            string path = JpegDomainFixtures.Jpeg(name);
            var e = Assert.Throws<ImageDecodeException>(() => JpegCoefficientReader.ReadFile(path, route: route));
            Assert.StartsWith(path + ": a CMYK/YCCK JPEG", e.Message);
            Assert.DoesNotContain('\n', e.Message);
        }
    }

    [Theory]
    [MemberData(nameof(Routes))]
    public void Truncated_and_corrupt_files_fail_with_one_line_naming_them(JpegCoefficientRoute route)
    {
        var whole = File.ReadAllBytes(JpegDomainFixtures.Jpeg("progressive_420"));
        foreach (int length in new[] { 2, 3, 20, whole.Length / 3, whole.Length / 2, whole.Length - 2 })
        {
            var e = Assert.Throws<ImageDecodeException>(() => JpegCoefficientReader.Read(whole.AsSpan(0, length), "cut.jpg", route: route));
            Assert.StartsWith("cut.jpg: ", e.Message);
            Assert.DoesNotContain('\n', e.Message);
        }
        var corrupt = (byte[])whole.Clone();
        for (int i = whole.Length / 2; i < whole.Length / 2 + 40; i++)
            corrupt[i] = 0xFF;
        Assert.Throws<ImageDecodeException>(() => JpegCoefficientReader.Read(corrupt, "corrupt.jpg", route: route));
    }

    [Theory]
    [MemberData(nameof(Routes))]
    public void Other_formats_are_refused_by_name(JpegCoefficientRoute route)
    {
        byte[] png = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13];
        var e = Assert.Throws<ImageDecodeException>(() => JpegCoefficientReader.Read(png, "a.png", route: route));
        Assert.Equal("a.png: a PNG image, not a JPEG; the JPEG-domain pipeline reads coefficients from JPEG files only", e.Message);
        Assert.Throws<ImageDecodeException>(() => JpegCoefficientReader.Read("hello"u8, "text.jpg", route: route));
    }

    [Theory]
    [MemberData(nameof(Routes))]
    public void Images_over_the_pixel_limit_are_refused_before_reading(JpegCoefficientRoute route)
    {
        var e = Assert.Throws<ImageDecodeException>(() => JpegCoefficientReader.ReadFile(JpegDomainFixtures.Jpeg("baseline_420_q75"), maxPixels: 100, route: route));
        Assert.Contains("exceeds the limit of 100 pixels", e.Message);
    }
}
