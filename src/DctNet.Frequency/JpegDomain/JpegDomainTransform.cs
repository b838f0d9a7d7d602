using System.Runtime.Intrinsics;
using DctNet.Frequency.Channels;

namespace DctNet.Frequency.JpegDomain;

/// <summary>The top-left luma block of an S x S window on an image's block grid (as displayed); negative where the image is padded.</summary>
public readonly record struct BlockWindow(int Left, int Top)
{
    /// <summary>The centred window (floor of half the difference); an image smaller than the window is padded on both sides.</summary>
    public static BlockWindow Centre(int widthInBlocks, int heightInBlocks, int size)
        => new((widthInBlocks - size) >> 1, (heightInBlocks - size) >> 1);

    /// <summary>A window at a uniformly random block position: within the image where it is larger, and the image at a random place inside it where it is smaller.</summary>
    public static BlockWindow Random(int widthInBlocks, int heightInBlocks, int size, Random random)
        => new(Position(widthInBlocks - size, random), Position(heightInBlocks - size, random));

    private static int Position(int slack, Random random) => slack >= 0 ? random.Next(slack + 1) : -random.Next(-slack + 1);
}

/// <summary>
/// The JPEG-domain input: a JPEG file's own dequantized coefficients become C x S x S floats, with no decode, resize or
/// re-encode. The layout is the exact pipeline's (<see cref="DctTransform"/>): channel = component x 64 + 8v + u, Y then
/// Cb then Cr, one value per luma block, subset and normalization as given. What differs is what the model sees:
/// <list type="bullet">
/// <item>the scale is the file's own (no resize of the shorter side), and S x S blocks are a window on the file's luma
/// block grid: centred for validation, at a random block position for training; an image smaller than the window is
/// padded with zeros after normalization (each channel's dataset mean);</item>
/// <item>the coefficients carry the file's quantization (the exact pipeline re-encodes at quality 100);</item>
/// <item>subsampled chroma is replicated onto the luma grid in the DCT domain (<see cref="DctUpsampling"/>), where the exact
/// pipeline's chroma comes from the resized pixels, and a grayscale file has zero chroma, as the exact pipeline gives it;</item>
/// <item>the EXIF orientation is applied on the block grid: transposes swap u and v, flips reverse the block order and
/// negate odd frequencies (exact for whole blocks; an image whose size is not a multiple of 8 has its partial edge
/// blocks, which hold the encoder's padding, on the other side after a flip).</item>
/// </list>
/// Thread-safe: each thread gets its own scratch buffers, and nothing is allocated per block.
/// </summary>
public sealed class JpegDomainTransform
{
    [ThreadStatic]
    private static Workspace? t_workspace;

