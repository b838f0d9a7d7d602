using DctNet.Frequency;
using DctNet.Frequency.Channels;
using DctNet.Frequency.Geometry;

namespace DctNet.Models;

/// <summary>
/// What a model takes for one image (timm's pretrained_cfg: input size, crop, mean and std): the geometry, the
/// normalization and, for DCT models, the channels. <see cref="ModelDefinition.ResolveInput"/> makes it.
/// </summary>
/// <param name="Geometry">The resize of the shorter side and the centre crop, in pixels.</param>
/// <param name="Normalization">(x - mean[c]) / std[c] per channel; null for raw input.</param>
public abstract record ModelInput(CropGeometry Geometry, InputNormalization? Normalization)
{
    /// <summary>C x H x W of one image.</summary>
    public abstract int[] Shape { get; }
}

/// <summary>DCT input (REFERENCE.md section 1): the crop geometry and the channel subset; C x S x S, S = crop / 8.</summary>
/// <param name="Normalization">192 means and standard deviations, one per DCT channel (<see cref="ChannelStatistics"/>'s layout).</param>
/// <param name="Pipeline">Where the coefficients come from: the release's exact pipeline, or the JPEG file's own (<see cref="DctFileTransform"/>).</param>
public sealed record DctInput(CropGeometry Geometry, ChannelSubset Channels, InputNormalization? Normalization, DctPipeline Pipeline = DctPipeline.Exact)
    : ModelInput(Geometry, Normalization)
{
    public override int[] Shape => [Channels.Count, Geometry.BlocksPerSide, Geometry.BlocksPerSide];

    /// <summary>The normalization as the DCT transform takes it; null for raw coefficients.</summary>
    public ChannelStatistics? Statistics => Normalization is { } n ? new ChannelStatistics([.. n.Mean], [.. n.Std]) : null;
}

/// <summary>torchvision's RGB recipe: resize the shorter side, centre crop, then the mean and std of 3 channels (<see cref="RgbTransform"/>).</summary>
public sealed record RgbInput(CropGeometry Geometry, InputNormalization? Normalization) : ModelInput(Geometry, Normalization)
{
    /// <summary>torchvision's ImageNet evaluation: resize 256, crop 224, ImageNet's mean and std.</summary>
    public static RgbInput ImageNet { get; } = new(new CropGeometry(256, 224), InputNormalization.RgbImageNet);

    public override int[] Shape => [3, Geometry.Crop, Geometry.Crop];
}

/// <summary>Per-channel normalization of a model's input, (x - Mean[c]) / Std[c]: what checkpoints record and the pipelines apply.</summary>
/// <param name="Mean">192 values for DCT models (all channels, as <see cref="ChannelStatistics"/> holds them); 3 for RGB.</param>
public sealed record InputNormalization(IReadOnlyList<double> Mean, IReadOnlyList<double> Std)
{
    /// <summary>torchvision's ImageNet mean and std, the RGB models' normalization (<see cref="RgbTransform"/>'s values).</summary>
    public static InputNormalization RgbImageNet { get; } = new([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]);

    public static InputNormalization From(ChannelStatistics statistics) => new([.. statistics.Mean], [.. statistics.Std]);
}

/// <summary>What was asked of a model's input; what is left null follows the weights, then the model's defaults.</summary>
/// <param name="Channels">DCT models: the channel subset. RGB models: must be null.</param>
/// <param name="Geometry">Resize and crop in pixels, for inputs smaller or larger than the model's own (the networks are
/// fully convolutional up to their global pooling).</param>
/// <param name="Statistics">DCT models: the normalization, for weights that do not record theirs. RGB models: must be null.</param>
/// <param name="Pipeline">DCT models: the DCT pipeline; a DctNet checkpoint's own may be repeated, not changed. RGB models: must be null.</param>
public sealed record InputRequest(ChannelSubset? Channels = null, CropGeometry? Geometry = null, ChannelStatistics? Statistics = null, DctPipeline? Pipeline = null);
