using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DctNet.Models;

/// <summary>A module whose convolution + BatchNorm pairs can be merged into the convolutions for inference.</summary>
internal interface IFoldableBatchNorm
{
    void FoldBatchNorm();
}

/// <summary>
/// Inference speed-up: in evaluation mode a BatchNorm after a convolution is an affine map per channel, so it can
/// be merged into the convolution's weights and bias, and the separate (memory-bound) BatchNorm pass disappears.
/// Measured with <c>dctnet bench model</c> (batch 16, 2 threads): resnet50-dct 5.2-6.0 -> 6.1-6.3 images/s, resnet50
/// 16.3-17.4 -> 18.8-19.9. Outputs change only by float rounding.
/// The folded model is for inference only: its convolutions gain biases, so its state dict is no longer the
/// checkpoint's layout, and training it would train frozen normalizations.
/// </summary>
public static class BatchNormFolding
{
    /// <summary>Folds every BatchNorm of the ResNet blocks and stems; returns how many were folded.</summary>
    /// <exception cref="InvalidOperationException">The model is in training mode.</exception>
    public static int Fold(nn.Module model)
    {
        if (model.training)
            throw new InvalidOperationException("BatchNorm folding needs the model in evaluation mode (call eval() first): training updates the statistics it freezes.");
        int folded = 0;
        foreach (var module in model.modules().OfType<IFoldableBatchNorm>().ToList())
        {
            module.FoldBatchNorm();
            folded++;
        }
        return folded;
    }

    /// <summary>Merges <paramref name="norm"/>'s running statistics and affine parameters into <paramref name="conv"/>.</summary>
    /// <exception cref="InvalidCastException">A norm other than BatchNorm2d: only classification models fold.</exception>
    internal static void Merge(Conv2d conv, nn.Module<Tensor, Tensor> layer)
    {
        var norm = (BatchNorm2d)layer;
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var scale = norm.weight! / norm.running_var!.Plus(norm.eps).sqrt();
        var shift = norm.bias! - norm.running_mean! * scale;
        if (conv.bias is { } existing)
            shift = shift.Plus(existing * scale);
        conv.weight!.mul_(scale.view(-1, 1, 1, 1));
        conv.bias = new Parameter(shift.MoveToOuterDisposeScope(), requires_grad: false);
    }

    /// <summary>Conv then BN, or the conv alone once the BN has been merged into it.</summary>
    internal static Tensor ConvNorm(Conv2d conv, nn.Module<Tensor, Tensor> norm, bool folded, Tensor x)
        => folded ? conv.call(x) : norm.call(conv.call(x));

    /// <summary>Folds a torchvision shortcut projection, Sequential(1x1 conv, BN); returns the conv that replaces it.</summary>
    internal static Conv2d FoldShortcut(Sequential downsample)
    {
        var parts = downsample.children().ToList();
        var conv = (Conv2d)parts[0];
        Merge(conv, (nn.Module<Tensor, Tensor>)parts[1]);
        return conv;
    }
}
