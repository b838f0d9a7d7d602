using System.Text.Json;
using DctNet.Frequency.IO;

namespace DctNet.Frequency.Channels;

/// <summary>Per-channel mean and standard deviation over the 192 channels, used as (x - mean[c]) / std[c].</summary>
public sealed class ChannelStatistics
{
    public ChannelStatistics(double[] mean, double[] std)
    {
        if (mean.Length != ChannelSubset.TotalChannels || std.Length != ChannelSubset.TotalChannels)
            throw new ArgumentException($"Statistics need {ChannelSubset.TotalChannels} means and standard deviations, got {mean.Length} and {std.Length}.");
        int bad = Array.FindIndex(std, s => !(s > 0) || double.IsInfinity(s));
        if (bad >= 0)
            throw new ArgumentException($"Standard deviation of channel {bad} is {std[bad]}; it must be positive and finite.");
        Mean = mean;
        Std = std;
    }

    public IReadOnlyList<double> Mean { get; }
    public IReadOnlyList<double> Std { get; }

    /// <summary>The release's ImageNet training-set statistics of the upscaled DCT input.</summary>
    public static ChannelStatistics ImageNet { get; } = FromJson("imagenet_upscaled_static_stats.json", EmbeddedResource.Read("imagenet_upscaled_static_stats.json"));

    /// <summary>
    /// Statistics of the JPEG-domain pipeline's input over ImageNet images: <c>dctnet stats --pipeline jpeg</c> over the
    /// 1000 ImageNet samples beside the project (one image per class; the file records how it was made).
    /// </summary>
    public static ChannelStatistics ImageNetJpeg { get; } = FromJson("imagenet_jpeg_stats.json", EmbeddedResource.Read("imagenet_jpeg_stats.json"));

    /// <summary>The built-in ImageNet statistics of a pipeline's input.</summary>
    public static ChannelStatistics ImageNetFor(DctPipeline pipeline) => pipeline == DctPipeline.Jpeg ? ImageNetJpeg : ImageNet;

    /// <summary>
    /// The largest statistics file read: 384 numbers are about 10 KB as JSON, so 1 MiB allows any formatting and
    /// refuses a mistaken path (an image, a dataset archive) without reading it.
    /// </summary>
    public const int MaxFileBytes = 1 << 20;

    /// <summary>Reads <c>{"mean": [192 numbers], "std": [192 numbers]}</c>.</summary>
    /// <exception cref="FileRefusedException">Missing, not a regular file, or larger than <see cref="MaxFileBytes"/>.</exception>
    /// <exception cref="ArgumentException">Not a statistics file; the message starts with the path.</exception>
    public static ChannelStatistics Load(string path) => FromJson(path, FileProbe.ReadAllText(path, MaxFileBytes));

    public static ChannelStatistics FromJson(string name, string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            double[] Read(string key) => document.RootElement.TryGetProperty(key, out var list)
                ? list.EnumerateArray().Select(e => e.GetDouble()).ToArray()
                : throw new ArgumentException($"{name}: missing \"{key}\".");
            return new ChannelStatistics(Read("mean"), Read("std"));
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new ArgumentException($"{name}: not a statistics file ({e.Message}).", e);
        }
        catch (ArgumentException e) when (!e.Message.StartsWith(name, StringComparison.Ordinal))
        {
            throw new ArgumentException($"{name}: {e.Message}", e);
        }
    }
}
