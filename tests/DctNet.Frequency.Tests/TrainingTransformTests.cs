using DctNet.Frequency.Channels;
using DctNet.Frequency.Geometry;
using DctNet.Frequency.Imaging;

namespace DctNet.Frequency.Tests;

public class TrainingTransformTests
{
    [Fact]
    public void Random_resized_crops_stay_inside_and_respect_scale_and_ratio()
    {
        var random = new Random(3);
        for (int i = 0; i < 2000; i++)
        {
            var window = RandomResizedCrop.Sample(500, 375, random);
            Assert.True(window.Left >= 0 && window.Top >= 0 && window.Right <= 500 && window.Bottom <= 375, $"{window} leaves the image");
            double scale = (double)window.Width * window.Height / (500 * 375);
            double ratio = (double)window.Width / window.Height;
            Assert.InRange(scale, 0.07, 1.0);
            Assert.InRange(ratio, 0.7, 1.4);
        }
    }

    [Fact]
    public void Extreme_aspect_ratio_falls_back_to_a_centre_crop_within_the_ratio_bounds()
    {
        var window = RandomResizedCrop.Sample(1000, 10, new Random(1));
        Assert.True(window.Width <= 14 && window.Height == 10, window.ToString());
    }

    [Fact]
    public void Same_seed_gives_the_same_sample_and_another_seed_does_not()
    {
        var image = new ImageDecoder().DecodeFile(Fixtures.PathOf("images/jpeg_444.jpg"));
        var transform = new DctTransform(new CropGeometry(64, 48), ChannelSubset.BuiltIn(24), ChannelStatistics.ImageNet);
        float[] Sample(int seed)
        {
            var output = new float[transform.OutputLength];
            transform.TransformForTraining(image, new Random(seed), output);
            return output;
        }
        Assert.Equal(Sample(5), Sample(5));
        Assert.NotEqual(Sample(5), Sample(6));
    }

    [Fact]
    public void Flipping_a_symmetric_crop_mirrors_only_the_odd_horizontal_frequencies()
    {
        // A horizontal flip negates coefficients with odd u (k = 8v + u) and keeps the rest: check it on the
        // full-image crop of a flat-bordered image, where the random window is the whole image.
        var pixels = new byte[48 * 48 * 3];
        for (int y = 0; y < 48; y++)
        for (int x = 0; x < 48; x++)
        for (int c = 0; c < 3; c++)
            pixels[(y * 48 + x) * 3 + c] = (byte)(x * 5 + c * 20 + y);
        var image = new RgbImage(48, 48, pixels);
        var flipped = new byte[pixels.Length];
        for (int y = 0; y < 48; y++)
        for (int x = 0; x < 48; x++)
            pixels.AsSpan((y * 48 + x) * 3, 3).CopyTo(flipped.AsSpan((y * 48 + 47 - x) * 3));

        var transform = new DctTransform(new CropGeometry(0, 48), ChannelSubset.All, statistics: null);
        var original = transform.RawCoefficients(image);
        var mirrored = transform.RawCoefficients(new RgbImage(48, 48, flipped));
        // Block (by, bx) of the mirror is block (by, 5 - bx) of the original, with odd-u coefficients negated (+-1 rounding).
        for (int channel = 0; channel < 64; channel++)
        {
            int u = channel % 8;
            for (int by = 0; by < 6; by++)
            for (int bx = 0; bx < 6; bx++)
            {
                int expected = original[channel * 36 + by * 6 + 5 - bx] * (u % 2 == 1 ? -1 : 1);
                Assert.InRange(mirrored[channel * 36 + by * 6 + bx], expected - 1, expected + 1);
            }
        }
    }
}
