using DctNet.Export;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DctNet.Models;

/// <summary>
/// torchvision's MobileNetV2 on RGB input, with its module names (<c>features.0</c> the 3x3 stride-2 stem,
/// <c>features.1</c>..<c>features.17</c> the inverted residuals, <c>features.18</c> the 1x1 conv to 1280,
/// <c>classifier.1</c> the linear layer after dropout 0.2), so that torchvision's state_dicts load unchanged.
/// </summary>
public sealed class MobileNetV2 : nn.Module<Tensor, Tensor>, IOnnxExportable
{
    /// <summary>The inverted residual stages (expansion t, output channels c, blocks n, first stride s).</summary>
    internal static readonly (int T, int C, int N, int S)[] InvertedResidualSetting =
        [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)];

    internal const int FirstChannels = 32;
    internal const int LastChannels = 1280;

    private readonly Sequential features;
    private readonly Sequential classifier;

    /// <param name="widthMultiplier">Scales every layer's channels (rounded to multiples of 8), as torchvision's width_mult.</param>
    /// <param name="lastChannels">Channels of the last 1x1 conv; null for torchvision's 1280 x max(1, width). Smaller
    /// only for cheap test models (the parity fixtures use 64).</param>
    public MobileNetV2(int classes = 1000, double widthMultiplier = 1.0, int? lastChannels = null) : base(nameof(MobileNetV2))
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(classes);
        long inputChannels = MakeDivisible(FirstChannels * widthMultiplier);
        long headChannels = LastChannelsFor(widthMultiplier, lastChannels);

        var layers = new List<nn.Module<Tensor, Tensor>> { Layers.Conv2dNormActivation(3, inputChannels, kernelSize: 3, stride: 2) };
        foreach (var (t, c, n, s) in InvertedResidualSetting)
        {
            long outputChannels = MakeDivisible(c * widthMultiplier);
            for (int i = 0; i < n; i++)
            {
                layers.Add(InvertedResidual.TorchvisionLayout(inputChannels, outputChannels, i == 0 ? s : 1, t));
                inputChannels = outputChannels;
            }
        }
        layers.Add(Layers.Conv2dNormActivation(inputChannels, headChannels, kernelSize: 1));
        features = nn.Sequential(layers);
        var linear = nn.Linear(headChannels, classes);
        classifier = nn.Sequential(nn.Dropout(0.2), linear);
        RegisterComponents();
        Layers.InitializeConvsAndNorms(features);
        Layers.InitializeClassifier(linear);
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var pooled = nn.functional.adaptive_avg_pool2d(features.call(x), 1).flatten(1);
        return classifier.call(pooled).MoveToOuterDisposeScope();
    }

    string IOnnxExportable.ExportOnnx(OnnxGraph graph, string input)
        => graph.Module(classifier, graph.Flatten(graph.GlobalAveragePool(graph.Module(features, input))));

    /// <summary>The last conv's channels: <paramref name="lastChannels"/> if given, else torchvision's 1280 x max(1, width).</summary>
    internal static long LastChannelsFor(double widthMultiplier, int? lastChannels)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(widthMultiplier);
        if (lastChannels is { } channels)
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(channels, nameof(lastChannels));
            return channels;
        }
        return MakeDivisible(LastChannels * Math.Max(1.0, widthMultiplier));
    }

    /// <summary>torchvision's <c>_make_divisible</c>: the nearest multiple of 8, at least 8, never below 90% of <paramref name="value"/>.</summary>
    internal static long MakeDivisible(double value, int divisor = 8)
    {
        long rounded = Math.Max(divisor, (long)(value + divisor / 2.0) / divisor * divisor);
        return rounded < 0.9 * value ? rounded + divisor : rounded;
    }
}
