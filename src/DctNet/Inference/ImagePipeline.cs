using DctNet.Frequency;
using DctNet.Frequency.Channels;
using DctNet.Frequency.Geometry;
using DctNet.Frequency.Imaging;
using DctNet.Models;

namespace DctNet.Inference;

/// <summary>A model's own input pipeline: a decoded image to the float32 tensor the model takes (C x H x W). Thread-safe.</summary>
public sealed class ImagePipeline
{
    private readonly DctTransform? dct;
    private readonly RgbTransform? rgb;

    // RgbTransform normalizes with ImageNet's mean and std; other statistics are applied on top of its output
    // as x * scale + shift per channel, which is (pixel - mean) / std again.
    private readonly float[]? rgbScale;
    private readonly float[]? rgbShift;

    private ImagePipeline(int[] shape, string description, DctTransform? dct, RgbTransform? rgb, float[]? rgbScale, float[]? rgbShift)
    {
        Shape = shape;
        Length = shape.Aggregate(1, (product, size) => product * size);
        Description = description;
        this.dct = dct;
        this.rgb = rgb;
        this.rgbScale = rgbScale;
        this.rgbShift = rgbShift;
    }

    /// <summary>C x H x W of one image.</summary>
    public int[] Shape { get; }

    /// <summary>Floats per image.</summary>
    public int Length { get; }

    /// <summary>"DCT 24 x 56 x 56 (channels 24, resize 512, crop 448, normalized)".</summary>
    public string Description { get; }

    /// <summary>The DCT pipeline of REFERENCE.md section 1; <paramref name="statistics"/> null gives the raw coefficients.</summary>
    public static ImagePipeline ForDct(CropGeometry geometry, ChannelSubset channels, ChannelStatistics? statistics)
    {
        var transform = new DctTransform(geometry, channels, statistics);
        string description = $"DCT {string.Join(" x ", transform.OutputShape)} (channels {channels.Name}, resize {geometry.Resize}, crop {geometry.Crop}, "
            + $"{(statistics is null ? "raw coefficients" : "normalized")})";
        return new ImagePipeline(transform.OutputShape, description, transform, null, null, null);
    }

    /// <summary>The pipeline of <paramref name="input"/>: its geometry, channels and normalization (null: raw values).</summary>
    public static ImagePipeline For(ModelInput input) => input switch
    {
        DctInput dct => ForDct(dct.Geometry, dct.Channels, dct.Statistics),
        RgbInput rgb => ForRgb(rgb),
        _ => throw new ArgumentException($"No image pipeline for {input}.", nameof(input)),
    };

    /// <summary>torchvision's RGB recipe with the input's resize, crop, mean and std (pixels scaled to [0, 1] first).</summary>
    private static ImagePipeline ForRgb(RgbInput input)
    {
        var (mean, std) = input.Normalization is { } n ? ([.. n.Mean.Select(m => (float)m)], [.. n.Std.Select(s => (float)s)]) : (new float[] { 0, 0, 0 }, new float[] { 1, 1, 1 });
        if (mean.Length != 3 || std.Length != 3)
            throw new ArgumentException($"RGB normalization needs 3 means and 3 standard deviations, got {mean.Length} and {std.Length}.", nameof(input));
        var (resize, crop) = input.Geometry;
        var transform = new RgbTransform(resize, crop);
        bool imageNet = mean.SequenceEqual(RgbTransform.ImageNetMean) && std.SequenceEqual(RgbTransform.ImageNetStd);
        float[]? scale = imageNet ? null : [.. Enumerable.Range(0, 3).Select(c => RgbTransform.ImageNetStd[c] / std[c])];
        float[]? shift = imageNet ? null : [.. Enumerable.Range(0, 3).Select(c => (RgbTransform.ImageNetMean[c] - mean[c]) / std[c])];
        string description = $"RGB {string.Join(" x ", transform.OutputShape)} (resize {resize}, crop {crop}, "
            + $"{(imageNet ? "ImageNet mean/std" : $"mean [{string.Join(", ", mean)}], std [{string.Join(", ", std)}]")})";
        return new ImagePipeline(transform.OutputShape, description, null, transform, scale, shift);
    }

    public void Transform(RgbImage image, Span<float> destination)
    {
        if (dct is not null)
        {
            dct.Transform(image, destination);
            return;
        }
        rgb!.Transform(image, destination);
        if (rgbScale is null)
            return;
        int plane = Length / 3;
        for (int c = 0; c < 3; c++)
        {
            var channel = destination.Slice(c * plane, plane);
            for (int i = 0; i < channel.Length; i++)
                channel[i] = channel[i] * rgbScale[c] + rgbShift![c];
        }
    }
}
