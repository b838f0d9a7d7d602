using DctNet.Export;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DctNet.Models;

/// <summary>
/// torchvision's ResNet on RGB input, with its module names (<c>conv1</c>, <c>bn1</c>, <c>layer1</c>..<c>layer4</c>,
/// <c>fc</c>), so that torchvision's state_dicts load unchanged: 7x7 stride-2 stem, 3x3 stride-2 max pool, four
/// stages of residual blocks (strides 1, 2, 2, 2), global average pool, linear classifier.
/// </summary>
public sealed class ResNet : nn.Module<Tensor, Tensor>, IFoldableBatchNorm, IOnnxExportable
{
    private readonly Conv2d conv1;
    private readonly BatchNorm2d bn1;
    private readonly Sequential layer1;
    private readonly Sequential layer2;
    private readonly Sequential layer3;
    private readonly Sequential layer4;
    private readonly Linear fc;
    private bool foldedStem;

    /// <param name="classes">Outputs of the classifier.</param>
    /// <param name="baseWidth">Channels of the stem and layer1's planes (layers 2-4 double it each); 64 in every
    /// torchvision ResNet, smaller only to build cheap variants for tests.</param>
    public ResNet(ResNetArchitecture architecture, int classes = 1000, int baseWidth = 64) : base(architecture.Name)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(classes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(baseWidth);
        conv1 = StemConv(baseWidth);
        bn1 = nn.BatchNorm2d(baseWidth);
        (layer1, layer2, layer3, layer4) = MakeLayers(architecture, baseWidth, baseWidth, layer2Stride: 2, Layers.BatchNorm);
        fc = nn.Linear(FeatureChannels(architecture, baseWidth), classes);
        RegisterComponents();
        Layers.InitializeConvsAndNorms(this);
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var features = BatchNormFolding.ConvNorm(conv1, bn1, foldedStem, x).relu_();
        features = nn.functional.max_pool2d(features, kernel_size: 3, stride: 2, padding: 1);
        features = layer4.call(layer3.call(layer2.call(layer1.call(features))));
        features = nn.functional.adaptive_avg_pool2d(features, 1).flatten(1);
        return fc.call(features).MoveToOuterDisposeScope();
    }

    string IOnnxExportable.ExportOnnx(OnnxGraph graph, string input)
    {
        var features = graph.Relu(graph.ConvNorm(conv1, bn1, foldedStem, input));
        features = graph.MaxPool(features, kernel: 3, stride: 2, padding: 1);
        features = graph.Module(layer4, graph.Module(layer3, graph.Module(layer2, graph.Module(layer1, features))));
        return graph.Module(fc, graph.Flatten(graph.GlobalAveragePool(features)));
    }

    void IFoldableBatchNorm.FoldBatchNorm()
    {
        if (foldedStem)
            return;
        BatchNormFolding.Merge(conv1, bn1);
        foldedStem = true;
    }

    /// <summary>Channels that leave layer4: 8 x baseWidth x the block's expansion (2048 for ResNet-50).</summary>
    internal static int FeatureChannels(ResNetArchitecture architecture, int baseWidth)
        => 8 * baseWidth * architecture.Expansion;

    /// <summary>The stem's 7x7 stride-2 conv from RGB (a norm, ReLU and a 3x3 stride-2 max pool follow).</summary>
    internal static Conv2d StemConv(long outChannels) => nn.Conv2d(3, outChannels, kernel_size: 7, stride: 2, padding: 3, bias: false);

    /// <summary>
    /// torchvision's four <c>_make_layer</c> stages, starting from <paramref name="inChannels"/> channels:
    /// planes baseWidth x (1, 2, 4, 8), strides (1, layer2Stride, 2, 2), <paramref name="normLayer"/> after each conv.
    /// </summary>
    internal static (Sequential Layer1, Sequential Layer2, Sequential Layer3, Sequential Layer4) MakeLayers(
        ResNetArchitecture architecture, long inChannels, long baseWidth, long layer2Stride, NormLayer normLayer)
    {
        long inplanes = inChannels;
        Sequential Stage(int index, long stride)
        {
            long planes = baseWidth << index;
            var layer = MakeLayer(architecture, inplanes, planes, architecture.Layers[index], stride, normLayer);
            inplanes = planes * architecture.Expansion;
            return layer;
        }
        return (Stage(0, 1), Stage(1, layer2Stride), Stage(2, 2), Stage(3, 2));
    }

    /// <summary>
    /// torchvision's <c>_make_layer</c>: the first block takes the stride and, where the stride or the channel
    /// count changes, a 1x1 conv + BN projection of the shortcut (<c>downsample</c>).
    /// </summary>
    private static Sequential MakeLayer(ResNetArchitecture architecture, long inplanes, long planes, int blocks, long stride, NormLayer normLayer)
    {
        long outChannels = planes * architecture.Expansion;
        Sequential? downsample = stride != 1 || inplanes != outChannels
            ? nn.Sequential(Layers.Conv1x1(inplanes, outChannels, stride), normLayer(outChannels))
            : null;
        var layer = nn.Sequential(Block(architecture, inplanes, planes, stride, downsample, normLayer));
        for (int i = 1; i < blocks; i++)
            layer.append(Block(architecture, outChannels, planes, 1, null, normLayer));
        return layer;
    }

    private static nn.Module<Tensor, Tensor> Block(ResNetArchitecture architecture, long inplanes, long planes, long stride, Sequential? downsample, NormLayer normLayer)
        => architecture.Block == ResidualBlockKind.Bottleneck
            ? new Bottleneck(inplanes, planes, stride, downsample, normLayer)
            : new BasicBlock(inplanes, planes, stride, downsample, normLayer);
}
