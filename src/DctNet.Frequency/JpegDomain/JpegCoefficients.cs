namespace DctNet.Frequency.JpegDomain;

/// <summary>
/// One colour component of a JPEG file as the file stores it: its sampling factors, its quantization table and its
/// quantized DCT coefficients, block by block (libjpeg's <c>jpeg_read_coefficients</c> view, nothing decoded further).
/// </summary>
public sealed class ComponentCoefficients
{
    public const int CoefficientsPerBlock = 64;

    private readonly short[] storage;

    /// <param name="storage">Holds the blocks; may be longer (a reused buffer), or null for a new array.</param>
    internal ComponentCoefficients(int id, int horizontalSampling, int verticalSampling, int widthInBlocks, int heightInBlocks, ushort[] quantization, short[]? storage = null)
    {
        Id = id;
        HorizontalSampling = horizontalSampling;
        VerticalSampling = verticalSampling;
        WidthInBlocks = widthInBlocks;
        HeightInBlocks = heightInBlocks;
        Quantization = quantization;
        int length = checked(widthInBlocks * heightInBlocks * CoefficientsPerBlock);
        if (storage is not null && storage.Length < length)
            throw new ArgumentException($"storage for {length} coefficients is too short", nameof(storage));
        this.storage = storage ?? new short[length];
        BlockCount = widthInBlocks * heightInBlocks;
    }

    /// <summary>The component identifier of the frame header (1, 2, 3 for most YCbCr files).</summary>
    public int Id { get; }

    public int HorizontalSampling { get; }

    public int VerticalSampling { get; }

    /// <summary>Blocks that cover the component (libjpeg's width_in_blocks), not the MCU-padded count.</summary>
    public int WidthInBlocks { get; }

    public int HeightInBlocks { get; }

    /// <summary>The quantization table the component was decoded with, in natural order (index 8v + u).</summary>
    public ushort[] Quantization { get; }

    public int BlockCount { get; }

    /// <summary>HeightInBlocks x WidthInBlocks x 64 quantized coefficients, each block in natural order (index 8v + u).</summary>
    public Span<short> Blocks => storage.AsSpan(0, BlockCount * CoefficientsPerBlock);

    /// <summary>The 64 coefficients of block (x, y).</summary>
    public Span<short> Block(int x, int y) => storage.AsSpan((y * WidthInBlocks + x) * CoefficientsPerBlock, CoefficientsPerBlock);
}

/// <summary>The quantized DCT coefficients of a JPEG file, per component in frame order (Y, Cb, Cr; or Y alone for grayscale).</summary>
/// <param name="Width">The image width in pixels, as the frame header declares it.</param>
/// <param name="Orientation">The EXIF orientation (1-8, 1 when absent); the coefficients are in the file's own orientation.</param>
public sealed record JpegCoefficients(int Width, int Height, IReadOnlyList<ComponentCoefficients> Components, int Orientation)
{
    public ComponentCoefficients Luma => Components[0];

    public int MaxHorizontalSampling => Components.Max(c => c.HorizontalSampling);

    public int MaxVerticalSampling => Components.Max(c => c.VerticalSampling);
}

/// <summary>
/// Coefficient memory reused from image to image on one thread, so that a pass over a dataset does not allocate (and
/// garbage-collect) a large array per component per image. What a read with it returns is valid until the next read.
/// </summary>
public sealed class CoefficientBuffers
{
    private readonly short[][] buffers = new short[4][];

    internal short[] For(int component, int length)
    {
        var buffer = buffers[component];
        if (buffer is null || buffer.Length < length)
            buffers[component] = buffer = GC.AllocateUninitializedArray<short>(length);
        return buffer;
    }
}

/// <summary>How <see cref="JpegCoefficientReader"/> reads a file's coefficients: both give the same coefficients and refuse the same files.</summary>
public enum JpegCoefficientRoute
{
    /// <summary>TurboJPEG's tjTransform, in the system's libturbojpeg: the fast route.</summary>
    TurboJpeg,

    /// <summary>libjpeg's jpeg_read_coefficients in C# (BitMiracle.LibJpeg.NET), which NuGet brings: 2.3-3.4x slower.</summary>
    LibJpegNet,
}
