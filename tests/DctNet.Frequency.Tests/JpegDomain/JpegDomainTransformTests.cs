using DctNet.Frequency.Channels;
using DctNet.Frequency.JpegDomain;

namespace DctNet.Frequency.Tests.JpegDomain;

/// <summary>
/// The JPEG-domain transform against its pixel-domain definitions, computed here in float64 with a DCT of the test's
/// own: chroma upsampling is replication of the decoded chroma, a flip mirrors the pixels, an EXIF orientation
/// transposes and flips them.
/// </summary>
public class JpegDomainTransformTests
{
    private const double FloatPrecision = 2e-5; // relative to the largest magnitude compared

    [Theory]
    [InlineData(2, 2)]
    [InlineData(2, 1)]
    [InlineData(1, 2)]
    [InlineData(4, 1)]
    public void The_chroma_map_is_the_dct_of_replicated_pixels(int factorX, int factorY)
    {
        var random = new Random(7);
        var block = Enumerable.Range(0, 64).Select(i => (short)random.Next(-60, 61)).ToArray();
        var quantization = Enumerable.Range(0, 64).Select(i => (ushort)random.Next(1, 40)).ToArray();
        block[0] = 300;
        var pixels = Idct(block.Select((c, i) => (double)c * quantization[i]).ToArray());
        var weights = new float[64];
        for (int partY = 0; partY < factorY; partY++)
        {
            for (int partX = 0; partX < factorX; partX++)
            {
                var replicated = new double[64];
                for (int n = 0; n < 8; n++)
                {
                    for (int m = 0; m < 8; m++)
                        replicated[8 * n + m] = pixels[8 * (partY * 8 / factorY + n / factorY) + partX * 8 / factorX + m / factorX];
                }
                var expected = Fdct(replicated);
                for (int k = 0; k < 64; k++)
                {
                    DctUpsampling.Weights(factorX, partX, factorY, partY, k / 8, k % 8, quantization, 1, weights);
                    double actual = weights.Select((w, j) => (double)w * block[j]).Sum();
                    Assert.True(Math.Abs(actual - expected[k]) <= FloatPrecision * 8 * 300 * 40,
                        $"factor {factorX}x{factorY}, part ({partX}, {partY}), coefficient {k}: {actual} against {expected[k]}");
                }
            }
        }
    }

    [Fact]
    public void A_mirrored_block_has_its_odd_horizontal_frequencies_negated()
    {
        var random = new Random(3);
        var coefficients = Enumerable.Range(0, 64).Select(_ => (double)random.Next(-100, 101)).ToArray();
        var pixels = Idct(coefficients);
        var mirrored = new double[64];
        for (int n = 0; n < 8; n++)
        {
            for (int m = 0; m < 8; m++)
                mirrored[8 * n + m] = pixels[8 * n + 7 - m];
        }
        var expected = Fdct(mirrored);
        for (int k = 0; k < 64; k++)
            Assert.Equal(expected[k], (k % 8) % 2 == 1 ? -coefficients[k] : coefficients[k], 9);
    }

    public static TheoryData<string, int> OrientedFiles()
    {
        var data = new TheoryData<string, int>();
        foreach (string name in new[] { "baseline_420_q100", "baseline_422_q85", "baseline_411_q80", "progressive_444" })
        {
            for (int orientation = 1; orientation <= 8; orientation++)
                data.Add(name, orientation);
        }
        return data;
    }

