using System.Numerics;
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
        Write(image, window, flip, BlocksPerSide, BlocksPerSide, output);
    }

    /// <summary>
    /// The validation window without its padding: C x min(S, height) x min(S, width) blocks, all of them the image's. What
    /// statistics are measured over, so that padding (which normalization turns into zeros) does not weigh on them.
    /// </summary>
    public float[] CentredBlocks(JpegCoefficients image)
    {
        var (width, height) = DisplayedBlocks(image);
        int outputWidth = Math.Min(width, BlocksPerSide), outputHeight = Math.Min(height, BlocksPerSide);
        var output = new float[Channels.Count * outputWidth * outputHeight];
        var window = new BlockWindow(BlockWindow.Centre(width, height, outputWidth).Left, BlockWindow.Centre(width, height, outputHeight).Top);
        Write(image, window, flip: false, outputWidth, outputHeight, output);
        return output;
    }

    private void Write(JpegCoefficients image, BlockWindow window, bool flip, int outputWidth, int outputHeight, Span<float> output)
    {
        var workspace = t_workspace ??= new Workspace();
        var orientation = Orientation.Of(image.Orientation);
        var plans = Plan(image, orientation, flip, workspace);
        var components = workspace.Components(image);
        // A subset without chroma (or without luma) never looks at those blocks.
        Span<bool> read = stackalloc bool[components.Length];
        foreach (var plan in plans)
        {
            if (plan.Component >= 0)
                read[plan.Component] = true;
        }
        var (width, height) = DisplayedBlocks(image);
        int plane = outputWidth * outputHeight;

        for (int y = 0; y < outputHeight; y++)
        {
            int dy = window.Top + y;
            for (int x = 0; x < outputWidth; x++)
            {
                int dx = window.Left + (flip ? outputWidth - 1 - x : x);
                int at = y * outputWidth + x;
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
                for (int c = 0; c < components.Length; c++)
                {
                    if (read[c])
                        components[c].MoveTo(sx, sy);
                }
                for (int i = 0; i < plans.Length; i++)
                {
                    ref readonly var plan = ref plans[i];
                    float value = plan.Component < 0 ? 0 : components[plan.Component].Value(plan);
                    output[i * plane + at] = (value - plan.Mean) / plan.Std;
                }
            }
        }
    }

    private ChannelPlan[] Plan(JpegCoefficients image, Orientation orientation, bool flip, Workspace workspace)
    {
        var selected = Channels.Channels;
        var plans = workspace.Plans(selected.Length);
        for (int i = 0; i < selected.Length; i++)
        {
            int component = selected[i] / ChannelSubset.ChannelsPerComponent, k = selected[i] % ChannelSubset.ChannelsPerComponent;
            int v = k / 8, u = k % 8;
            float mean = Statistics is null ? 0 : (float)Statistics.Mean[selected[i]];
            float std = Statistics is null ? 1 : (float)Statistics.Std[selected[i]];
            if (component >= image.Components.Count)
            {
                plans[i] = new ChannelPlan(-1, 0, 0, null, mean, std); // grayscale: no chroma, as Cb = Cr = 128 would give
                continue;
            }
            // Flips of the displayed image negate its odd frequencies; a transpose swaps u and v.
            float sign = ((orientation.FlipX ^ flip) && u % 2 == 1 ? -1 : 1) * (orientation.FlipY && v % 2 == 1 ? -1 : 1);
            var (storedV, storedU) = orientation.Transpose ? (u, v) : (v, u);
            var c = image.Components[component];
            int factorX = Factor(image.MaxHorizontalSampling, c.HorizontalSampling), factorY = Factor(image.MaxVerticalSampling, c.VerticalSampling);
            if (factorX == 1 && factorY == 1)
            {
                plans[i] = new ChannelPlan(component, 8 * storedV + storedU, c.Quantization[8 * storedV + storedU] * sign, null, mean, std);
                continue;
            }
            var weights = workspace.Weights(i, factorX * factorY);
            for (int part = 0; part < factorX * factorY; part++)
            {
                DctUpsampling.Weights(factorX, part % factorX, factorY, part / factorX, storedV, storedU, c.Quantization, sign,
                    weights.AsSpan(part * 64, 64));
            }
            plans[i] = new ChannelPlan(component, 0, 0, weights, mean, std);
        }
        return plans;
    }

    /// <summary>Refuses a file whose subsampling the chroma map does not cover (TurboJPEG reads only those it does).</summary>
    /// <exception cref="NotSupportedException">A component sampled other than 1, 2 or 4 times below the largest factor.</exception>
    public static void CheckSampling(JpegCoefficients image)
    {
        foreach (var c in image.Components)
        {
            _ = Factor(image.MaxHorizontalSampling, c.HorizontalSampling);
            _ = Factor(image.MaxVerticalSampling, c.VerticalSampling);
        }
    }

    private static int Factor(int max, int sampling)
    {
        if (sampling <= 0 || max % sampling != 0 || !DctUpsampling.Supports(max / sampling))
            throw new NotSupportedException($"sampling factor {sampling} against {max} is not a subsampling the JPEG-domain pipeline reads");
        return max / sampling;
    }

    /// <summary>
    /// How one output channel is read from the stored coefficients: a component on the luma grid gives one coefficient,
    /// dequantized and signed by the flips (<see cref="Scale"/>); a subsampled one the dot product of its block with the
    /// <see cref="Weights"/> of the part the luma block covers (64 per part). <see cref="Component"/> -1: no such component.
    /// </summary>
    internal readonly record struct ChannelPlan(int Component, int Coefficient, float Scale, float[]? Weights, float Mean, float Std);

    /// <summary>
    /// One component's block under the current luma block. A subsampled component's block is kept as its nonzero
    /// coefficients: after quantization most chroma coefficients are zero, so the dot products of the chroma map cost
    /// a few multiplications each instead of 64 (the sum is the same, up to float rounding).
    /// </summary>
    internal sealed class ComponentCursor
    {
        private readonly int[] nonzeroIndex = new int[64];
        private readonly float[] nonzeroValue = new float[64];
        private ComponentCoefficients component = null!;
        private int factorX, factorY, nonzeroCount, offset, part;

        public void Reset(ComponentCoefficients c, int maxHorizontal, int maxVertical)
        {
            component = c;
            (offset, nonzeroCount) = (-1, -1);
            factorX = maxHorizontal / c.HorizontalSampling;
            factorY = maxVertical / c.VerticalSampling;
        }

        public void MoveTo(int lumaX, int lumaY)
        {
            int bx = Math.Min(lumaX / factorX, component.WidthInBlocks - 1), by = Math.Min(lumaY / factorY, component.HeightInBlocks - 1);
            int blockOffset = (by * component.WidthInBlocks + bx) * 64;
            if (factorX == 1 && factorY == 1)
            {
                offset = blockOffset;
                return;
            }
            part = (lumaY % factorY) * factorX + lumaX % factorX;
            if (blockOffset == offset && nonzeroCount >= 0)
                return; // the neighbour in the same chroma block: its nonzeros are in hand
            offset = blockOffset;
            var block = component.Blocks.Slice(offset, 64);
            nonzeroCount = 0;
            for (ulong mask = NonzeroMask(block); mask != 0; mask &= mask - 1)
            {
                int k = BitOperations.TrailingZeroCount(mask);
                nonzeroIndex[nonzeroCount] = k;
                nonzeroValue[nonzeroCount++] = block[k];
            }
        }

        /// <summary>Bit k set where block[k] is nonzero: four 16-lane compares where the hardware has them, else the scalar definition.</summary>
        internal static ulong NonzeroMask(ReadOnlySpan<short> block)
        {
            if (!Vector256.IsHardwareAccelerated)
                return NonzeroMaskScalar(block);
            ulong mask = 0;
            for (int i = 0; i < 4; i++)
            {
                var zero = Vector256.Equals(Vector256.Create(block.Slice(16 * i, 16)), Vector256<short>.Zero);
                mask |= (ulong)(~zero.ExtractMostSignificantBits() & 0xFFFF) << (16 * i);
            }
            return mask;
        }

        internal static ulong NonzeroMaskScalar(ReadOnlySpan<short> block)
        {
            ulong mask = 0;
            for (int k = 0; k < 64; k++)
            {
                if (block[k] != 0)
                    mask |= 1UL << k;
            }
            return mask;
        }

        public float Value(in ChannelPlan plan)
        {
            if (plan.Weights is not { } weights)
                return component.Blocks[offset + plan.Coefficient] * plan.Scale;
            var partWeights = weights.AsSpan(part * 64, 64);
            float sum = 0;
            for (int n = 0; n < nonzeroCount; n++)
                sum += partWeights[nonzeroIndex[n]] * nonzeroValue[n];
            return sum;
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

    /// <summary>Per-thread scratch: the channel plans and their weights, and a cursor per component.</summary>
    private sealed class Workspace
    {
        private ChannelPlan[] plans = [];
        private float[]?[] weights = [];
        private readonly ComponentCursor[] cursors = [new(), new(), new()];

        public ChannelPlan[] Plans(int count)
        {
            if (plans.Length != count)
                (plans, weights) = (new ChannelPlan[count], new float[count][]);
            return plans;
        }

        public float[] Weights(int channel, int parts)
        {
            if (weights[channel]?.Length != parts * 64)
                weights[channel] = new float[parts * 64];
            return weights[channel]!;
        }

        /// <summary>The cursors of the image's components (1 or 3: the reader refuses four-component files).</summary>
        public ReadOnlySpan<ComponentCursor> Components(JpegCoefficients image)
        {
            for (int c = 0; c < image.Components.Count; c++)
                cursors[c].Reset(image.Components[c], image.MaxHorizontalSampling, image.MaxVerticalSampling);
            return cursors.AsSpan(0, image.Components.Count);
        }
    }
}
