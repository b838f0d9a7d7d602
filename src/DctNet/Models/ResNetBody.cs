using DctNet.Export;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DctNet.Models;

/// <summary>
/// A ResNet as torchvision's detection backbones take it, <c>IntermediateLayerGetter(resnet(norm_layer=...))</c>: the
/// stem and the stages of <see cref="ResNet"/> without its pool and classifier, returning the outputs of
/// layer1..layer4 (strides 4, 8, 16, 32) - keys <c>conv1</c>, <c>bn1</c>, <c>layer1.0.conv1</c>, .... On DCT input
/// (REFERENCE.md sections 2 and 4) it has no stem: the C x H/4 x W/4 coefficients go straight into layer1, which
/// takes C channels as <see cref="ResNetDct"/>'s does, with the standard strides (1, 2, 2, 2).
/// </summary>
public sealed class ResNetBody : nn.Module<Tensor, Tensor[]>
{
    private const int BaseWidth = 64;

    private readonly Conv2d? conv1;
    private readonly nn.Module<Tensor, Tensor>? bn1;
    private readonly Sequential layer1;
    private readonly Sequential layer2;
    private readonly Sequential layer3;
    private readonly Sequential layer4;

    /// <param name="normLayer">The norm after each conv: <see cref="FrozenBatchNorm2d"/> in torchvision's detectors.</param>
    /// <param name="dctChannels">null for RGB input through the stem; else the DCT channels that layer1 takes
    /// (<see cref="ResNetDct.TakesChannels"/>).</param>
    public ResNetBody(ResNetArchitecture architecture, NormLayer normLayer, int? dctChannels = null)
        : base($"{architecture.Name}{(dctChannels is null ? "" : "-DCT")} body")
    {
        if (dctChannels is { } count && !ResNetDct.TakesChannels(count))
            throw new ArgumentOutOfRangeException(nameof(dctChannels), count,
                $"A DCT backbone takes 1 to {ResNetDct.MaxSubsetChannels} channels or all {InputGate.Channels}, as the release's models.");
        if (dctChannels is null)
        {
            conv1 = ResNet.StemConv(BaseWidth);
            bn1 = normLayer(BaseWidth);
        }
        (layer1, layer2, layer3, layer4) = ResNet.MakeLayers(architecture, dctChannels ?? BaseWidth, BaseWidth, layer2Stride: 2, normLayer);
        OutputChannels = [.. Enumerable.Range(0, 4).Select(stage => (long)(BaseWidth << stage) * architecture.Expansion)];
        RegisterComponents();
        Layers.InitializeConvsAndNorms(this);
    }

    /// <summary>Channels of layer1..layer4's outputs (256..2048 for ResNet-50).</summary>
    public IReadOnlyList<long> OutputChannels { get; }

    /// <summary>The nodes of <see cref="forward"/>: the names of layer1..layer4's outputs.</summary>
    public string[] ExportOnnx(OnnxGraph graph, string input)
    {
        var stem = conv1 is null ? input : graph.MaxPool(graph.Relu(graph.ConvNorm(conv1, bn1!, alreadyMerged: false, input)), kernel: 3, stride: 2, padding: 1);
        var c2 = graph.Module(layer1, stem);
        var c3 = graph.Module(layer2, c2);
        var c4 = graph.Module(layer3, c3);
        return [c2, c3, c4, graph.Module(layer4, c4)];
    }

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
