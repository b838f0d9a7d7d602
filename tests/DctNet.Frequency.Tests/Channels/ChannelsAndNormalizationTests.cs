using DctNet.Frequency.Channels;
using DctNet.Frequency.Geometry;
using DctNet.Frequency.Imaging;
using DctNet.Frequency.IO;

namespace DctNet.Frequency.Tests.Channels;

public class ChannelsAndNormalizationTests
{
    [Fact]
    public void Dct24_is_top_left_4x4_of_y_and_2x2_of_cb_and_cr()
    {
        var subset = ChannelSubset.BuiltIn(24);
        int[] topLeft4 = [0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27];
        int[] topLeft2 = [0, 1, 8, 9];
        Assert.Equal([.. topLeft4, .. topLeft2.Select(k => 64 + k), .. topLeft2.Select(k => 128 + k)], subset.Channels);
    }

    /// <summary>
    /// The release's subsets, copied from ../shared/spec/channel_subsets.json (REFERENCE.md section 1, step 7): Y, Cb
    /// and Cr indices, k = 8v + u. 192 keeps every channel.
    /// </summary>
    public static TheoryData<int, int[], int[], int[]> ReleaseSubsets => new()
    {
        { 6, [0, 1, 8, 9], [0], [0] },
        { 24, [0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27], [0, 1, 8, 9], [0, 1, 8, 9] },
        {
            32,
            [0, 1, 2, 3, 4, 8, 9, 10, 11, 12, 16, 17, 18, 19, 20, 24, 25, 26, 27, 32, 33, 34],
            [0, 1, 2, 8, 9],
            [0, 1, 2, 8, 9]
        },
        {
            48,
            [0, 1, 2, 3, 4, 5, 8, 9, 10, 11, 12, 13, 16, 17, 18, 19, 20, 21, 24, 25, 26, 27, 28, 29, 32, 33, 34, 35, 40, 41, 42, 43],
            [0, 1, 2, 8, 9, 10, 16, 17],
            [0, 1, 2, 8, 9, 10, 16, 17]
        },
        {
            64,
            [0, 1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 13, 14, 16, 17, 18, 19, 20, 21, 24, 25, 26, 27, 28, 29, 32, 33, 34, 35, 36, 37, 40, 41, 42, 43, 44, 45, 48, 49, 50, 51, 52, 53],
            [0, 1, 2, 8, 9, 10, 16, 17, 24, 25],
            [0, 1, 2, 8, 9, 10, 16, 17, 24, 25]
        },
        { 192, [.. Enumerable.Range(0, 64)], [.. Enumerable.Range(0, 64)], [.. Enumerable.Range(0, 64)] },
    };

    [Theory]
    [MemberData(nameof(ReleaseSubsets))]
    public void Built_in_subsets_are_the_releases(int count, int[] y, int[] cb, int[] cr)
    {
        var subset = ChannelSubset.BuiltIn(count);

        Assert.Equal(y, subset.Y);
        Assert.Equal(cb, subset.Cb);
        Assert.Equal(cr, subset.Cr);
        // Y's listed channels, then Cb's, then Cr's, in list order, as indices into the 192.
        Assert.Equal([.. y, .. cb.Select(k => 64 + k), .. cr.Select(k => 128 + k)], subset.Channels);
        Assert.Equal(count, subset.Count);
    }

    [Fact]
    public void Every_built_in_count_is_one_of_the_releases()
        => Assert.Equal(ReleaseSubsets.Select(row => (int)row[0]), ChannelSubset.BuiltInCounts);

    [Fact]
    public void Unknown_count_names_the_choices()
    {
        var error = Assert.Throws<ArgumentException>(() => ChannelSubset.Parse("7"));
        Assert.Contains("6, 24, 32, 48, 64, 192", error.Message);
    }

