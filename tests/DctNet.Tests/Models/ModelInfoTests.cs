using DctNet.Frequency.Channels;
using DctNet.Models;
using static TorchSharp.torch;

namespace DctNet.Tests.Models;

/// <summary>Parameter and MAC counts against the reference's figures (REFERENCE.md section 2, torchvision).</summary>
public sealed class ModelInfoTests
{
    private const double RgbResNet50Macs = 4.09e9;

    [Fact]
    public void MACs_count_each_conv_and_linear_output_times_its_weights_per_output()
    {
        using var model = nn.Sequential(
            nn.Conv2d(3, 4, kernel_size: 3, padding: 1),       // 4 x 8 x 8 outputs x 27 weights = 6912
            nn.Conv2d(4, 8, kernel_size: 1, groups: 4),        // 8 x 8 x 8 outputs x 1 weight = 512
            nn.Flatten(),
            nn.Linear(512, 10));                               // 10 outputs x 512 weights = 5120
        model.train();

        var info = ModelInfo.Measure(model, [3, 8, 8]);

        Assert.Equal(6912 + 512 + 5120, info.MacsPerImage);
        Assert.Equal(3 * 4 * 9 + 4 + 8 * 1 + 8 + 512 * 10 + 10, info.Parameters);
        Assert.Equal([3, 8, 8], info.InputShape);
        Assert.True(model.training, "Measure must give the model its training mode back");
    }

    [Fact]
    public void RGB_ResNet50_has_torchvisions_parameters_and_4_09_GMAC()
    {
        var info = ModelRegistry.Get("resnet50").Info();

        Assert.Equal(25_557_032, info.Parameters);
        Assert.InRange(info.MacsPerImage, 0.98 * RgbResNet50Macs, 1.02 * RgbResNet50Macs);
        Assert.Equal(4_089_184_256, info.MacsPerImage);
        Assert.Equal([3, 224, 224], info.InputShape);
    }

    [Fact]
    public void DCT_ResNet50_at_24_channels_costs_the_measured_13_5_GMAC_as_released_and_RGB_level_with_stride_2()
    {
        var released = Info("resnet50-dct", ChannelSubset.BuiltIn(24));
        var strided = Info("resnet50-dct-s2", ChannelSubset.BuiltIn(24));

        Assert.InRange(released.MacsPerImage, 0.98 * 13.5e9, 1.02 * 13.5e9);
        Assert.Equal(13_526_286_336, released.MacsPerImage);
        // No stem and a cheaper first block: a little under RGB ResNet-50.
        Assert.InRange(strided.MacsPerImage / RgbResNet50Macs, 0.95, 1.0);
        Assert.Equal(3_931_029_504, strided.MacsPerImage);
        // RGB ResNet-50 without the 7x7 stem (9,408 + BN 128) and with 24-channel inputs to layer1's first convs.
        Assert.Equal(25_557_032 - 9_408 - 128 - 64 * 40 - 256 * 40, released.Parameters);
        Assert.Equal(released.Parameters, strided.Parameters);
        Assert.Equal([24, 56, 56], released.InputShape);
    }

    [Fact]
    public void MobileNetV2_has_torchvisions_parameters_and_0_3_GMAC_and_the_DCT_model_about_the_same()
    {
        var rgb = ModelRegistry.Get("mobilenetv2").Info();
        var dct = Info("mobilenetv2-dct", ChannelSubset.BuiltIn(24));

        Assert.Equal(3_504_872, rgb.Parameters);
        Assert.Equal(MobileNetV2Macs(3, 224, stem: true), rgb.MacsPerImage);       // 300,774,272
        Assert.Equal(MobileNetV2Macs(24, 112, stem: false), dct.MacsPerImage);     // 287,427,456: no stem, 24-channel first block
        // No 3 x 3 stem (864 + BN 64); the first block's depthwise conv and BN at 24 channels instead of 32, its projection 24 -> 16.
        Assert.Equal(3_504_872 - 864 - 64 - 8 * 9 - 2 * 8 - 16 * 8, dct.Parameters);
        Assert.Equal([24, 112, 112], dct.InputShape);
    }

    /// <summary>
    /// MobileNetV2's MACs per image counted layer by layer from its definition (torchvision's, REFERENCE.md section 2):
    /// a conv costs out_h x out_w x k x k x in_c x out_c / groups, a linear layer in x out; BN, ReLU6 and pooling nothing.
    /// </summary>
    private static long MobileNetV2Macs(int inputChannels, int size, bool stem)
    {
        static long Conv(int outputSize, int kernel, int inChannels, int outChannels, int groups = 1)
            => (long)outputSize * outputSize * kernel * kernel * inChannels * outChannels / groups;

        long macs = 0;
        int channels = inputChannels;
        if (stem)
        {
            size /= 2;
            macs += Conv(size, 3, channels, 32);                  // 3x3 stride 2: 112 x 112 x 9 x 3 x 32 = 10,838,016
            channels = 32;
        }
        // The first inverted residual (t = 1): depthwise 3x3 on its input (32, or the DCT model's C < 32), 1x1 projection to 16.
        macs += Conv(size, 3, channels, channels, groups: channels) + Conv(size, 1, channels, 16);
        channels = 16;
        foreach (var (t, c, n, s) in (ReadOnlySpan<(int, int, int, int)>)[(6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)])
        {
            for (int block = 0; block < n; block++)
            {
                int hidden = channels * t;
                macs += Conv(size, 1, channels, hidden);          // 1x1 expansion, at the input's size
                size /= block == 0 ? s : 1;                       // the depthwise conv carries the stage's stride
                macs += Conv(size, 3, hidden, hidden, groups: hidden) + Conv(size, 1, hidden, c);
                channels = c;
            }
        }
        // 1x1 conv 320 -> 1280 at 7 x 7 (20,070,400), global average pool, linear 1280 -> 1000 (1,280,000).
        Assert.Equal(7, size);
        return macs + Conv(size, 1, channels, 1280) + 1280 * 1000;
    }

    private static ModelInfo Info(string model, ChannelSubset channels)
    {
        var definition = ModelRegistry.Get(model);
        return definition.Info(definition.ResolveInput(new InputRequest(channels)));
    }
}
