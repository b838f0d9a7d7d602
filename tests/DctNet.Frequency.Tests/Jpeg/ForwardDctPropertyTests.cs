using DctNet.Frequency.Jpeg;

namespace DctNet.Frequency.Tests.Jpeg;

/// <summary>Properties of the integer DCT that hold independently of any golden file.</summary>
public class ForwardDctPropertyTests
{
    // TransformPlane takes the AVX2 path where the processor has AVX2; elsewhere it is the scalar path itself, and
    // comparing the two would check nothing, so these tests say that they were skipped instead.
    [Avx2Theory]
    [InlineData(1, 8, 8)]
    [InlineData(2, 64, 48)]
    [InlineData(3, 448, 448)]
    public void Vectorized_path_equals_scalar_reference(int seed, int width, int height)
        => AssertVectorizedEqualsScalar(RandomPlane(seed, width, height), width, height);

    [Avx2Fact]
    public void Vectorized_path_equals_scalar_reference_on_extreme_blocks()
    {
        // Saturated checkerboards and steps drive every intermediate to its largest magnitude.
        const int side = 32;
        var plane = new byte[side * side];
        for (int y = 0; y < side; y++)
        for (int x = 0; x < side; x++)
            plane[y * side + x] = (byte)(((y / 8 + x / 8) % 4) switch
            {
                0 => ((x + y) & 1) * 255,
                1 => x % 8 < 4 ? 0 : 255,
                2 => 255,
                _ => 0,
            });
        AssertVectorizedEqualsScalar(plane, side, side);
    }

    /// <summary>TransformPlane (the AVX2 path on these processors) against the scalar reference, coefficient for coefficient.</summary>
    private static void AssertVectorizedEqualsScalar(byte[] plane, int width, int height)
    {
        var vectorized = new short[width * height];
        var scalar = new short[width * height];
        ForwardDct.TransformPlane(plane, width, height, vectorized);
        ForwardDct.TransformPlaneScalar(plane, width, height, scalar);
        Assert.Equal(scalar, vectorized);
    }

    [Theory]
    [InlineData(4)]
    [InlineData(5)]
    public void Integer_dct_is_within_one_of_the_orthonormal_float_dct(int seed)
    {
        var plane = RandomPlane(seed, 64, 64);
        var coefficients = new short[64 * 64];
        ForwardDct.TransformPlaneScalar(plane, 64, 64, coefficients);
        for (int by = 0; by < 8; by++)
        for (int bx = 0; bx < 8; bx++)
        {
            var expected = FloatDct(plane, 64, bx * 8, by * 8);
            var actual = coefficients.AsSpan((by * 8 + bx) * 64, 64);
            for (int k = 0; k < 64; k++)
                Assert.True(Math.Abs(actual[k] - expected[k]) <= 1.0, $"block ({by},{bx}) coefficient {k}: {actual[k]} vs {expected[k]:F3}");
        }
    }

    [Fact]
    public void Flat_block_has_only_dc_equal_to_eight_times_mean_minus_1024()
    {
        var plane = Enumerable.Repeat((byte)200, 64).ToArray();
        var coefficients = new short[64];
        ForwardDct.TransformPlane(plane, 8, 8, coefficients);
        Assert.Equal(8 * 200 - 1024, coefficients[0]);
        Assert.All(coefficients[1..], c => Assert.Equal(0, c));
    }

    [Theory]
    [InlineData(12, 2)]
    [InlineData(-12, -2)]
    [InlineData(11, 1)]
    [InlineData(-11, -1)]
    [InlineData(4, 1)]
    [InlineData(-4, -1)]
    [InlineData(3, 0)]
    public void Quantization_divides_by_eight_rounding_half_away_from_zero(int value, int expected)
        => Assert.Equal(expected, ForwardDct.Quantize(value));

    private static byte[] RandomPlane(int seed, int width, int height)
    {
        var plane = new byte[width * height];
        new Random(seed).NextBytes(plane);
        return plane;
    }

    /// <summary>The orthonormal 2-D DCT-II of the level-shifted block, in doubles.</summary>
    private static double[] FloatDct(byte[] plane, int stride, int left, int top)
    {
        var result = new double[64];
        for (int v = 0; v < 8; v++)
        for (int u = 0; u < 8; u++)
        {
            double sum = 0;
            for (int y = 0; y < 8; y++)
            for (int x = 0; x < 8; x++)
                sum += (plane[(top + y) * stride + left + x] - 128) * Math.Cos((2 * x + 1) * u * Math.PI / 16) * Math.Cos((2 * y + 1) * v * Math.PI / 16);
            double cu = u == 0 ? Math.Sqrt(0.5) : 1, cv = v == 0 ? Math.Sqrt(0.5) : 1;
            result[v * 8 + u] = 0.25 * cu * cv * sum;
        }
        return result;
    }
}
