using DctNet.Frequency;
using DctNet.Frequency.Channels;
using DctNet.Frequency.Geometry;
using DctNet.Frequency.Imaging;
using DctNet.Models;

namespace DctNet.Inference;

/// <summary>A model's own input pipeline: an image file to the float32 tensor the model takes (C x H x W). Thread-safe.</summary>
public sealed class ImagePipeline
{
    private readonly DctFileTransform? dct;
    private readonly RgbTransform? rgb;
    private readonly RgbRenormalization? rgbNormalization;
    private readonly ImageDecoder decoder;

    private ImagePipeline(int[] shape, string description, DctFileTransform? dct, RgbTransform? rgb, RgbRenormalization? rgbNormalization, ImageDecoder decoder)
    {
        Shape = shape;
        Length = shape.Aggregate(1, (product, size) => product * size);
        Description = description;
        this.dct = dct;
        this.rgb = rgb;
        this.rgbNormalization = rgbNormalization;
        this.decoder = decoder;
    }

    /// <summary>C x H x W of one image.</summary>
    public int[] Shape { get; }

    /// <summary>Floats per image.</summary>
    public int Length { get; }

    /// <summary>"DCT 24 x 56 x 56 (channels 24, resize 512, crop 448, normalized)".</summary>
    public string Description { get; }

    /// <summary>
    /// A DCT pipeline (REFERENCE.md section 1, or the JPEG-domain one); <paramref name="statistics"/> null gives the raw
    /// coefficients.
    /// </summary>
    public static ImagePipeline ForDct(CropGeometry geometry, ChannelSubset channels, ChannelStatistics? statistics,
        DctPipeline pipeline = DctPipeline.Exact, ImageDecoder? decoder = null)
    {
        decoder ??= new ImageDecoder();
        var transform = new DctFileTransform(pipeline, geometry, channels, statistics, decoder);
        string where = pipeline == DctPipeline.Jpeg
            ? $"pipeline jpeg: the file's coefficients, a {geometry.BlocksPerSide} x {geometry.BlocksPerSide}-block window"
            : $"resize {geometry.Resize}, crop {geometry.Crop}";
        string description = $"DCT {string.Join(" x ", transform.OutputShape)} (channels {channels.Name}, {where}, "
            + $"{(statistics is null ? "raw coefficients" : "normalized")})";
        return new ImagePipeline(transform.OutputShape, description, transform, null, null, decoder);
    }

    /// <summary>The pipeline of <paramref name="input"/>: its geometry, channels, normalization (null: raw values) and DCT pipeline.</summary>
    public static ImagePipeline For(ModelInput input, ImageDecoder? decoder = null) => input switch
    {
        DctInput dct => ForDct(dct.Geometry, dct.Channels, dct.Statistics, dct.Pipeline, decoder),
        RgbInput rgb => ForRgb(rgb, decoder ?? new ImageDecoder()),
        _ => throw new ArgumentException($"No image pipeline for {input}.", nameof(input)),
    };

    /// <summary>torchvision's RGB recipe with the input's resize, crop, mean and std (pixels scaled to [0, 1] first).</summary>
    private static ImagePipeline ForRgb(RgbInput input, ImageDecoder decoder)
    {
        var (mean, std) = input.Normalization is { } n ? (n.Mean, n.Std) : ([0, 0, 0], [1, 1, 1]);
        var normalization = RgbRenormalization.For(mean, std);
        var (resize, crop) = input.Geometry;
        var transform = new RgbTransform(resize, crop);
        string description = $"RGB {string.Join(" x ", transform.OutputShape)} (resize {resize}, crop {crop}, "
            + $"{(normalization is null ? "ImageNet mean/std" : $"mean [{string.Join(", ", mean.Select(m => (float)m))}], std [{string.Join(", ", std.Select(s => (float)s))}]")})";
        return new ImagePipeline(transform.OutputShape, description, null, transform, normalization, decoder);
    }

    /// <summary>One image file to the model's input.</summary>
    /// <exception cref="ImageDecodeException">The file cannot be read by this pipeline; the message names it and says why.</exception>
    public void Transform(string path, Span<float> destination) => Transform(decoder.ReadFile(path), path, destination);

    /// <param name="source">Names the data in error messages, usually its path.</param>
    public void Transform(ReadOnlySpan<byte> data, string source, Span<float> destination)
    {
        if (dct is not null)
        {
            dct.Transform(data, source, destination);
            return;
        }
        rgb!.Transform(decoder.Decode(data, source), destination);
        rgbNormalization?.Apply(destination[..Length]);
    }
}
