using DctNet.Frequency.Imaging;
using DctNet.Frequency.IO;
using DctNet.Training;
using SkiaSharp;

namespace DctNet.Demo;

/// <summary>The classes of <see cref="SyntheticImages"/>: each is decided by where its energy sits in frequency, not by its colours.</summary>
public enum SyntheticClass
{
    /// <summary>Soft blobs on a plain ground: luma and chroma vary only slowly (the DC and lowest coefficients).</summary>
    Blobs,

    /// <summary>Stripes in two colours of the same luma, horizontal or vertical at DCT index 1: the pattern lives in Cb or in Cr (half the images each), never in Y.</summary>
    ColourStripes,

    /// <summary>Horizontal stripes of luma alone at DCT index 1 or 3: energy in Y at (u, v) = (0, 1) or (0, 3).</summary>
    HorizontalStripes,

    /// <summary>Vertical stripes of luma alone at DCT index 1 or 3: energy in Y at (u, v) = (1, 0) or (3, 0).</summary>
    VerticalStripes,
}

/// <summary>How many images of which side <see cref="SyntheticImages.WriteDataset"/> makes per class.</summary>
public sealed record SyntheticDatasetSize(int TrainPerClass, int ValPerClass, int ImageSide)
{
    public int Total => (TrainPerClass + ValPerClass) * SyntheticImages.Classes.Count;
}

/// <summary>
/// A small image-classification dataset drawn from a seed: four classes that differ in frequency content (see
/// <see cref="SyntheticClass"/>), each image with random colours, contrast, sign, period, orientation and noise, and
/// soft blobs over the stripes, so that neither the mean colour nor "any structure at all" tells the classes apart.
/// <para>
/// The stripes lie on the 8x8 block grid of the image (see <see cref="DrawBasisStripes"/>), so that each sits in
/// exactly one DCT channel and no other channel can stand in for it: the channels that define the classes are known
/// exactly (<see cref="DefiningChannels"/>), and a model that drops one loses the images that only it carries. The
/// luma stripes fall in the low 4x4 frequencies of Y, the colour stripes in the low 2x2 of Cb and Cr, which DCT-24
/// keeps. Written as an ImageFolder of JPEGs (quality 90, chroma at full resolution: <see cref="DatasetChroma"/>).
/// </para>
/// </summary>
public static class SyntheticImages
{
    public const int JpegQuality = 90;

    /// <summary>
    /// The dataset's chroma is stored at full resolution (4:4:4). Halved (4:2:0), it would lose the images' noise at its
    /// high frequencies, and the faint residue that the decoder's interpolation of the colour stripes leaves at index 7
    /// would carry the class too (Cr (7, 0): 3x the other classes' energy, measured); faint is not negligible, since the
    /// DCT models divide each channel by its own spread. At full resolution the noise covers it (1.0x).
    /// </summary>
    public const SKJpegEncoderDownsample DatasetChroma = SKJpegEncoderDownsample.Downsample444;
    public const string TrainFolder = "train";
    public const string ValFolder = "val";

    /// <summary>
    /// The DCT indexes of the luma stripes, half the images each: periods of 16 and 5.3 pixels. Odd indexes only: a
    /// stripe at an odd index changes sign from block to block, so its channel averages to 0 over the image, while one
    /// at an even index has the same sign in every block. The input gate sees each channel's image average, and with
    /// index 2 it kept Y (2, 0) for at most half of the images that needed it (host B, seeds 0 and 2: keep probability
    /// 0.001 to 0.06, top-1 85 to 94%).
    /// </summary>
    private static readonly int[] LumaStripeIndexes = [1, 3];

    /// <summary>The strongest Gaussian noise on an image, in levels.</summary>
    private const float MaxNoiseSigma = 7;

    /// <summary>The classes with their folder names, in the folder names' ordinal order (ImageFolder's label order).</summary>
    public static IReadOnlyList<(SyntheticClass Class, string Folder)> Classes { get; } =
    [
        (SyntheticClass.Blobs, "blobs"),
        (SyntheticClass.ColourStripes, "colour-stripes"),
        (SyntheticClass.HorizontalStripes, "horizontal-stripes"),
        (SyntheticClass.VerticalStripes, "vertical-stripes"),
    ];

