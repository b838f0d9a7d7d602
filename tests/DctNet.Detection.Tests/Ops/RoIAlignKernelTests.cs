using DctNet.Detection.Ops;
using static TorchSharp.torch;

namespace DctNet.Detection.Tests.Ops;

/// <summary>The CPU kernel against the tensor-op path it replaces (itself checked against torchvision in OpsParityTests), values and gradients.</summary>
public sealed class RoIAlignKernelTests
{
    [Theory]
    [InlineData(false, 7, 2, 0.25f)]
    [InlineData(true, 7, 2, 0.25f)]
    [InlineData(false, 14, 2, 0.125f)]
    [InlineData(true, 5, 3, 0.5f)]
    public void Kernel_equals_the_tensor_op_path_forward_and_backward(bool aligned, int size, int ratio, float scale)
    {
        using var scope = NewDisposeScope();
        using var generator = new Generator(42);
        // 19 channels: the vector loop and its scalar tail both run.
        var features = randn([2, 19, 13, 17], generator: generator).requires_grad_();
        var corners = rand([40, 2], generator: generator) * tensor(new[] { 17 / scale, 13 / scale }) - 4 / scale;
        var sizes = rand([40, 2], generator: generator) * 12 / scale;
        var rois = cat([randint(0, 2, [40, 1], generator: generator).to(ScalarType.Float32), corners, corners + sizes], 1);
        // Fully outside, empty, and the whole map.
        rois[0] = tensor(new[] { 0f, -9 / scale, -9 / scale, -3 / scale, -3 / scale });
        rois[1] = tensor(new[] { 1f, 5, 5, 5, 5 });
        rois[2] = tensor(new[] { 1f, 0, 0, 17 / scale, 13 / scale });
        var plan = RoIAlignPlan.For(features, rois, size, size, scale, ratio, aligned ? RoIAlignPlan.Boxes.TorchvisionAligned : RoIAlignPlan.Boxes.Torchvision);
        var weights = randn([40, 19, size, size], generator: generator);

        var reference = RoIAlign.Gather(features, plan);
        (reference * weights).sum().backward();
        var referenceGradient = features.grad!.clone();
        features.grad!.zero_();

        var output = RoIAlign.Apply(features, rois, size, size, scale, ratio, aligned);
        (output * weights).sum().backward();

        Assert.Equal(reference.shape, output.shape);
        Assert.True((output - reference).abs().max().item<float>() <= 1e-5f, "forward");
        Assert.True((features.grad! - referenceGradient).abs().max().item<float>() <= 1e-5f, "backward");
        Assert.True(referenceGradient.abs().sum().item<float>() > 0, "the case has gradients");
        Assert.Equal(0f, output[0].abs().max().item<float>());
    }
}
