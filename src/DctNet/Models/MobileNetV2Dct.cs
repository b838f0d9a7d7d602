using DctNet.Export;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DctNet.Models;

/// <summary>
/// The release's <c>MobileNetV2DCT_Subset_woinp</c>: MobileNetV2 without its 3x3 stride-2 stem, the
/// C x 112 x 112 DCT tensor going straight into the first inverted residual, with the standard stage settings (so
/// 112 ends at 7 x 7). Module names are the release's: <c>features.0</c>..<c>features.16</c> in the release's block
/// layout (<see cref="InvertedResidual.ReleaseLayout"/>), <c>conv</c> = 1x1 conv 320 -> 1280 + BN + ReLU6, and a
/// plain linear <c>classifier</c>.
/// </summary>
/// <remarks>
/// Input adaptation of the first block (expansion 1, 32 channels in the RGB model), as the release does it: for
/// C &lt;= 32 its depthwise conv and BN have C channels and its projection takes C inputs (C = 32: the block as it
/// is); for C = 192 its "depthwise" conv becomes a grouped 3x3 conv 192 -> 32 with 32 groups (6 channels each).
/// Other counts are refused, as the release defines none. Narrower test models keep these rules (at width w the
/// 192-channel conv has 32w outputs and groups).
/// </remarks>
public sealed class MobileNetV2Dct : DctModel
{
    private readonly Sequential features;
    private readonly Sequential conv;
    private readonly Linear classifier;

    /// <param name="channels">DCT channels of the input: 1..32 or 192.</param>
    /// <param name="gate">Put the input gate in front (192 channels only).</param>
    /// <param name="widthMultiplier">As <see cref="MobileNetV2"/>'s; the release uses 1.0, less is for cheap test models.</param>
    /// <param name="lastChannels">As <see cref="MobileNetV2"/>'s; null for 1280 at width 1.0.</param>
    public MobileNetV2Dct(int channels, int classes = 1000, bool gate = false, double widthMultiplier = 1.0, int? lastChannels = null)
        : base("MobileNetV2-DCT", ValidateChannels(channels), gate)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(classes);
        long headChannels = MobileNetV2.LastChannelsFor(widthMultiplier, lastChannels);
        var blocks = new List<nn.Module<Tensor, Tensor>>();
        long inputChannels = channels;
        foreach (var (t, c, n, s) in MobileNetV2.InvertedResidualSetting)
        {
            long outputChannels = MobileNetV2.MakeDivisible(c * widthMultiplier);
            for (int i = 0; i < n; i++)
            {
                blocks.Add(blocks.Count == 0
                    ? InputBlock(channels, MobileNetV2.MakeDivisible(MobileNetV2.FirstChannels * widthMultiplier), outputChannels)
                    : InvertedResidual.ReleaseLayout(inputChannels, outputChannels, i == 0 ? s : 1, t));
                inputChannels = outputChannels;
            }
        }
        features = nn.Sequential(blocks);
        conv = nn.Sequential(Layers.Conv1x1(inputChannels, headChannels), nn.BatchNorm2d(headChannels), nn.ReLU6());
        classifier = nn.Linear(headChannels, classes);
        RegisterComponents();
        Layers.InitializeConvsAndNorms(features);
        Layers.InitializeConvsAndNorms(conv);
        Layers.InitializeClassifier(classifier);
    }

    protected override Tensor Classify(Tensor x)
    {
        using var scope = NewDisposeScope();
        // The release pools with AvgPool2d(7) over the 7 x 7 map, i.e. a global average.
        var pooled = nn.functional.adaptive_avg_pool2d(conv.call(features.call(x)), 1).flatten(1);
        return classifier.call(pooled).MoveToOuterDisposeScope();
    }

    protected override string ExportClassifier(OnnxGraph graph, string x)
        => graph.Module(classifier, graph.Flatten(graph.GlobalAveragePool(graph.Module(conv, graph.Module(features, x)))));

    /// <summary>The first inverted residual (expansion 1, stride 1) adapted to the DCT channels; <paramref name="rgbWidth"/> is its width in the RGB model (32).</summary>
    private static InvertedResidual InputBlock(int channels, long rgbWidth, long outputChannels)
    {
        if (channels <= MobileNetV2.FirstChannels)
            return InvertedResidual.ReleaseLayout(channels, outputChannels, stride: 1, expandRatio: 1);
        return new InvertedResidual(
            nn.Sequential(
                Layers.Depthwise3x3(channels, rgbWidth), nn.BatchNorm2d(rgbWidth), nn.ReLU6(),
                Layers.Conv1x1(rgbWidth, outputChannels), nn.BatchNorm2d(outputChannels)),
            useResConnect: false);
    }

    private static int ValidateChannels(int channels)
    {
        if (channels is < 1 || (channels > MobileNetV2.FirstChannels && channels != InputGate.Channels))
            throw new ArgumentException(
                $"MobileNetV2-DCT takes 1 to {MobileNetV2.FirstChannels} DCT channels or all {InputGate.Channels}, got {channels}: the release "
                + $"adapts its first block to at most {MobileNetV2.FirstChannels} channels (24 and 32 published) and to all {InputGate.Channels}, and defines no other count.",
                nameof(channels));
        return channels;
    }
}
