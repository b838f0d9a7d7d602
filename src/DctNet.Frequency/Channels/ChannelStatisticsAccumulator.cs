using System.Numerics;
using System.Text.Json;
using DctNet.Frequency.IO;

namespace DctNet.Frequency.Channels;

/// <summary>
/// Streaming per-channel mean and population standard deviation (ddof 0) of C x S x S samples, in float64.
/// Each sample plane is reduced on its own (two passes over S x S values: exact enough, and cheap), then folded
/// into the channel's running (count, mean, M2) with Chan et al.'s pairwise update, which stays accurate where
/// a running sum of squares would cancel (large means with small spread). Not thread-safe: give each worker
/// thread its own accumulator and <see cref="Merge"/> them at the end. Floating-point addition is not
/// associative, so another grouping or merge order changes the results by rounding only: a few 2^-52 times
/// |mean| / std relative - the last bits for DCT coefficients, whose means are not large against their spread.
/// </summary>
public sealed class ChannelStatisticsAccumulator
{
    private readonly long[] _count;
    private readonly double[] _mean;
    private readonly double[] _m2;

    /// <param name="channels">Channels per sample; 192 for the raw DCT input of <see cref="DctTransform"/> with <see cref="ChannelSubset.All"/>.</param>
    public ChannelStatisticsAccumulator(int channels = ChannelSubset.TotalChannels)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels);
        Channels = channels;
        _count = new long[channels];
        _mean = new double[channels];
        _m2 = new double[channels];
    }

    public int Channels { get; }

    /// <summary>Samples (images) added, directly or through <see cref="Merge"/>.</summary>
    public long Samples { get; private set; }

    /// <summary>Values seen per channel: samples x S x S.</summary>
    public long ValuesPerChannel => _count[0];

    /// <summary>Adds one sample: <see cref="Channels"/> planes of equal size, channel-major (C x S x S).</summary>
    public void Add<T>(ReadOnlySpan<T> sample) where T : unmanaged, INumberBase<T>
    {
        if (sample.Length == 0 || sample.Length % Channels != 0)
            throw new ArgumentException($"A sample needs {Channels} planes of equal, non-zero size; got {sample.Length} values.", nameof(sample));
        int planeLength = sample.Length / Channels;
        for (int channel = 0; channel < Channels; channel++)
        {
            var plane = sample.Slice(channel * planeLength, planeLength);
            double sum = 0;
            foreach (T value in plane)
                sum += double.CreateTruncating(value);
            double planeMean = sum / planeLength;
            double planeM2 = 0;
            foreach (T value in plane)
            {
                double deviation = double.CreateTruncating(value) - planeMean;
                planeM2 += deviation * deviation;
            }
            Combine(channel, planeLength, planeMean, planeM2);
        }
        Samples++;
    }

    /// <summary>Folds another accumulator (another thread's share of the data) into this one.</summary>
    public void Merge(ChannelStatisticsAccumulator other)
    {
        if (other.Channels != Channels)
            throw new ArgumentException($"Cannot merge statistics of {other.Channels} channels into {Channels}.", nameof(other));
        for (int channel = 0; channel < Channels; channel++)
            Combine(channel, other._count[channel], other._mean[channel], other._m2[channel]);
        Samples += other.Samples;
    }

    /// <summary>Chan, Golub and LeVeque's update of (n, mean, M2) with another group's (n, mean, M2).</summary>
    private void Combine(int channel, long count, double mean, double m2)
    {
        if (count == 0)
            return;
        long total = _count[channel] + count;
        double delta = mean - _mean[channel];
        double weight = (double)count / total;
        _m2[channel] += m2 + delta * delta * _count[channel] * weight;
        _mean[channel] += delta * weight;
        _count[channel] = total;
    }

    public double[] Mean()
    {
        RequireSamples();
        return (double[])_mean.Clone();
    }

    /// <summary>The population variance, M2 / n (ddof 0).</summary>
    public double[] Variance()
    {
        RequireSamples();
        return [.. _m2.Select((m2, channel) => m2 / _count[channel])];
    }

    /// <summary>The population standard deviation; 0 for a channel that never varied.</summary>
    public double[] StandardDeviation() => [.. Variance().Select(Math.Sqrt)];

    /// <summary>
    /// The channels whose values never varied (standard deviation 0), which a statistics file cannot divide by;
    /// common on small sets for the highest chroma frequencies.
    /// </summary>
    public int[] ZeroVarianceChannels() => [.. StandardDeviation().Select((std, channel) => (std, channel)).Where(c => c.std == 0).Select(c => c.channel)];

    /// <summary>
    /// Normalization statistics that <see cref="ChannelStatistics"/> accepts. A channel that never varied gets
    /// std 1: its values all equal the mean, so they normalize to 0 with any positive std, and 1 leaves values
    /// unlike those measured unscaled rather than blown up by a tiny divisor.
    /// </summary>
    public ChannelStatistics ToStatistics()
    {
        if (Channels != ChannelSubset.TotalChannels)
            throw new InvalidOperationException($"Normalization statistics cover {ChannelSubset.TotalChannels} channels; this accumulator has {Channels}.");
        return new ChannelStatistics(Mean(), [.. StandardDeviation().Select(std => std == 0 ? 1.0 : std)]);
    }

    /// <summary>
    /// Writes <c>{"mean": [192], "std": [192], "count", "source", "zero_variance_channels", ...}</c> atomically
    /// (temporary file, then rename): loadable by <see cref="ChannelStatistics.Load"/>, with the stds of
    /// <see cref="ToStatistics"/>. <paramref name="details"/> adds fields that describe how the data was read.
    /// </summary>
    public void WriteJson(string path, string source, IReadOnlyDictionary<string, object?>? details = null)
    {
        var statistics = ToStatistics();
        var document = new Dictionary<string, object?>
        {
            ["mean"] = statistics.Mean,
            ["std"] = statistics.Std,
            ["count"] = Samples,
            ["source"] = source,
            ["zero_variance_channels"] = ZeroVarianceChannels(),
        };
        foreach (var (key, value) in details ?? new Dictionary<string, object?>())
            document[key] = value;

        // System.Text.Json writes doubles in their shortest round-trip form: the file reloads to the same bits.
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(document, Indented) + "\n");
    }

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    private void RequireSamples()
    {
        if (Samples == 0)
            throw new InvalidOperationException("No samples were added; statistics need at least one.");
    }
}
