using DctNet.Frequency.Channels;
using DctNet.Frequency.Geometry;
using static TorchSharp.torch;

namespace DctNet.Models;

/// <summary>
/// The models by name: the RGB baselines <c>resnet18/34/50/101</c> and <c>mobilenetv2</c> (torchvision's), the
/// release's DCT models <c>resnet50-dct</c> and <c>mobilenetv2-dct</c>, and the same DCT ResNet at the other depths
/// (<c>resnet18-dct</c>, ...), each also with torchvision's layer2 stride 2 (<c>-s2</c>).
/// </summary>
public static class ModelRegistry
{
    /// <summary>The channel count of DCT models when none is given: the paper's DCT-24, the transform's default.</summary>
    public const int DefaultChannelCount = 24;

    public static Registry<ModelDefinition> Models { get; } = new("model", [.. Definitions()]);

    /// <inheritdoc cref="Registry{T}.Get"/>
    public static ModelDefinition Get(string name) => Models.Get(name);

    /// <inheritdoc cref="ModelDefinition.Create"/>
    public static nn.Module<Tensor, Tensor> Create(string name, ChannelSubset? channels = null, int classes = 1000, bool gate = false)
        => Get(name).Create(channels, classes, gate);

    private static IEnumerable<ModelDefinition> Definitions()
    {
        foreach (var architecture in ResNetArchitecture.All)
        {
            int depth = architecture.Depth;
            yield return new ModelDefinition($"resnet{depth}", $"torchvision's ResNet-{depth} on RGB 224 x 224",
                null, (_, classes, _) => new ResNet(architecture, classes));
            yield return new ModelDefinition($"resnet{depth}-dct", $"ResNet-{depth} on DCT 56 x 56, no stem, layer2 stride 1 (the release's ResNetDCT_Upscaled_Static)",
                CropGeometry.ResNet, (channels, classes, gate) => new ResNetDct(architecture, channels, classes, layer2Stride: 1, gate));
            yield return new ModelDefinition($"resnet{depth}-dct-s2", $"ResNet-{depth} on DCT 56 x 56, no stem, layer2 stride 2 (RGB ResNet-{depth}'s compute)",
                CropGeometry.ResNet, (channels, classes, gate) => new ResNetDct(architecture, channels, classes, layer2Stride: 2, gate));
        }
        yield return new ModelDefinition("mobilenetv2", "torchvision's MobileNetV2 (width 1.0) on RGB 224 x 224",
            null, (_, classes, _) => new MobileNetV2(classes));
        yield return new ModelDefinition("mobilenetv2-dct", "MobileNetV2 on DCT 112 x 112, no stem (the release's MobileNetV2DCT_Subset_woinp)",
            CropGeometry.MobileNetV2, (channels, classes, gate) => new MobileNetV2Dct(channels, classes, gate));
    }
}
