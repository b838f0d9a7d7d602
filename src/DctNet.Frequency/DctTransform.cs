using DctNet.Frequency.Channels;
using DctNet.Frequency.Geometry;
using DctNet.Frequency.Imaging;
using DctNet.Frequency.Jpeg;

namespace DctNet.Frequency;

/// <summary>
/// The frequency-domain input of REFERENCE.md section 1: an RGB image becomes C x S x S floats, S = crop / 8.
/// Y coefficients come from the crop, Cb and Cr from the crop upscaled 2x and subsampled 4:2:0, exactly as a
/// quality-100 libjpeg-turbo encode would store them; then the channel subset and the normalization apply.
/// Thread-safe: each thread gets its own scratch buffers.
/// </summary>
public sealed class DctTransform
{
    [ThreadStatic]
    private static Workspace? t_workspace;

    /// <param name="statistics">Normalization; null gives the raw integer coefficients as floats.</param>
    public DctTransform(CropGeometry geometry, ChannelSubset channels, ChannelStatistics? statistics)
    {
        geometry.Validate();
        Geometry = geometry;
        Channels = channels;
        Statistics = statistics;
    }

    public CropGeometry Geometry { get; }
    public ChannelSubset Channels { get; }
    public ChannelStatistics? Statistics { get; }

    /// <summary>Output shape: channels x blocks x blocks.</summary>
    public int[] OutputShape => [Channels.Count, Geometry.BlocksPerSide, Geometry.BlocksPerSide];

    public int OutputLength => Channels.Count * Geometry.BlocksPerSide * Geometry.BlocksPerSide;

    /// <summary>The validation pipeline: resize the shorter side, centre crop, DCT, subset, normalize.</summary>
    public float[] Transform(RgbImage image)
    {
        var output = new float[OutputLength];
        Transform(image, output);
        return output;
    }

    public void Transform(RgbImage image, Span<float> output)
    {
        var workspace = AcquireWorkspace();
        CropValidation(image, workspace.Crop);
        ComputeCoefficients(workspace);
        WriteChannels(workspace, output);
    }

    /// <summary>The training pipeline (paper): random-resized crop to the crop size, random horizontal flip, then the DCT steps.</summary>
    public void TransformForTraining(RgbImage image, Random random, Span<float> output)
    {
        var workspace = AcquireWorkspace();
        var window = RandomResizedCrop.Sample(image.Width, image.Height, random);
        bool flip = random.NextDouble() < 0.5;
        CropRandomResized(image, window, workspace.Crop);
        if (flip)
            FlipHorizontally(workspace.Crop, Geometry.Crop);
        ComputeCoefficients(workspace);
        WriteChannels(workspace, output);
    }

    /// <summary>All 192 raw coefficient planes (int16, 192 x S x S, Y then Cb then Cr in natural order) of the validation pipeline.</summary>
    public short[] RawCoefficients(RgbImage image)
    {
        var workspace = AcquireWorkspace();
        CropValidation(image, workspace.Crop);
        ComputeCoefficients(workspace);
        return GatherAllChannels(workspace);
    }

    private short[] GatherAllChannels(Workspace workspace)
    {
        int blocks = Geometry.BlocksPerSide * Geometry.BlocksPerSide;
        var result = new short[ChannelSubset.TotalChannels * blocks];
        for (int channel = 0; channel < ChannelSubset.TotalChannels; channel++)
        {
            var coefficients = workspace.Coefficients[channel / ChannelSubset.ChannelsPerComponent];
            int k = channel % ChannelSubset.ChannelsPerComponent;
            for (int b = 0; b < blocks; b++)
                result[channel * blocks + b] = coefficients[b * ForwardDct.CoefficientsPerBlock + k];
        }
        return result;
    }

    private Workspace AcquireWorkspace()
    {
        if (t_workspace is not { } workspace || workspace.Side != Geometry.Crop)
            t_workspace = workspace = new Workspace(Geometry.Crop);
        return workspace;
    }

    private void CropValidation(RgbImage image, byte[] crop)
    {
        var (width, height) = Geometry.ResizedSize(image.Width, image.Height);
        var window = Geometry.CenterCrop(width, height);
        LinearResize.ResizeWindow(image.Pixels, image.Width, image.Height, 3, width, height, window, crop);
    }

