using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DctNet.Models;

/// <summary>torchvision's BasicBlock: two 3x3 convs with BN, the first one strided, plus the shortcut.</summary>
public sealed class BasicBlock : nn.Module<Tensor, Tensor>, IFoldableBatchNorm
{
    public const int Expansion = 1;

    private readonly Conv2d conv1;
    private readonly nn.Module<Tensor, Tensor> bn1;
    private readonly Conv2d conv2;
    private readonly nn.Module<Tensor, Tensor> bn2;
    private readonly Sequential? downsample;
    private bool foldedNorms;
    private Conv2d? foldedShortcut;

    /// <param name="downsample">Projection of the shortcut where the block changes the shape; null for the identity.</param>
    /// <param name="normLayer">The norm after each conv (BatchNorm2d when null).</param>
    public BasicBlock(long inplanes, long planes, long stride = 1, Sequential? downsample = null, NormLayer? normLayer = null) : base(nameof(BasicBlock))
    {
        normLayer ??= Layers.BatchNorm;
        conv1 = Layers.Conv3x3(inplanes, planes, stride);
        bn1 = normLayer(planes);
        conv2 = Layers.Conv3x3(planes, planes);
        bn2 = normLayer(planes);
        this.downsample = downsample;
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var output = BatchNormFolding.ConvNorm(conv1, bn1, foldedNorms, x).relu_();
        output = BatchNormFolding.ConvNorm(conv2, bn2, foldedNorms, output);
        output.add_(Shortcut(x)).relu_();
        return output.MoveToOuterDisposeScope();
    }

    private Tensor Shortcut(Tensor x) => foldedShortcut?.call(x) ?? downsample?.call(x) ?? x;

    void IFoldableBatchNorm.FoldBatchNorm()
    {
        if (foldedNorms)
            return;
        BatchNormFolding.Merge(conv1, bn1);
        BatchNormFolding.Merge(conv2, bn2);
        if (downsample is not null)
            foldedShortcut = BatchNormFolding.FoldShortcut(downsample);
        foldedNorms = true;
    }
}
