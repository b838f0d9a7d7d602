using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DctNet.Frequency.Geometry;

/// <summary>
/// OpenCV's <c>cv::resize(..., INTER_LINEAR)</c> for 8-bit interleaved images, bit-exact with OpenCV 4.x on x86-64
/// (the reference's Debian build): 11-bit fixed-point coefficients, half-pixel centres, clamped borders, and the
/// rounding of OpenCV's SIMD vertical pass, which drops 4 bits of each row before a high-half multiply. That build
/// uses the SIMD rounding for every element of a row, tails included (measured against cv2.resize over 300 random
/// sizes; the scalar formula would differ by one in places).
/// </summary>
public static class LinearResize
{
    private const int CoefficientBits = 11;
    private const int CoefficientScale = 1 << CoefficientBits;

    /// <summary>Resizes the whole image.</summary>
    public static byte[] Resize(ReadOnlySpan<byte> source, int sourceWidth, int sourceHeight, int channels, int width, int height)
    {
        var result = new byte[checked(width * height * channels)];
        ResizeWindow(source, sourceWidth, sourceHeight, channels, width, height, new PixelWindow(0, 0, width, height), result);
        return result;
    }

    /// <summary>
    /// Computes only <paramref name="window"/> of the image resized to <paramref name="width"/> x <paramref name="height"/>,
    /// into <paramref name="destination"/> (window-sized, interleaved). Window pixels outside the resized image are zero,
    /// which makes resize-then-crop-with-padding one pass.
    /// </summary>
    public static void ResizeWindow(ReadOnlySpan<byte> source, int sourceWidth, int sourceHeight, int channels,
        int width, int height, PixelWindow window, Span<byte> destination)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        if (source.Length < sourceWidth * sourceHeight * channels)
            throw new ArgumentException("Source buffer is smaller than its declared size.", nameof(source));
        int rowElements = window.Width * channels;
        if (destination.Length < rowElements * window.Height)
            throw new ArgumentException("Destination is smaller than the window.", nameof(destination));

        var inside = window.Intersect(width, height);
        if (inside.IsEmpty)
        {
            destination[..(rowElements * window.Height)].Clear();
            return;
        }
        ClearOutside(destination, window, inside, channels);

