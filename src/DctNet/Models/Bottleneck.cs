using TorchSharp.Modules;

namespace DctNet.Models;

/// <summary>
/// torchvision's Bottleneck ("ResNet v1.5"): 1x1 reduce to <c>planes</c>, 3x3 carrying the stride, 1x1 expand to
/// 4 x <c>planes</c>, each with BN, plus the shortcut.
/// </summary>
public sealed class Bottleneck(long inplanes, long planes, long stride = 1, Sequential? downsample = null, NormLayer? normLayer = null)
    : ResidualBlock(nameof(Bottleneck),
        [Layers.Conv1x1(inplanes, planes), Layers.Conv3x3(planes, planes, stride), Layers.Conv1x1(planes, planes * Expansion)],
        downsample, normLayer)
{
    public const int Expansion = 4;
}
