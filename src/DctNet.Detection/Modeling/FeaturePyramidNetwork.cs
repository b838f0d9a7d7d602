using DctNet.Export;
using DctNet.Models;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DctNet.Detection.Modeling;

/// <summary>
/// torchvision's FeaturePyramidNetwork with LastLevelMaxPool: 1x1 lateral convs (<c>inner_blocks.i.0</c>) and 3x3 output
/// convs (<c>layer_blocks.i.0</c>), top-down by nearest-neighbour upsampling to each lateral's size; P6 is P5 max-pooled
/// with kernel 1, stride 2. Returns P2..P6 (torchvision's "0".."3", "pool").
/// </summary>
public sealed class FeaturePyramidNetwork : nn.Module<Tensor[], Tensor[]>
{
    private readonly ModuleList<Sequential> inner_blocks;
    private readonly ModuleList<Sequential> layer_blocks;

    public FeaturePyramidNetwork(IReadOnlyList<long> inChannels, long outChannels = 256) : base(nameof(FeaturePyramidNetwork))
    {
        inner_blocks = new ModuleList<Sequential>([.. inChannels.Select(c => nn.Sequential(nn.Conv2d(c, outChannels, kernel_size: 1)))]);
        layer_blocks = new ModuleList<Sequential>([.. inChannels.Select(_ => nn.Sequential(nn.Conv2d(outChannels, outChannels, kernel_size: 3, padding: 1)))]);
        RegisterComponents();
        ConvInitialization.Apply(this, weight => nn.init.kaiming_uniform_(weight, a: 1));
    }

    public override Tensor[] forward(Tensor[] features)
    {
        using var scope = NewDisposeScope();
        int last = features.Length - 1;
        var lastInner = inner_blocks[last].call(features[last]);
        var results = new Tensor[features.Length + 1];
        results[last] = layer_blocks[last].call(lastInner);
        for (int level = last - 1; level >= 0; level--)
        {
            var lateral = inner_blocks[level].call(features[level]);
            var topDown = nn.functional.interpolate(lastInner, size: [lateral.shape[2], lateral.shape[3]], mode: InterpolationMode.Nearest);
            lastInner = lateral.add(topDown, HeldScalars.One);
            results[level] = layer_blocks[level].call(lastInner);
        }
        results[^1] = nn.functional.max_pool2d(results[last], kernel_size: 1, stride: 2, padding: 0);
        foreach (var result in results)
            result.MoveToOuterDisposeScope();
        return results;
    }

    /// <summary>The nodes of <see cref="forward"/>: the names of P2..P6.</summary>
    public string[] ExportOnnx(OnnxGraph graph, string[] features)
    {
        int last = features.Length - 1;
        var lastInner = graph.Module(inner_blocks[last], features[last]);
        var results = new string[features.Length + 1];
        results[last] = graph.Module(layer_blocks[last], lastInner);
        for (int level = last - 1; level >= 0; level--)
        {
            var lateral = graph.Module(inner_blocks[level], features[level]);
            lastInner = graph.Add(lateral, graph.ResizeNearestTo(lastInner, lateral));
            results[level] = graph.Module(layer_blocks[level], lastInner);
        }
        results[^1] = graph.MaxPool(results[last], kernel: 1, stride: 2, padding: 0);
        return results;
    }
}

/// <summary>torchvision's BackboneWithFPN: <c>body</c> (stages C2..C5) then <c>fpn</c> (P2..P6).</summary>
public sealed class BackboneWithFpn : nn.Module<Tensor, Tensor[]>
{
    private readonly nn.Module<Tensor, Tensor[]> body;
    private readonly FeaturePyramidNetwork fpn;

    /// <param name="body">Returns the four stages' outputs with <paramref name="bodyChannels"/> channels.</param>
    public BackboneWithFpn(nn.Module<Tensor, Tensor[]> body, IReadOnlyList<long> bodyChannels, long outChannels = 256) : base(nameof(BackboneWithFpn))
    {
        this.body = body;
        fpn = new FeaturePyramidNetwork(bodyChannels, outChannels);
        OutChannels = outChannels;
        RegisterComponents();
    }

    public long OutChannels { get; }

    /// <summary>The nodes of <see cref="forward"/>: the names of P2..P6.</summary>
    /// <exception cref="NotSupportedException">A body other than <see cref="ResNetBody"/>.</exception>
    public string[] ExportOnnx(OnnxGraph graph, string input) => body is ResNetBody resnet
        ? fpn.ExportOnnx(graph, resnet.ExportOnnx(graph, input))
        : throw new NotSupportedException($"ONNX export knows the ResNet body, not {body.GetType().Name}.");

    public override Tensor[] forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var results = fpn.call(body.call(x));
        foreach (var result in results)
            result.MoveToOuterDisposeScope();
        return results;
    }
}
