using DctNet.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DctNet.Tests.Models;

/// <summary>Forward passes of narrow variants (base width 8, width multiplier 0.25) on small inputs: shapes and the residual paths.</summary>
public sealed class ModelForwardTests
{
    private const int Classes = 10;
    private const int BaseWidth = 8;

    [Theory]
    [InlineData(18)]
    [InlineData(34)]
    [InlineData(50)]
    [InlineData(101)]
    public void RGB_ResNet_maps_images_to_logits(int depth)
    {
        using var scope = NewDisposeScope();
        torch.manual_seed(depth);
        using var model = new ResNet(ResNetArchitecture.FromDepth(depth), Classes, BaseWidth);
        model.eval();

        var logits = model.call(randn(2, 3, 64, 64));

        Assert.Equal([2L, Classes], logits.shape);
        Assert.True(logits.isfinite().all().item<bool>());
    }

    [Theory]
    [InlineData(18, 6, 1, new long[] { 56, 56, 28, 14 })]
    [InlineData(18, 192, 2, new long[] { 56, 28, 14, 7 })]
    [InlineData(34, 8, 1, new long[] { 56, 56, 28, 14 })]
    [InlineData(50, 6, 1, new long[] { 56, 56, 28, 14 })]
    [InlineData(50, 192, 2, new long[] { 56, 28, 14, 7 })]
    [InlineData(101, 8, 2, new long[] { 56, 28, 14, 7 })]
    public void DCT_ResNet_feeds_the_DCT_tensor_into_layer1_with_the_chosen_layer2_stride(int depth, int channels, int layer2Stride, long[] sides)
    {
        using var scope = NewDisposeScope();
        torch.manual_seed(depth);
        var architecture = ResNetArchitecture.FromDepth(depth);
        using var model = new ResNetDct(architecture, channels, Classes, layer2Stride, baseWidth: BaseWidth);
        model.eval();
        var stageShapes = StageOutputShapes(model, "model.0", "model.1", "model.2", "model.3");

        var logits = model.call(randn(2, channels, 56, 56));

        Assert.Equal([2L, Classes], logits.shape);
        long[] planes = [BaseWidth, 2 * BaseWidth, 4 * BaseWidth, 8 * BaseWidth];
        for (int stage = 0; stage < 4; stage++)
            Assert.Equal([2L, planes[stage] * architecture.Expansion, sides[stage], sides[stage]], stageShapes[stage]);
        Assert.Equal(layer2Stride, model.Layer2Stride);
    }

    [Fact]
    public void RGB_MobileNetV2_maps_images_to_logits()
    {
        using var scope = NewDisposeScope();
        torch.manual_seed(2);
        using var model = new MobileNetV2(Classes, widthMultiplier: 0.25);
        model.eval();

        var logits = model.call(randn(2, 3, 64, 64));

        Assert.Equal([2L, Classes], logits.shape);
        // Width 0.25: the stem has 8 channels, the last conv keeps 1280 (never scaled below 1.0).
        Assert.Equal([8L, 3, 3, 3], model.state_dict()["features.0.0.weight"].shape);
        Assert.Equal([Classes, 1280L], model.state_dict()["classifier.1.weight"].shape);
    }

    [Theory]
    [InlineData(6)]
    [InlineData(24)]
    [InlineData(32)]
    [InlineData(192)]
    public void DCT_MobileNetV2_maps_112_blocks_to_7_by_7_then_logits(int channels)
    {
        using var scope = NewDisposeScope();
        torch.manual_seed(channels);
        using var model = new MobileNetV2Dct(channels, Classes);
        model.eval();
        var featureShape = StageOutputShapes(model, "features");

        var logits = model.call(randn(1, channels, 112, 112));

        Assert.Equal([1L, 320, 7, 7], featureShape[0]);
        Assert.Equal([1L, Classes], logits.shape);
    }

    [Theory]
    [InlineData(16, 1, true)]   // stride 1, channels kept: the input is added back
    [InlineData(16, 2, false)]
    [InlineData(24, 1, false)]
    public void Inverted_residual_adds_its_input_only_when_the_shape_stays(int outputChannels, int stride, bool residual)
    {
        using var scope = NewDisposeScope();
        foreach (var (block, projectionNorm) in new[] { (InvertedResidual.ReleaseLayout(16, outputChannels, stride, 6), "conv.7"), (InvertedResidual.TorchvisionLayout(16, outputChannels, stride, 6), "conv.3") })
        {
            using (block)
            {
                block.eval();
                ZeroNorm(block, projectionNorm);
                var x = randn(1, 16, 8, 8);

                var y = block.call(x);

                // With the projection's BN zeroed the branch is 0, so the output is the shortcut: x or nothing.
                Assert.Equal(residual ? Values(x) : new float[outputChannels * (8 / stride) * (8 / stride)], Values(y));
            }
        }
    }

    [Theory]
    [InlineData(ResidualBlockKind.Basic, 8, 8, false)]
    [InlineData(ResidualBlockKind.Basic, 6, 8, true)]
    [InlineData(ResidualBlockKind.Bottleneck, 32, 8, false)]
    [InlineData(ResidualBlockKind.Bottleneck, 6, 8, true)]
    public void Residual_block_output_is_relu_of_branch_plus_shortcut(ResidualBlockKind kind, int inplanes, int planes, bool projected)
    {
        using var scope = NewDisposeScope();
        torch.manual_seed(5);
        int expansion = kind == ResidualBlockKind.Bottleneck ? Bottleneck.Expansion : BasicBlock.Expansion;
        var downsample = projected ? nn.Sequential(nn.Conv2d(inplanes, planes * expansion, 1, bias: false), nn.BatchNorm2d(planes * expansion)) : null;
        using nn.Module<Tensor, Tensor> block = kind == ResidualBlockKind.Bottleneck
            ? new Bottleneck(inplanes, planes, 1, downsample)
            : new BasicBlock(inplanes, planes, 1, downsample);
        block.eval();
        ZeroNorm(block, kind == ResidualBlockKind.Bottleneck ? "bn3" : "bn2");
        var x = randn(2, inplanes, 5, 5);

        var y = block.call(x);

        var shortcut = downsample is null ? x : downsample.call(x);
        Assert.Equal(Values(nn.functional.relu(shortcut)), Values(y));
    }

    /// <summary>The output shapes of the named submodules, filled in by the next forward pass.</summary>
    private static long[][] StageOutputShapes(nn.Module model, params string[] names)
    {
        var modules = model.named_modules().ToDictionary(m => m.name, m => m.module);
        var shapes = new long[names.Length][];
        for (int i = 0; i < names.Length; i++)
        {
            int index = i;
            ((nn.Module<Tensor, Tensor>)modules[names[i]]).register_forward_hook((_, _, output) =>
            {
                shapes[index] = output.shape;
                return output;
            });
        }
        return shapes;
    }

    private static float[] Values(Tensor t) => t.data<float>().ToArray();

    /// <summary>Zeroes the scale and shift of the residual branch's last BatchNorm, silencing the branch.</summary>
    private static void ZeroNorm(nn.Module block, string name)
    {
        var norm = (BatchNorm2d)block.named_modules().Single(m => m.name == name).module;
        using var noGrad = no_grad();
        norm.weight.zero_();
        norm.bias!.zero_();
    }
}
