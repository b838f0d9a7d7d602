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
/// which stay as the reference path (and the fallback without AVX2).
/// </para>
/// </summary>
internal static class UpscaledChroma
{
    public static bool IsAccelerated => Avx2.IsSupported;

    /// <summary>Cb and Cr planes (Width x Height) of the image in <paramref name="planes"/>; Width a multiple of 8.</summary>
    public static void Compute(PlanarRgb planes, Span<byte> cb, Span<byte> cr)
    {
        if (!Avx2.IsSupported)
            throw new PlatformNotSupportedException("The fused chroma kernel needs AVX2; use the reference path.");
        if (planes.Width % 8 != 0)
            throw new ArgumentException("Width must be a multiple of 8.", nameof(planes));
        if (cb.Length < planes.Width * planes.Height || cr.Length < planes.Width * planes.Height)
            throw new ArgumentException("Chroma planes are smaller than the image.");

        var bias = Vector256.Create(1, 2, 1, 2, 1, 2, 1, 2);
        ref byte r = ref MemoryMarshal.GetArrayDataReference(planes.R);
        ref byte g = ref MemoryMarshal.GetArrayDataReference(planes.G);
        ref byte b = ref MemoryMarshal.GetArrayDataReference(planes.B);
        ref byte cbOut = ref MemoryMarshal.GetReference(cb);
        ref byte crOut = ref MemoryMarshal.GetReference(cr);
        int stride = planes.Stride;

        for (int y = 0; y < planes.Height; y++)
        {
            for (int x = 0; x < planes.Width; x += 8)
            {
                int centre = planes.IndexOf(x, y);
                var (r00, r01, r10, r11) = UpscaledPixels(ref r, centre, stride);
                var (g00, g01, g10, g11) = UpscaledPixels(ref g, centre, stride);
                var (b00, b01, b10, b11) = UpscaledPixels(ref b, centre, stride);

                var cbSum = BlueDifference(r00, g00, b00) + BlueDifference(r01, g01, b01)
                          + BlueDifference(r10, g10, b10) + BlueDifference(r11, g11, b11);
                var crSum = RedDifference(r00, g00, b00) + RedDifference(r01, g01, b01)
                          + RedDifference(r10, g10, b10) + RedDifference(r11, g11, b11);

                int output = y * planes.Width + x;
                StoreBytes((cbSum + bias) >> 2, ref Unsafe.Add(ref cbOut, output));
                StoreBytes((crSum + bias) >> 2, ref Unsafe.Add(ref crOut, output));
            }
        }
    }

    /// <summary>
    /// One channel of the 2x2 upscaled pixels that cover eight consecutive source pixels of row y:
    /// (row 2y, column 2x), (2y, 2x+1), (2y+1, 2x), (2y+1, 2x+1), each for the eight x in the lanes.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<int>, Vector256<int>, Vector256<int>, Vector256<int>) UpscaledPixels(ref byte plane, int centre, int stride)
    {
        var (aboveEven, aboveOdd) = HorizontalSums(ref plane, centre - stride);
        var (rowEven, rowOdd) = HorizontalSums(ref plane, centre);
        var (belowEven, belowOdd) = HorizontalSums(ref plane, centre + stride);

        var two = Vector256.Create(2);
        var nearEven = (rowEven * 3 >> 2) + two;
        var nearOdd = (rowOdd * 3 >> 2) + two;
        return (
            ((aboveEven >> 2) + nearEven) >> 2,
            ((aboveOdd >> 2) + nearOdd) >> 2,
            (nearEven + (belowEven >> 2)) >> 2,
            (nearOdd + (belowOdd >> 2)) >> 2);
    }

    /// <summary>q for the even (p[x-1] + 3 p[x]) and odd (3 p[x] + p[x+1]) upscaled columns of eight pixels.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector256<int> Even, Vector256<int> Odd) HorizontalSums(ref byte plane, int index)
    {
        var left = Load8(ref Unsafe.Add(ref plane, index - 1));
        var centre = Load8(ref Unsafe.Add(ref plane, index)) * 3;
        var right = Load8(ref Unsafe.Add(ref plane, index + 1));
        return (left + centre, centre + right);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Load8(ref byte source)
        => Avx2.ConvertToVector256Int32(Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<long>(ref source)).AsByte());

    private const int ChromaOffset = (128 << 16) + (1 << 15) - 1;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> BlueDifference(Vector256<int> r, Vector256<int> g, Vector256<int> b)
        => (r * JpegColor.RedToCb + g * JpegColor.GreenToCb + (b << 15) + Vector256.Create(ChromaOffset)) >> 16;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> RedDifference(Vector256<int> r, Vector256<int> g, Vector256<int> b)
        => ((r << 15) + g * JpegColor.GreenToCr + b * JpegColor.BlueToCr + Vector256.Create(ChromaOffset)) >> 16;

    /// <summary>Stores eight lanes known to hold 0..255 as eight bytes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void StoreBytes(Vector256<int> values, ref byte destination)
    {
        var shorts = Vector128.Narrow(values.GetLower(), values.GetUpper());
        var bytes = Vector128.Narrow(shorts, shorts);
        Unsafe.WriteUnaligned(ref destination, bytes.AsInt64().ToScalar());
    }
}
