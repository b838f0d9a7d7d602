using DctNet.Checkpoints;
using DctNet.Detection.Inference;
using DctNet.Detection.Modeling;
using DctNet.Frequency.Channels;
using DctNet.Frequency.Imaging;
using static DctNet.Detection.Tests.Modeling.DetectionFixtures;
using static TorchSharp.torch;

namespace DctNet.Detection.Tests.Modeling;

/// <summary>The -dct detectors: torchvision's module names without the RGB stem, layer1 adapted to C channels, DCT input at 1/4 of the padded image.</summary>
public sealed class DctDetectionModelTests
{
    [Theory]
    [InlineData(24)]
    [InlineData(64)]
    [InlineData(192)]
    public void Keys_are_torchvisions_without_the_stem_and_layer1_takes_the_channels(int channels)
    {
        using var model = DetectionModels.Create("maskrcnn-r50-fpn-dct", channels: ChannelSubset.BuiltIn(channels));
        var rgb = ModelsJson.GetProperty("keys").GetProperty("maskrcnn-r50-fpn").EnumerateArray()
            .Select(entry => (Key: entry[0].GetString()!, Shape: string.Join("x", entry[1].EnumerateArray().Select(s => s.GetInt64()))))
            .Where(entry => !entry.Key.StartsWith("backbone.body.conv1.", StringComparison.Ordinal) && !entry.Key.StartsWith("backbone.body.bn1.", StringComparison.Ordinal))
            .Select(entry => entry.Key switch
            {
                "backbone.body.layer1.0.conv1.weight" => $"{entry.Key} 64x{channels}x1x1",
                "backbone.body.layer1.0.downsample.0.weight" => $"{entry.Key} 256x{channels}x1x1",
                _ => $"{entry.Key} {entry.Shape}",
            });

        var actual = ModuleState.Capture(model).Select(entry => $"{entry.Key} {string.Join("x", entry.Value.Shape)}");

        Assert.Equal(rgb, actual);
    }

    [Theory]
    [InlineData(65)]
    [InlineData(128)]
    public void Channel_counts_the_release_does_not_define_are_refused(int channels)
    {
        var subset = ChannelSubset.FromLists($"{channels}", Enumerable.Range(0, 64), Enumerable.Range(0, channels - 64), []);
        Assert.Throws<ArgumentOutOfRangeException>(() => DetectionModels.Create("fasterrcnn-r50-fpn-dct", channels: subset));
    }

    [Fact]
    public void Rgb_models_refuse_channels()
        => Assert.Throws<ArgumentException>(() => DetectionModels.Create("fasterrcnn-r50-fpn", channels: ChannelSubset.BuiltIn(24)));

    [Fact]
    public void Features_lie_on_the_padded_grid_and_detections_come_back_in_image_coordinates()
    {
        using var model = DetectionModels.Create("maskrcnn-r50-fpn-dct");
        DetectionModels.LoadWeights(model, DeterministicDetectionWeights.For(model), "deterministic");
        var image = new ImageDecoder().DecodeFile(Path.Combine(DetectionFixtures.Directory, "images", "goose.png"));
        var input = model.DctInput!.Transform(image);
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();

        var features = model.Backbone.call(tensor(input.Values, [1, input.Channels, input.BlockRows, input.BlockColumns]));
        var found = new ImageDetector(model, CPU).Detect(image, minimumScore: 0);

        // goose.png is 228 wide, 320 high: rescaled by 800 / 228 to 800 x 1123, padded to 800 x 1152, 200 x 288 blocks.
        Assert.Equal((24, 288, 200, 800, 1123), (input.Channels, input.BlockRows, input.BlockColumns, input.ResizedWidth, input.ResizedHeight));
        Assert.Equal([[1, 256, 288, 200], [1, 256, 144, 100], [1, 256, 72, 50], [1, 256, 36, 25], [1, 256, 18, 13]], features.Select(f => f.shape));
        Assert.NotEmpty(found);
        // Boxes are clipped to the rescaled image and divided by the factor, as mmdetection does: the rounding of the
        // rescaled size lets them reach a little past the original border (1123 / (800 / 228) = 320.055).
        double right = input.ResizedWidth / input.Scale + 1e-3, bottom = input.ResizedHeight / input.Scale + 1e-3;
        Assert.All(found, d => Assert.True(d.X1 >= 0 && d.Y1 >= 0 && d.X2 <= right && d.Y2 <= bottom && d.X1 <= d.X2 && d.Y1 <= d.Y2, $"{d}"));
        Assert.All(found, d => Assert.Equal((image.Height, image.Width), (d.Mask!.Height, d.Mask.Width)));
    }
}
