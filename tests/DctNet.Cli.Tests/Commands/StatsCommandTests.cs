using System.Text.Json;
using Xunit.Abstractions;

namespace DctNet.Cli.Tests.Commands;

public sealed class StatsCommandTests(ITestOutputHelper output)
{
    /// <summary>The images of the golden file fixtures8.r64c48.json (tools/golden/reference_stats.py at resize 64, crop 48).</summary>
    private static readonly string[] GoldenImages =
        ["bmp_rgb24.bmp", "jpeg_420.jpg", "jpeg_444.jpg", "jpeg_cmyk.jpg", "jpeg_exif_orient6.jpg", "jpeg_progressive.jpg", "png_rgb.png", "webp_lossy.webp"];

    private static string GoldenStats(string name) => Path.Combine(CliHarness.Golden, "stats", name);

    /// <summary>The golden images in two subfolders, as a dataset would have them.</summary>
    private static string MakeFolder(CliHarness harness)
    {
        for (int i = 0; i < GoldenImages.Length; i++)
            harness.CopyImage(GoldenImages[i], Path.Combine("data", i % 2 == 0 ? "a" : "b", GoldenImages[i]));
        return harness.PathIn("data");
    }

    private static double[] Read(JsonElement root, string key) => [.. root.GetProperty(key).EnumerateArray().Select(v => v.GetDouble())];

    /// <summary>The largest mean difference in units of the reference std, and the largest relative std difference.</summary>
    private static (double Mean, double Std) Disagreement(string written, string golden)
    {
        using var ours = JsonDocument.Parse(File.ReadAllText(written));
        using var reference = JsonDocument.Parse(File.ReadAllText(golden));
        double[] mean = Read(ours.RootElement, "mean"), std = Read(ours.RootElement, "std");
        double[] expectedMean = Read(reference.RootElement, "mean"), expectedStd = Read(reference.RootElement, "std");
        Assert.Equal(192, mean.Length);
        Assert.Equal(192, std.Length);
        Assert.Equal(reference.RootElement.GetProperty("count").GetInt32(), ours.RootElement.GetProperty("count").GetInt32());
        Assert.Equal(reference.RootElement.GetProperty("values_per_channel").GetInt64(), ours.RootElement.GetProperty("values_per_channel").GetInt64());
        return (Enumerable.Range(0, 192).Max(c => Math.Abs(mean[c] - expectedMean[c]) / expectedStd[c]),
            Enumerable.Range(0, 192).Max(c => Math.Abs(std[c] - expectedStd[c]) / expectedStd[c]));
    }

    [TurboJpegFact]
    public void Jpeg_pipeline_statistics_are_those_of_its_windows_and_other_files_fail_by_name()
    {
        using var harness = new CliHarness();
        string data = MakeFolder(harness);
        string stats = harness.PathIn("jpeg_stats.json");

        var result = CliHarness.Run("stats", "--data", data, "--pipeline", "jpeg", "--crop", "32", "--out", stats);

        // BMP, PNG, WebP and the CMYK JPEG are not read by this pipeline; each is named once, the other four are measured.
        Assert.Equal(1, result.ExitCode);
        Assert.StartsWith("statistics of 4 of 8 images", result.Out);
        Assert.Contains("pipeline jpeg, 4x4-block window", result.Out);
        foreach (string refused in new[] { "bmp_rgb24.bmp", "jpeg_cmyk.jpg", "png_rgb.png", "webp_lossy.webp" })
            Assert.Single(result.Error.Split('\n'), line => line.StartsWith("error: ", StringComparison.Ordinal) && line.Contains(refused, StringComparison.Ordinal));
        var expected = new Frequency.Channels.ChannelStatisticsAccumulator();
        var transform = new Frequency.JpegDomain.JpegDomainTransform(4, Frequency.Channels.ChannelSubset.All, statistics: null);
        foreach (string name in GoldenImages.Where(n => n.EndsWith(".jpg", StringComparison.Ordinal) && n != "jpeg_cmyk.jpg").Order(StringComparer.Ordinal))
        {
            string path = Directory.GetFiles(data, name, SearchOption.AllDirectories).Single();
            expected.Add<float>(transform.CentredBlocks(Frequency.JpegDomain.JpegCoefficientReader.ReadFile(path)));
        }
        using var json = JsonDocument.Parse(File.ReadAllText(stats));
        Assert.Equal("jpeg", json.RootElement.GetProperty("pipeline").GetString());
        // Each image counts the blocks of its 4 x 4 window that lie on it, the padding left out (block counts as libjpeg's).
        long inWindow = GoldenImages.Where(n => n.EndsWith(".jpg", StringComparison.Ordinal) && n != "jpeg_cmyk.jpg")
            .Select(n => Frequency.JpegDomain.JpegDomainTransform.DisplayedBlocks(Frequency.JpegDomain.JpegCoefficientReader.ReadFile(Path.Combine(CliHarness.Images, n))))
            .Sum(blocks => (long)Math.Min(4, blocks.Width) * Math.Min(4, blocks.Height));
        Assert.Equal(inWindow, json.RootElement.GetProperty("values_per_channel").GetInt64());
        var mean = Read(json.RootElement, "mean");
        var reference = expected.Mean();
        for (int c = 0; c < 192; c++)
            Assert.True(Math.Abs(reference[c] - mean[c]) <= 1e-9 * Math.Max(1, Math.Abs(reference[c])), $"channel {c}: {mean[c]} against {reference[c]}");
    }

