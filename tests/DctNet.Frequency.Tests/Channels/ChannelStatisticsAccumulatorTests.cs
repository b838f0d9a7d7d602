using System.Text.Json;
using DctNet.Frequency.Channels;
using DctNet.Frequency.Geometry;
using DctNet.Frequency.Imaging;
using Xunit.Abstractions;

namespace DctNet.Frequency.Tests.Channels;

public class ChannelStatisticsAccumulatorTests(ITestOutputHelper output)
{
    private const int Channels = 4;
    private const int PlaneLength = 25;

    /// <summary>Per channel (centre, spread): ordinary values, and large offsets with small spreads where E[x^2] - E[x]^2 cancels.</summary>
    private static readonly (double Centre, double Spread)[] Distributions = [(0, 1), (1e6, 1e-2), (-1e8, 1), (3e9, 0.5)];

    /// <summary>Random C x 25 samples, channel c drawn around Distributions[c].</summary>
    private static double[][] RandomSamples(int count, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(_ =>
            Enumerable.Range(0, Channels * PlaneLength).Select(i =>
            {
                var (centre, spread) = Distributions[i / PlaneLength];
                return centre + spread * (2 * random.NextDouble() - 1);
            }).ToArray())];
    }

    /// <summary>The oracle: all values of a channel at once, corrected two-pass (Björck): mean, then the squared deviations minus their sum's residue.</summary>
    private static (double Mean, double Variance) TwoPass(IEnumerable<double[]> samples, int channel)
    {
        double[] values = [.. samples.SelectMany(s => s.Skip(channel * PlaneLength).Take(PlaneLength))];
        double mean = values.Average();
        double deviations = values.Sum(v => v - mean);
        double squares = values.Sum(v => (v - mean) * (v - mean));
        return (mean + deviations / values.Length, (squares - deviations * deviations / values.Length) / values.Length);
    }

    /// <summary>
    /// What float64 rounding allows, relative to the std (means) or the variance: a few units of 2^-52 times the
    /// condition |mean| / std, since values near 3e9 are themselves only stored to 4.8e-7 (1.6e-6 of a 0.29 std).
    /// </summary>
    private static double RoundingBound(double mean, double variance) => 16 * Math.Pow(2, -52) * (1 + Math.Abs(mean) / Math.Sqrt(variance));

    private static ChannelStatisticsAccumulator Accumulate(IEnumerable<double[]> samples)
    {
        var accumulator = new ChannelStatisticsAccumulator(Channels);
        foreach (var sample in samples)
            accumulator.Add<double>(sample);
        return accumulator;
    }

    [Fact]
    public void Merged_partial_accumulators_equal_a_two_pass_computation_also_at_large_offsets()
    {
        var samples = RandomSamples(400, seed: 7);
        // Uneven shares, as threads get them, including an empty one.
        var shares = new[] { samples[..3], samples[3..190], samples[190..190], samples[190..] };
        var merged = new ChannelStatisticsAccumulator(Channels);
        foreach (var share in shares)
            merged.Merge(Accumulate(share));
        var single = Accumulate(samples);

        Assert.Equal(400, merged.Samples);
        Assert.Equal(400L * PlaneLength, merged.ValuesPerChannel);
        foreach (var accumulator in new[] { merged, single })
        {
            double[] mean = accumulator.Mean(), variance = accumulator.Variance(), std = accumulator.StandardDeviation();
            for (int channel = 0; channel < Channels; channel++)
            {
                var (expectedMean, expectedVariance) = TwoPass(samples, channel);
                double meanError = Math.Abs(mean[channel] - expectedMean) / Math.Sqrt(expectedVariance);
                double varianceError = Math.Abs(variance[channel] - expectedVariance) / expectedVariance;
                output.WriteLine($"channel {channel}: mean off by {meanError:e2} std, variance off by {varianceError:e2} relative");
                Assert.True(meanError < RoundingBound(expectedMean, expectedVariance), $"channel {channel}: mean {mean[channel]} vs {expectedMean}");
                Assert.True(varianceError < RoundingBound(expectedMean, expectedVariance), $"channel {channel}: variance {variance[channel]} vs {expectedVariance}");
                Assert.Equal(Math.Sqrt(variance[channel]), std[channel]);
            }
        }
    }

    [Fact]
    public void The_textbook_sum_of_squares_fails_where_the_accumulator_holds()
    {
        // Shows why the updates are Welford/Chan: at -1e8 with unit spread, E[x^2] - E[x]^2 loses every digit.
        var samples = RandomSamples(200, seed: 3);
        const int channel = 2;
        double[] values = [.. samples.SelectMany(s => s.Skip(channel * PlaneLength).Take(PlaneLength))];
        double naive = values.Average(v => v * v) - values.Average() * values.Average();
        var (_, expected) = TwoPass(samples, channel);

        Assert.True(Math.Abs(naive - expected) / expected > 1e-2, $"naive {naive} vs {expected}: no cancellation to show");
        Assert.True(Math.Abs(Accumulate(samples).Variance()[channel] - expected) / expected < 1e-6);
    }

    [Fact]
    public void Merge_order_changes_only_the_last_bits()
    {
        var samples = RandomSamples(300, seed: 11);
        var forward = new ChannelStatisticsAccumulator(Channels);
        var backward = new ChannelStatisticsAccumulator(Channels);
        var parts = samples.Chunk(7).Select(Accumulate).ToArray();
        foreach (var part in parts)
            forward.Merge(part);
        foreach (var part in parts.Reverse())
            backward.Merge(part);

        for (int channel = 0; channel < Channels; channel++)
        {
            double mean = forward.Mean()[channel], variance = forward.Variance()[channel];
            double meanUlps = Math.Abs(mean - backward.Mean()[channel]) / (Math.BitIncrement(Math.Abs(mean)) - Math.Abs(mean));
            double varianceError = Math.Abs(variance - backward.Variance()[channel]) / variance;
            output.WriteLine($"channel {channel}: means {meanUlps} ulps apart, variances {varianceError:e2} relative");
            Assert.True(meanUlps <= 16, $"channel {channel}: means {meanUlps} ulps apart");
            Assert.True(varianceError < RoundingBound(mean, variance), $"channel {channel}: variances {varianceError} apart");
        }
    }

    [Fact]
    public void Integer_coefficient_planes_give_the_exact_statistics()
    {
        // Three samples of one 2x2 channel: values 1..12, mean 6.5, population variance (12^2 - 1) / 12.
        var accumulator = new ChannelStatisticsAccumulator(channels: 1);
        short[] values = [.. Enumerable.Range(1, 12).Select(v => (short)v)];
        foreach (var sample in values.Chunk(4))
            accumulator.Add<short>(sample);

        Assert.Equal([6.5], accumulator.Mean());
        Assert.Equal([143.0 / 12], accumulator.Variance());
        Assert.Equal(3, accumulator.Samples);
    }

    [Fact]
    public void A_channel_that_never_varies_is_listed_and_normalizes_with_std_1()
    {
        var accumulator = new ChannelStatisticsAccumulator();
        var sample = new float[ChannelSubset.TotalChannels * 4];
        for (int i = 0; i < sample.Length; i++)
            sample[i] = i / 4 == 5 ? 42 : i % 4;   // channel 5 constant at 42, the others 0 1 2 3
        accumulator.Add<float>(sample);
        accumulator.Add<float>(sample);

        Assert.Equal([5], accumulator.ZeroVarianceChannels());
        Assert.Equal(0, accumulator.StandardDeviation()[5]);
        var statistics = accumulator.ToStatistics();
        Assert.Equal(1.0, statistics.Std[5]);
        Assert.Equal(42.0, statistics.Mean[5]);
        Assert.Equal(Math.Sqrt(1.25), statistics.Std[0]);
    }

    [Fact]
    public void Written_file_loads_as_statistics_with_the_same_bits_and_leaves_no_temporary_file()
    {
        var accumulator = new ChannelStatisticsAccumulator();
        var random = new Random(5);
        for (int s = 0; s < 3; s++)
            accumulator.Add<float>([.. Enumerable.Range(0, ChannelSubset.TotalChannels * 9).Select(_ => (float)random.Next(-1000, 1000))]);
        string folder = System.IO.Directory.CreateTempSubdirectory("dctnet-stats-").FullName;
        try
        {
            string path = Path.Combine(folder, "sub", "stats.json");
            accumulator.WriteJson(path, "images/", new Dictionary<string, object?> { ["crop"] = 24 });

            var loaded = ChannelStatistics.Load(path);
            Assert.Equal(accumulator.Mean(), loaded.Mean);
            Assert.Equal(accumulator.StandardDeviation(), loaded.Std);
            using var json = JsonDocument.Parse(File.ReadAllText(path));
            Assert.Equal(3, json.RootElement.GetProperty("count").GetInt32());
            Assert.Equal("images/", json.RootElement.GetProperty("source").GetString());
            Assert.Equal(24, json.RootElement.GetProperty("crop").GetInt32());
            Assert.Equal(0, json.RootElement.GetProperty("zero_variance_channels").GetArrayLength());
            Assert.Equal(["stats.json"], System.IO.Directory.GetFiles(Path.Combine(folder, "sub")).Select(Path.GetFileName));
        }
        finally
        {
            System.IO.Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Wrong_sample_sizes_and_empty_statistics_are_refused()
    {
        var accumulator = new ChannelStatisticsAccumulator(channels: 3);
        Assert.Throws<ArgumentException>(() => accumulator.Add<float>(new float[10]));
        Assert.Throws<ArgumentException>(() => accumulator.Add<float>([]));
        Assert.Throws<InvalidOperationException>(() => accumulator.Mean());
        Assert.Throws<InvalidOperationException>(() => accumulator.ToStatistics());
        Assert.Throws<ArgumentException>(() => accumulator.Merge(new ChannelStatisticsAccumulator(channels: 4)));
    }

    /// <summary>The fixture images of tests/fixtures/golden/stats/fixtures8.r64c48.json, in the order the oracle read them.</summary>
    public static readonly string[] GoldenImages =
        ["bmp_rgb24.bmp", "jpeg_420.jpg", "jpeg_444.jpg", "jpeg_cmyk.jpg", "jpeg_exif_orient6.jpg", "jpeg_progressive.jpg", "png_rgb.png", "webp_lossy.webp"];

    [TurboJpegFact] // the set holds a CMYK JPEG
    public void Raw_dct_statistics_of_fixture_images_equal_the_reference_pipelines_exact_ones()
    {
        using var golden = JsonDocument.Parse(File.ReadAllText(Fixtures.PathOf("golden/stats/fixtures8.r64c48.json")));
        Assert.Equal(GoldenImages, golden.RootElement.GetProperty("files").EnumerateArray().Select(f => f.GetString()));
        var transform = new DctTransform(new CropGeometry(64, 48), ChannelSubset.All, statistics: null);
        var decoder = new ImageDecoder();
        var accumulator = new ChannelStatisticsAccumulator();
        foreach (string name in GoldenImages)
            accumulator.Add<float>(transform.Transform(decoder.DecodeFile(Fixtures.PathOf(Path.Combine("images", name)))));

        double[] expectedMean = Read(golden, "mean"), expectedStd = Read(golden, "std");
        double[] mean = accumulator.Mean(), std = accumulator.StandardDeviation();
        Assert.Equal(golden.RootElement.GetProperty("values_per_channel").GetInt64(), accumulator.ValuesPerChannel);
        double worstMean = Enumerable.Range(0, 192).Max(c => Math.Abs(mean[c] - expectedMean[c]) / expectedStd[c]);
        double worstStd = Enumerable.Range(0, 192).Max(c => Math.Abs(std[c] - expectedStd[c]) / expectedStd[c]);
        output.WriteLine($"largest differences: mean {worstMean:e2} std, std {worstStd:e2} relative");
        // The coefficients are integers and equal the reference's, so only float64 rounding separates the two.
        Assert.True(worstMean < 1e-12, $"mean off by {worstMean} std");
        Assert.True(worstStd < 1e-12, $"std off by {worstStd} relative");
    }

    public static double[] Read(JsonDocument document, string key)
        => [.. document.RootElement.GetProperty(key).EnumerateArray().Select(v => v.GetDouble())];
}
