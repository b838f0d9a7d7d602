using TorchSharp;
using static TorchSharp.torch;

namespace DctNet.Models;

/// <summary>
/// torchvision's FrozenBatchNorm2d: BatchNorm with fixed statistics and affine parameters, all buffers (nothing is
/// trained, nothing is updated, and there is no num_batches_tracked), applied as x * scale + shift in that order.
/// </summary>
public sealed class FrozenBatchNorm2d : nn.Module<Tensor, Tensor>
{
    /// <summary>torchvision's eps.</summary>
    public const double Epsilon = 1e-5;

    public FrozenBatchNorm2d(long features) : base(nameof(FrozenBatchNorm2d))
    {
        register_buffer("weight", ones(features));
        register_buffer("bias", zeros(features));
        register_buffer("running_mean", zeros(features));
        register_buffer("running_var", ones(features));
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        // Every scalar is held until libtorch returns (HeldScalars): a CI run failed here once in Scalar::toFloat.
        using var epsilon = Epsilon.ToScalar();
        var scale = get_buffer("weight")!.reshape(1, -1, 1, 1) * get_buffer("running_var")!.reshape(1, -1, 1, 1).add(epsilon, HeldScalars.One).rsqrt();
        var shift = get_buffer("bias")!.reshape(1, -1, 1, 1) - get_buffer("running_mean")!.reshape(1, -1, 1, 1) * scale;
        return (x * scale).add(shift, HeldScalars.One).MoveToOuterDisposeScope();
    }
}
