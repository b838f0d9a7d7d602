using DctNet.Frequency;
using DctNet.Frequency.Channels;
using DctNet.Frequency.Geometry;

namespace DctNet.Models;

/// <summary>What a model takes for one image: the tensor shape and the pipeline that produces it.</summary>
public abstract record ModelInput
{
    /// <summary>C x H x W of one image.</summary>
    public abstract int[] Shape { get; }
}

/// <summary>DCT input (REFERENCE.md section 1): the crop geometry and the channel subset; C x S x S, S = crop / 8.</summary>
public sealed record DctInput(CropGeometry Geometry, ChannelSubset Channels) : ModelInput
{
    public override int[] Shape => [Channels.Count, Geometry.BlocksPerSide, Geometry.BlocksPerSide];
}

/// <summary>torchvision's RGB recipe: resize the shorter side, centre crop, ImageNet mean and std (<see cref="RgbTransform"/>).</summary>
public sealed record RgbInput(int Resize, int Crop) : ModelInput
{
    public static RgbInput ImageNet { get; } = new(256, 224);

    public IReadOnlyList<float> Mean { get; init; } = RgbTransform.ImageNetMean;
    public IReadOnlyList<float> Std { get; init; } = RgbTransform.ImageNetStd;

    public override int[] Shape => [3, Crop, Crop];
}
