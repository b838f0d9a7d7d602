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
    private readonly RgbRenormalization? rgbNormalization;

    private ImagePipeline(int[] shape, string description, DctTransform? dct, RgbTransform? rgb, RgbRenormalization? rgbNormalization)
    {
        Shape = shape;
        Length = shape.Aggregate(1, (product, size) => product * size);
        Description = description;
        this.dct = dct;
        this.rgb = rgb;
        this.rgbNormalization = rgbNormalization;
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
        return new ImagePipeline(transform.OutputShape, description, transform, null, null);
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
        var (mean, std) = input.Normalization is { } n ? (n.Mean, n.Std) : ([0, 0, 0], [1, 1, 1]);
        var normalization = RgbRenormalization.For(mean, std);
        var (resize, crop) = input.Geometry;
        var transform = new RgbTransform(resize, crop);
        string description = $"RGB {string.Join(" x ", transform.OutputShape)} (resize {resize}, crop {crop}, "
            + $"{(normalization is null ? "ImageNet mean/std" : $"mean [{string.Join(", ", mean.Select(m => (float)m))}], std [{string.Join(", ", std.Select(s => (float)s))}]")})";
        return new ImagePipeline(transform.OutputShape, description, null, transform, normalization);
    }

    public void Transform(RgbImage image, Span<float> destination)
    {
        if (dct is not null)
        {
            dct.Transform(image, destination);
            return;
        }
        rgb!.Transform(image, destination);
        rgbNormalization?.Apply(destination[..Length]);
    }
}
