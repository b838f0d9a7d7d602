using DctNet.Checkpoints;
using DctNet.Models;
using static TorchSharp.torch;

namespace DctNet.Tests.Models;

public class RgbPretrainedInitializationTests
{
    private static readonly ResNetArchitecture TinyBottleneck = new(ResidualBlockKind.Bottleneck, [1, 1, 1, 1]);
    private static readonly ResNetArchitecture TinyBasic = new(ResidualBlockKind.Basic, [1, 1, 1, 1]);

    private static StateDict RgbWeights(ResNetArchitecture architecture, int classes)
    {
        manual_seed(1);
        using var rgb = new ResNet(architecture, classes, baseWidth: 64);
        return ModuleState.Capture(rgb);
    }

    private static float[] Values(StateDict state, string key) => state[key].ToArray<float>();

    [Fact]
    public void Layers_move_under_model_and_the_first_convs_take_the_first_input_channels()
    {
        var rgb = RgbWeights(TinyBottleneck, classes: 10);
        using var dct = new ResNetDct(TinyBottleneck, channels: 24, classes: 10);
        RgbPretrainedInitialization.Initialize(dct, rgb, "rgb.pth");
        var state = ModuleState.Capture(dct);

        Assert.Equal(Values(rgb, "layer3.0.conv2.weight"), Values(state, "model.2.0.conv2.weight"));
        Assert.Equal(Values(rgb, "layer1.0.bn1.running_var"), Values(state, "model.0.0.bn1.running_var"));
        Assert.Equal(Values(rgb, "fc.weight"), Values(state, "fc.weight"));

        using var rgbConv1 = rgb["layer1.0.conv1.weight"].ToTensor();
        using var dctConv1 = state["model.0.0.conv1.weight"].ToTensor();
        Assert.Equal(new long[] { 64, 24, 1, 1 }, dctConv1.shape);
        Assert.True(dctConv1.allclose(rgbConv1[.., ..24], rtol: 0, atol: 0));
        using var rgbShortcut = rgb["layer1.0.downsample.0.weight"].ToTensor();
        using var dctShortcut = state["model.0.0.downsample.0.weight"].ToTensor();
        Assert.True(dctShortcut.allclose(rgbShortcut[.., ..24], rtol: 0, atol: 0));
    }

    [Fact]
    public void Another_class_count_keeps_a_fresh_classifier_and_192_channels_keep_fresh_first_convs()
    {
        var rgb = RgbWeights(TinyBottleneck, classes: 10);
        using var dct = new ResNetDct(TinyBottleneck, channels: 192, classes: 2);
        var fresh = ModuleState.Capture(dct);
        RgbPretrainedInitialization.Initialize(dct, rgb, "rgb.pth");
        var state = ModuleState.Capture(dct);

        Assert.Equal(Values(fresh, "fc.weight"), Values(state, "fc.weight"));
        Assert.Equal(Values(fresh, "model.0.0.conv1.weight"), Values(state, "model.0.0.conv1.weight"));
        Assert.Equal(Values(rgb, "layer4.0.conv3.weight"), Values(state, "model.3.0.conv3.weight"));
    }

    [Fact]
    public void Basic_block_dct_resnet_slices_conv1_and_keeps_its_added_shortcut_fresh()
    {
        var rgb = RgbWeights(TinyBasic, classes: 10);
        using var dct = new ResNetDct(TinyBasic, channels: 6, classes: 10);
        var fresh = ModuleState.Capture(dct);
        RgbPretrainedInitialization.Initialize(dct, rgb, "rgb.pth");
        var state = ModuleState.Capture(dct);

        using var rgbConv1 = rgb["layer1.0.conv1.weight"].ToTensor();
        using var dctConv1 = state["model.0.0.conv1.weight"].ToTensor();
        Assert.True(dctConv1.allclose(rgbConv1[.., ..6], rtol: 0, atol: 0));
        Assert.Equal(Values(fresh, "model.0.0.downsample.0.weight"), Values(state, "model.0.0.downsample.0.weight"));
    }

    [Fact]
    public void Weights_of_another_depth_are_reported_not_half_loaded()
    {
        var rgb = RgbWeights(TinyBasic, classes: 10);
        using var dct = new ResNetDct(TinyBottleneck, channels: 24, classes: 10);
        var before = ModuleState.Capture(dct);
        var error = Assert.Throws<StateDictMismatchException>(() => RgbPretrainedInitialization.Initialize(dct, rgb, "resnet18.pth"));
        Assert.StartsWith("resnet18.pth", error.Message);
        Assert.Contains("layer1.0.conv3.weight", error.Missing);
        Assert.Equal(Values(before, "model.1.0.conv1.weight"), Values(ModuleState.Capture(dct), "model.1.0.conv1.weight"));
    }
}
