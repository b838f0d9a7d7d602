using System.Security.Cryptography;
using System.Text.Json;
using DctNet.Frequency.Channels;
using DctNet.Frequency.Detection;
using DctNet.Frequency.Imaging;

namespace DctNet.Frequency.Tests.Detection;

/// <summary>
/// The detection DCT input against tests/fixtures/detection/dct_input.json, which tools/detection/make_dct_input_goldens.py
/// computes with the reference's libraries (OpenCV's resize, TurboJPEG q100 4:2:0, jpeg_read_coefficients): the
/// rescaled sizes, the padded pixels and all 192 coefficient planes must be identical.
/// </summary>
public sealed class DetectionDctTransformTests
{
    private static readonly JsonElement[] Cases = LoadCases();

    public static TheoryData<int> CaseIndices()
    {
        var data = new TheoryData<int>();
        for (int i = 0; i < Cases.Length; i++)
            data.Add(i);
        return data;
    }

    [Theory]
    [MemberData(nameof(CaseIndices))]
    public void Sizes_pixels_and_coefficients_equal_the_reference(int index)
    {
        var golden = Cases[index];
        var scale = golden.GetProperty("scale");
        var transform = new DetectionDctTransform(ChannelSubset.All, statistics: null, scale[0].GetInt32(), scale[1].GetInt32());
        var image = new ImageDecoder().DecodeFile(Fixtures.PathOf(Path.Combine("images", golden.GetProperty("image").GetString()!)));
        bool flip = golden.GetProperty("flip").GetBoolean();

        var (padded, resized, _) = transform.PadResized(image, flip);
        short[] coefficients = transform.RawCoefficients(image, flip);

        Assert.Equal(Ints(golden.GetProperty("resized")), new[] { resized.Width, resized.Height });
        Assert.Equal(Ints(golden.GetProperty("padded")), new[] { padded.Width, padded.Height });
        Assert.Equal(golden.GetProperty("padded_rgb_sha256").GetString(), Sha256(padded.Pixels));
        int[] shape = Ints(golden.GetProperty("shape"));
        Assert.Equal(shape.Aggregate(1, (a, b) => a * b), coefficients.Length);
        Assert.Equal(new[] { 192, padded.Height / 4, padded.Width / 4 }, shape);
        int planeLength = shape[1] * shape[2];
        long[] sums = [.. Enumerable.Range(0, 192).Select(c => coefficients.AsSpan(c * planeLength, planeLength).ToArray().Sum(v => (long)v))];
        Assert.Equal(golden.GetProperty("channel_sums").EnumerateArray().Select(s => s.GetInt64()), sums);
        byte[] bytes = new byte[coefficients.Length * sizeof(short)];
        Buffer.BlockCopy(coefficients, 0, bytes, 0, bytes.Length);
        Assert.True(BitConverter.IsLittleEndian);
        Assert.Equal(golden.GetProperty("sha256").GetString(), Sha256(bytes));
    }

    [Fact]
    public void Subset_and_normalization_apply_to_the_raw_coefficients_as_in_classification()
    {
        var image = new ImageDecoder().DecodeFile(Fixtures.PathOf(Path.Combine("images", "png_rgb.png")));
        var subset = ChannelSubset.BuiltIn(24);
        var statistics = ChannelStatistics.ImageNet;
        short[] raw = new DetectionDctTransform(ChannelSubset.All, null, 200, 120).RawCoefficients(image, flip: true);

        var input = new DetectionDctTransform(subset, statistics, 200, 120).Transform(image, flip: true);

        Assert.Equal((24, 32, 48, 179, 120, 192, 128), (input.Channels, input.BlockRows, input.BlockColumns, input.ResizedWidth, input.ResizedHeight, input.PaddedWidth, input.PaddedHeight));
        Assert.Equal(120.0 / 65, input.Scale, 12);
        int blocks = input.BlockRows * input.BlockColumns;
        for (int i = 0; i < subset.Count; i++)
        {
            int channel = subset.Channels[i];
            float mean = (float)statistics.Mean[channel], std = (float)statistics.Std[channel];
            for (int b = 0; b < blocks; b++)
                Assert.Equal((raw[channel * blocks + b] - mean) / std, input.Values[i * blocks + b]);
        }
    }

    [Theory]
    [InlineData(640, 480, 1067, 800)]     // a COCO landscape photo grows until its short side is 800
    [InlineData(480, 640, 800, 1067)]
    [InlineData(2000, 500, 1333, 333)]    // a panorama stops at the long bound
    [InlineData(1333, 800, 1333, 800)]
    public void Rescaled_sizes_follow_mmcv_imrescale(int width, int height, int expectedWidth, int expectedHeight)
    {
        var (w, h, _) = new DetectionDctTransform(ChannelSubset.All, null).RescaledSize(width, height);
        Assert.Equal((expectedWidth, expectedHeight), (w, h));
        var (paddedWidth, paddedHeight) = DetectionDctTransform.PaddedSize(w, h);
        Assert.Equal((0, 0), (paddedWidth % 32, paddedHeight % 32));
        Assert.InRange(paddedWidth - w, 0, 31);
        Assert.InRange(paddedHeight - h, 0, 31);
    }

    private static JsonElement[] LoadCases()
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Fixtures.PathOf(Path.Combine("detection", "dct_input.json"))));
        return [.. document.RootElement.GetProperty("cases").EnumerateArray().Select(c => c.Clone())];
    }

    private static int[] Ints(JsonElement array) => [.. array.EnumerateArray().Select(v => v.GetInt32())];

    private static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));
}