    /// <summary>
    /// The whole displayed image, all 192 channels: the inverse DCT of each output block equals the file's decoded planes
    /// (the inverse DCT of its dequantized blocks), chroma replicated to full size, then oriented as EXIF says.
    /// </summary>
    [TurboJpegTheory]
    [MemberData(nameof(OrientedFiles))]
    public void Output_blocks_are_the_dct_of_the_oriented_full_resolution_planes(string name, int orientation)
    {
        var image = JpegCoefficientReader.ReadFile(JpegDomainFixtures.Jpeg(name)) with { Orientation = orientation };
        var (width, height) = JpegDomainTransform.DisplayedBlocks(image);
        int side = Math.Max(width, height);
        var transform = new JpegDomainTransform(side, ChannelSubset.All, statistics: null);
        var output = new float[transform.OutputLength];
        transform.Transform(image, new BlockWindow(0, 0), flip: false, output);

        int storedWidth = 8 * image.Luma.WidthInBlocks, storedHeight = 8 * image.Luma.HeightInBlocks;
        for (int component = 0; component < 3; component++)
        {
            var stored = FullResolutionPlane(image, component, storedWidth, storedHeight);
            var displayed = Orient(stored, storedWidth, storedHeight, orientation);
            double largest = displayed.Max(Math.Abs);
            for (int by = 0; by < height; by++)
            {
                for (int bx = 0; bx < width; bx++)
                {
                    var block = new double[64];
                    for (int k = 0; k < 64; k++)
                        block[k] = output[((component * 64 + k) * side + by) * side + bx];
                    var pixels = Idct(block);
                    for (int n = 0; n < 8; n++)
                    {
                        for (int m = 0; m < 8; m++)
                        {
                            double expected = displayed[(8 * by + n) * 8 * width + 8 * bx + m];
                            Assert.True(Math.Abs(pixels[8 * n + m] - expected) <= FloatPrecision * largest,
                                $"{name}, orientation {orientation}, component {component}, block ({bx}, {by}), pixel ({m}, {n}): {pixels[8 * n + m]} against {expected}");
                        }
                    }
                }
            }
        }
    }

    [Fact]
    public void A_flipped_window_is_the_mirror_image_with_odd_horizontal_frequencies_negated()
    {
        var image = JpegCoefficientReader.ReadFile(JpegDomainFixtures.Jpeg("baseline_420_q75"));
        var transform = new JpegDomainTransform(5, ChannelSubset.All, statistics: null);
        var plain = new float[transform.OutputLength];
        var flipped = new float[transform.OutputLength];
        var window = new BlockWindow(3, -1);
        transform.Transform(image, window, flip: false, plain);
        transform.Transform(image, window, flip: true, flipped);
        for (int channel = 0; channel < 192; channel++)
        {
            float sign = channel % 8 % 2 == 1 ? -1 : 1;
            for (int y = 0; y < 5; y++)
            {
                for (int x = 0; x < 5; x++)
                    Assert.Equal(sign * plain[(channel * 5 + y) * 5 + 4 - x], flipped[(channel * 5 + y) * 5 + x]);
            }
        }
    }

    [Fact]
    public void Windows_beyond_the_image_are_padded_with_zeros_after_normalization()
    {
        var image = JpegCoefficientReader.ReadFile(JpegDomainFixtures.Jpeg("odd_17x9_420")); // 3 x 2 luma blocks
        var statistics = new ChannelStatistics(Enumerable.Repeat(5.0, 192).ToArray(), Enumerable.Repeat(2.0, 192).ToArray());
        var raw = new JpegDomainTransform(6, ChannelSubset.All, statistics: null);
        var normalized = new JpegDomainTransform(6, ChannelSubset.All, statistics);
        Assert.Equal(new BlockWindow(-2, -2), BlockWindow.Centre(3, 2, 6));
        var a = new float[raw.OutputLength];
        var b = new float[normalized.OutputLength];
        raw.Transform(image, a);
        normalized.Transform(image, b);
        for (int channel = 0; channel < 192; channel++)
        {
            for (int y = 0; y < 6; y++)
            {
                for (int x = 0; x < 6; x++)
                {
                    int at = (channel * 6 + y) * 6 + x;
                    bool inside = x is >= 2 and < 5 && y is >= 2 and < 4;
                    Assert.Equal(inside ? (a[at] - 5) / 2 : 0, b[at], 5);
                    if (!inside)
                        Assert.Equal(0, a[at]);
                }
            }
        }
        Assert.NotEqual(0, a[(0 * 6 + 2) * 6 + 2]); // the DC of the first block is read
    }

    [Fact]
    public void Random_windows_stay_within_the_image_or_keep_the_image_within_them()
    {
        var random = new Random(1);
        for (int i = 0; i < 500; i++)
        {
            var larger = BlockWindow.Random(60, 47, 28, random);
            Assert.InRange(larger.Left, 0, 32);
            Assert.InRange(larger.Top, 0, 19);
            var smaller = BlockWindow.Random(20, 10, 28, random);
            Assert.InRange(smaller.Left, -8, 0);
            Assert.InRange(smaller.Top, -18, 0);
        }
    }

