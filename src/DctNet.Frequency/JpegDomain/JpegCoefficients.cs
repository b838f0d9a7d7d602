namespace DctNet.Frequency.JpegDomain;

/// <summary>
/// One colour component of a JPEG file as the file stores it: its sampling factors, its quantization table and its
/// quantized DCT coefficients, block by block (libjpeg's <c>jpeg_read_coefficients</c> view, nothing decoded further).
/// </summary>
public sealed class ComponentCoefficients
{
    public const int CoefficientsPerBlock = 64;

    internal ComponentCoefficients(int id, int horizontalSampling, int verticalSampling, int widthInBlocks, int heightInBlocks, ushort[] quantization)
    {
        Id = id;
        HorizontalSampling = horizontalSampling;
        VerticalSampling = verticalSampling;
        WidthInBlocks = widthInBlocks;
        HeightInBlocks = heightInBlocks;
        Quantization = quantization;
        Blocks = new short[checked(widthInBlocks * heightInBlocks * CoefficientsPerBlock)];
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

    /// <summary>HeightInBlocks x WidthInBlocks x 64 quantized coefficients, each block in natural order (index 8v + u).</summary>
    public short[] Blocks { get; }

    /// <summary>The 64 coefficients of block (x, y).</summary>
    public Span<short> Block(int x, int y) => Blocks.AsSpan((y * WidthInBlocks + x) * CoefficientsPerBlock, CoefficientsPerBlock);
}

/// <summary>The quantized DCT coefficients of a JPEG file, per component in frame order (Y, Cb, Cr; or Y alone for grayscale).</summary>
/// <param name="Width">The image width in pixels, as the frame header declares it.</param>
/// <param name="Orientation">The EXIF orientation (1-8, 1 when absent); the coefficients are in the file's own orientation.</param>
public sealed record JpegCoefficients(int Width, int Height, IReadOnlyList<ComponentCoefficients> Components, int Orientation)
{
    public bool IsGrayscale => Components.Count == 1;

    public ComponentCoefficients Luma => Components[0];

    public int MaxHorizontalSampling => Components.Max(c => c.HorizontalSampling);

    public int MaxVerticalSampling => Components.Max(c => c.VerticalSampling);
}
