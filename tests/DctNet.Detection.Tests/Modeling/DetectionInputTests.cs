using DctNet.Detection.Modeling;
using DctNet.Frequency.Channels;
using DctNet.Frequency.Detection;
using DctNet.Frequency.Imaging;
using static TorchSharp.torch;

namespace DctNet.Detection.Tests.Modeling;

/// <summary>The detector's input components: what a batch and its targets are made of, for RGB and for DCT coefficients.</summary>
public sealed class DetectionInputTests
{
    private static RgbImage Picture(int width, int height, int seed)
    {
        var pixels = new byte[width * height * 3];
        new Random(seed).NextBytes(pixels);
        return new RgbImage(width, height, pixels);
    }

    private static DetectionTarget Target(params float[] box) => new(tensor(box).view(-1, 4), tensor(new long[] { 1 }), null);

    [Fact]
    public void Rgb_input_flips_an_image_and_its_target_before_torchvisions_resize()
    {
        using var scope = NewDisposeScope();
        var transform = new GeneralizedRCNNTransform { MinSize = 20, MaxSize = 40 };
        var picture = Picture(10, 8, seed: 1);

        var (batch, targets) = transform.Batch([transform.Prepare(picture, flip: true)], [Target(1, 2, 4, 6)], device: null);

        var flipped = tensor(picture.Pixels, [8, 10, 3]).permute(2, 0, 1).to(ScalarType.Float32).div(255).flip(2);
        var expected = transform.Apply([flipped]);
        Assert.Equal(expected.Tensors.data<float>().ToArray(), batch.Tensors.data<float>().ToArray());
        Assert.Equal(expected.ImageSizes, batch.ImageSizes);
        Assert.Equal((32L, 32L), batch.PaddedSize);
        // 10 x 8 resized to 25 x 20: the box mirrored in 10 pixels (x 6..9), then scaled by 2.5.
        Assert.Equal([15f, 5f, 22.5f, 15f], targets[0].Boxes.data<float>().ToArray());
    }

    [Fact]
    public void Dct_input_pads_coefficients_into_one_batch_and_rescales_then_flips_targets()
    {
        using var scope = NewDisposeScope();
        var dct = new DetectionDctTransform(ChannelSubset.BuiltIn(6), statistics: null, longEdge: 64, shortEdge: 32);
        var input = new DctGeneralizedRCNNTransform(dct);
        RgbImage wide = Picture(40, 20, seed: 2), square = Picture(20, 20, seed: 3);

        var (batch, targets) = input.Batch([input.Prepare(wide), input.Prepare(square, flip: true)], [Target(2, 2, 10, 8), Target(1, 1, 5, 9)], device: null);

        var first = dct.Transform(wide);
        var second = dct.Transform(square, flip: true);
        // Both x 1.6: wide to 64 x 32 (16 x 8 blocks), square to 32 x 32 (8 x 8 blocks, zero-padded to 16 x 8 in the batch).
        Assert.Equal([2L, 6, 8, 16], batch.Tensors.shape);
        Assert.Equal((32L, 64L), batch.PaddedSize);
        Assert.Equal([(32L, 64L), (32L, 32L)], batch.ImageSizes);
        Assert.Equal(first.Values, batch.Tensors[0].contiguous().data<float>().ToArray());
        Assert.Equal(second.Values, batch.Tensors[1, TensorIndex.Colon, TensorIndex.Colon, TensorIndex.Slice(0, 8)].contiguous().data<float>().ToArray());
        Assert.Equal(0, batch.Tensors[1, TensorIndex.Colon, TensorIndex.Colon, TensorIndex.Slice(8, null)].abs().sum().item<float>());
        Assert.Equal([3.2f, 3.2f, 16f, 12.8f], targets[0].Boxes.data<float>().ToArray());
        float scale = (float)second.Scale;
        Assert.Equal(new[] { 32 - 5 * scale, 1 * scale, 32 - 1 * scale, 9 * scale }, targets[1].Boxes.data<float>().ToArray());
    }

    [Fact]
    public void A_detector_runs_the_input_it_is_given()
    {
        using var model = DetectionModels.Create("fasterrcnn-r50-fpn-dct", channels: ChannelSubset.BuiltIn(6), scale: new InputScale(32, 64));
        var input = Assert.IsType<DctGeneralizedRCNNTransform>(model.Input);
        Assert.Equal((6, 64, 32), (input.Channels!.Count, input.Transform.LongEdge, input.Transform.ShortEdge));
        Assert.Same(TorchvisionTestTime.Instance, model.TestTime);
        using var rgb = DetectionModels.Create("fasterrcnn-r50-fpn", scale: new InputScale(32, 64));
        Assert.Equal((32, 64, null), (Assert.IsType<GeneralizedRCNNTransform>(rgb.Input).MinSize, ((GeneralizedRCNNTransform)rgb.Input).MaxSize, rgb.Input.Channels));
    }
}
