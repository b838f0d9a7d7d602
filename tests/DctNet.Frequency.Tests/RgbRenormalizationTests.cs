namespace DctNet.Frequency.Tests;

/// <summary>The renormalization against its definition: back to [0, 1] pixels through ImageNet's mean and std, then (pixel - mean) / std.</summary>
public sealed class RgbRenormalizationTests
{
    [Theory]
    [InlineData(new[] { 0.5, 0.4, 0.3 }, new[] { 0.2, 0.25, 0.3 })]
    [InlineData(new[] { 0.0, 0.0, 0.0 }, new[] { 1.0, 1.0, 1.0 })]
    public void Output_is_the_pixels_normalized_with_the_other_statistics(double[] mean, double[] std)
    {
        var random = new Random(4);
        const int plane = 50;
        float[] imageNetNormalized = [.. Enumerable.Range(0, 3 * plane).Select(_ => (float)(random.NextDouble() * 4 - 2))];
        float[] output = [.. imageNetNormalized];

        RgbRenormalization.For(mean, std)!.Apply(output);

        for (int i = 0; i < output.Length; i++)
        {
            int c = i / plane;
            double pixel = imageNetNormalized[i] * (double)RgbTransform.ImageNetStd[c] + RgbTransform.ImageNetMean[c];
            Assert.Equal((pixel - mean[c]) / std[c], output[i], 1e-5);
        }
    }

    [Fact]
    public void ImageNets_own_statistics_need_none()
        => Assert.Null(RgbRenormalization.For([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]));

    [Fact]
    public void Other_than_three_channels_is_refused()
        => Assert.Throws<ArgumentException>(() => RgbRenormalization.For([0.5, 0.5], [1, 1]));
}