    [TurboJpegFact] // the golden set holds a CMYK JPEG
    public void Statistics_of_a_folder_equal_the_reference_and_load_with_transform_stats()
    {
        using var harness = new CliHarness();
        string data = MakeFolder(harness);
        string stats = harness.PathIn("out", "stats.json");

        var result = CliHarness.Run("stats", "--data", data, "--resize", "64", "--crop", "48", "--threads", "3", "--out", stats);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("", result.Error);
        Assert.StartsWith("statistics of 8 of 8 images (288 values per channel, resize 64, crop 48)", result.Out);
        var (mean, std) = Disagreement(stats, GoldenStats("fixtures8.r64c48.json"));
        output.WriteLine($"largest differences: mean {mean:e2} std, std {std:e2} relative");
        Assert.True(mean < 1e-12 && std < 1e-12, $"mean {mean}, std {std}");
        using (var json = JsonDocument.Parse(File.ReadAllText(stats)))
        {
            var root = json.RootElement;
            Assert.Equal(data, root.GetProperty("source").GetString());
            Assert.Equal("192", root.GetProperty("channels").GetString());
            Assert.Equal(0, root.GetProperty("failures").GetInt32());
            Assert.Equal(0, root.GetProperty("zero_variance_channels").GetArrayLength());
        }
        Assert.Equal(["stats.json"], CliHarness.FilesBelow(harness.PathIn("out")));

        var transform = CliHarness.Run("transform", Path.Combine(data, "a", "bmp_rgb24.bmp"), "--out", harness.PathIn("x.npy"),
            "--resize", "64", "--crop", "48", "--stats", stats);
        Assert.True(transform.ExitCode == 0, transform.ToString());
    }

    [TurboJpegFact] // the golden set holds a CMYK JPEG
    public void The_file_is_the_same_bit_for_bit_whatever_the_thread_count()
    {
        using var harness = new CliHarness();
        string data = MakeFolder(harness);
        foreach (string threads in new[] { "1", "3", "8" })
        {
            var result = CliHarness.Run("stats", "--data", data, "--resize", "64", "--crop", "48", "--threads", threads, "--out", harness.PathIn($"{threads}.json"));
            Assert.True(result.ExitCode == 0, result.ToString());
        }

        Assert.Equal(File.ReadAllBytes(harness.PathIn("1.json")), File.ReadAllBytes(harness.PathIn("3.json")));
        Assert.Equal(File.ReadAllBytes(harness.PathIn("1.json")), File.ReadAllBytes(harness.PathIn("8.json")));
    }

