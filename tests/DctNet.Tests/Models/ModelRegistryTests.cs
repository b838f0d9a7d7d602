using DctNet.Frequency.Channels;
using DctNet.Frequency.Geometry;
using DctNet.Models;

namespace DctNet.Tests.Models;

/// <summary>The registry: names, the input each model takes, what Create builds, and the refusals.</summary>
public sealed class ModelRegistryTests
{
    [Fact]
    public void Registry_lists_the_RGB_baselines_and_both_strides_of_every_DCT_ResNet()
    {
        Assert.Equal(
            ["resnet18", "resnet18-dct", "resnet18-dct-s2", "resnet34", "resnet34-dct", "resnet34-dct-s2",
             "resnet50", "resnet50-dct", "resnet50-dct-s2", "resnet101", "resnet101-dct", "resnet101-dct-s2",
             "mobilenetv2", "mobilenetv2-dct"],
            ModelRegistry.Models.Names);
    }

    [Fact]
    public void Unknown_name_is_refused_with_the_known_names()
    {
        var error = Assert.Throws<ArgumentException>(() => ModelRegistry.Get("resnet152-dct"));

        Assert.StartsWith("Unknown model 'resnet152-dct'. Known models: resnet18, resnet18-dct, resnet18-dct-s2, resnet34,", error.Message);
        Assert.Contains("mobilenetv2-dct.", error.Message);
        Assert.Same(ModelRegistry.Get("resnet50-dct"), ModelRegistry.Get("ResNet50-DCT"));
    }

    [Theory]
    [InlineData("resnet50-dct", 24, 24, 56)]
    [InlineData("resnet18-dct-s2", 192, 192, 56)]
    [InlineData("resnet101-dct", null, 24, 56)]
    [InlineData("mobilenetv2-dct", 32, 32, 112)]
    [InlineData("mobilenetv2-dct", null, 24, 112)]
    public void DCT_models_take_their_geometry_and_the_channel_subset(string name, int? channels, int expectedChannels, int blocks)
    {
        var definition = ModelRegistry.Get(name);
        var subset = channels is { } count ? ChannelSubset.BuiltIn(count) : null;

        var input = Assert.IsType<DctInput>(definition.ResolveInput(new InputRequest(subset)));

        Assert.True(definition.TakesDct);
        Assert.Equal(blocks == 56 ? CropGeometry.ResNet : CropGeometry.MobileNetV2, input.Geometry);
        Assert.Equal(definition.DefaultInput.Geometry, input.Geometry);
        Assert.Equal(expectedChannels, input.Channels.Count);
        Assert.Equal([expectedChannels, blocks, blocks], input.Shape);
    }

    [Theory]
    [InlineData("resnet18")]
    [InlineData("resnet101")]
    [InlineData("mobilenetv2")]
    public void RGB_models_take_the_torchvision_recipe(string name)
    {
        var definition = ModelRegistry.Get(name);

        var input = Assert.IsType<RgbInput>(definition.DefaultInput);

        Assert.False(definition.TakesDct);
        Assert.Equal(new CropGeometry(256, 224), input.Geometry);
        Assert.Equal([0.485, 0.456, 0.406], input.Normalization!.Mean);
        Assert.Equal([0.229, 0.224, 0.225], input.Normalization.Std);
        Assert.Equal([3, 224, 224], input.Shape);
    }

    [Fact]
    public void Create_builds_the_named_architecture_with_its_stride_gate_and_classes()
    {
        using var released = ModelRegistry.Create("resnet18-dct", ChannelSubset.BuiltIn(48), classes: 7);
        using var strided = ModelRegistry.Create("resnet18-dct-s2", ChannelSubset.All, gate: true);
        using var rgb = ModelRegistry.Create("resnet18", classes: 3);
        using var mobile = ModelRegistry.Create("mobilenetv2-dct", ChannelSubset.All, gate: true);

        var dct = Assert.IsType<ResNetDct>(released);
        Assert.Equal((1, 48, false), (dct.Layer2Stride, dct.Channels, dct.Gate is not null));
        Assert.Equal([7L, 512], dct.state_dict()["fc.weight"].shape);
        Assert.Equal([64L, 48, 3, 3], dct.state_dict()["model.0.0.conv1.weight"].shape);
        var gated = Assert.IsType<ResNetDct>(strided);
        Assert.Equal((2, 192, true), (gated.Layer2Stride, gated.Channels, gated.Gate is not null));
        Assert.Equal([3L, 512], Assert.IsType<ResNet>(rgb).state_dict()["fc.weight"].shape);
        Assert.NotNull(Assert.IsType<MobileNetV2Dct>(mobile).Gate);
        Assert.Equal([32L, 6, 3, 3], mobile.state_dict()["features.0.conv.0.weight"].shape);
    }

    [Theory]
    [InlineData("resnet50-dct", 65)]
    [InlineData("resnet50-dct", 100)]
    [InlineData("resnet18-dct-s2", 191)]
    [InlineData("mobilenetv2-dct", 33)]
    [InlineData("mobilenetv2-dct", 48)]
    [InlineData("mobilenetv2-dct", 64)]
    public void Channel_counts_the_release_does_not_define_are_refused(string name, int channels)
    {
        // The first `channels` of the 192, as a subset file could list them.
        int Take(int component) => Math.Clamp(channels - 64 * component, 0, 64);
        var subset = ChannelSubset.FromLists($"{channels} channels", Enumerable.Range(0, Take(0)), Enumerable.Range(0, Take(1)), Enumerable.Range(0, Take(2)));

        var error = Assert.Throws<ArgumentException>(() => ModelRegistry.Create(name, subset));

        string accepted = name.StartsWith("mobilenetv2", StringComparison.Ordinal) ? "takes 1 to 32 DCT channels or all 192" : "takes 1 to 64 DCT channels or all 192";
        Assert.Contains($"{accepted}, got {channels}", error.Message);
    }

    [Fact]
    public void Channels_and_gate_are_refused_where_they_do_not_apply()
    {
        var channelsOnRgb = Assert.Throws<ArgumentException>(() => ModelRegistry.Create("resnet50", ChannelSubset.BuiltIn(24)));
        var gateOnRgb = Assert.Throws<ArgumentException>(() => ModelRegistry.Create("mobilenetv2", gate: true));
        var gateOnSubset = Assert.Throws<ArgumentException>(() => ModelRegistry.Create("resnet50-dct", ChannelSubset.BuiltIn(64), gate: true));
        var classes = Assert.Throws<ArgumentOutOfRangeException>(() => ModelRegistry.Create("resnet18-dct", classes: 0));
        var stride = Assert.Throws<ArgumentOutOfRangeException>(() => new ResNetDct(ResNetArchitecture.ResNet18, 24, layer2Stride: 3));
        var depth = Assert.Throws<ArgumentException>(() => ResNetArchitecture.FromDepth(152));

        Assert.Contains("resnet50 takes RGB images; channel subsets are for the DCT models", channelsOnRgb.Message);
        Assert.Contains("the input gate is for DCT models with all 192 channels", gateOnRgb.Message);
        Assert.Contains("selects among all 192 channels; ResNet-50-DCT was asked for 64", gateOnSubset.Message);
        Assert.Equal("classes", classes.ParamName);
        Assert.Contains("1 (as released) or 2", stride.Message);
        Assert.Contains("choose one of 18, 34, 50, 101", depth.Message);
    }
}
