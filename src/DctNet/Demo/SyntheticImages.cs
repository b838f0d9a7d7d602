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

    /// <summary>Stripes in two colours of the same luma: the pattern lives in Cb or in Cr (half the images each), never in Y.</summary>
    ColourStripes,

    /// <summary>Stripes of luma alone within 20 degrees of horizontal: energy in the vertical frequencies (v = 1..3, u = 0) of Y.</summary>
    HorizontalStripes,

    /// <summary>Stripes of luma alone within 20 degrees of vertical: energy in the horizontal frequencies (u = 1..3, v = 0) of Y.</summary>
    VerticalStripes,
}

/// <summary>How many images of which side <see cref="SyntheticImages.WriteDataset"/> makes per class.</summary>
public sealed record SyntheticDatasetSize(int TrainPerClass, int ValPerClass, int ImageSide)
{
    public int Total => (TrainPerClass + ValPerClass) * SyntheticImages.Classes.Count;
}

/// <summary>
/// A small image-classification dataset drawn from a seed: four classes that differ in frequency content (see
/// <see cref="SyntheticClass"/>), each image with random colours, phases, periods, orientations and noise, and soft
/// blobs over the stripes, so that neither the mean colour nor "any structure at all" tells the classes apart.
/// Periods are in pixels whatever the side, as the 8x8 blocks are: the luma stripes' (5 to 10) fall in the low 4x4
/// frequencies of the block, which DCT-24 keeps, the colour stripes' (12 to 24) in the low chroma frequencies. Written as an ImageFolder of JPEGs
/// (quality 90, 4:2:0), as a camera or a web crawl would deliver images.
/// </summary>
public static class SyntheticImages
{
    public const int JpegQuality = 90;
    public const string TrainFolder = "train";
    public const string ValFolder = "val";

    /// <summary>The classes with their folder names, in the folder names' ordinal order (ImageFolder's label order).</summary>
    public static IReadOnlyList<(SyntheticClass Class, string Folder)> Classes { get; } =
    [
        (SyntheticClass.Blobs, "blobs"),
        (SyntheticClass.ColourStripes, "colour-stripes"),
        (SyntheticClass.HorizontalStripes, "horizontal-stripes"),
        (SyntheticClass.VerticalStripes, "vertical-stripes"),
    ];

