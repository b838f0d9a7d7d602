using DctNet.Frequency;
using DctNet.Frequency.Channels;
using DctNet.Frequency.Geometry;
using DctNet.Frequency.Imaging;
using DctNet.Frequency.IO;
using DctNet.Frequency.JpegDomain;

namespace DctNet.Cli.Tests.Commands;

public sealed class TransformTests : IDisposable
{
    private readonly CliHarness _harness = new();

    public void Dispose() => _harness.Dispose();

    /// <summary>The channels of {"y": [0, 9], "cr": [1]}: Y 0, Y 9, Cr 1 = 128 + 1.</summary>
    private static readonly int[] SubsetChannels = [0, 9, 129];

    private static string Fixture(string name) => Path.Combine(CliHarness.Images, name);

    private static float[] Library(string image, CropGeometry geometry, ChannelSubset channels, ChannelStatistics? statistics)
        => new DctTransform(geometry, channels, statistics).Transform(new ImageDecoder().DecodeFile(image));

    [Fact]
    public void One_image_gives_24x56x56_equal_to_the_library()
    {
        string output = _harness.PathIn("jpeg_420.npy");

        var result = CliHarness.Run("transform", Fixture("jpeg_420.jpg"), "--out", output);

        Assert.True(result.ExitCode == 0, result.ToString());
        var array = Npy.ReadFile(output);
        Assert.Equal([24, 56, 56], array.Shape);
        Assert.Equal(Library(Fixture("jpeg_420.jpg"), CropGeometry.ResNet, ChannelSubset.BuiltIn(24), ChannelStatistics.ImageNet), array.AsFloat32());
        Assert.Equal(["jpeg_420.npy"], CliHarness.FilesBelow(_harness.Temp));
    }

