using DctNet.Export;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DctNet.Models;

/// <summary>
/// What torchvision's BasicBlock and Bottleneck share: conv + norm steps with a ReLU between them, the shortcut (the
/// identity, or <c>downsample</c>) added before the last ReLU. The steps are registered as <c>conv1</c>, <c>bn1</c>,
/// <c>conv2</c>, ... then <c>downsample</c>, torchvision's state_dict keys in its order.
/// </summary>
public abstract class ResidualBlock : nn.Module<Tensor, Tensor>, IFoldableBatchNorm, IOnnxExportable
{
    private readonly (Conv2d Conv, nn.Module<Tensor, Tensor> Norm)[] steps;
    private readonly Sequential? downsample;
    private bool foldedNorms;
    private Conv2d? foldedShortcut;

    /// <param name="downsample">Projection of the shortcut where the block changes the shape; null for the identity.</param>
    /// <param name="normLayer">The norm after each conv (BatchNorm2d when null).</param>
    private protected ResidualBlock(string name, Conv2d[] convs, Sequential? downsample, NormLayer? normLayer) : base(name)
    {
        normLayer ??= Layers.BatchNorm;
        steps = [.. convs.Select(conv => (conv, normLayer(conv.out_channels)))];
        for (int i = 0; i < steps.Length; i++)
        {
            register_module($"conv{i + 1}", steps[i].Conv);
            register_module($"bn{i + 1}", steps[i].Norm);
        }
        this.downsample = downsample;
        if (downsample is not null)
            register_module(nameof(downsample), downsample);
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var output = x;
        for (int i = 0; i < steps.Length; i++)
        {
            output = BatchNormFolding.ConvNorm(steps[i].Conv, steps[i].Norm, foldedNorms, output);
            if (i < steps.Length - 1)
                output.relu_();
        }
        output.add_(Shortcut(x), HeldScalars.One).relu_();
        return output.MoveToOuterDisposeScope();
    }

    string IOnnxExportable.ExportOnnx(OnnxGraph graph, string input)
    {
        var output = input;
        for (int i = 0; i < steps.Length; i++)
        {
            output = graph.ConvNorm(steps[i].Conv, steps[i].Norm, foldedNorms, output);
            if (i < steps.Length - 1)
                output = graph.Relu(output);
        }
        var shortcut = foldedShortcut is not null ? graph.Module(foldedShortcut, input) : downsample is not null ? graph.Module(downsample, input) : input;
        return graph.Relu(graph.Add(output, shortcut));
    }

    private Tensor Shortcut(Tensor x) => foldedShortcut?.call(x) ?? downsample?.call(x) ?? x;

    void IFoldableBatchNorm.FoldBatchNorm()
    {
        if (foldedNorms)
            return;
        foreach (var (conv, norm) in steps)
            BatchNormFolding.Merge(conv, norm);
        if (downsample is not null)
            foldedShortcut = BatchNormFolding.FoldShortcut(downsample);
        foldedNorms = true;
    }
}
