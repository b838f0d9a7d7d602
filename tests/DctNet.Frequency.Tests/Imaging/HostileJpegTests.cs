using DctNet.Frequency.Imaging;
using DctNet.Frequency.JpegDomain;
using DctNet.Frequency.Tests.JpegDomain;

namespace DctNet.Frequency.Tests.Imaging;

/// <summary>
/// Damage libjpeg only warns about, and files made to take long or much memory, under the two readers that work without
/// libturbojpeg: Skia's pixels (Skia ignores libjpeg's warnings, so a C# libjpeg judges each JPEG first) and the
/// coefficient reader's fallback. Each is refused in one line naming the file, with TurboJPEG's paths' reason.
/// </summary>
public class HostileJpegTests
{
    private static readonly ImageDecoder Skia = new(jpeg: JpegBackend.Skia);

    /// <summary>The files both refuse, by name, with the reason after "name.jpg: ".</summary>
    public static TheoryData<string, string> Refused => new()
    {
        { "corrupt", "corrupt or truncated JPEG (Corrupt JPEG data: premature end of data segment)" },
        { "cut", "corrupt or truncated JPEG (Premature end of JPEG file)" },
        { "header", "not a readable JPEG (Premature end of JPEG file)" },
        { "scans501", "corrupt or truncated JPEG (Progressive JPEG image has more than 500 scans)" },
        { "scans704", "corrupt or truncated JPEG (Progressive JPEG image has more than 500 scans)" },
        { "oversize", "image of 30000x30000 = 900,000,000 pixels exceeds the limit of 178,956,970 pixels (possible decompression bomb)" },
    };

    private static byte[] Make(string name) => name switch
    {
        "corrupt" => HostileJpegs.Corrupt(),
        "cut" => HostileJpegs.Truncated(),
        "header" => HostileJpegs.Good[..300],
        "scans501" => HostileJpegs.Progressive(501),
        "scans704" => HostileJpegs.Progressive(704),
        "oversize" => HostileJpegs.Oversize(),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public void Skia_decodes_none_of_them(string name, string reason)
        => Assert.Equal($"{name}.jpg: {reason}", Assert.Throws<ImageDecodeException>(() => Skia.Decode(Make(name), name + ".jpg")).Message);

    [Theory]
    [MemberData(nameof(Refused))]
    public void The_coefficient_fallback_reads_none_of_them(string name, string reason)
        => Assert.Equal($"{name}.jpg: {reason}",
            Assert.Throws<ImageDecodeException>(() => JpegCoefficientReader.Read(Make(name), name + ".jpg", route: JpegCoefficientRoute.LibJpegNet)).Message);

    /// <summary>TurboJPEG's own reasons are its library's messages; what matters is that it refuses the same files, in one line.</summary>
    [TurboJpegTheory]
    [MemberData(nameof(Refused))]
    public void TurboJpegs_coefficient_route_reads_none_of_them(string name, string reason)
    {
        var e = Assert.Throws<ImageDecodeException>(() => JpegCoefficientReader.Read(Make(name), name + ".jpg", route: JpegCoefficientRoute.TurboJpeg));
        Assert.StartsWith($"{name}.jpg: {reason[..reason.IndexOf(' ')]}", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void An_oversize_header_is_refused_before_allocating()
    {
        var jpeg = HostileJpegs.Oversize();
        long before = GC.GetAllocatedBytesForCurrentThread();
        Assert.Throws<ImageDecodeException>(() => Skia.Decode(jpeg, "oversize.jpg"));
        Assert.Throws<ImageDecodeException>(() => JpegCoefficientReader.Read(jpeg, "oversize.jpg", route: JpegCoefficientRoute.LibJpegNet));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 16 << 20, "a reader allocated for the declared size");
    }

    [Fact]
    public void Files_that_are_no_jpeg_are_refused_by_name()
    {
        Assert.Equal("empty.jpg: the file is empty", Assert.Throws<ImageDecodeException>(() => Skia.Decode([], "empty.jpg")).Message);
        Assert.Equal("text.jpg: unrecognised image format (supported: JPEG, PNG, BMP, WebP)",
            Assert.Throws<ImageDecodeException>(() => Skia.Decode("not an image at all"u8, "text.jpg")).Message);
        foreach (var (name, data) in new[] { ("empty.jpg", Array.Empty<byte>()), ("text.jpg", "not an image at all"u8.ToArray()) })
        {
            Assert.Equal($"{name}: not a JPEG file; the JPEG-domain pipeline reads coefficients from JPEG files only",
                Assert.Throws<ImageDecodeException>(() => JpegCoefficientReader.Read(data, name, route: JpegCoefficientRoute.LibJpegNet)).Message);
        }
    }

    /// <summary>libjpeg warns of stray bytes between the scan and the end marker, but no data is lost: both read the file whole.</summary>
    [Fact]
    public void Stray_bytes_after_the_scan_change_nothing()
    {
        Assert.Equal(Skia.Decode(HostileJpegs.Good, "good.jpg").Pixels, Skia.Decode(HostileJpegs.Stray(), "stray.jpg").Pixels);
        Assert.Equal(JpegDomainFixtures.ToJcof(JpegCoefficientReader.Read(HostileJpegs.Good, "good.jpg", route: JpegCoefficientRoute.LibJpegNet)),
            JpegDomainFixtures.ToJcof(JpegCoefficientReader.Read(HostileJpegs.Stray(), "stray.jpg", route: JpegCoefficientRoute.LibJpegNet)));
    }

    /// <summary>What the C# libjpeg cannot judge, Skia does not decode unjudged: the reason names the fix, as for CMYK.</summary>
    [Fact]
    public void Skia_refuses_the_files_its_judge_cannot_read_and_names_the_fix()
    {
        foreach (string name in JpegDomainFixtures.UnreadableWithoutTurboJpeg)
        {
            string path = JpegDomainFixtures.Jpeg(name);
            var e = Assert.Throws<ImageDecodeException>(() => Skia.DecodeFile(path));
            Assert.EndsWith(", which BitMiracle.LibJpeg.NET (the reader where libturbojpeg is missing) "
                + $"{(name.StartsWith("arithmetic", StringComparison.Ordinal) ? "cannot read" : "misreads")}: install libturbojpeg (apt-get install libturbojpeg0)", e.Message);
        }
    }

    /// <summary>The scan limit is TurboJPEG's: 500 scans are read (and their every coefficient is zero), 501 are not (above).</summary>
    [Theory]
    [MemberData(nameof(JpegCoefficientReaderTests.Routes), MemberType = typeof(JpegCoefficientReaderTests))]
    public void Five_hundred_scans_are_read(JpegCoefficientRoute route)
    {
        var coefficients = JpegCoefficientReader.Read(HostileJpegs.Progressive(500), "scans500.jpg", route: route);
        Assert.All(coefficients.Luma.Blocks.ToArray(), c => Assert.Equal(0, c));
    }
}