    [Fact]
    public void Subset_files_in_both_forms_are_read()
    {
        string named = Path.GetTempFileName(), lists = Path.GetTempFileName();
        try
        {
            File.WriteAllText(named, """{"y": [0, 9], "cb": [0], "cr": []}""");
            File.WriteAllText(lists, "[[0, 9], [0], []]");
            Assert.Equal([0, 9, 64], ChannelSubset.Parse(named).Channels);
            Assert.Equal([0, 9, 64], ChannelSubset.Parse(lists).Channels);
            Assert.Equal([0, 9, 64], ChannelSubset.Parse(WriteAndReturn(named, ChannelSubset.Parse(lists).ToJson())).Channels);
        }
        finally
        {
            File.Delete(named);
            File.Delete(lists);
        }
    }

    [Theory]
    [InlineData("""{"y": [64]}""", "0..63")]
    [InlineData("""{"y": [1, 1]}""", "twice")]
    [InlineData("""{"y": []}""", "no channel")]
    [InlineData("""{"y": [1""", "not valid JSON")]
    [InlineData("""{"y": ["a"]}""", "arrays of integers")]
    [InlineData("""{"y": 3}""", "arrays of integers")]
    public void Bad_subset_files_are_explained(string json, string expected)
    {
        string path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, json);
            Assert.Contains(expected, Assert.Throws<ArgumentException>(() => ChannelSubset.Parse(path)).Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Normalized_output_is_raw_minus_mean_over_std_for_the_selected_channels()
    {
        var image = new ImageDecoder().DecodeFile(Fixtures.PathOf("images/jpeg_444.jpg"));
        var geometry = new CropGeometry(64, 48);
        var subset = ChannelSubset.BuiltIn(24);
        var raw = new DctTransform(geometry, ChannelSubset.All, statistics: null).RawCoefficients(image);
        var normalized = new DctTransform(geometry, subset, ChannelStatistics.ImageNet).Transform(image);
        var stats = ChannelStatistics.ImageNet;

        Assert.Equal(24 * 36, normalized.Length);
        for (int i = 0; i < subset.Count; i++)
        {
            int channel = subset.Channels[i];
            for (int b = 0; b < 36; b++)
            {
                float expected = (raw[channel * 36 + b] - (float)stats.Mean[channel]) / (float)stats.Std[channel];
                Assert.Equal(expected, normalized[i * 36 + b]);
            }
        }
    }

    [Fact]
    public void Imagenet_statistics_start_with_the_release_values()
    {
        Assert.Equal(-88.397, ChannelStatistics.ImageNet.Mean[0], 6);
        Assert.Equal(192, ChannelStatistics.ImageNet.Std.Count);
    }

    [Fact]
    public void Statistics_file_must_have_192_positive_stds()
    {
        string path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, """{"mean": [0], "std": [1]}""");
            Assert.Contains("192", Assert.Throws<ArgumentException>(() => ChannelStatistics.Load(path)).Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Npy_round_trips_and_writes_numpy_headers()
    {
        string path = Path.Combine(Path.GetTempPath(), $"dctnet-{Guid.NewGuid():N}.npy");
        try
        {
            float[] data = [1.5f, -2f, 3.25f, 0f, 7f, -1e-3f];
            Npy.WriteFile<float>(path, data, 2, 3);
            var bytes = File.ReadAllBytes(path);
            Assert.Equal(0, (10 + BitConverter.ToUInt16(bytes, 8)) % 64);
            Assert.Contains("'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), ", System.Text.Encoding.ASCII.GetString(bytes));
            var read = Npy.ReadFile(path);
            Assert.Equal([2, 3], read.Shape);
            Assert.Equal(data, read.AsFloat32());
            Assert.Empty(Directory.GetFiles(Path.GetTempPath(), $".{Path.GetFileName(path)}.*"));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Truncated_npy_is_reported()
    {
        string path = Path.Combine(Path.GetTempPath(), $"dctnet-{Guid.NewGuid():N}.npy");
        try
        {
            Npy.WriteFile<short>(path, new short[100], 100);
            File.WriteAllBytes(path, File.ReadAllBytes(path)[..150]);
            Assert.Contains("truncated", Assert.Throws<InvalidDataException>(() => Npy.ReadFile(path)).Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static string WriteAndReturn(string path, string content)
    {
        File.WriteAllText(path, content);
        return path;
    }
}