    [Fact]
    public void The_jpeg_pipeline_writes_the_files_own_coefficients()
    {
        string output = _harness.PathIn("jpeg.npy");

        var result = CliHarness.Run("transform", Fixture("jpeg_420.jpg"), "--out", output, "--pipeline", "jpeg", "--crop", "64", "--channels", "192", "--raw");

        Assert.True(result.ExitCode == 0, result.ToString());
        var expected = new float[192 * 8 * 8];
        new JpegDomainTransform(8, ChannelSubset.All, statistics: null).Transform(JpegCoefficientReader.ReadFile(Fixture("jpeg_420.jpg")), expected);
        Assert.Equal(expected, Npy.ReadFile(output).AsFloat32());
        Assert.Contains("pipeline jpeg, 8x8-block window", result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public void The_jpeg_pipeline_refuses_other_formats_with_one_line_and_writes_nothing()
    {
        string output = _harness.PathIn("png.npy");

        var result = CliHarness.Run("transform", Fixture("png_rgb.png"), "--out", output, "--pipeline", "jpeg");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal($"error: {Fixture("png_rgb.png")}: a PNG image, not a JPEG; the JPEG-domain pipeline reads coefficients from JPEG files only", result.Error.Trim());
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void Raw_coefficients_equal_the_golden_int16_ones()
    {
        string output = _harness.PathIn("raw.npy");

        var result = CliHarness.Run("transform", Fixture("jpeg_420.jpg"), "--out", output, "--resize", "64", "--crop", "48", "--channels", "192", "--raw");

        Assert.True(result.ExitCode == 0, result.ToString());
        var golden = Npy.ReadFile(Path.Combine(CliHarness.Golden, "jpeg_420.r64c48.npy"));
        var array = Npy.ReadFile(output);
        Assert.Equal([192, 6, 6], golden.Shape);
        Assert.Equal(golden.Shape, array.Shape);
        Assert.Equal(golden.AsInt16().Select(v => (float)v).ToArray(), array.AsFloat32());
    }

    [Fact]
    public void A_stats_file_replaces_the_imagenet_normalization()
    {
        string stats = _harness.Write("stats.json", System.Text.Encoding.UTF8.GetBytes(
            $$"""{"mean": [{{string.Join(", ", Enumerable.Repeat("1", 192))}}], "std": [{{string.Join(", ", Enumerable.Repeat("2", 192))}}]}"""));
        string output = _harness.PathIn("normalized.npy");

        var result = CliHarness.Run("transform", Fixture("jpeg_420.jpg"), "--out", output, "--resize", "64", "--crop", "48", "--channels", "192", "--stats", stats);

        Assert.True(result.ExitCode == 0, result.ToString());
        var golden = Npy.ReadFile(Path.Combine(CliHarness.Golden, "jpeg_420.r64c48.npy")).AsInt16();
        Assert.Equal(golden.Select(v => (v - 1f) / 2f).ToArray(), Npy.ReadFile(output).AsFloat32());
    }

    [Fact]
    public void Geometry_mobilenetv2_and_a_channel_count_set_the_shape()
    {
        string output = _harness.PathIn("mobilenet.npy");

        var result = CliHarness.Run("transform", Fixture("png_rgb.png"), "--out", output, "--geometry", "mobilenetv2", "--channels", "48");

        Assert.True(result.ExitCode == 0, result.ToString());
        var array = Npy.ReadFile(output);
        Assert.Equal([48, 112, 112], array.Shape);
        Assert.Equal(Library(Fixture("png_rgb.png"), CropGeometry.MobileNetV2, ChannelSubset.BuiltIn(48), ChannelStatistics.ImageNet), array.AsFloat32());
    }

    [Fact]
    public void Explicit_resize_and_crop_override_the_geometry()
    {
        string output = _harness.PathIn("small.npy");

        var result = CliHarness.Run("transform", Fixture("jpeg_420.jpg"), "--out", output, "--geometry", "mobilenetv2", "--crop", "48", "--resize", "64");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal([24, 6, 6], Npy.ReadFile(output).Shape);
    }

    [Fact]
    public void A_subset_file_selects_its_channels_in_order()
    {
        string subset = _harness.Write("subset.json", """{"y": [0, 9], "cr": [1]}"""u8.ToArray());
        string output = _harness.PathIn("subset.npy");

        var result = CliHarness.Run("transform", Fixture("jpeg_420.jpg"), "--out", output, "--resize", "64", "--crop", "48", "--channels", subset, "--raw");

        Assert.True(result.ExitCode == 0, result.ToString());
        var golden = Npy.ReadFile(Path.Combine(CliHarness.Golden, "jpeg_420.r64c48.npy")).AsInt16();
        float[] expected = [.. SubsetChannels.SelectMany(c => golden.Skip(c * 36).Take(36).Select(v => (float)v))];
        var array = Npy.ReadFile(output);
        Assert.Equal([3, 6, 6], array.Shape);
        Assert.Equal(expected, array.AsFloat32());
    }

    [Fact]
    public void Out_may_be_an_existing_folder_for_one_image()
    {
        string folder = Directory.CreateDirectory(_harness.PathIn("features")).FullName;

        var result = CliHarness.Run("transform", Fixture("jpeg_420.jpg"), "--out", folder, "--resize", "64", "--crop", "48");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(["jpeg_420.npy"], CliHarness.FilesBelow(folder));
    }

    [Fact]
    public void An_undecodable_image_fails_with_one_line_exit_1_and_no_output()
    {
        string bad = _harness.Write("in/broken.jpg", [0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3]);
        string output = _harness.PathIn("out/broken.npy");

        var result = CliHarness.Run("transform", bad, "--out", output);

        Assert.True(result.ExitCode == ExitCodes.Failure, result.ToString());
        var line = Assert.Single(result.ErrorLines);
        Assert.StartsWith($"error: {bad}: ", line);
        Assert.Empty(CliHarness.FilesBelow(_harness.PathIn("out")));
    }
}
