using DctNet.Frequency.Channels;
using DctNet.Frequency.Geometry;
using DctNet.Frequency.Imaging;
using DctNet.Frequency.Jpeg;

namespace DctNet.Frequency.Tests;

/// <summary>Every stage against the reference's own output (OpenCV + libjpeg-turbo), golden files in tests/fixtures.</summary>
public class GoldenPipelineTests
{
    private static readonly ImageDecoder Decoder = new();

    public static TheoryData<string> DecodeCases => Fixtures.DecodableIds("decode");
    public static TheoryData<string> ResizeCases => Fixtures.Ids("resize");
    public static TheoryData<string> DctCases => Fixtures.Ids("dct");
    public static TheoryData<string> PipelineCases => Fixtures.DecodableIds("pipeline");
    public static TheoryData<string> JpegDecodeCases => Fixtures.Ids("decode", TurboJpegFixtures.IsJpeg);
    public static TheoryData<string> SkiaJpegDecodeCases => Fixtures.Ids("decode", c => TurboJpegFixtures.IsJpeg(c) && !TurboJpegFixtures.IsCmykJpeg(c));

    [Theory]
    [MemberData(nameof(DecodeCases))]
    public void Decoding_gives_opencv_imread_pixels(string id) => AssertDecodes(Decoder, id);

    [TurboJpegTheory]
    [MemberData(nameof(JpegDecodeCases))]
    public void TurboJpeg_decodes_jpeg_as_opencv_imread(string id) => AssertDecodes(new ImageDecoder(jpeg: JpegBackend.TurboJpeg), id);

    [Theory]
    [MemberData(nameof(SkiaJpegDecodeCases))]
    public void Skia_decodes_gray_and_ycbcr_jpeg_as_opencv_imread(string id) => AssertDecodes(new ImageDecoder(jpeg: JpegBackend.Skia), id);