        if (width == sourceWidth && height == sourceHeight)
            CopyWindow(source, sourceWidth, channels, window, inside, destination);
        else if (sourceWidth == 2 * width && sourceHeight == 2 * height)
            HalveWindow(source, sourceWidth, channels, window, inside, destination);
        else
            new Bilinear(sourceWidth, sourceHeight, channels, width, height, inside).Run(source, window, destination);
    }

    private static void ClearOutside(Span<byte> destination, PixelWindow window, PixelWindow inside, int channels)
    {
        int rowElements = window.Width * channels;
        for (int y = 0; y < window.Height; y++)
        {
            var row = destination.Slice(y * rowElements, rowElements);
            int fy = window.Top + y;
            if (fy < inside.Top || fy >= inside.Bottom)
            {
                row.Clear();
                continue;
            }
            row[..((inside.Left - window.Left) * channels)].Clear();
            row[((inside.Right - window.Left) * channels)..].Clear();
        }
    }

    private static void CopyWindow(ReadOnlySpan<byte> source, int sourceWidth, int channels, PixelWindow window, PixelWindow inside, Span<byte> destination)
    {
        int count = inside.Width * channels;
        for (int y = inside.Top; y < inside.Bottom; y++)
        {
            source.Slice((y * sourceWidth + inside.Left) * channels, count)
                .CopyTo(destination.Slice(((y - window.Top) * window.Width + inside.Left - window.Left) * channels, count));
        }
    }

    /// <summary>OpenCV turns an exact 2x downscale into INTER_AREA: the rounded mean of each 2x2 square.</summary>
    private static void HalveWindow(ReadOnlySpan<byte> source, int sourceWidth, int channels, PixelWindow window, PixelWindow inside, Span<byte> destination)
    {
        int sourceStride = sourceWidth * channels;
        for (int y = inside.Top; y < inside.Bottom; y++)
        {
            var top = source.Slice(2 * y * sourceStride, sourceStride);
            var bottom = source.Slice((2 * y + 1) * sourceStride, sourceStride);
            var row = destination.Slice(((y - window.Top) * window.Width + inside.Left - window.Left) * channels, inside.Width * channels);
            for (int x = inside.Left; x < inside.Right; x++)
            {
                for (int c = 0; c < channels; c++)
                {
                    int s = 2 * x * channels + c;
                    row[(x - inside.Left) * channels + c] = (byte)((top[s] + top[s + channels] + bottom[s] + bottom[s + channels] + 2) >> 2);
                }
            }
        }
    }

    /// <summary>
    /// OpenCV's interpolation position for output index <paramref name="destinationIndex"/>: the source index and the
    /// float fraction, computed in the same precision as <c>cv::resize</c> (double position, float fraction).
    /// </summary>
    internal static (int Index, float Fraction) SourcePosition(int destinationIndex, double scale)
    {
        float position = (float)((destinationIndex + 0.5) * scale - 0.5);
        int index = (int)MathF.Floor(position);
        return (index, position - index);
    }

    /// <summary>saturate_cast&lt;short&gt;(weight * 2048): float product, round half to even.</summary>
    internal static short FixedPoint(float weight) => (short)MathF.Round(weight * CoefficientScale, MidpointRounding.ToEven);

    /// <summary>The vertical interpolation of OpenCV's VResizeLinearVec_32s8u.</summary>
    internal static byte VerticalVectorFormula(int upper, int lower, short upperWeight, short lowerWeight)
    {
        int sum = ((upper >> 4) * upperWeight >> 16) + ((lower >> 4) * lowerWeight >> 16);
        return (byte)Math.Clamp((sum + 2) >> 2, 0, 255);
    }

    /// <summary>Coefficient tables and row buffers of one resize, restricted to the columns and rows a window needs.</summary>
    private readonly ref struct Bilinear
    {
        private readonly int _sourceHeight, _sourceStride;
        private readonly PixelWindow _inside;
        private readonly int _channels;
        // Per output element (pixel x channel) of the window's columns: the two source bytes and their weights.
        private readonly int[] _offset0, _offset1, _weight0, _weight1;
        private readonly double _scaleY;

        public Bilinear(int sourceWidth, int sourceHeight, int channels, int width, int height, PixelWindow inside)
        {
            _sourceHeight = sourceHeight;
            _sourceStride = sourceWidth * channels;
            _channels = channels;
            _inside = inside;
            _scaleY = 1.0 / ((double)height / sourceHeight);

            double scaleX = 1.0 / ((double)width / sourceWidth);
            int elements = inside.Width * channels;
            _offset0 = new int[elements];
            _offset1 = new int[elements];
            _weight0 = new int[elements];
            _weight1 = new int[elements];
            for (int x = inside.Left; x < inside.Right; x++)
            {
                var (sx, fx) = SourcePosition(x, scaleX);
                if (sx < 0)
                    (sx, fx) = (0, 0f);
                if (sx >= sourceWidth - 1)
                    (sx, fx) = (sourceWidth - 1, 0f);
                for (int c = 0; c < channels; c++)
                {
                    int e = (x - inside.Left) * channels + c;
                    _offset0[e] = sx * channels + c;
                    _offset1[e] = Math.Min(sx + 1, sourceWidth - 1) * channels + c;
                    _weight0[e] = FixedPoint(1f - fx);
                    _weight1[e] = FixedPoint(fx);
                }
            }
        }

        public void Run(ReadOnlySpan<byte> source, PixelWindow window, Span<byte> destination)
        {
            int elements = _inside.Width * _channels;
            var upper = new int[elements];
            var lower = new int[elements];
            int upperRow = -1, lowerRow = -1;

            for (int y = _inside.Top; y < _inside.Bottom; y++)
            {
                var (sy, fy) = SourcePosition(y, _scaleY);
                int row0 = Math.Clamp(sy, 0, _sourceHeight - 1);
                int row1 = Math.Clamp(sy + 1, 0, _sourceHeight - 1);
                short weight0 = FixedPoint(1f - fy), weight1 = FixedPoint(fy);

                // Upscaling reuses each source row for several output rows: keep the last two horizontal passes.
                if (row0 == lowerRow && row0 != upperRow)
                {
                    (upper, lower) = (lower, upper);
                    (upperRow, lowerRow) = (lowerRow, upperRow);
                }
                if (row0 != upperRow)
                {
                    Horizontal(source, row0, upper);
                    upperRow = row0;
                }
                if (row1 != lowerRow)
                {
                    if (row1 == upperRow)
                        upper.CopyTo(lower);
                    else
                        Horizontal(source, row1, lower);
                    lowerRow = row1;
                }

                var output = destination.Slice(((y - window.Top) * window.Width + _inside.Left - window.Left) * _channels, elements);
                Vertical(upper, lower, weight0, weight1, output);
            }
        }

        private unsafe void Horizontal(ReadOnlySpan<byte> source, int row, Span<int> result)
        {
            var sourceRow = source.Slice(row * _sourceStride, _sourceStride);
            int e = 0;
            // A gather reads four bytes per lane: only rows followed by another row stay inside the buffer.
            if (Avx2.IsSupported && row < _sourceHeight - 1)
            {
                var lowByte = Vector256.Create(0xFF);
                fixed (byte* rowStart = sourceRow)
                fixed (int* offset0 = _offset0, offset1 = _offset1, weight0 = _weight0, weight1 = _weight1)
                fixed (int* output = result)
                {
                    int* origin = (int*)rowStart;
                    for (; e + 8 <= result.Length; e += 8)
                    {
                        var first = Avx2.GatherVector256(origin, Avx.LoadVector256(offset0 + e), 1) & lowByte;
                        var second = Avx2.GatherVector256(origin, Avx.LoadVector256(offset1 + e), 1) & lowByte;
                        Avx.Store(output + e, first * Avx.LoadVector256(weight0 + e) + second * Avx.LoadVector256(weight1 + e));
                    }
                }
            }
            for (; e < result.Length; e++)
                result[e] = sourceRow[_offset0[e]] * _weight0[e] + sourceRow[_offset1[e]] * _weight1[e];
        }

        private static void Vertical(ReadOnlySpan<int> upper, ReadOnlySpan<int> lower, short weight0, short weight1, Span<byte> output)
        {
            int i = 0;
            if (Vector256.IsHardwareAccelerated)
            {
                var w0 = Vector256.Create((int)weight0);
                var w1 = Vector256.Create((int)weight1);
                for (; i + 16 <= output.Length; i += 16)
                {
                    var low = VerticalLanes(upper.Slice(i, 8), lower.Slice(i, 8), w0, w1);
                    var high = VerticalLanes(upper.Slice(i + 8, 8), lower.Slice(i + 8, 8), w0, w1);
                    var shorts = Vector256.Narrow(low, high);
                    Vector128.Narrow(shorts.GetLower(), shorts.GetUpper()).AsByte().CopyTo(output.Slice(i, 16));
                }
            }
            for (; i < output.Length; i++)
                output[i] = VerticalVectorFormula(upper[i], lower[i], weight0, weight1);
        }

        /// <summary><see cref="VerticalVectorFormula"/> on eight lanes; results are within 0..255 for 8-bit inputs.</summary>
        private static Vector256<int> VerticalLanes(ReadOnlySpan<int> upper, ReadOnlySpan<int> lower, Vector256<int> w0, Vector256<int> w1)
        {
            var sum = ((Vector256.Create(upper) >> 4) * w0 >> 16) + ((Vector256.Create(lower) >> 4) * w1 >> 16);
            return (sum + Vector256.Create(2)) >> 2;
        }
    }
}
