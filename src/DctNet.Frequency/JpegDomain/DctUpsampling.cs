namespace DctNet.Frequency.JpegDomain;

/// <summary>
/// Brings a subsampled component (4:2:0, 4:2:2, 4:4:0, 4:1:1 chroma) onto the luma block grid without leaving the DCT
/// domain. The map is the exact DCT-domain image of pixel replication (libjpeg's plain, non-"fancy" upsampling): a
/// chroma block covers f x f luma blocks; the luma-grid block at part (px, py) of it is
/// DCT8(replicate_f(IDCT8(chroma block) restricted to that part)). Replication keeps every output block a function of
/// one input block (a smoothing filter would reach into the neighbours), and the map is separable: one 8 x 8 matrix per
/// axis, <see cref="Axis"/>. The DCT is JPEG's (orthonormal in 2-D: DC = 8 x mean), so the DC of a part is 8 x the
/// part's mean, as the exact pipeline's full-resolution chroma would have it.
/// </summary>
internal static class DctUpsampling
{
    /// <summary>The replication factors a component can have against the luma grid (TurboJPEG's subsamplings).</summary>
    public static bool Supports(int factor) => factor is 1 or 2 or 4;

    private static readonly double[,] Basis = OrthonormalDct();
    private static readonly double[][,] Factor2 = [Build(2, 0), Build(2, 1)];
    private static readonly double[][,] Factor4 = [Build(4, 0), Build(4, 1), Build(4, 2), Build(4, 3)];

    /// <summary>
    /// A[k, i] for one axis: frequency k of the output block from frequency i of the input block, for the output block
    /// that covers part <paramref name="part"/> (0 .. factor-1) of the input block replicated <paramref name="factor"/> times.
    /// </summary>
    public static double[,] Axis(int factor, int part) => factor switch
    {
        2 => Factor2[part],
        4 => Factor4[part],
        _ => throw new ArgumentOutOfRangeException(nameof(factor), factor, "replication by 2 or 4 only (1 is the identity)"),
    };

    /// <summary>
    /// The 64 weights that give output coefficient (v, u) of the part (partX, partY) from an input block's quantized
    /// coefficients: W[8i + j] = A_y[v, i] * A_x[u, j] * quantization[8i + j] * sign, so that the dot product with the
    /// block also dequantizes it.
    /// </summary>
    public static void Weights(int factorX, int partX, int factorY, int partY, int v, int u, ReadOnlySpan<ushort> quantization, float sign, Span<float> weights)
    {
        for (int i = 0; i < 8; i++)
        {
            double vertical = factorY == 1 ? (i == v ? 1 : 0) : Axis(factorY, partY)[v, i];
            for (int j = 0; j < 8; j++)
            {
                double horizontal = factorX == 1 ? (j == u ? 1 : 0) : Axis(factorX, partX)[u, j];
                weights[8 * i + j] = (float)(vertical * horizontal * quantization[8 * i + j] * sign);
            }
        }
    }

    private static double[,] Build(int factor, int part)
    {
        var a = new double[8, 8];
        int offset = part * 8 / factor;
        for (int k = 0; k < 8; k++)
        {
            for (int i = 0; i < 8; i++)
            {
                double sum = 0;
                for (int n = 0; n < 8; n++)
                    sum += Basis[k, n] * Basis[i, offset + n / factor];
                a[k, i] = sum;
            }
        }
        return a;
    }

    /// <summary>D[k, n] = c_k cos((2n + 1) k pi / 16), c_0 = sqrt(1/8), c_k = 1/2: X = D x, x = D^T X.</summary>
    private static double[,] OrthonormalDct()
    {
        var d = new double[8, 8];
        for (int k = 0; k < 8; k++)
        {
            for (int n = 0; n < 8; n++)
                d[k, n] = (k == 0 ? Math.Sqrt(1.0 / 8) : 0.5) * Math.Cos((2 * n + 1) * k * Math.PI / 16);
        }
        return d;
    }
}
