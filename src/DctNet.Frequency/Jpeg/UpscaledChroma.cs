using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DctNet.Frequency.Jpeg;

/// <summary>
/// The release's chroma path - upscale the crop 2x with OpenCV's bilinear resize, convert to YCbCr, subsample h2v2 -
/// computed in one pass at chroma resolution, without materializing the 4x larger image.
/// <para>
/// At an exact 2x upscale OpenCV's fixed-point weights are 1/4 and 3/4 in both directions (edges replicated), so a
/// horizontal sum is 512 * q with q = p[x-1] + 3 p[x] (even columns) or 3 p[x] + p[x+1] (odd columns), and the
/// vertical pass's rounding ((S0 >> 4) * 512 >> 16) + ((S1 >> 4) * 1536 >> 16) reduces to (q0 >> 2) + (3 q1 >> 2).
/// Each upscaled pixel is therefore ((q_far >> 2) + (3 q_near >> 2) + 2) >> 2, bit-identical to
/// <see cref="Geometry.LinearResize"/> followed by <see cref="JpegColor.ToChroma"/> and <see cref="ChromaDownsampling.H2V2"/>,
/// which stay as the reference path (and the fallback without AVX2 or for images narrower than 16 pixels).
/// </para>
/// </summary>
internal static class UpscaledChroma
{
    private const int Lanes = 16;

    /// <summary>Whether the fused kernel can serve an image of this width (AVX2, at least one 16-pixel group).</summary>
    public static bool Supports(int width) => Avx2.IsSupported && width >= Lanes && width % 2 == 0;

    /// <summary>Cb and Cr planes (Width x Height) of the image in <paramref name="planes"/>.</summary>
    public static void Compute(PlanarRgb planes, Span<byte> cb, Span<byte> cr)
    {
        if (!Supports(planes.Width))
            throw new PlatformNotSupportedException("The fused chroma kernel needs AVX2 and an even width of at least 16; use the reference path.");
        if (cb.Length < planes.Width * planes.Height || cr.Length < planes.Width * planes.Height)
            throw new ArgumentException("Chroma planes are smaller than the image.");

        ref byte r = ref MemoryMarshal.GetArrayDataReference(planes.R);
        ref byte g = ref MemoryMarshal.GetArrayDataReference(planes.G);
        ref byte b = ref MemoryMarshal.GetArrayDataReference(planes.B);
        ref byte cbOut = ref MemoryMarshal.GetReference(cb);
        ref byte crOut = ref MemoryMarshal.GetReference(cr);
        int stride = planes.Stride;

        for (int y = 0; y < planes.Height; y++)
        {
            for (int group = 0; group < planes.Width; group += Lanes)
            {
                // The last group overlaps the previous one when the width is not a multiple of 16: each output
                // depends only on its own neighbourhood, so recomputing a few pixels changes nothing.
                int x = Math.Min(group, planes.Width - Lanes);
                int centre = planes.IndexOf(x, y);
                var (r00, r01, r10, r11) = UpscaledPixels(ref r, centre, stride);
                var (g00, g01, g10, g11) = UpscaledPixels(ref g, centre, stride);
                var (b00, b01, b10, b11) = UpscaledPixels(ref b, centre, stride);

                var (cbLow, cbHigh) = BlueDifference(r00, g00, b00);
                var (crLow, crHigh) = RedDifference(r00, g00, b00);
                Accumulate(ref cbLow, ref cbHigh, BlueDifference(r01, g01, b01));
                Accumulate(ref crLow, ref crHigh, RedDifference(r01, g01, b01));
                Accumulate(ref cbLow, ref cbHigh, BlueDifference(r10, g10, b10));
                Accumulate(ref crLow, ref crHigh, RedDifference(r10, g10, b10));
                Accumulate(ref cbLow, ref cbHigh, BlueDifference(r11, g11, b11));
                Accumulate(ref crLow, ref crHigh, RedDifference(r11, g11, b11));

                int output = y * planes.Width + x;
                StoreMeans(cbLow, cbHigh, ref Unsafe.Add(ref cbOut, output));
                StoreMeans(crLow, crHigh, ref Unsafe.Add(ref crOut, output));
            }
        }
    }

    /// <summary>
    /// One channel of the 2x2 upscaled pixels that cover sixteen consecutive source pixels of row y:
    /// (row 2y, column 2x), (2y, 2x+1), (2y+1, 2x), (2y+1, 2x+1), each for the sixteen x in the lanes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<short>, Vector256<short>, Vector256<short>, Vector256<short>) UpscaledPixels(ref byte plane, int centre, int stride)
    {
        var (aboveEven, aboveOdd) = HorizontalSums(ref plane, centre - stride);
        var (rowEven, rowOdd) = HorizontalSums(ref plane, centre);
        var (belowEven, belowOdd) = HorizontalSums(ref plane, centre + stride);

        var two = Vector256.Create((short)2);
        var nearEven = ((rowEven * 3) >>> 2) + two;
        var nearOdd = ((rowOdd * 3) >>> 2) + two;
        return (
            ((aboveEven >>> 2) + nearEven) >>> 2,
            ((aboveOdd >>> 2) + nearOdd) >>> 2,
            (nearEven + (belowEven >>> 2)) >>> 2,
            (nearOdd + (belowOdd >>> 2)) >>> 2);
    }

