using DctNet.Frequency.Channels;
using DctNet.Frequency.Geometry;
using DctNet.Frequency.Imaging;
using DctNet.Frequency.Jpeg;

namespace DctNet.Frequency.Detection;

/// <summary>One image's detection input and the geometry that maps detections back to the image.</summary>
/// <param name="Values">Channels x BlockRows x BlockColumns floats, channel-major.</param>
/// <param name="ResizedWidth">The image's width after the rescale, before padding: boxes divide by <see cref="Scale"/>.</param>
/// <param name="PaddedWidth">A multiple of 32; the blocks cover it at 1/4 (<c>BlockColumns = PaddedWidth / 4</c>).</param>
public sealed record DetectionDctInput(
    float[] Values, int Channels, int BlockRows, int BlockColumns, int ResizedWidth, int ResizedHeight, int PaddedWidth, int PaddedHeight, double Scale);

/// <summary>
/// The DCT input of the release's detectors (REFERENCE.md section 4, its mmdetection v1 pipeline): the image rescaled
/// to fit <see cref="LongEdge"/> x <see cref="ShortEdge"/> keeping its ratio (mmcv's imrescale: factor = min(long / long
/// side, short / short side), sizes rounded half up, OpenCV's bilinear resize), flipped horizontally for training,
/// padded with zeros at the bottom and right to a multiple of 32; then Y from the padded image upscaled 2x, Cb and Cr
/// from it upscaled 4x, each as a quality-100 4:2:0 libjpeg-turbo encode stores them, so that all three lie on
/// the same grid, 1/4 of the padded size (the stride of ResNet's layer1). Subset and normalization as in
/// classification. The same kernels as <see cref="DctTransform"/>; thread-safe.
/// </summary>
public sealed class DetectionDctTransform
{
    public const int SizeDivisor = 32;

    /// <summary>The blocks' stride in pixels of the padded image: 8 pixels of the 2x upscale.</summary>
    public const int BlockStride = 4;

    // The 4x upscale of a 1344 x 800 image is 52 MB of RGB; it is produced and reduced in bands of this many rows
    // (two rows of 8x8 chroma blocks after 2x2 subsampling), which gives the same values with bounded memory.
    private const int ChromaBandRows = 32;

    /// <param name="statistics">Normalization; null gives the raw integer coefficients as floats.</param>
    /// <param name="longEdge">mmdetection's img_scale (1333, 800): the longer side's bound.</param>
    public DetectionDctTransform(ChannelSubset channels, ChannelStatistics? statistics, int longEdge = 1333, int shortEdge = 800)
    {
        ArgumentNullException.ThrowIfNull(channels);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(shortEdge);
        ArgumentOutOfRangeException.ThrowIfLessThan(longEdge, shortEdge);
        Channels = channels;
        Statistics = statistics;
        LongEdge = longEdge;
        ShortEdge = shortEdge;
    }

    public ChannelSubset Channels { get; }
    public ChannelStatistics? Statistics { get; }
    public int LongEdge { get; }
    public int ShortEdge { get; }

    /// <summary>mmcv's imrescale size: the largest that fits the bounds keeping the ratio, each side rounded half up.</summary>
    public (int Width, int Height, double Scale) RescaledSize(int width, int height) => RescaledSize(width, height, LongEdge, ShortEdge);

    /// <inheritdoc cref="RescaledSize(int, int)"/>
    public static (int Width, int Height, double Scale) RescaledSize(int width, int height, int longEdge, int shortEdge)
    {
        double scale = Math.Min((double)longEdge / Math.Max(width, height), (double)shortEdge / Math.Min(width, height));
        return ((int)(width * scale + 0.5), (int)(height * scale + 0.5), scale);
    }

    /// <summary>mmcv's impad_to_multiple: each side rounded up to a multiple of 32.</summary>
    public static (int Width, int Height) PaddedSize(int width, int height)
        => (RoundUp(width), RoundUp(height));

    /// <summary>The normalized (or raw) subset, C x (padded height / 4) x (padded width / 4).</summary>
    public DetectionDctInput Transform(RgbImage image, bool flip = false)
    {
        var (padded, resized, scale) = PadResized(image, flip);
        var coefficients = Coefficients(padded);
        int rows = padded.Height / BlockStride, columns = padded.Width / BlockStride, blocks = rows * columns;
        var values = new float[Channels.Count * blocks];
        for (int i = 0; i < Channels.Count; i++)
        {
            int channel = Channels.Channels[i];
            short[] component = coefficients[channel / ChannelSubset.ChannelsPerComponent];
            int k = channel % ChannelSubset.ChannelsPerComponent;
            var plane = values.AsSpan(i * blocks, blocks);
            float mean = Statistics is null ? 0f : (float)Statistics.Mean[channel];
            float std = Statistics is null ? 1f : (float)Statistics.Std[channel];
            for (int b = 0; b < blocks; b++)
            {
                float coefficient = component[b * ForwardDct.CoefficientsPerBlock + k];
                plane[b] = Statistics is null ? coefficient : (coefficient - mean) / std;
            }
        }
        return new DetectionDctInput(values, Channels.Count, rows, columns, resized.Width, resized.Height, padded.Width, padded.Height, scale);
    }

