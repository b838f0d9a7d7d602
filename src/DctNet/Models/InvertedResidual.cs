using DctNet.Export;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DctNet.Models;

/// <summary>
/// MobileNetV2's inverted residual: a 1x1 expansion by t with BN and ReLU6 (left out for t = 1), a 3x3 depthwise conv
/// carrying the stride with BN and ReLU6, a linear 1x1 projection with BN; the input is added back when the stride is
/// 1 and the channel count stays. Two state_dict layouts exist: torchvision's and the release's (tonylins').
/// </summary>
public sealed class InvertedResidual : nn.Module<Tensor, Tensor>, IOnnxExportable
{
    private readonly Sequential conv;
    private readonly bool useResConnect;

    internal InvertedResidual(Sequential conv, bool useResConnect) : base(nameof(InvertedResidual))
    {
        this.conv = conv;
        this.useResConnect = useResConnect;
        RegisterComponents();
    }

    /// <summary>
    /// torchvision's layout: expansion and depthwise steps are nested Conv2dNormActivation blocks, the projection conv
    /// and its BN direct children (keys <c>conv.0.0</c>, <c>conv.0.1</c>, <c>conv.1.0</c>, ..., <c>conv.2</c>, <c>conv.3</c>).
    /// </summary>
    public static InvertedResidual TorchvisionLayout(long inp, long oup, long stride, int expandRatio)
    {
        long hidden = inp * expandRatio;
        var steps = new List<nn.Module<Tensor, Tensor>>();
        if (expandRatio != 1)
            steps.Add(Layers.Conv2dNormActivation(inp, hidden, kernelSize: 1));
        steps.Add(Layers.Conv2dNormActivation(hidden, hidden, kernelSize: 3, stride: stride, groups: hidden));
        steps.Add(Layers.Conv1x1(hidden, oup));
        steps.Add(nn.BatchNorm2d(oup));
        return new InvertedResidual(nn.Sequential(steps), stride == 1 && inp == oup);
    }

    /// <summary>
    /// The release's layout, from tonylins/pytorch-mobilenet-v2: one flat Sequential with the ReLU6s in it (keys
    /// <c>conv.0</c>, <c>conv.1</c>, <c>conv.3</c>, <c>conv.4</c>, <c>conv.6</c>, <c>conv.7</c>; for t = 1 only
    /// <c>conv.0</c>, <c>conv.1</c>, <c>conv.3</c>, <c>conv.4</c>).
    /// </summary>
    public static InvertedResidual ReleaseLayout(long inp, long oup, long stride, int expandRatio)
    {
        long hidden = inp * expandRatio;
        var steps = new List<nn.Module<Tensor, Tensor>>();
        if (expandRatio != 1)
            steps.AddRange([Layers.Conv1x1(inp, hidden), nn.BatchNorm2d(hidden), nn.ReLU6()]);
        steps.AddRange([Layers.Depthwise3x3(hidden, hidden, stride), nn.BatchNorm2d(hidden), nn.ReLU6()]);
        steps.AddRange([Layers.Conv1x1(hidden, oup), nn.BatchNorm2d(oup)]);
        return new InvertedResidual(nn.Sequential(steps), stride == 1 && inp == oup);
    }

    public override Tensor forward(Tensor x)
    {
        if (!useResConnect)
            return conv.call(x);
        using var scope = NewDisposeScope();
        return conv.call(x).add_(x, HeldScalars.One).MoveToOuterDisposeScope();
    }

    string IOnnxExportable.ExportOnnx(OnnxGraph graph, string input)
    {
        var output = graph.Module(conv, input);
        return useResConnect ? graph.Add(output, input) : output;
    }
}
