using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace DctNet.Frequency.Jpeg;

/// <summary>
/// libjpeg's "islow" integer forward DCT (jfdctint.c: 13-bit constants, 2 extra bits in the row pass, output scaled
/// by 8) on level-shifted samples, followed by quality-100 quantization (all-ones tables: divide by 8, rounding half
/// away from zero). The result is what <c>jpeg_read_coefficients</c> returns for a q100 JPEG. Coefficients are
/// stored block by block, 64 per block in natural row-major order (k = 8 * v + u).
/// </summary>
public static class ForwardDct
{
    public const int BlockSize = 8;
    public const int CoefficientsPerBlock = 64;

    private const int ConstBits = 13;
    private const int Pass1Bits = 2;
    private const int Fix0_298631336 = 2446;
    private const int Fix0_390180644 = 3196;
    private const int Fix0_541196100 = 4433;
    private const int Fix0_765366865 = 6270;
    private const int Fix0_899976223 = 7373;
    private const int Fix1_175875602 = 9633;
    private const int Fix1_501321110 = 12299;
    private const int Fix1_847759065 = 15137;
    private const int Fix1_961570560 = 16069;
    private const int Fix2_053119869 = 16819;
    private const int Fix2_562915447 = 20995;
    private const int Fix3_072711026 = 25172;

    /// <summary>Transforms every 8x8 block of a plane (width and height multiples of 8), using SIMD where available.</summary>
    public static void TransformPlane(ReadOnlySpan<byte> plane, int width, int height, Span<short> coefficients)
    {
        if (Avx2.IsSupported)
            TransformPlaneAvx2(plane, width, height, coefficients);
        else
            TransformPlaneScalar(plane, width, height, coefficients);
    }

    /// <summary>The reference path: libjpeg's C code, one block at a time.</summary>
    public static void TransformPlaneScalar(ReadOnlySpan<byte> plane, int width, int height, Span<short> coefficients)
    {
        ValidatePlane(plane, width, height, coefficients);
        Span<int> block = stackalloc int[CoefficientsPerBlock];
        int blocksPerRow = width / BlockSize;
        for (int by = 0; by < height / BlockSize; by++)
        {
            for (int bx = 0; bx < blocksPerRow; bx++)
            {
                for (int r = 0; r < BlockSize; r++)
                {
                    var row = plane.Slice((by * BlockSize + r) * width + bx * BlockSize, BlockSize);
                    for (int c = 0; c < BlockSize; c++)
                        block[r * BlockSize + c] = row[c] - 128;
                }
                TransformBlock(block);
                var output = coefficients.Slice((by * blocksPerRow + bx) * CoefficientsPerBlock, CoefficientsPerBlock);
                for (int k = 0; k < CoefficientsPerBlock; k++)
                    output[k] = Quantize(block[k]);
            }
        }
    }

    /// <summary>jpeg_fdct_islow on one block of level-shifted samples, in place.</summary>
    public static void TransformBlock(Span<int> data)
    {
        for (int row = 0; row < BlockSize; row++)
            Transform1D(data, row * BlockSize, 1, firstPass: true);
        for (int column = 0; column < BlockSize; column++)
            Transform1D(data, column, BlockSize, firstPass: false);
    }

    /// <summary>libjpeg-turbo's quantize() for a divisor of 8 (q100 table entry 1, scaled by the DCT's 8): round half away from zero.</summary>
    public static short Quantize(int value) => (short)(value < 0 ? -((-value + 4) >> 3) : (value + 4) >> 3);

    private static void Transform1D(Span<int> d, int start, int step, bool firstPass)
    {
        int d0 = d[start], d1 = d[start + step], d2 = d[start + 2 * step], d3 = d[start + 3 * step];
        int d4 = d[start + 4 * step], d5 = d[start + 5 * step], d6 = d[start + 6 * step], d7 = d[start + 7 * step];

        int tmp0 = d0 + d7, tmp7 = d0 - d7;
        int tmp1 = d1 + d6, tmp6 = d1 - d6;
        int tmp2 = d2 + d5, tmp5 = d2 - d5;
        int tmp3 = d3 + d4, tmp4 = d3 - d4;

        int tmp10 = tmp0 + tmp3, tmp13 = tmp0 - tmp3;
        int tmp11 = tmp1 + tmp2, tmp12 = tmp1 - tmp2;

        int shift = firstPass ? ConstBits - Pass1Bits : ConstBits + Pass1Bits;
        d[start] = firstPass ? (tmp10 + tmp11) << Pass1Bits : Descale(tmp10 + tmp11, Pass1Bits);
        d[start + 4 * step] = firstPass ? (tmp10 - tmp11) << Pass1Bits : Descale(tmp10 - tmp11, Pass1Bits);

        int z1 = (tmp12 + tmp13) * Fix0_541196100;
        d[start + 2 * step] = Descale(z1 + tmp13 * Fix0_765366865, shift);
        d[start + 6 * step] = Descale(z1 - tmp12 * Fix1_847759065, shift);

        z1 = tmp4 + tmp7;
        int z2 = tmp5 + tmp6;
        int z3 = tmp4 + tmp6;
        int z4 = tmp5 + tmp7;
        int z5 = (z3 + z4) * Fix1_175875602;

        tmp4 *= Fix0_298631336;
        tmp5 *= Fix2_053119869;
        tmp6 *= Fix3_072711026;
        tmp7 *= Fix1_501321110;
        z1 *= -Fix0_899976223;
        z2 *= -Fix2_562915447;
        z3 = z3 * -Fix1_961570560 + z5;
        z4 = z4 * -Fix0_390180644 + z5;

        d[start + 7 * step] = Descale(tmp4 + z1 + z3, shift);
        d[start + 5 * step] = Descale(tmp5 + z2 + z4, shift);
        d[start + 3 * step] = Descale(tmp6 + z2 + z3, shift);
        d[start + step] = Descale(tmp7 + z1 + z4, shift);
    }

