using DctNet.Frequency.Geometry;
using DctNet.Frequency.Imaging;

namespace DctNet.Frequency;

/// <summary>
/// The RGB baselines' input: torchvision's Resize(256) (Pillow bilinear, shorter side), CenterCrop(224),
/// ToTensor and Normalize with the ImageNet mean and standard deviation -> float32 3 x 224 x 224; for training,
/// RandomResizedCrop(224) and RandomHorizontalFlip in place of the resize and the centre crop.
/// Decoding follows <see cref="ImageDecoder"/> (OpenCV's, EXIF orientation applied), where a PIL loader would not rotate.
/// </summary>
public sealed class RgbTransform
{
    public static readonly float[] ImageNetMean = [0.485f, 0.456f, 0.406f];
    public static readonly float[] ImageNetStd = [0.229f, 0.224f, 0.225f];

    public RgbTransform(int resize = 256, int crop = 224)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(resize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(crop);
        Resize = resize;
        Crop = crop;
    }

    public int Resize { get; }
    public int Crop { get; }

    public int[] OutputShape => [3, Crop, Crop];

    public float[] Transform(RgbImage image)
    {
        var output = new float[3 * Crop * Crop];
        Transform(image, output);
        return output;
    }

    public void Transform(RgbImage image, Span<float> output)
    {
        CheckOutput(output);
        var (width, height) = ResizedSize(image.Width, image.Height);
        var resized = width == image.Width && height == image.Height
            ? image.Pixels
            : PillowResize.Resize(image.Pixels, image.Width, image.Height, width, height);
        int top = (int)Math.Round((height - Crop) / 2.0, MidpointRounding.ToEven);
        int left = (int)Math.Round((width - Crop) / 2.0, MidpointRounding.ToEven);
        WriteNormalized(resized, width, height, left, top, flip: false, output);
    }

    /// <summary>
    /// torchvision's training recipe: RandomResizedCrop(Crop) (the window resized with Pillow's bilinear filter),
    /// RandomHorizontalFlip, ToTensor, Normalize - drawn from the sample's own <paramref name="random"/>.
    /// </summary>
    public void TransformForTraining(RgbImage image, Random random, Span<float> output)
    {
        var window = RandomResizedCrop.Sample(image.Width, image.Height, random);
        bool flip = random.NextDouble() < 0.5;
        TransformWindow(image, window, flip, output);
    }

    /// <summary>torchvision's <c>resized_crop</c> of the window to Crop x Crop, optionally <c>hflip</c>, then ToTensor and Normalize.</summary>
    internal void TransformWindow(RgbImage image, PixelWindow window, bool flip, Span<float> output)
    {
        CheckOutput(output);
        var region = new byte[window.Width * window.Height * 3];
        for (int y = 0; y < window.Height; y++)
            image.Pixels.AsSpan(((window.Top + y) * image.Width + window.Left) * 3, window.Width * 3).CopyTo(region.AsSpan(y * window.Width * 3));
        var resized = window.Width == Crop && window.Height == Crop ? region : PillowResize.Resize(region, window.Width, window.Height, Crop, Crop);
        WriteNormalized(resized, Crop, Crop, 0, 0, flip, output);
    }

    private void CheckOutput(Span<float> output)
    {
        if (output.Length != 3 * Crop * Crop)
            throw new ArgumentException($"Output needs {3 * Crop * Crop} floats, got {output.Length}.", nameof(output));
    }

    /// <summary>The Crop x Crop window at (left, top) of the pixels, planar and normalized; outside the image is black (0) before normalization.</summary>
    private void WriteNormalized(byte[] pixels, int width, int height, int left, int top, bool flip, Span<float> output)
    {
        int plane = Crop * Crop;
        for (int c = 0; c < 3; c++)
        {
            float mean = ImageNetMean[c], std = ImageNetStd[c];
            float zero = (0f - mean) / std;
            for (int y = 0; y < Crop; y++)
            {
                int sy = top + y;
                var row = output.Slice(c * plane + y * Crop, Crop);
                for (int x = 0; x < Crop; x++)
                {
                    int sx = left + (flip ? Crop - 1 - x : x);
                    bool inside = sy >= 0 && sy < height && sx >= 0 && sx < width;
                    row[x] = inside ? (pixels[(sy * width + sx) * 3 + c] / 255f - mean) / std : zero;
                }
            }
        }
    }

    /// <summary>torchvision's Resize(int): shorter side = Resize, longer = int(Resize * long / short).</summary>
    public (int Width, int Height) ResizedSize(int width, int height)
    {
        int shorter = Math.Min(width, height), longer = Math.Max(width, height);
        if (shorter == Resize)
            return (width, height);
        int scaledLonger = (int)((double)Resize * longer / shorter);
        return width <= height ? (Resize, scaledLonger) : (scaledLonger, Resize);
    }
}
