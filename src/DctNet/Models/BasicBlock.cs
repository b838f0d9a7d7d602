using TorchSharp.Modules;

namespace DctNet.Models;

/// <summary>torchvision's BasicBlock: two 3x3 convs with BN, the first one strided, plus the shortcut.</summary>
public sealed class BasicBlock(long inplanes, long planes, long stride = 1, Sequential? downsample = null, NormLayer? normLayer = null)
    : ResidualBlock(nameof(BasicBlock), [Layers.Conv3x3(inplanes, planes, stride), Layers.Conv3x3(planes, planes)], downsample, normLayer)
{
    public const int Expansion = 1;
}