    [Fact]
    public void A_grayscale_file_has_zero_chroma()
    {
        var image = JpegCoefficientReader.ReadFile(JpegDomainFixtures.Jpeg("gray_q75"));
        var transform = new JpegDomainTransform(4, ChannelSubset.All, statistics: null);
        var output = new float[transform.OutputLength];
        transform.Transform(image, output);
        Assert.All(output[(64 * 16)..], value => Assert.Equal(0, value));
        Assert.Contains(output[..(64 * 16)], value => value != 0);
    }

    [Fact]
    public void The_vector_nonzero_mask_equals_the_scalar_definition()
    {
        var random = new Random(5);
        for (int trial = 0; trial < 200; trial++)
        {
            var block = Enumerable.Range(0, 64).Select(_ => (short)(random.Next(4) == 0 ? random.Next(-1024, 1024) : 0)).ToArray();
            Assert.Equal(JpegDomainTransform.ComponentCursor.NonzeroMaskScalar(block), JpegDomainTransform.ComponentCursor.NonzeroMask(block));
        }
    }

    /// <summary>One component at the luma grid's size: the inverse DCT of its dequantized blocks, replicated by its subsampling factors.</summary>
    private static double[] FullResolutionPlane(JpegCoefficients image, int component, int width, int height)
    {
        var c = image.Components[component];
        int factorX = image.MaxHorizontalSampling / c.HorizontalSampling, factorY = image.MaxVerticalSampling / c.VerticalSampling;
        var plane = new double[width * height];
        for (int y = 0; y < height; y++)
        {
            for (int x = 0; x < width; x++)
            {
                int cx = Math.Min(x / factorX, 8 * c.WidthInBlocks - 1), cy = Math.Min(y / factorY, 8 * c.HeightInBlocks - 1);
                var block = c.Block(cx / 8, cy / 8).ToArray().Select((q, k) => (double)q * c.Quantization[k]).ToArray();
                plane[y * width + x] = Idct(block)[8 * (cy % 8) + cx % 8];
            }
        }
        return plane;
    }

    /// <summary>OpenCV's EXIF orientation: transpose, then flip horizontally and/or vertically.</summary>
    private static double[] Orient(double[] plane, int width, int height, int orientation)
    {
        bool transpose = orientation >= 5;
        bool flipX = orientation is 2 or 3 or 6 or 7, flipY = orientation is 3 or 4 or 7 or 8;
        int w = transpose ? height : width, h = transpose ? width : height;
        var result = new double[w * h];
        for (int y = 0; y < h; y++)
        {
            for (int x = 0; x < w; x++)
            {
                int tx = flipX ? w - 1 - x : x, ty = flipY ? h - 1 - y : y;
                result[y * w + x] = transpose ? plane[tx * width + ty] : plane[ty * width + tx];
            }
        }
        return result;
    }

    private static double C(int k) => k == 0 ? Math.Sqrt(0.125) : 0.5;

    /// <summary>JPEG's inverse DCT without rounding, clamping or level shift.</summary>
    private static double[] Idct(double[] coefficients)
    {
        var pixels = new double[64];
        for (int n = 0; n < 8; n++)
        {
            for (int m = 0; m < 8; m++)
            {
                double sum = 0;
                for (int v = 0; v < 8; v++)
                {
                    for (int u = 0; u < 8; u++)
                        sum += C(v) * C(u) * coefficients[8 * v + u] * Math.Cos((2 * n + 1) * v * Math.PI / 16) * Math.Cos((2 * m + 1) * u * Math.PI / 16);
                }
                pixels[8 * n + m] = sum;
            }
        }
        return pixels;
    }

    /// <summary>JPEG's forward DCT without quantization.</summary>
    private static double[] Fdct(double[] pixels)
    {
        var coefficients = new double[64];
        for (int v = 0; v < 8; v++)
        {
            for (int u = 0; u < 8; u++)
            {
                double sum = 0;
                for (int n = 0; n < 8; n++)
                {
                    for (int m = 0; m < 8; m++)
                        sum += pixels[8 * n + m] * Math.Cos((2 * n + 1) * v * Math.PI / 16) * Math.Cos((2 * m + 1) * u * Math.PI / 16);
                }
                coefficients[8 * v + u] = C(v) * C(u) * sum;
            }
        }
        return coefficients;
    }
}