    private static int Descale(int x, int n) => (x + (1 << (n - 1))) >> n;

    private static void ValidatePlane(ReadOnlySpan<byte> plane, int width, int height, Span<short> coefficients)
    {
        if (width % BlockSize != 0 || height % BlockSize != 0)
            throw new ArgumentException($"Plane size {width}x{height} is not a multiple of {BlockSize}.");
        if (plane.Length < width * height)
            throw new ArgumentException("Plane buffer is smaller than its declared size.", nameof(plane));
        if (coefficients.Length < width * height)
            throw new ArgumentException("Coefficient buffer is smaller than the plane.", nameof(coefficients));
    }

    /// <summary>
    /// The same arithmetic eight lanes at a time: a block's rows are transposed so that the row pass runs over all
    /// eight rows at once, transposed back for the column pass, then quantized and stored as one 64-short block.
    /// </summary>
    private static void TransformPlaneAvx2(ReadOnlySpan<byte> plane, int width, int height, Span<short> coefficients)
    {
        ValidatePlane(plane, width, height, coefficients);
        int blocksPerRow = width / BlockSize;
        var levelShift = Vector256.Create(128);
        ref byte planeStart = ref MemoryMarshal.GetReference(plane);
        ref short outputStart = ref MemoryMarshal.GetReference(coefficients);
        for (int by = 0; by < height / BlockSize; by++)
        {
            for (int bx = 0; bx < blocksPerRow; bx++)
            {
                ref byte origin = ref Unsafe.Add(ref planeStart, by * BlockSize * width + bx * BlockSize);
                Vector256<int> LoadRow(ref byte start, int r) =>
                    Avx2.ConvertToVector256Int32(Vector128.CreateScalarUnsafe(Unsafe.ReadUnaligned<long>(ref Unsafe.Add(ref start, r * width))).AsByte()) - levelShift;

                var r0 = LoadRow(ref origin, 0); var r1 = LoadRow(ref origin, 1);
                var r2 = LoadRow(ref origin, 2); var r3 = LoadRow(ref origin, 3);
                var r4 = LoadRow(ref origin, 4); var r5 = LoadRow(ref origin, 5);
                var r6 = LoadRow(ref origin, 6); var r7 = LoadRow(ref origin, 7);

                Transpose(ref r0, ref r1, ref r2, ref r3, ref r4, ref r5, ref r6, ref r7);
                Transform1DLanes(ref r0, ref r1, ref r2, ref r3, ref r4, ref r5, ref r6, ref r7, firstPass: true);
                Transpose(ref r0, ref r1, ref r2, ref r3, ref r4, ref r5, ref r6, ref r7);
                Transform1DLanes(ref r0, ref r1, ref r2, ref r3, ref r4, ref r5, ref r6, ref r7, firstPass: false);

                ref short output = ref Unsafe.Add(ref outputStart, (by * blocksPerRow + bx) * CoefficientsPerBlock);
                Vector256.Narrow(QuantizeLanes(r0), QuantizeLanes(r1)).StoreUnsafe(ref output);
                Vector256.Narrow(QuantizeLanes(r2), QuantizeLanes(r3)).StoreUnsafe(ref Unsafe.Add(ref output, 16));
                Vector256.Narrow(QuantizeLanes(r4), QuantizeLanes(r5)).StoreUnsafe(ref Unsafe.Add(ref output, 32));
                Vector256.Narrow(QuantizeLanes(r6), QuantizeLanes(r7)).StoreUnsafe(ref Unsafe.Add(ref output, 48));
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> QuantizeLanes(Vector256<int> value)
    {
        var magnitude = (Vector256.Abs(value) + Vector256.Create(4)) >>> 3;
        return Vector256.ConditionalSelect(Vector256.LessThan(value, Vector256<int>.Zero), -magnitude, magnitude);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> DescaleLanes(Vector256<int> x, int n) => (x + Vector256.Create(1 << (n - 1))) >> n;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transform1DLanes(ref Vector256<int> d0, ref Vector256<int> d1, ref Vector256<int> d2, ref Vector256<int> d3,
        ref Vector256<int> d4, ref Vector256<int> d5, ref Vector256<int> d6, ref Vector256<int> d7, bool firstPass)
    {
        var tmp0 = d0 + d7; var tmp7 = d0 - d7;
        var tmp1 = d1 + d6; var tmp6 = d1 - d6;
        var tmp2 = d2 + d5; var tmp5 = d2 - d5;
        var tmp3 = d3 + d4; var tmp4 = d3 - d4;

        var tmp10 = tmp0 + tmp3; var tmp13 = tmp0 - tmp3;
        var tmp11 = tmp1 + tmp2; var tmp12 = tmp1 - tmp2;

        int shift = firstPass ? ConstBits - Pass1Bits : ConstBits + Pass1Bits;
        d0 = firstPass ? (tmp10 + tmp11) << Pass1Bits : DescaleLanes(tmp10 + tmp11, Pass1Bits);
        d4 = firstPass ? (tmp10 - tmp11) << Pass1Bits : DescaleLanes(tmp10 - tmp11, Pass1Bits);

        var z1 = (tmp12 + tmp13) * Fix0_541196100;
        d2 = DescaleLanes(z1 + tmp13 * Fix0_765366865, shift);
        d6 = DescaleLanes(z1 - tmp12 * Fix1_847759065, shift);

        z1 = tmp4 + tmp7;
        var z2 = tmp5 + tmp6;
        var z3 = tmp4 + tmp6;
        var z4 = tmp5 + tmp7;
        var z5 = (z3 + z4) * Fix1_175875602;

        tmp4 *= Fix0_298631336;
        tmp5 *= Fix2_053119869;
        tmp6 *= Fix3_072711026;
        tmp7 *= Fix1_501321110;
        z1 *= -Fix0_899976223;
        z2 *= -Fix2_562915447;
        z3 = z3 * -Fix1_961570560 + z5;
        z4 = z4 * -Fix0_390180644 + z5;

        d7 = DescaleLanes(tmp4 + z1 + z3, shift);
        d5 = DescaleLanes(tmp5 + z2 + z4, shift);
        d3 = DescaleLanes(tmp6 + z2 + z3, shift);
        d1 = DescaleLanes(tmp7 + z1 + z4, shift);
    }

    /// <summary>8x8 transpose of 32-bit lanes: after it, vector i holds what was lane i of every input vector.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose(ref Vector256<int> r0, ref Vector256<int> r1, ref Vector256<int> r2, ref Vector256<int> r3,
        ref Vector256<int> r4, ref Vector256<int> r5, ref Vector256<int> r6, ref Vector256<int> r7)
    {
        var t0 = Avx2.UnpackLow(r0, r1); var t1 = Avx2.UnpackHigh(r0, r1);
        var t2 = Avx2.UnpackLow(r2, r3); var t3 = Avx2.UnpackHigh(r2, r3);
        var t4 = Avx2.UnpackLow(r4, r5); var t5 = Avx2.UnpackHigh(r4, r5);
        var t6 = Avx2.UnpackLow(r6, r7); var t7 = Avx2.UnpackHigh(r6, r7);

        var u0 = Avx2.UnpackLow(t0.AsInt64(), t2.AsInt64()).AsInt32(); var u1 = Avx2.UnpackHigh(t0.AsInt64(), t2.AsInt64()).AsInt32();
        var u2 = Avx2.UnpackLow(t1.AsInt64(), t3.AsInt64()).AsInt32(); var u3 = Avx2.UnpackHigh(t1.AsInt64(), t3.AsInt64()).AsInt32();
        var u4 = Avx2.UnpackLow(t4.AsInt64(), t6.AsInt64()).AsInt32(); var u5 = Avx2.UnpackHigh(t4.AsInt64(), t6.AsInt64()).AsInt32();
        var u6 = Avx2.UnpackLow(t5.AsInt64(), t7.AsInt64()).AsInt32(); var u7 = Avx2.UnpackHigh(t5.AsInt64(), t7.AsInt64()).AsInt32();

        r0 = Avx2.Permute2x128(u0, u4, 0x20); r1 = Avx2.Permute2x128(u1, u5, 0x20);
        r2 = Avx2.Permute2x128(u2, u6, 0x20); r3 = Avx2.Permute2x128(u3, u7, 0x20);
        r4 = Avx2.Permute2x128(u0, u4, 0x31); r5 = Avx2.Permute2x128(u1, u5, 0x31);
        r6 = Avx2.Permute2x128(u2, u6, 0x31); r7 = Avx2.Permute2x128(u3, u7, 0x31);
    }
}