    /// <summary>
    /// The DCT channels (indexes into the 192: Y, Cb, Cr, k = 8v + u) that carry a class's pattern, by construction. A
    /// stripe of period P pixels makes 16 / P half-cycles across an 8-pixel block, which is the DCT index it excites:
    /// <list type="bullet">
    /// <item>luma stripes, P = 5 to 10, excite indexes 1.6 to 3.2 along their wave vector, which lies within 20 degrees of an
    /// axis: Y (u = 0, v = 1..3) for horizontal stripes, Y (u = 1..3, v = 0) for vertical ones;</item>
    /// <item>colour stripes, P = 12 to 24 in any orientation, excite 0.7 to 1.3 half-cycles: Cb (or Cr, in the other half of the images) at (u, v) = (1, 0),
    /// (0, 1) and (1, 1);</item>
    /// <item>blobs have none of their own: they are the class without stripes, in the DC coefficients that every class has.</item>
    /// </list>
    /// </summary>
    public static IReadOnlyList<int> DefiningChannels(SyntheticClass kind) => kind switch
    {
        SyntheticClass.HorizontalStripes => [8, 16, 24],
        SyntheticClass.VerticalStripes => [1, 2, 3],
        SyntheticClass.ColourStripes => [64 + 1, 64 + 8, 64 + 9, 128 + 1, 128 + 8, 128 + 9],
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
            AtomicFile.WriteAllBytes(image.Path, EncodeJpeg(Draw(image.Class, size.ImageSide, random)));
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
                DrawColourStripes(canvas, side, random, period: Uniform(random, 12, 24));
                AddDistractorBlobs(canvas, side, random);
                break;
            case SyntheticClass.HorizontalStripes or SyntheticClass.VerticalStripes:
                // The angle of the wave vector: stripes run perpendicular to it.
                float across = kind == SyntheticClass.HorizontalStripes ? MathF.PI / 2 : 0;
                DrawLumaStripes(canvas, side, random, across + Uniform(random, -1, 1) * (20 * MathF.PI / 180), period: Uniform(random, 5, 10));
                AddDistractorBlobs(canvas, side, random);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, null);
        }
        var image = new RgbImage(side, side);
        AddNoiseAndQuantize(canvas, random, sigma: Uniform(random, 2, 7), image.Pixels);
        return image;
    }

    /// <summary>JPEG through Skia's libjpeg-turbo (quality <paramref name="quality"/>, 4:2:0).</summary>
    public static byte[] EncodeJpeg(RgbImage image, int quality = JpegQuality)
    {
        using var bitmap = new SKBitmap(new SKImageInfo(image.Width, image.Height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        image.CopyToRgba(bitmap.GetPixelSpan());
        using var pixmap = bitmap.PeekPixels();
        using var data = pixmap.Encode(new SKJpegEncoderOptions(quality, SKJpegEncoderDownsample.Downsample420, SKJpegEncoderAlphaOption.Ignore))
            ?? throw new InvalidOperationException("Skia could not encode the JPEG.");
        return data.ToArray();
    }

    /// <summary>
    /// Sinusoidal stripes between two colours of one chroma whose luma differs by 40 to 110 levels, so that the pattern
    /// lives in Y only, as the colour stripes' lives in Cb and Cr only.
    /// </summary>
    private static void DrawLumaStripes(Span<float> canvas, int side, Random random, float angle, float period)
    {
        float cb = Uniform(random, -25, 25), cr = Uniform(random, -25, 25);
        float dark = Uniform(random, 40, 140), light = dark + Uniform(random, 40, 110);
        DrawWave(canvas, side, angle, period, Uniform(random, 0, 2 * MathF.PI), Rgb.FromYCbCr(dark, cb, cr), Rgb.FromYCbCr(light, cb, cr));
    }

    /// <summary>
    /// Stripes in any orientation between two colours of one luma: a JFIF chroma swing of 25 to 40 around a random
    /// colour, along Cb (blue-yellow) or along Cr (red-green) within 20 degrees. A swing in any direction would let either
    /// component alone carry nearly every image, and a model could drop the other's channels at no cost; along the axes,
    /// each carries the class in half of its images.
    /// </summary>
    private static void DrawColourStripes(Span<float> canvas, int side, Random random, float period)
    {
        float luma = Uniform(random, 95, 160);
        float cb = Uniform(random, -12, 12), cr = Uniform(random, -12, 12);
        float axis = random.Next(4) * MathF.PI / 2;
        float hue = axis + Uniform(random, -1, 1) * (20 * MathF.PI / 180), swing = Uniform(random, 25, 40);
        var first = Rgb.FromYCbCr(luma, cb + swing * MathF.Cos(hue), cr + swing * MathF.Sin(hue));
        var second = Rgb.FromYCbCr(luma, cb - swing * MathF.Cos(hue), cr - swing * MathF.Sin(hue));
        DrawWave(canvas, side, Uniform(random, 0, MathF.PI), period, Uniform(random, 0, 2 * MathF.PI), first, second);
    }

    /// <summary>canvas = a + (b - a) x (1 + sin(2 pi (x cos(angle) + y sin(angle)) / period + phase)) / 2.</summary>
    private static void DrawWave(Span<float> canvas, int side, float angle, float period, float phase, Rgb a, Rgb b)
    {
        float kx = 2 * MathF.PI * MathF.Cos(angle) / period, ky = 2 * MathF.PI * MathF.Sin(angle) / period;
        for (int y = 0; y < side; y++)
        {
            var row = canvas.Slice(y * side * 3, side * 3);
            for (int x = 0; x < side; x++)
            {
                float t = 0.5f + 0.5f * MathF.Sin(kx * x + ky * y + phase);
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