    [Fact]
    public void Skia_refuses_a_cmyk_jpeg_and_names_the_fix()
    {
        var cmyk = Assert.Single(Fixtures.Cases("decode"), TurboJpegFixtures.IsCmykJpeg);
        string path = Fixtures.PathOf(cmyk.GetProperty("input").GetString()!);
        var error = Assert.Throws<ImageDecodeException>(() => new ImageDecoder(jpeg: JpegBackend.Skia).DecodeFile(path));
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains("CMYK", error.Message, StringComparison.Ordinal);
        Assert.Contains("libturbojpeg0", error.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// Skia's libjpeg-turbo against TurboJPEG (OpenCV's decoder, which the golden files pin) on every real ImageNet
    /// sample: the fallback is claimed to give the same pixels, so it is checked on all of them.
    /// </summary>
    [TurboJpegFact(NeedsSharedData = true)]
    public void Skia_decodes_every_imagenet_sample_as_turbojpeg()
    {
        var turbo = new ImageDecoder(jpeg: JpegBackend.TurboJpeg);
        var skia = new ImageDecoder(jpeg: JpegBackend.Skia);
        var files = ImageFiles.Find(Fixtures.ImageNetSamples).Relative.Select(f => Path.Combine(Fixtures.ImageNetSamples, f)).ToList();
        Assert.True(files.Count >= 1000, $"{files.Count} samples");
        var differing = new System.Collections.Concurrent.ConcurrentBag<string>();
        Parallel.ForEach(files, path =>
        {
            var expected = turbo.DecodeFile(path);
            var actual = skia.DecodeFile(path);
            if (expected.Width != actual.Width || expected.Height != actual.Height || !expected.Pixels.AsSpan().SequenceEqual(actual.Pixels))
                differing.Add(path);
        });
        Assert.True(differing.IsEmpty, $"{differing.Count} of {files.Count} differ, e.g. {differing.FirstOrDefault()}");
    }

    private static void AssertDecodes(ImageDecoder decoder, string id)
    {
        var c = Fixtures.Case(id);
        var expected = Fixtures.Load(c.GetProperty("outputs").GetProperty("pixels").GetString()!);
        var image = decoder.DecodeFile(Fixtures.PathOf(c.GetProperty("input").GetString()!));
        Assert.Equal([image.Height, image.Width, 3], expected.Shape);
        AssertBytesEqual(expected.AsUInt8(), image.Pixels, id);
    }

    [Theory]
    [MemberData(nameof(ResizeCases))]
    public void Resize_equals_opencv_inter_linear(string id)
    {
        var c = Fixtures.Case(id);
        var input = Fixtures.Load(c.GetProperty("input").GetString()!);
        var expected = Fixtures.Load(c.GetProperty("outputs").GetProperty("output").GetString()!);
        int width = c.GetProperty("width").GetInt32(), height = c.GetProperty("height").GetInt32();
        var actual = LinearResize.Resize(input.AsUInt8(), input.Shape[1], input.Shape[0], 3, width, height);
        AssertBytesEqual(expected.AsUInt8(), actual, id);
    }

    [Theory]
    [MemberData(nameof(DctCases))]
    public void Dct_stage_equals_libjpeg_turbo_exactly(string id)
    {
        var c = Fixtures.Case(id);
        var outputs = c.GetProperty("outputs");
        var pixels = Fixtures.Load(c.GetProperty("input").GetString()!);
        int height = pixels.Shape[0], width = pixels.Shape[1];
        var rgb = pixels.AsUInt8();

        var luma = new byte[width * height];
        JpegColor.ToLuma(rgb, luma);
        AssertBlocksEqual(Fixtures.Load(outputs.GetProperty("y").GetString()!).AsInt16(), Dct(luma, width, height), id + " Y");
        // Chroma of sizes that are not whole 16x16 MCUs involves libjpeg's edge replication, which the pipeline
        // never needs (its chroma image is twice the crop, a multiple of 16).
        if (!c.GetProperty("multiple_of_16").GetBoolean())
            return;

        var cb = new byte[width * height];
        var cr = new byte[width * height];
        JpegColor.ToChroma(rgb, cb, cr);
        var cbHalf = new byte[width * height / 4];
        var crHalf = new byte[width * height / 4];
        ChromaDownsampling.H2V2(cb, width, height, cbHalf);
        ChromaDownsampling.H2V2(cr, width, height, crHalf);
        AssertBlocksEqual(Fixtures.Load(outputs.GetProperty("cb").GetString()!).AsInt16(), Dct(cbHalf, width / 2, height / 2), id + " Cb");
        AssertBlocksEqual(Fixtures.Load(outputs.GetProperty("cr").GetString()!).AsInt16(), Dct(crHalf, width / 2, height / 2), id + " Cr");
    }

    [Theory]
    [MemberData(nameof(PipelineCases))]
    public void Pipeline_crop_equals_reference_crop(string id)
    {
        var c = Fixtures.Case(id);
        var (_, geometry) = DecodeWithGeometry(c);
        var image = Decoder.DecodeFile(Fixtures.PathOf(c.GetProperty("input").GetString()!));
        var (width, height) = geometry.ResizedSize(image.Width, image.Height);
        var window = geometry.CenterCrop(width, height);
        var crop = new byte[geometry.Crop * geometry.Crop * 3];
        LinearResize.ResizeWindow(image.Pixels, image.Width, image.Height, 3, width, height, window, crop);
        AssertBytesEqual(Fixtures.Load(c.GetProperty("outputs").GetProperty("crop_pixels").GetString()!).AsUInt8(), crop, id);
    }

    [Theory]
    [MemberData(nameof(PipelineCases))]
    public void Pipeline_coefficients_equal_reference(string id)
    {
        var c = Fixtures.Case(id);
        var (image, geometry) = DecodeWithGeometry(c);
        var expected = Fixtures.Load(c.GetProperty("outputs").GetProperty("coefficients").GetString()!);
        var actual = new DctTransform(geometry, ChannelSubset.All, statistics: null).RawCoefficients(image);
        Assert.Equal(expected.AsInt16(), actual);
    }

    private static (RgbImage Image, CropGeometry Geometry) DecodeWithGeometry(System.Text.Json.JsonElement c)
    {
        var image = Decoder.DecodeFile(Fixtures.PathOf(c.GetProperty("input").GetString()!));
        var resize = c.GetProperty("resize");
        int resizeValue = resize.ValueKind == System.Text.Json.JsonValueKind.Null ? 0 : resize.GetInt32();
        return (image, new CropGeometry(resizeValue, c.GetProperty("crop").GetInt32()));
    }

    private static short[] Dct(byte[] plane, int width, int height)
    {
        var coefficients = new short[width * height];
        ForwardDct.TransformPlane(plane, width, height, coefficients);
        return coefficients;
    }

    /// <summary>Golden (rows, columns, 64) and ours (block-major, 64 per block) share one memory order.</summary>
    private static void AssertBlocksEqual(short[] expected, short[] actual, string what)
    {
        Assert.True(expected.Length == actual.Length, $"{what}: {expected.Length} coefficients expected, {actual.Length} computed");
        int mismatches = expected.Where((value, i) => value != actual[i]).Count();
        Assert.True(mismatches == 0, $"{what}: {mismatches} of {expected.Length} coefficients differ");
    }

    private static void AssertBytesEqual(byte[] expected, byte[] actual, string what)
    {
        Assert.True(expected.Length == actual.Length, $"{what}: {expected.Length} bytes expected, {actual.Length} produced");
        int mismatches = 0, maxDiff = 0, first = -1;
        for (int i = 0; i < expected.Length; i++)
        {
            int diff = Math.Abs(expected[i] - actual[i]);
            if (diff == 0)
                continue;
            mismatches++;
            maxDiff = Math.Max(maxDiff, diff);
            if (first < 0)
                first = i;
        }
        Assert.True(mismatches == 0, $"{what}: {mismatches} of {expected.Length} values differ (max {maxDiff}, first at element {first})");
    }
}
