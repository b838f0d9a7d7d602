using DctNet.Export;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DctNet.Models;

/// <summary>
/// The release's <c>ResNetDCT_Upscaled_Static</c>: torchvision's ResNet without its stem (conv1, bn1, relu, maxpool),
/// the C x 56 x 56 DCT tensor going straight into layer1. Module names are the release's: <c>model</c> =
/// Sequential(layer1, layer2, layer3, layer4, average pool), so keys <c>model.0</c>..<c>model.3</c>, then <c>fc</c>.
/// </summary>
/// <remarks>
/// Input adaptation: layer1 is built from C input channels instead of the stem's 64, which is exactly the release's
/// change for C &lt; 64 and C = 192 on ResNet-50 (its first block's conv1 becomes a 1x1 C -> 64 and its downsample a
/// 1x1 C -> 256) and leaves layer1 as it is for C = 64. For ResNet-18/34, whose layer1 has no downsample, the same
/// rule makes the first block's conv1 a 3x3 C -> 64 and, for C != 64, adds a 1x1 conv + BN downsample C -> 64 to the
/// shortcut; the release has no such models. Counts between 64 and 192 are refused, as the release defines none.
/// </remarks>
public sealed class ResNetDct : DctModel
{
    /// <summary>The most channels below 192 that the release accepts: the stem's width, which layer1 expects.</summary>
    public const int MaxSubsetChannels = 64;

    private readonly Sequential model;
    private readonly Linear fc;

    /// <param name="channels">DCT channels of the input: 1..64 (64 = layer1 unchanged) or 192.</param>
    /// <param name="layer2Stride">1 as released (feature maps 56, 56, 28, 14; about 3.3x the compute of RGB
    /// ResNet-50), or torchvision's 2 (56, 28, 14, 7; about RGB's compute). Weights fit both.</param>
    /// <param name="gate">Put the input gate in front (192 channels only).</param>
    /// <param name="baseWidth">layer1's planes (64 as in torchvision), smaller only for cheap test models; the
    /// channel rule stays that of the full-size model.</param>
    public ResNetDct(ResNetArchitecture architecture, int channels, int classes = 1000, int layer2Stride = 1, bool gate = false, int baseWidth = 64)
        : base($"{architecture.Name}-DCT", ValidateChannels(architecture, channels), gate)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(classes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(baseWidth);
        if (layer2Stride is not (1 or 2))
            throw new ArgumentOutOfRangeException(nameof(layer2Stride), layer2Stride, "layer2's stride is 1 (as released) or 2 (torchvision's).");
        var (layer1, layer2, layer3, layer4) = ResNet.MakeLayers(architecture, channels, baseWidth, layer2Stride, Layers.BatchNorm);
        model = nn.Sequential(layer1, layer2, layer3, layer4, nn.AdaptiveAvgPool2d(1));
        fc = nn.Linear(ResNet.FeatureChannels(architecture, baseWidth), classes);
        Layer2Stride = layer2Stride;
        RegisterComponents();
        Layers.InitializeConvsAndNorms(model);
    }

    public int Layer2Stride { get; }

    protected override Tensor Classify(Tensor x)
    {
        using var scope = NewDisposeScope();
        return fc.call(model.call(x).flatten(1)).MoveToOuterDisposeScope();
    }

    protected override string ExportClassifier(OnnxGraph graph, string x)
        => graph.Module(fc, graph.Flatten(graph.Module(model, x)));

    /// <summary>
    /// Whether layer1 can take <paramref name="channels"/> DCT channels: 1 to <see cref="MaxSubsetChannels"/> or all
    /// <see cref="InputGate.Channels"/>, as the release adapts it (also the rule of the DCT detection backbone, <see cref="ResNetBody"/>).
    /// </summary>
    public static bool TakesChannels(int channels) => channels is >= 1 and <= MaxSubsetChannels || channels == InputGate.Channels;

    private static int ValidateChannels(ResNetArchitecture architecture, int channels)
    {
        if (!TakesChannels(channels))
            throw new ArgumentException(
                $"{architecture.Name}-DCT takes 1 to {MaxSubsetChannels} DCT channels or all {InputGate.Channels}, got {channels}: the release adapts "
                + $"layer1 to fewer than {MaxSubsetChannels} channels and to all {InputGate.Channels}, and defines no count in between.", nameof(channels));
        return channels;
    }
}