    /// <summary>q for the even (p[x-1] + 3 p[x]) and odd (3 p[x] + p[x+1]) upscaled columns of sixteen pixels (at most 1020).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<short> Even, Vector256<short> Odd) HorizontalSums(ref byte plane, int index)
    {
        var left = Load16(ref Unsafe.Add(ref plane, index - 1));
        var centre = Load16(ref Unsafe.Add(ref plane, index)) * 3;
        var right = Load16(ref Unsafe.Add(ref plane, index + 1));
        return (left + centre, centre + right);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<short> Load16(ref byte source)
        => Avx2.ConvertToVector256Int16(Vector128.LoadUnsafe(ref source));

    private const int ChromaOffset = (128 << 16) + (1 << 15) - 1;

    // pmaddwd multiplies adjacent 16-bit pairs; 32768 does not fit a short, so 32768 * v is computed as the pair (v, v) times (16384, 16384).
    private static readonly Vector256<short> RedGreenToCb = Pairs(JpegColor.RedToCb, JpegColor.GreenToCb);
    private static readonly Vector256<short> GreenBlueToCr = Pairs(JpegColor.GreenToCr, JpegColor.BlueToCr);
    private static readonly Vector256<short> HalfOfOneHalf = Pairs(1 << 14, 1 << 14);

    private static Vector256<short> Pairs(int first, int second)
        => Vector256.Create((int)(ushort)first | (second << 16)).AsInt16();

    /// <summary>
    /// Cb of sixteen pixels as two vectors of 32-bit values. Avx2.UnpackLow/High work within 128-bit halves, so the
    /// low vector holds pixels 0-3 and 8-11 and the high one 4-7 and 12-15; <see cref="StoreMeans"/> packs them back in order.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<int> Low, Vector256<int> High) BlueDifference(Vector256<short> r, Vector256<short> g, Vector256<short> b)
    {
        var offset = Vector256.Create(ChromaOffset);
        var low = Avx2.MultiplyAddAdjacent(Avx2.UnpackLow(r, g), RedGreenToCb) + Avx2.MultiplyAddAdjacent(Avx2.UnpackLow(b, b), HalfOfOneHalf);
        var high = Avx2.MultiplyAddAdjacent(Avx2.UnpackHigh(r, g), RedGreenToCb) + Avx2.MultiplyAddAdjacent(Avx2.UnpackHigh(b, b), HalfOfOneHalf);
        return ((low + offset) >> 16, (high + offset) >> 16);
    }

    /// <summary>Cr of sixteen pixels, in the lane order of <see cref="BlueDifference"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<int> Low, Vector256<int> High) RedDifference(Vector256<short> r, Vector256<short> g, Vector256<short> b)
    {
        var offset = Vector256.Create(ChromaOffset);
        var low = Avx2.MultiplyAddAdjacent(Avx2.UnpackLow(r, r), HalfOfOneHalf) + Avx2.MultiplyAddAdjacent(Avx2.UnpackLow(g, b), GreenBlueToCr);
        var high = Avx2.MultiplyAddAdjacent(Avx2.UnpackHigh(r, r), HalfOfOneHalf) + Avx2.MultiplyAddAdjacent(Avx2.UnpackHigh(g, b), GreenBlueToCr);
        return ((low + offset) >> 16, (high + offset) >> 16);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Accumulate(ref Vector256<int> low, ref Vector256<int> high, (Vector256<int> Low, Vector256<int> High) value)
    {
        low += value.Low;
        high += value.High;
    }

    /// <summary>libjpeg's h2v2 mean, (sum + bias) >> 2 with bias 1, 2, 1, 2... by column, stored as sixteen bytes in pixel order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreMeans(Vector256<int> low, Vector256<int> high, ref byte destination)
    {
        // Lanes hold pixels 0-3 | 8-11 (low) and 4-7 | 12-15 (high): even lanes are even columns in both.
        var bias = Vector256.Create(1, 2, 1, 2, 1, 2, 1, 2);
        var shorts = Avx2.PackSignedSaturate((low + bias) >> 2, (high + bias) >> 2);
        Vector128.Narrow(shorts.GetLower(), shorts.GetUpper()).AsByte().StoreUnsafe(ref destination);
    }
}