    /// <param name="blocksPerSide">S, the output's blocks per side (the exact pipeline's crop / 8).</param>
    /// <param name="statistics">Normalization of this pipeline's coefficients; null gives the raw dequantized coefficients.</param>
    public JpegDomainTransform(int blocksPerSide, ChannelSubset channels, ChannelStatistics? statistics)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(blocksPerSide);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(blocksPerSide, 1024);
        BlocksPerSide = blocksPerSide;
        Channels = channels;
        Statistics = statistics;
    }

    public int BlocksPerSide { get; }
    public ChannelSubset Channels { get; }
    public ChannelStatistics? Statistics { get; }

    public int[] OutputShape => [Channels.Count, BlocksPerSide, BlocksPerSide];

    public int OutputLength => Channels.Count * BlocksPerSide * BlocksPerSide;

    /// <summary>The validation input: the centred window.</summary>
    public void Transform(JpegCoefficients image, Span<float> output)
    {
        var (width, height) = DisplayedBlocks(image);
        Transform(image, BlockWindow.Centre(width, height, BlocksPerSide), flip: false, output);
    }

    /// <summary>The training input: a window at a random block position, flipped horizontally with probability 1/2.</summary>
    public void TransformForTraining(JpegCoefficients image, Random random, Span<float> output)
    {
        var (width, height) = DisplayedBlocks(image);
        var window = BlockWindow.Random(width, height, BlocksPerSide, random);
        bool flip = random.NextDouble() < 0.5;
        Transform(image, window, flip, output);
    }

    /// <summary>The image's luma blocks across and down, as displayed (after its EXIF orientation).</summary>
    public static (int Width, int Height) DisplayedBlocks(JpegCoefficients image)
    {
        var luma = image.Luma;
        return Orientation.Of(image.Orientation).Transpose ? (luma.HeightInBlocks, luma.WidthInBlocks) : (luma.WidthInBlocks, luma.HeightInBlocks);
    }

    /// <summary>The window <paramref name="window"/> of the displayed image, mirrored left to right when <paramref name="flip"/>.</summary>
    public void Transform(JpegCoefficients image, BlockWindow window, bool flip, Span<float> output)
    {
        if (output.Length != OutputLength)
            throw new ArgumentException($"Output needs {OutputLength} floats, got {output.Length}.", nameof(output));
        var workspace = t_workspace ??= new Workspace();
        var orientation = Orientation.Of(image.Orientation);
        var plans = Plan(image, orientation, flip, workspace);
        var (width, height) = DisplayedBlocks(image);
        int side = BlocksPerSide, plane = side * side;
        var selected = Channels.Channels;
        var mean = Statistics?.Mean;
        var std = Statistics?.Std;

        for (int y = 0; y < side; y++)
        {
            int dy = window.Top + y;
            for (int x = 0; x < side; x++)
            {
                int dx = window.Left + (flip ? side - 1 - x : x);
                int at = y * side + x;
                if ((uint)dx >= (uint)width || (uint)dy >= (uint)height)
                {
                    for (int i = 0; i < plans.Length; i++)
                        output[i * plane + at] = 0;
                    continue;
                }
                // Displayed -> intermediate (undo the flips) -> stored (undo the transpose), in luma blocks.
                int ix = orientation.FlipX ? width - 1 - dx : dx;
                int iy = orientation.FlipY ? height - 1 - dy : dy;
                var (sx, sy) = orientation.Transpose ? (iy, ix) : (ix, iy);
                workspace.BeginBlock();
                for (int i = 0; i < plans.Length; i++)
                {
                    float value = plans[i].Value(image, sx, sy, workspace);
                    output[i * plane + at] = mean is null ? value : (float)((value - mean[selected[i]]) / std![selected[i]]);
                }
            }
        }
    }

    private ChannelPlan[] Plan(JpegCoefficients image, Orientation orientation, bool flip, Workspace workspace)
    {
        var selected = Channels.Channels;
        var plans = workspace.Plans(selected.Length);
        int maxH = image.MaxHorizontalSampling, maxV = image.MaxVerticalSampling;
        for (int i = 0; i < selected.Length; i++)
        {
            int component = selected[i] / ChannelSubset.ChannelsPerComponent, k = selected[i] % ChannelSubset.ChannelsPerComponent;
            int v = k / 8, u = k % 8;
            if (component >= image.Components.Count)
            {
                plans[i] = ChannelPlan.Zero; // grayscale: no chroma, as Cb = Cr = 128 would give
                continue;
            }
            // Flips of the displayed image negate its odd frequencies; a transpose swaps u and v.
            float sign = ((orientation.FlipX ^ flip) && u % 2 == 1 ? -1 : 1) * (orientation.FlipY && v % 2 == 1 ? -1 : 1);
            var (storedV, storedU) = orientation.Transpose ? (u, v) : (v, u);
            var c = image.Components[component];
            int factorX = Factor(maxH, c.HorizontalSampling), factorY = Factor(maxV, c.VerticalSampling);
            plans[i] = factorX == 1 && factorY == 1
                ? ChannelPlan.Direct(component, 8 * storedV + storedU, c.Quantization[8 * storedV + storedU] * sign)
                : ChannelPlan.Upsampled(component, factorX, factorY, workspace.Weights(i, factorX * factorY, (weights, part) =>
                    DctUpsampling.Weights(factorX, part % factorX, factorY, part / factorX, storedV, storedU, c.Quantization, sign, weights)));
        }
        return plans;
    }

    private static int Factor(int max, int sampling)
    {
        if (sampling <= 0 || max % sampling != 0 || !DctUpsampling.Supports(max / sampling))
            throw new NotSupportedException($"sampling factor {sampling} against {max} is not a subsampling the JPEG-domain pipeline reads");
        return max / sampling;
    }

    /// <summary>How one output channel is read from the stored coefficients.</summary>
    private readonly record struct ChannelPlan(int Component, int Coefficient, float Scale, int FactorX, int FactorY, float[]? Weights)
    {
        public static readonly ChannelPlan Zero = new(-1, 0, 0, 1, 1, null);

        /// <summary>A component on the luma grid: one coefficient, dequantized (and signed by the flips).</summary>
        public static ChannelPlan Direct(int component, int coefficient, float scale) => new(component, coefficient, scale, 1, 1, null);

        /// <summary>A subsampled component: the dot product of its block with the weights of the part this luma block covers.</summary>
        public static ChannelPlan Upsampled(int component, int factorX, int factorY, float[] weights) => new(component, 0, 0, factorX, factorY, weights);

        public float Value(JpegCoefficients image, int lumaX, int lumaY, Workspace workspace)
        {
            if (Component < 0)
                return 0;
            var c = image.Components[Component];
            int bx = Math.Min(lumaX / FactorX, c.WidthInBlocks - 1), by = Math.Min(lumaY / FactorY, c.HeightInBlocks - 1);
            if (Weights is null)
                return c.Blocks[(by * c.WidthInBlocks + bx) * 64 + Coefficient] * Scale;
            int part = (lumaY % FactorY) * FactorX + lumaX % FactorX;
            return BlockDot.Dot(Weights.AsSpan(part * 64, 64), workspace.BlockAsFloats(c, Component, bx, by));
        }
    }

    /// <summary>EXIF orientation as OpenCV applies it: transpose, then flip the result (<see cref="Imaging.ExifOrientation"/>).</summary>
    private readonly record struct Orientation(bool Transpose, bool FlipX, bool FlipY)
    {
        public static Orientation Of(int exif) => exif switch
        {
            2 => new(false, true, false),
            3 => new(false, true, true),
            4 => new(false, false, true),
            5 => new(true, false, false),
            6 => new(true, true, false),
            7 => new(true, true, true),
            8 => new(true, false, true),
            _ => new(false, false, false),
        };
    }

    /// <summary>Per-thread scratch: the channel plans and their weights, and each component's current block as floats.</summary>
    private sealed class Workspace
    {
        private ChannelPlan[] plans = [];
        private float[][] weights = [];
        private readonly float[][] blocks = [new float[64], new float[64], new float[64], new float[64]];
        private readonly (int X, int Y)[] converted = new (int, int)[4];

        public ChannelPlan[] Plans(int count)
        {
            if (plans.Length != count)
                (plans, weights) = (new ChannelPlan[count], new float[count][]);
            return plans;
        }

        public float[] Weights(int channel, int parts, Action<Span<float>, int> fill)
        {
            if (weights[channel]?.Length != parts * 64)
                weights[channel] = new float[parts * 64];
            for (int part = 0; part < parts; part++)
                fill(weights[channel].AsSpan(part * 64, 64), part);
            return weights[channel];
        }

        public void BeginBlock() => converted.AsSpan().Fill((-1, -1));

        /// <summary>Block (bx, by) of a component as floats, converted once per output block however many channels read it.</summary>
        public ReadOnlySpan<float> BlockAsFloats(ComponentCoefficients c, int component, int bx, int by)
        {
            var block = blocks[component];
            if (converted[component] != (bx, by))
            {
                var source = c.Blocks.AsSpan((by * c.WidthInBlocks + bx) * 64, 64);
                for (int i = 0; i < 64; i++)
                    block[i] = source[i];
                converted[component] = (bx, by);
            }
            return block;
        }
    }
}

/// <summary>The 64-term dot product of the chroma map, with a SIMD path and the scalar definition beside it.</summary>
internal static class BlockDot
{
    public static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
        => Vector256.IsHardwareAccelerated ? DotVector256(a, b) : DotScalar(a, b);

    internal static float DotScalar(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        float sum = 0;
        for (int i = 0; i < 64; i++)
            sum += a[i] * b[i];
        return sum;
    }

    internal static float DotVector256(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var sum = Vector256<float>.Zero;
        for (int i = 0; i < 64; i += 8)
            sum = Vector256.FusedMultiplyAdd(Vector256.Create(a.Slice(i, 8)), Vector256.Create(b.Slice(i, 8)), sum);
        return Vector256.Sum(sum);
    }
}
