using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DctNet.Detection.Modeling;

/// <summary>
/// The detection backbone's body: torchvision's ResNet-50 with FrozenBatchNorm2d and without its classifier, returning
/// the outputs of layer1..layer4 (strides 4, 8, 16, 32; 256..2048 channels) - torchvision's IntermediateLayerGetter,
/// keys <c>conv1</c>, <c>bn1</c>, <c>layer1.0.conv1</c>, .... The DCT variant (REFERENCE.md sections 2 and 4) has no
/// RGB stem (7x7 conv, norm, ReLU, 3x3 max pool): its C x H/4 x W/4 coefficients go straight into layer1, whose first
/// block takes C channels (a 1x1 conv C -> 64 and a 1x1 shortcut C -> 256; for C = 64 that is torchvision's layer1
/// unchanged), with the standard strides (1, 2, 2, 2).
/// </summary>
public sealed class ResNetBody : nn.Module<Tensor, Tensor[]>
{
    private static readonly int[] Resnet50Blocks = [3, 4, 6, 3];

    private readonly Conv2d? conv1;
    private readonly FrozenBatchNorm2d? bn1;
    private readonly Sequential layer1;
    private readonly Sequential layer2;
    private readonly Sequential layer3;
    private readonly Sequential layer4;

    /// <param name="dctChannels">null for RGB input through the stem; else the DCT channels that layer1 takes
    /// (up to 64, or all 192; the release defines no count in between).</param>
    public ResNetBody(int? dctChannels = null) : base(dctChannels is null ? "ResNet50Body" : "ResNet50DctBody")
    {
        if (dctChannels is { } count && (count <= 0 || (count > 64 && count != 192)))
            throw new ArgumentOutOfRangeException(nameof(dctChannels), count, "A DCT backbone takes 1 to 64 channels or all 192, as the release's models.");
        if (dctChannels is null)
        {
            conv1 = nn.Conv2d(3, 64, kernel_size: 7, stride: 2, padding: 3, bias: false);
            bn1 = new FrozenBatchNorm2d(64);
        }
        long inplanes = dctChannels ?? 64;
        Sequential Stage(int index, long stride)
        {
            long planes = 64L << index;
            var stage = nn.Sequential();
            for (int block = 0; block < Resnet50Blocks[index]; block++)
            {
                stage.append(new FrozenBottleneck(inplanes, planes, block == 0 ? stride : 1));
                inplanes = planes * FrozenBottleneck.Expansion;
            }
            return stage;
        }
        (layer1, layer2, layer3, layer4) = (Stage(0, 1), Stage(1, 2), Stage(2, 2), Stage(3, 2));
        RegisterComponents();
        using var noGrad = no_grad();
        foreach (var (_, module) in named_modules())
        {
            if (module is Conv2d conv)
                nn.init.kaiming_normal_(conv.weight, mode: nn.init.FanInOut.FanOut, nonlinearity: nn.init.NonlinearityType.ReLU);
        }
    }

    /// <summary>Channels of layer1..layer4's outputs.</summary>
    public static IReadOnlyList<long> OutputChannels { get; } = [256, 512, 1024, 2048];

    public override Tensor[] forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var stem = conv1 is null ? x : nn.functional.max_pool2d(bn1!.call(conv1.call(x)).relu_(), kernel_size: 3, stride: 2, padding: 1);
        var c2 = layer1.call(stem);
        var c3 = layer2.call(c2);
        var c4 = layer3.call(c3);
        var c5 = layer4.call(c4);
        Tensor[] outputs = [c2, c3, c4, c5];
        foreach (var output in outputs)
            output.MoveToOuterDisposeScope();
        return outputs;
    }
}

/// <summary>torchvision's Bottleneck (ResNet v1.5, stride on the 3x3) with FrozenBatchNorm2d, as in its detection backbones.</summary>
public sealed class FrozenBottleneck : nn.Module<Tensor, Tensor>
{
    public const int Expansion = 4;

    private readonly Conv2d conv1;
    private readonly FrozenBatchNorm2d bn1;
    private readonly Conv2d conv2;
    private readonly FrozenBatchNorm2d bn2;
    private readonly Conv2d conv3;
    private readonly FrozenBatchNorm2d bn3;
    private readonly Sequential? downsample;

    public FrozenBottleneck(long inplanes, long planes, long stride) : base("Bottleneck")
    {
        conv1 = nn.Conv2d(inplanes, planes, kernel_size: 1, bias: false);
        bn1 = new FrozenBatchNorm2d(planes);
        conv2 = nn.Conv2d(planes, planes, kernel_size: 3, stride: stride, padding: 1, bias: false);
        bn2 = new FrozenBatchNorm2d(planes);
        conv3 = nn.Conv2d(planes, planes * Expansion, kernel_size: 1, bias: false);
        bn3 = new FrozenBatchNorm2d(planes * Expansion);
        if (stride != 1 || inplanes != planes * Expansion)
        {
            downsample = nn.Sequential(
                nn.Conv2d(inplanes, planes * Expansion, kernel_size: 1, stride: stride, bias: false),
                new FrozenBatchNorm2d(planes * Expansion));
        }
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var output = bn1.call(conv1.call(x)).relu_();
        output = bn2.call(conv2.call(output)).relu_();
        output = bn3.call(conv3.call(output));
        output.add_(downsample?.call(x) ?? x).relu_();
        return output.MoveToOuterDisposeScope();
    }
}