    private void CropRandomResized(RgbImage image, PixelWindow window, byte[] crop)
    {
        var region = new byte[window.Width * window.Height * 3];
        for (int y = 0; y < window.Height; y++)
            image.Pixels.AsSpan(((window.Top + y) * image.Width + window.Left) * 3, window.Width * 3).CopyTo(region.AsSpan(y * window.Width * 3));
        int side = Geometry.Crop;
        LinearResize.ResizeWindow(region, window.Width, window.Height, 3, side, side, new PixelWindow(0, 0, side, side), crop);
    }

    private static void FlipHorizontally(byte[] pixels, int side)
    {
        for (int y = 0; y < side; y++)
        {
            var row = pixels.AsSpan(y * side * 3, side * 3);
            for (int left = 0, right = side - 1; left < right; left++, right--)
            {
                for (int c = 0; c < 3; c++)
                    (row[left * 3 + c], row[right * 3 + c]) = (row[right * 3 + c], row[left * 3 + c]);
            }
        }
    }

    private void ComputeCoefficients(Workspace w)
    {
        int side = Geometry.Crop;
        if (UpscaledChroma.Supports(side))
        {
            w.Planes.Fill(w.Crop);
            JpegColor.ToLuma(w.Planes, w.Luma);
            UpscaledChroma.Compute(w.Planes, w.Cb, w.Cr);
        }
        else
        {
            JpegColor.ToLuma(w.Crop, w.Luma);
            ComputeChromaByReferencePath(w, side);
        }
        ForwardDct.TransformPlane(w.Luma, side, side, w.Coefficients[0]);
        ForwardDct.TransformPlane(w.Cb, side, side, w.Coefficients[1]);
        ForwardDct.TransformPlane(w.Cr, side, side, w.Coefficients[2]);
    }

    /// <summary>The chroma path step by step, as the release computes it: upscale 2x, convert, subsample.</summary>
    private static void ComputeChromaByReferencePath(Workspace w, int side)
    {
        var upscaled = new byte[4 * side * side * 3];
        var upscaledCb = new byte[4 * side * side];
        var upscaledCr = new byte[4 * side * side];
        LinearResize.ResizeWindow(w.Crop, side, side, 3, 2 * side, 2 * side, new PixelWindow(0, 0, 2 * side, 2 * side), upscaled);
        JpegColor.ToChroma(upscaled, upscaledCb, upscaledCr);
        ChromaDownsampling.H2V2(upscaledCb, 2 * side, 2 * side, w.Cb);
        ChromaDownsampling.H2V2(upscaledCr, 2 * side, 2 * side, w.Cr);
    }

    private void WriteChannels(Workspace w, Span<float> output)
    {
        if (output.Length != OutputLength)
            throw new ArgumentException($"Output needs {OutputLength} floats, got {output.Length}.", nameof(output));
        int blocks = Geometry.BlocksPerSide * Geometry.BlocksPerSide;
        var selected = Channels.Channels;
        for (int i = 0; i < selected.Length; i++)
        {
            int channel = selected[i];
            var coefficients = w.Coefficients[channel / ChannelSubset.ChannelsPerComponent];
            int k = channel % ChannelSubset.ChannelsPerComponent;
            var plane = output.Slice(i * blocks, blocks);
            if (Statistics is null)
            {
                for (int b = 0; b < blocks; b++)
                    plane[b] = coefficients[b * ForwardDct.CoefficientsPerBlock + k];
            }
            else
            {
                float mean = (float)Statistics.Mean[channel], std = (float)Statistics.Std[channel];
                for (int b = 0; b < blocks; b++)
                    plane[b] = (coefficients[b * ForwardDct.CoefficientsPerBlock + k] - mean) / std;
            }
        }
    }

    /// <summary>Scratch buffers for one image at a time on one thread: nothing is allocated per image.</summary>
    private sealed class Workspace(int side)
    {
        public readonly int Side = side;
        public readonly byte[] Crop = new byte[side * side * 3];
        public readonly PlanarRgb Planes = new(side, side);
        public readonly byte[] Luma = new byte[side * side];
        public readonly byte[] Cb = new byte[side * side];
        public readonly byte[] Cr = new byte[side * side];
        public readonly short[][] Coefficients = [new short[side * side], new short[side * side], new short[side * side]];
    }
}
