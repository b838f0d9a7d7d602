using DctNet.Frequency.Geometry;
using DctNet.Frequency.Jpeg;

namespace DctNet.Frequency.Tests.Jpeg;

/// <summary>The fused chroma kernel against the step-by-step reference path (upscale 2x, convert, subsample).</summary>
public class UpscaledChromaTests
{
    [Avx2Theory]
    [InlineData(1, 16, 8)]
    [InlineData(2, 48, 48)]
    [InlineData(3, 24, 40)]
    [InlineData(4, 448, 448)]
    public void Fused_kernel_equals_reference_path(int seed, int width, int height)
    {
        var rgb = new byte[width * height * 3];
        new Random(seed).NextBytes(rgb);
        if (seed == 3)
            Array.Fill(rgb, (byte)255, 0, rgb.Length / 2); // saturated half: extremes of the fixed-point range

        var planes = new PlanarRgb(width, height);
        planes.Fill(rgb);
        var cb = new byte[width * height];
        var cr = new byte[width * height];
        UpscaledChroma.Compute(planes, cb, cr);

        var upscaled = LinearResize.Resize(rgb, width, height, 3, 2 * width, 2 * height);
        var fullCb = new byte[4 * width * height];
        var fullCr = new byte[4 * width * height];
        JpegColor.ToChroma(upscaled, fullCb, fullCr);
        var expectedCb = new byte[width * height];
        var expectedCr = new byte[width * height];
        ChromaDownsampling.H2V2(fullCb, 2 * width, 2 * height, expectedCb);
        ChromaDownsampling.H2V2(fullCr, 2 * width, 2 * height, expectedCr);

        Assert.Equal(expectedCb, cb);
        Assert.Equal(expectedCr, cr);
    }

    [Fact]
    public void Planar_luma_equals_interleaved_luma()
    {
        const int width = 40, height = 24;
        var rgb = new byte[width * height * 3];
        new Random(7).NextBytes(rgb);
        var planes = new PlanarRgb(width, height);
        planes.Fill(rgb);
        var planar = new byte[width * height];
        var interleaved = new byte[width * height];
        JpegColor.ToLuma(planes, planar);
        JpegColor.ToLuma(rgb, interleaved);
        Assert.Equal(interleaved, planar);
    }
}
