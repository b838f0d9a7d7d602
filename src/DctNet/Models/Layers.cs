using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DctNet.Models;

/// <summary>
/// torchvision ResNet's <c>norm_layer</c>: the normalization after each convolution, for that many channels -
/// <see cref="nn.BatchNorm2d(long, double, double, bool, bool, Device?, ScalarType?)"/> in classification,
/// <see cref="FrozenBatchNorm2d"/> in a detection backbone.
/// </summary>
public delegate nn.Module<Tensor, Tensor> NormLayer(long features);

/// <summary>The convolutions and initializations that torchvision's ResNet and MobileNetV2 share.</summary>
internal static class Layers
{
    /// <summary>3x3 conv, padding 1, no bias (BN follows).</summary>
    public static Conv2d Conv3x3(long inChannels, long outChannels, long stride = 1)
        => nn.Conv2d(inChannels, outChannels, kernel_size: 3, stride: stride, padding: 1, bias: false);

    /// <summary>1x1 conv, no bias (BN follows).</summary>
    public static Conv2d Conv1x1(long inChannels, long outChannels, long stride = 1)
        => nn.Conv2d(inChannels, outChannels, kernel_size: 1, stride: stride, bias: false);

    /// <summary>torchvision's default <see cref="NormLayer"/>: BatchNorm2d.</summary>
    public static nn.Module<Tensor, Tensor> BatchNorm(long features) => nn.BatchNorm2d(features);

    /// <summary>3x3 grouped conv, padding 1, no bias: depthwise when in = out = groups.</summary>
    public static Conv2d Depthwise3x3(long inChannels, long outChannels, long stride = 1)
        => nn.Conv2d(inChannels, outChannels, kernel_size: 3, stride: stride, padding: 1, groups: outChannels, bias: false);

    /// <summary>torchvision's Conv2dNormActivation as MobileNetV2 uses it: conv (no bias), BN, ReLU6 - keys <c>.0</c>, <c>.1</c>.</summary>
    public static Sequential Conv2dNormActivation(long inChannels, long outChannels, long kernelSize, long stride = 1, long groups = 1)
        => nn.Sequential(
            nn.Conv2d(inChannels, outChannels, kernel_size: kernelSize, stride: stride, padding: (kernelSize - 1) / 2, groups: groups, bias: false),
            nn.BatchNorm2d(outChannels),
            nn.ReLU6());

    /// <summary>
    /// torchvision's initialization of ResNet and MobileNetV2 (the release's mmcv <c>kaiming_init</c> is the same):
    /// convs Kaiming normal over fan-out with biases zero, BN weights one and biases zero.
    /// </summary>
    public static void InitializeConvsAndNorms(nn.Module model)
    {
        using var noGrad = no_grad();
        foreach (var (_, module) in model.named_modules())
        {
            switch (module)
            {
                case Conv2d conv:
                    nn.init.kaiming_normal_(conv.weight, mode: nn.init.FanInOut.FanOut, nonlinearity: nn.init.NonlinearityType.ReLU);
                    if (conv.bias is not null)
                        nn.init.zeros_(conv.bias);
                    break;
                case BatchNorm2d norm:
                    nn.init.ones_(norm.weight);
                    nn.init.zeros_(norm.bias!);
                    break;
            }
        }
    }

    /// <summary>torchvision's MobileNetV2 classifier initialization (the release's too): N(0, 0.01) weights, zero bias.</summary>
    public static void InitializeClassifier(Linear classifier)
    {
        using var noGrad = no_grad();
        nn.init.normal_(classifier.weight, 0, 0.01);
        nn.init.zeros_(classifier.bias!);
    }
}
