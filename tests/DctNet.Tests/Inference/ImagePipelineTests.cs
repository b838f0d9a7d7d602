using DctNet.Frequency;
using DctNet.Frequency.Channels;
using DctNet.Frequency.Geometry;
using DctNet.Frequency.Imaging;
using DctNet.Inference;
using DctNet.Models;

namespace DctNet.Tests.Inference;

public sealed class ImagePipelineTests
{
    private static RgbImage Image(string name)
        => new ImageDecoder().DecodeFile(TestPaths.FixtureImage(name));

    [Fact]
    public void The_DCT_pipeline_is_the_frequency_transform()
    {
        var image = Image("jpeg_420.jpg");
        var pipeline = ImagePipeline.ForDct(CropGeometry.ResNet, ChannelSubset.BuiltIn(24), ChannelStatistics.ImageNet);
        var output = new float[pipeline.Length];

        pipeline.Transform(TestPaths.FixtureImage("jpeg_420.jpg"), output);

        Assert.Equal([24, 56, 56], pipeline.Shape);
        Assert.Equal(new DctTransform(CropGeometry.ResNet, ChannelSubset.BuiltIn(24), ChannelStatistics.ImageNet).Transform(image), output);
        Assert.Equal("DCT 24 x 56 x 56 (channels 24, resize 512, crop 448, normalized)", pipeline.Description);
    }

    [Fact]
    public void The_ImageNet_RGB_pipeline_is_the_torchvision_recipe()
    {
        var image = Image("png_rgb.png");
        var pipeline = ImagePipeline.For(RgbInput.ImageNet);
        var output = new float[pipeline.Length];

        pipeline.Transform(TestPaths.FixtureImage("png_rgb.png"), output);

        Assert.Equal(new RgbTransform().Transform(image), output);
    }

    [Fact]
    public void Other_RGB_statistics_normalize_the_same_pixels()
    {
        string image = TestPaths.FixtureImage("png_rgb.png");
        var raw = ImagePipeline.For(RgbInput.ImageNet with { Normalization = new([0, 0, 0], [1, 1, 1]) });
        var custom = ImagePipeline.For(RgbInput.ImageNet with { Normalization = new([0.5, 0.25, 0], [0.5, 0.25, 2]) });
        var pixels = new float[raw.Length];
        var output = new float[custom.Length];

        raw.Transform(image, pixels);
        custom.Transform(image, output);

        float[] mean = [0.5f, 0.25f, 0f], std = [0.5f, 0.25f, 2f];
        int plane = 224 * 224;
        // Pixels in [0, 1]: 0..255 / 255 up to float rounding.
        Assert.All(pixels, p => Assert.Equal(Math.Round(p * 255), p * 255, 3));
        for (int i = 0; i < output.Length; i++)
            Assert.Equal((pixels[i] - mean[i / plane]) / std[i / plane], output[i], 5);
    }
}