    [TurboJpegFact] // the golden set holds a CMYK JPEG
    public void Unreadable_files_are_reported_skipped_and_counted_the_statistics_still_written_and_the_exit_code_is_1()
    {
        using var harness = new CliHarness();
        string data = MakeFolder(harness);
        string broken = harness.Write(Path.Combine("data", "b", "broken.jpg"), "not an image"u8.ToArray());
        string stats = harness.PathIn("stats.json");

        var result = CliHarness.Run("stats", "--data", data, "--resize", "64", "--crop", "48", "--out", stats, "--channels", "24");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal([$"error: {broken}: unrecognised image format (supported: JPEG, PNG, BMP, WebP)",
            "error: 1 of 9 images could not be read; the statistics cover the other 8:", broken], result.ErrorLines);
        var (mean, std) = Disagreement(stats, GoldenStats("fixtures8.r64c48.json"));
        Assert.True(mean < 1e-12 && std < 1e-12, $"mean {mean}, std {std}");
        using var json = JsonDocument.Parse(File.ReadAllText(stats));
        Assert.Equal(1, json.RootElement.GetProperty("failures").GetInt32());
        Assert.Equal(broken, json.RootElement.GetProperty("failed_files")[0].GetString());
        Assert.Equal("24", json.RootElement.GetProperty("channels").GetString());
    }

    [Fact]
    public void Channels_that_never_vary_are_written_with_std_1_listed_and_the_file_still_loads()
    {
        // One flat image (a single pixel scaled up): every block is the same, so no channel varies at all.
        using var harness = new CliHarness();
        harness.CopyImage("png_1x1.png", Path.Combine("data", "dot.png"));
        string stats = harness.PathIn("stats.json");

        var result = CliHarness.Run("stats", "--data", harness.PathIn("data"), "--resize", "64", "--crop", "48", "--out", stats);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.StartsWith("warning: 192 channels never varied over these images (std 0), written with std 1: 0 1 2 ", result.Error);
        using (var json = JsonDocument.Parse(File.ReadAllText(stats)))
        {
            Assert.All(Read(json.RootElement, "std"), s => Assert.Equal(1.0, s));
            Assert.Equal(Enumerable.Range(0, 192), json.RootElement.GetProperty("zero_variance_channels").EnumerateArray().Select(c => c.GetInt32()));
        }
        var transform = CliHarness.Run("transform", harness.PathIn("data", "dot.png"), "--out", harness.PathIn("dot.npy"),
            "--resize", "64", "--crop", "48", "--channels", "192", "--stats", stats);
        Assert.True(transform.ExitCode == 0, transform.ToString());
    }

    [Fact]
    public void No_readable_image_writes_nothing_and_a_missing_folder_is_a_usage_error()
    {
        using var harness = new CliHarness();
        harness.Write(Path.Combine("data", "broken.png"), [1, 2, 3]);
        var unreadable = CliHarness.Run("stats", "--data", harness.PathIn("data"), "--out", harness.PathIn("stats.json"));
        Assert.Equal(1, unreadable.ExitCode);
        Assert.Contains($"error: none of the 1 images could be read; {harness.PathIn("stats.json")} was not written.", unreadable.ErrorLines);
        Assert.False(File.Exists(harness.PathIn("stats.json")));

        var missing = CliHarness.Run("stats", "--data", harness.PathIn("nowhere"), "--out", harness.PathIn("stats.json"));
        Assert.Equal(2, missing.ExitCode);
        Assert.Equal([$"error: --data '{harness.PathIn("nowhere")}': does not exist. (see 'dctnet stats --help')"], missing.ErrorLines);
    }

    [HymenopteraFact]
    public void Hymenoptera_val_at_resnet_geometry_equals_the_reference_pipelines_float64_statistics()
    {
        using var harness = new CliHarness();
        string stats = harness.PathIn("stats.json");

        var result = CliHarness.Run("stats", "--data", HymenopteraFactAttribute.Val, "--out", stats);

        Assert.True(result.ExitCode == 0, result.ToString());
        var (mean, std) = Disagreement(stats, GoldenStats("hymenoptera_val.resnet.json"));
        output.WriteLine($"largest differences over 153 images: mean {mean:e2} std, std {std:e2} relative");
        // Acceptance is 1e-3; the coefficients equal the reference's, so only float64 rounding remains.
        Assert.True(mean < 1e-12 && std < 1e-12, $"mean {mean}, std {std}");
    }
}