    /// <summary>All 192 raw coefficient planes (int16, 192 x H/4 x W/4 of the padded size; Y, Cb, Cr in natural order).</summary>
    public short[] RawCoefficients(RgbImage image, bool flip = false)
    {
        var (padded, _, _) = PadResized(image, flip);
        var coefficients = Coefficients(padded);
        int blocks = padded.Width / BlockStride * (padded.Height / BlockStride);
        var result = new short[ChannelSubset.TotalChannels * blocks];
        for (int channel = 0; channel < ChannelSubset.TotalChannels; channel++)
        {
            short[] component = coefficients[channel / ChannelSubset.ChannelsPerComponent];
            int k = channel % ChannelSubset.ChannelsPerComponent;
            for (int b = 0; b < blocks; b++)
                result[channel * blocks + b] = component[b * ForwardDct.CoefficientsPerBlock + k];
        }
        return result;
    }

    /// <summary>The rescaled, possibly flipped image on a zero canvas of the padded size.</summary>
    public (RgbImage Padded, (int Width, int Height) Resized, double Scale) PadResized(RgbImage image, bool flip)
    {
        ArgumentNullException.ThrowIfNull(image);
        var (width, height, scale) = RescaledSize(image.Width, image.Height);
        // OpenCV copies an image whose size does not change; the bilinear weights would too, but the copy is what it runs.
        byte[] resized = width == image.Width && height == image.Height
            ? (byte[])image.Pixels.Clone()
            : LinearResize.Resize(image.Pixels, image.Width, image.Height, 3, width, height);
        var (paddedWidth, paddedHeight) = PaddedSize(width, height);
        var padded = new RgbImage(paddedWidth, paddedHeight);
        for (int y = 0; y < height; y++)
        {
            var source = resized.AsSpan(y * width * 3, width * 3);
            var row = padded.Row(y)[..(width * 3)];
            source.CopyTo(row);
            if (flip)
                FlipRow(row);
        }
        return (padded, (width, height), scale);
    }

    /// <summary>Y, Cb and Cr coefficients of the padded image, block by block (64 per block), on one grid.</summary>
    private static short[][] Coefficients(RgbImage padded)
    {
        int width = padded.Width, height = padded.Height;
        int lumaWidth = 2 * width, lumaHeight = 2 * height;
        var luma = new byte[lumaWidth * lumaHeight];
        JpegColor.ToLuma(LinearResize.Resize(padded.Pixels, width, height, 3, lumaWidth, lumaHeight), luma);

        // Cb and Cr at the 4x upscale, subsampled 2x2, are again 2 width x 2 height.
        var cb = new byte[lumaWidth * lumaHeight];
        var cr = new byte[lumaWidth * lumaHeight];
        int upWidth = 4 * width, upHeight = 4 * height;
        var band = new byte[upWidth * ChromaBandRows * 3];
        var bandCb = new byte[upWidth * ChromaBandRows];
        var bandCr = new byte[upWidth * ChromaBandRows];
        for (int top = 0; top < upHeight; top += ChromaBandRows)
        {
            int rows = Math.Min(ChromaBandRows, upHeight - top);
            LinearResize.ResizeWindow(padded.Pixels, width, height, 3, upWidth, upHeight, new PixelWindow(0, top, upWidth, rows), band);
            JpegColor.ToChroma(band.AsSpan(0, upWidth * rows * 3), bandCb.AsSpan(0, upWidth * rows), bandCr.AsSpan(0, upWidth * rows));
            int offset = top / 2 * lumaWidth, length = rows / 2 * lumaWidth;
            ChromaDownsampling.H2V2(bandCb, upWidth, rows, cb.AsSpan(offset, length));
            ChromaDownsampling.H2V2(bandCr, upWidth, rows, cr.AsSpan(offset, length));
        }

        short[][] coefficients = [new short[luma.Length], new short[cb.Length], new short[cr.Length]];
        ForwardDct.TransformPlane(luma, lumaWidth, lumaHeight, coefficients[0]);
        ForwardDct.TransformPlane(cb, lumaWidth, lumaHeight, coefficients[1]);
        ForwardDct.TransformPlane(cr, lumaWidth, lumaHeight, coefficients[2]);
        return coefficients;
    }

    private static void FlipRow(Span<byte> row)
    {
        for (int left = 0, right = row.Length / 3 - 1; left < right; left++, right--)
        {
            for (int c = 0; c < 3; c++)
                (row[left * 3 + c], row[right * 3 + c]) = (row[right * 3 + c], row[left * 3 + c]);
        }
    }

    private static int RoundUp(int size) => (size + SizeDivisor - 1) / SizeDivisor * SizeDivisor;
}
