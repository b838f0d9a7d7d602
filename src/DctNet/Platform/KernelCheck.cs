using DctNet.Models;
using static TorchSharp.torch;

namespace DctNet.Platform;

/// <summary>
/// How far a case's float32 results are from float64, each as the largest absolute difference over the largest
/// absolute reference value (the parity tests' measure); null where the pass does not run.
/// </summary>
public sealed record KernelErrors(double Forward, double? InputGradient, double? WeightGradient, double? BiasGradient)
{
    public double Worst => new[] { Forward, InputGradient ?? 0, WeightGradient ?? 0, BiasGradient ?? 0 }.Max();

    /// <summary>"forward 2.1e-01", or the worst of the passes with its name.</summary>
    public string WorstPass
        => Worst == Forward ? "forward"
            : Worst == InputGradient ? "input gradient"
            : Worst == WeightGradient ? "weight gradient" : "bias gradient";
}

/// <summary>
/// Runs one <see cref="KernelCase"/> in float32 as DctNet's models run it (the case's layout, libtorch's kernels) and
/// compares forward and gradients with the same operation in float64 on contiguous tensors, which libtorch computes
/// with its own loops and BLAS, never with oneDNN (oneDNN has no float64 convolution): a reference that the host's
/// oneDNN cannot spoil. Random inputs and weights (Kaiming-scaled) from a fixed seed.
/// </summary>
public static class KernelCheck
{
    /// <summary>The bar: the parity tests' 1e-4 of the largest value. On host B right kernels came within 7e-6, wrong ones 0.2 to 0.54 off.</summary>
    public const double Tolerance = 1e-4;

    public static KernelErrors Run(KernelCase kernel)
    {
        ArgumentNullException.ThrowIfNull(kernel);
        using var scope = NewDisposeScope();
        var generator = new Generator(seed: 20_201_234);
        long fanIn = kernel.WeightShape.Skip(1).Aggregate(1L, (a, b) => a * b);
        var input = randn(kernel.InputShape, dtype: float64, generator: generator);
        var weight = randn(kernel.WeightShape, dtype: float64, generator: generator).Times(1.0 / Math.Sqrt(fanIn));
        var bias = kernel.Bias ? randn([kernel.Outputs], dtype: float64, generator: generator).Times(0.1) : null;

        // The float32 copies first: once the float64 tensors require gradients, copies of them are not leaves.
        var (input32, weight32, bias32) = (input.to(float32), weight.to(float32), bias?.to(float32));
        var (reference, referenceGradients) = Evaluate(kernel, input, weight, bias, null, generator);
        var (result, gradients) = Evaluate(kernel, input32, weight32, bias32, referenceGradients?.Upstream, generator);
        return new KernelErrors(
            Relative(result, reference),
            gradients is null ? null : Relative(gradients.Input, referenceGradients!.Input),
            gradients is null ? null : Relative(gradients.Weight, referenceGradients!.Weight),
            gradients?.Bias is null ? null : Relative(gradients.Bias, referenceGradients!.Bias!));
    }

    private sealed record Gradients(Tensor Upstream, Tensor Input, Tensor Weight, Tensor? Bias);

    /// <summary>The output and, for backward cases, the gradients for an upstream gradient (drawn for the float64 reference, reused for float32).</summary>
    private static (Tensor Output, Gradients? Gradients) Evaluate(KernelCase kernel, Tensor input, Tensor weight, Tensor? bias, Tensor? upstream, Generator generator)
    {
        bool laidOut = kernel.ChannelsLast && input.dtype == float32 && kernel.Operation != KernelOperation.Linear;
        if (laidOut)
        {
            input = ChannelsLast.Of(input);
            weight = ChannelsLast.Of(weight);
        }
        if (kernel.Backward)
        {
            input.requires_grad_();
            weight.requires_grad_();
            bias?.requires_grad_();
        }
        using var gradientMode = kernel.Backward ? enable_grad() : no_grad();
        var output = kernel.Operation switch
        {
            KernelOperation.Convolution => nn.functional.conv2d(input, weight, bias, kernel.Stride, kernel.Padding, kernel.Dilation, kernel.Groups),
            KernelOperation.TransposedConvolution => nn.functional.conv_transpose2d(input, weight, bias, kernel.Stride, kernel.Padding, kernel.OutputPadding,
                kernel.Dilation, kernel.Groups),
            _ => nn.functional.linear(input, weight, bias),
        };
        if (!kernel.Backward)
            return (output.detach(), null);
        upstream = upstream is null ? randn(output.shape, dtype: float64, generator: generator) : upstream.to(output.dtype);
        var outputGradient = laidOut && output.dim() == 4 ? ChannelsLast.Of(upstream) : upstream;
        output.backward([outputGradient]);
        return (output.detach(), new Gradients(upstream, input.grad!, weight.grad!, bias?.grad));
    }

    private static double Relative(Tensor value, Tensor reference)
    {
        double scale = reference.abs().max().item<double>();
        double difference = (value.to(float64) - reference).abs().max().item<double>();
        return scale == 0 ? difference : difference / scale;
    }
}
