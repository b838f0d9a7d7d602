namespace DctNet.Frequency.Geometry;

/// <summary>
/// Pillow's bilinear <c>Image.resize</c> for 8-bit RGB (libImaging/Resample.c), the resize of torchvision's
/// <c>Resize</c> on PIL images and so of the RGB baselines' input recipe. Unlike OpenCV's, it is antialiased: when
/// shrinking, the triangle filter widens by the scale factor. Coefficients are normalised in double precision, then
/// fixed point with 22 fractional bits; the horizontal pass rounds to bytes before the vertical pass.
/// </summary>
public static class PillowResize
{
    private const int PrecisionBits = 32 - 8 - 2;

    public static byte[] Resize(ReadOnlySpan<byte> source, int sourceWidth, int sourceHeight, int width, int height)
    {
        const int channels = 3;
        if (source.Length < sourceWidth * sourceHeight * channels)
            throw new ArgumentException("Source buffer is smaller than its declared size.", nameof(source));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);

        var horizontal = Coefficients.For(sourceWidth, width);
        var vertical = Coefficients.For(sourceHeight, height);

        // Pillow resizes horizontally only the rows the vertical pass will read.
        int firstRow = vertical.Bounds[0].Start;
        int lastRow = vertical.Bounds[height - 1].Start + vertical.Bounds[height - 1].Count;
        bool resizeRows = width != sourceWidth, resizeColumns = height != sourceHeight;

        byte[] rows;
        int rowsOffset;
        if (resizeRows)
        {
            rows = new byte[(lastRow - firstRow) * width * channels];
            for (int y = firstRow; y < lastRow; y++)
                Horizontal(source.Slice(y * sourceWidth * channels, sourceWidth * channels), horizontal, rows.AsSpan((y - firstRow) * width * channels, width * channels));
            rowsOffset = firstRow;
        }
        else
        {
            rows = source[..(sourceWidth * sourceHeight * channels)].ToArray();
            rowsOffset = 0;
        }
        if (!resizeColumns)
            return rows;

        var result = new byte[width * height * channels];
        int stride = width * channels;
        for (int y = 0; y < height; y++)
        {
            var (start, count) = vertical.Bounds[y];
            var weights = vertical.Weights.AsSpan(y * vertical.KernelSize, count);
            var output = result.AsSpan(y * stride, stride);
            for (int x = 0; x < stride; x++)
            {
                int sum = 1 << (PrecisionBits - 1);
                for (int k = 0; k < count; k++)
                    sum += rows[(start + k - rowsOffset) * stride + x] * weights[k];
                output[x] = Clip8(sum);
            }
        }
        return result;
    }

    private static void Horizontal(ReadOnlySpan<byte> row, Coefficients coefficients, Span<byte> output)
    {
        for (int x = 0; x < coefficients.Bounds.Length; x++)
        {
            var (start, count) = coefficients.Bounds[x];
            var weights = coefficients.Weights.AsSpan(x * coefficients.KernelSize, count);
            for (int c = 0; c < 3; c++)
            {
                int sum = 1 << (PrecisionBits - 1);
                for (int k = 0; k < count; k++)
                    sum += row[(start + k) * 3 + c] * weights[k];
                output[x * 3 + c] = Clip8(sum);
            }
        }
    }

    private static byte Clip8(int value) => value >= 255 << PrecisionBits ? (byte)255 : value <= 0 ? (byte)0 : (byte)(value >> PrecisionBits);

    /// <summary>Pillow's precompute_coeffs + normalize_coeffs_8bpc for the bilinear (triangle) filter.</summary>
    private sealed record Coefficients((int Start, int Count)[] Bounds, int[] Weights, int KernelSize)
    {
        public static Coefficients For(int inputSize, int outputSize)
        {
            double scale = (double)inputSize / outputSize;
            double filterScale = Math.Max(scale, 1.0);
            double support = 1.0 * filterScale;
            int kernelSize = (int)Math.Ceiling(support) * 2 + 1;
            var bounds = new (int, int)[outputSize];
            var weights = new int[outputSize * kernelSize];
            var k = new double[kernelSize];
            for (int x = 0; x < outputSize; x++)
            {
                double center = (x + 0.5) * scale;
                double inverse = 1.0 / filterScale;
                int min = Math.Max((int)(center - support + 0.5), 0);
                int max = Math.Min((int)(center + support + 0.5), inputSize) - min;
                double total = 0;
                for (int i = 0; i < max; i++)
                {
                    double w = Triangle((i + min - center + 0.5) * inverse);
                    k[i] = w;
                    total += w;
                }
                for (int i = 0; i < max; i++)
                {
                    double w = total != 0 ? k[i] / total : k[i];
                    weights[x * kernelSize + i] = (int)(w < 0 ? -0.5 + w * (1 << PrecisionBits) : 0.5 + w * (1 << PrecisionBits));
                }
                bounds[x] = (min, max);
            }
            return new Coefficients(bounds, weights, kernelSize);
        }

        private static double Triangle(double x)
        {
            x = Math.Abs(x);
            return x < 1.0 ? 1.0 - x : 0.0;
        }
    }
}