    /// <summary>
    /// The DCT channels (indexes into the 192: Y, Cb, Cr, k = 8v + u) that carry a class's pattern, by construction.
    /// Each stripe is a DCT basis function in every block (<see cref="DrawBasisStripes"/>), so each image of a striped
    /// class has its pattern in one of these channels and in no other, and each channel is the only one for some images:
    /// <list type="bullet">
    /// <item>horizontal stripes, Y at (u, v) = (0, 1) and (0, 3), half the images each;</item>
    /// <item>vertical stripes, Y at (1, 0) and (3, 0);</item>
    /// <item>colour stripes, Cb or Cr (half the images each) at (1, 0) for vertical stripes and (0, 1) for horizontal ones;</item>
    /// <item>blobs have none of their own: they are the class without stripes, in the DC coefficients that every class
    /// has and in the lowest AC ones, which the blobs' soft edges share with the stripes at index 1.</item>
    /// </list>
    /// </summary>
    public static IReadOnlyList<int> DefiningChannels(SyntheticClass kind) => kind switch
    {
        SyntheticClass.HorizontalStripes => [8, 24],
        SyntheticClass.VerticalStripes => [1, 3],
        SyntheticClass.ColourStripes => [64 + 1, 64 + 8, 128 + 1, 128 + 8],
        SyntheticClass.Blobs => [],
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    /// <summary>Writes <c>root/{train,val}/&lt;class&gt;/NNNN.jpg</c>; the same seed and size give the same files, whatever <paramref name="threads"/>.</summary>
    /// <param name="progress">Called with the number of images written so far, from worker threads.</param>
    /// <exception cref="OperationCanceledException">Cancelled; the images written so far stay.</exception>
    public static void WriteDataset(string root, SyntheticDatasetSize size, int seed, int threads, Action<int>? progress = null, CancellationToken cancellation = default)
    {
        var images = new List<(string Path, SyntheticClass Class, int Stream)>();
        foreach (var (split, perClass) in new[] { (TrainFolder, size.TrainPerClass), (ValFolder, size.ValPerClass) })
        {
            foreach (var (kind, folder) in Classes)
            {
                for (int i = 0; i < perClass; i++)
                    images.Add((Path.Combine(root, split, folder, $"{i:D4}.jpg"), kind, images.Count));
            }
        }
        int written = 0;
        Parallel.ForEach(images, new ParallelOptions { MaxDegreeOfParallelism = threads, CancellationToken = cancellation }, image =>
        {
            var random = new Random(SeededStreams.Derive(seed, (int)image.Class, image.Stream));
            AtomicFile.WriteAllBytes(image.Path, EncodeJpeg(Draw(image.Class, size.ImageSide, random), JpegQuality, DatasetChroma));
            progress?.Invoke(Interlocked.Increment(ref written));
        });
    }

    /// <summary>One image of <paramref name="kind"/>, <paramref name="side"/> x <paramref name="side"/>, drawn from <paramref name="random"/>.</summary>
    public static RgbImage Draw(SyntheticClass kind, int side, Random random)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(side, 16);
        var canvas = new float[side * side * 3];
        switch (kind)
        {
            case SyntheticClass.Blobs:
                Fill(canvas, RandomColour(random));
                for (int count = random.Next(3, 7); count > 0; count--)
                    AddBlob(canvas, side, random, RandomColour(random), opacity: Uniform(random, 0.7f, 1f));
                break;
            case SyntheticClass.ColourStripes:
                DrawColourStripes(canvas, side, random);
                AddDistractorBlobs(canvas, side, random);
                break;
            case SyntheticClass.HorizontalStripes or SyntheticClass.VerticalStripes:
                DrawLumaStripes(canvas, side, random, acrossRows: kind == SyntheticClass.HorizontalStripes);
                AddDistractorBlobs(canvas, side, random);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, null);
        }
        var image = new RgbImage(side, side);
        AddNoiseAndQuantize(canvas, random, sigma: Uniform(random, 2, MaxNoiseSigma), image.Pixels);
        return image;
    }

    /// <summary>JPEG through Skia's libjpeg-turbo (quality <paramref name="quality"/>, chroma subsampled as <paramref name="chroma"/> says).</summary>
    public static byte[] EncodeJpeg(RgbImage image, int quality = JpegQuality, SKJpegEncoderDownsample chroma = SKJpegEncoderDownsample.Downsample420)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(image.Width, image.Height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        image.CopyToRgba(bitmap.GetPixelSpan());
        using var pixmap = bitmap.PeekPixels();
        using var data = pixmap.Encode(new SKJpegEncoderOptions(quality, chroma, SKJpegEncoderAlphaOption.Ignore))
            ?? throw new InvalidOperationException("Skia could not encode the JPEG.");
        return data.ToArray();
    }

    /// <summary>
    /// Stripes between two colours of one chroma whose luma differs by 40 to 100 levels, so that the pattern lives in Y
    /// only, as the colour stripes' lives in Cb and Cr only; at DCT index 1 or 3 (<see cref="DrawBasisStripes"/>).
    /// </summary>
    private static void DrawLumaStripes(Span<float> canvas, int side, Random random, bool acrossRows)
    {
        float cb = Uniform(random, -25, 25), cr = Uniform(random, -25, 25);
        float margin = UnclippedMargin(cb, cr), contrast = Uniform(random, 40, 100);
        float dark = Uniform(random, margin, 255 - margin - contrast);
        int index = LumaStripeIndexes[random.Next(LumaStripeIndexes.Length)];
        DrawBasisStripes(canvas, side, acrossRows, index, random.Next(2) == 0, Rgb.FromYCbCr(dark, cb, cr), Rgb.FromYCbCr(dark + contrast, cb, cr));
    }

    /// <summary>
    /// Stripes along either axis between two colours of one luma, at DCT index 1 (a period of 16 pixels): a JFIF chroma
    /// swing of 20 to 35 around a random colour, along Cb (blue-yellow) or along Cr (red-green) exactly. A swing in
    /// between would put the pattern in both components, and a model could drop either's channels at little cost; along
    /// the axes, each carries the class in half of its images and nothing of the other half.
    /// </summary>
    private static void DrawColourStripes(Span<float> canvas, int side, Random random)
    {
        float cb = Uniform(random, -10, 10), cr = Uniform(random, -10, 10), swing = Uniform(random, 20, 35);
        bool alongCb = random.Next(2) == 0;
        float cbSwing = alongCb ? swing : 0, crSwing = alongCb ? 0 : swing;
        float margin = MathF.Max(UnclippedMargin(cb + cbSwing, cr + crSwing), UnclippedMargin(cb - cbSwing, cr - crSwing));
        float luma = Uniform(random, margin, 255 - margin);
        DrawBasisStripes(canvas, side, acrossRows: random.Next(2) == 0, index: 1, random.Next(2) == 0,
            Rgb.FromYCbCr(luma, cb + cbSwing, cr + crSwing), Rgb.FromYCbCr(luma, cb - cbSwing, cr - crSwing));
    }

    /// <summary>
    /// How far from 0 and 255 a luma must stay for no R, G or B of the colour (<paramref name="cb"/>, <paramref name="cr"/>)
    /// to clip, with room for twice the strongest noise: a clipped component would carry luma stripes into Cb and Cr, and
    /// colour stripes into Y.
    /// </summary>
    private static float UnclippedMargin(float cb, float cr)
    {
        var offsets = Rgb.FromYCbCr(0, cb, cr);
        return MathF.Max(MathF.Abs(offsets.R), MathF.Max(MathF.Abs(offsets.G), MathF.Abs(offsets.B))) + 2 * MaxNoiseSigma;
    }

    /// <summary>
    /// canvas = a + (b - a) x (1 + s cos(pi index (2t + 1) / 16)) / 2, with t the row (<paramref name="acrossRows"/>) or
    /// the column and s = +-1: stripes of period 16 / index pixels whose every 8-pixel block is, up to sign, the DCT's own
    /// basis function of that index. A sinusoid at any other phase would split between adjacent indexes (at a random
    /// phase, a period of 8 pixels puts 50% of its energy at index 2 and 37.5% at index 1), and each index could then
    /// stand in for its neighbour; on the block grid, no other channel sees the stripes. The demo's DCT models take the
    /// whole image, so their block grid is the image's.
    /// </summary>
    private static void DrawBasisStripes(Span<float> canvas, int side, bool acrossRows, int index, bool inverted, Rgb a, Rgb b)
    {
        Span<float> profile = side <= 1024 ? stackalloc float[side] : new float[side];
        for (int t = 0; t < side; t++)
            profile[t] = 0.5f + (inverted ? -0.5f : 0.5f) * MathF.Cos(MathF.PI * index * (2 * t + 1) / 16);
        for (int y = 0; y < side; y++)
        {
            var row = canvas.Slice(y * side * 3, side * 3);
            for (int x = 0; x < side; x++)
            {
                float t = profile[acrossRows ? y : x];
                row[3 * x] = a.R + (b.R - a.R) * t;
                row[3 * x + 1] = a.G + (b.G - a.G) * t;
                row[3 * x + 2] = a.B + (b.B - a.B) * t;
            }
        }
    }

    /// <summary>One or two half-transparent blobs, so that low-frequency content alone does not single out the blob class.</summary>
    private static void AddDistractorBlobs(Span<float> canvas, int side, Random random)
    {
        for (int count = random.Next(1, 3); count > 0; count--)
            AddBlob(canvas, side, random, RandomColour(random), opacity: Uniform(random, 0.3f, 0.6f));
    }

    /// <summary>Blends in a colour with a Gaussian opacity of sigma 8% to 25% of the side, centred anywhere in the image.</summary>
    private static void AddBlob(Span<float> canvas, int side, Random random, Rgb colour, float opacity)
    {
        float sigma = side * Uniform(random, 0.08f, 0.25f), cx = side * random.NextSingle(), cy = side * random.NextSingle();
        // exp(-(dx² + dy²) / 2s²) = exp(-dx² / 2s²) exp(-dy² / 2s²): two rows of exponentials instead of one per pixel.
        Span<float> across = side <= 1024 ? stackalloc float[side] : new float[side];
        Span<float> down = side <= 1024 ? stackalloc float[side] : new float[side];
        for (int i = 0; i < side; i++)
        {
            across[i] = MathF.Exp(-(i - cx) * (i - cx) / (2 * sigma * sigma));
            down[i] = opacity * MathF.Exp(-(i - cy) * (i - cy) / (2 * sigma * sigma));
        }
        for (int y = 0; y < side; y++)
        {
            var row = canvas.Slice(y * side * 3, side * 3);
            for (int x = 0; x < side; x++)
            {
                float alpha = down[y] * across[x];
                row[3 * x] += (colour.R - row[3 * x]) * alpha;
                row[3 * x + 1] += (colour.G - row[3 * x + 1]) * alpha;
                row[3 * x + 2] += (colour.B - row[3 * x + 2]) * alpha;
            }
        }
    }

    private static void Fill(Span<float> canvas, Rgb colour)
    {
        for (int i = 0; i < canvas.Length; i += 3)
        {
            canvas[i] = colour.R;
            canvas[i + 1] = colour.G;
            canvas[i + 2] = colour.B;
        }
    }

    /// <summary>Gaussian noise (Box-Muller) of <paramref name="sigma"/> levels on every sample, rounded and clamped to bytes.</summary>
    private static void AddNoiseAndQuantize(ReadOnlySpan<float> canvas, Random random, float sigma, Span<byte> pixels)
    {
        for (int i = 0; i < canvas.Length; i += 2)
        {
            float radius = sigma * MathF.Sqrt(-2 * MathF.Log(1 - random.NextSingle()));
            float angle = 2 * MathF.PI * random.NextSingle();
            pixels[i] = ToByte(canvas[i] + radius * MathF.Cos(angle));
            if (i + 1 < canvas.Length)
                pixels[i + 1] = ToByte(canvas[i + 1] + radius * MathF.Sin(angle));
        }
    }

    private static byte ToByte(float value) => (byte)Math.Clamp(MathF.Round(value), 0, 255);

    private static float Uniform(Random random, float low, float high) => low + (high - low) * random.NextSingle();

    private static Rgb RandomColour(Random random) => new(Uniform(random, 20, 235), Uniform(random, 20, 235), Uniform(random, 20, 235));

    private readonly record struct Rgb(float R, float G, float B)
    {
        /// <summary>JFIF's (full-range BT.601) luma, the Y that the JPEG encoder and the DCT input compute.</summary>
        public float Luma => 0.299f * R + 0.587f * G + 0.114f * B;

        /// <param name="cb">Cb - 128.</param>
        /// <param name="cr">Cr - 128.</param>
        public static Rgb FromYCbCr(float y, float cb, float cr) => new(y + 1.402f * cr, y - 0.344136f * cb - 0.714136f * cr, y + 1.772f * cb);
    }
}
