using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DctNet.Frequency.Jpeg;

/// <summary>
/// libjpeg's RGB to YCbCr conversion (jccolor.c): 16 fractional bits, Y rounded with +1/2,
/// Cb and Cr with +1/2-epsilon on a +128 offset so that the maximum stays 255.
/// </summary>
public static class JpegColor
{
    private const int ScaleBits = 16;
    private const int Half = 1 << (ScaleBits - 1);
    private const int ChromaOffset = (128 << ScaleBits) + Half - 1;

    // FIX(x) = (int)(x * 65536 + 0.5) for the JFIF coefficients.
    internal const int RedToY = 19595, GreenToY = 38470, BlueToY = 7471;
    internal const int RedToCb = -11059, GreenToCb = -21709, BlueToCb = 32768;
    internal const int RedToCr = 32768, GreenToCr = -27439, BlueToCr = -5329;

    public static byte Luma(int r, int g, int b) => (byte)((RedToY * r + GreenToY * g + BlueToY * b + Half) >> ScaleBits);

    public static byte BlueDifference(int r, int g, int b) => (byte)((RedToCb * r + GreenToCb * g + BlueToCb * b + ChromaOffset) >> ScaleBits);

    public static byte RedDifference(int r, int g, int b) => (byte)((RedToCr * r + GreenToCr * g + BlueToCr * b + ChromaOffset) >> ScaleBits);

    /// <summary>The Y plane of an interleaved RGB image.</summary>
    public static void ToLuma(ReadOnlySpan<byte> rgb, Span<byte> luma)
    {
        for (int i = 0, j = 0; i < luma.Length; i++, j += 3)
            luma[i] = Luma(rgb[j], rgb[j + 1], rgb[j + 2]);
    }

    /// <summary>The Y plane (Width x Height) of planar RGB, eight pixels at a time where AVX2 is available.</summary>
    internal static void ToLuma(PlanarRgb planes, Span<byte> luma)
    {
        if (luma.Length < planes.Width * planes.Height)
            throw new ArgumentException("Luma plane is smaller than the image.", nameof(luma));
        for (int y = 0; y < planes.Height; y++)
        {
            int start = planes.IndexOf(0, y), x = 0;
            var row = luma.Slice(y * planes.Width, planes.Width);
            if (Avx2.IsSupported)
            {
                ref byte r = ref MemoryMarshal.GetArrayDataReference(planes.R);
                ref byte g = ref MemoryMarshal.GetArrayDataReference(planes.G);
                ref byte b = ref MemoryMarshal.GetArrayDataReference(planes.B);
                for (; x + 8 <= planes.Width; x += 8)
                {
                    var value = (Load8(ref r, start + x) * RedToY + Load8(ref g, start + x) * GreenToY
                               + Load8(ref b, start + x) * BlueToY + Vector256.Create(Half)) >> ScaleBits;
                    StoreBytes(value, ref row[x]);
                }
            }
            for (; x < planes.Width; x++)
                row[x] = Luma(planes.R[start + x], planes.G[start + x], planes.B[start + x]);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Load8(ref byte plane, int index)
        => Avx2.ConvertToVector256Int32(Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<long>(ref Unsafe.Add(ref plane, index))).AsByte());

    /// <summary>Stores eight lanes known to hold 0..255 as eight bytes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreBytes(Vector256<int> values, ref byte destination)
    {
        var shorts = Vector128.Narrow(values.GetLower(), values.GetUpper());
        var bytes = Vector128.Narrow(shorts, shorts);
        Unsafe.WriteUnaligned(ref destination, bytes.AsInt64().ToScalar());
    }

    /// <summary>The Cb and Cr planes of an interleaved RGB image.</summary>
    public static void ToChroma(ReadOnlySpan<byte> rgb, Span<byte> cb, Span<byte> cr)
    {
        for (int i = 0, j = 0; i < cb.Length; i++, j += 3)
        {
            int r = rgb[j], g = rgb[j + 1], b = rgb[j + 2];
            cb[i] = BlueDifference(r, g, b);
            cr[i] = RedDifference(r, g, b);
        }
    }
}
