using BenchmarkDotNet.Attributes;
using DctNet.Frequency.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SkiaSharp;

namespace DctNet.Benchmarks;

/// <summary>
/// The JPEG decoders considered for the library, each as the library would call it, single-threaded, on in-memory
/// bytes. <see cref="AgreementReport"/> measures how close each one's pixels are to OpenCV's <c>imread</c>.
/// </summary>
internal static class Candidates
{
    public static readonly ImageDecoder DctNetDecoder = new();

    /// <summary>ImageSharp with its parallel colour conversion turned off, so that every candidate runs on one thread.</summary>
    public static readonly Configuration ImageSharpSingleThread = CreateImageSharpConfiguration();

    private static Configuration CreateImageSharpConfiguration()
    {
        var configuration = Configuration.Default.Clone();
        configuration.MaxDegreeOfParallelism = 1;
        return configuration;
    }

    /// <summary>(a) DctNet: libjpeg-turbo through TurboJPEG, packed RGB, EXIF orientation applied.</summary>
    public static RgbImage DecodeDctNet(byte[] jpeg) => DctNetDecoder.Decode(jpeg, "benchmark");

    /// <summary>(b) SkiaSharp: SKCodec to unpremultiplied RGBA8888, no colour management (Skia's bundled libjpeg-turbo).</summary>
    public static unsafe byte[] DecodeSkiaRgba(byte[] jpeg, out int width, out int height)
    {
        fixed (byte* data = jpeg)
        {
            using var skData = SKData.Create((IntPtr)data, jpeg.Length);
            using var codec = SKCodec.Create(skData) ?? throw new InvalidDataException("SkiaSharp cannot read the image");
            var info = new SKImageInfo(codec.Info.Width, codec.Info.Height, SKColorType.Rgba8888, SKAlphaType.Unpremul, colorspace: null);
            var rgba = new byte[info.BytesSize64];
            fixed (byte* pixels = rgba)
            {
                var result = codec.GetPixels(info, (IntPtr)pixels);
                if (result != SKCodecResult.Success)
                    throw new InvalidDataException($"SkiaSharp: {result}");
            }
            (width, height) = (info.Width, info.Height);
            return rgba;
        }
    }

    /// <summary>(c) ImageSharp (managed decoder): Image.Load&lt;Rgb24&gt;.</summary>
    public static Image<Rgb24> DecodeImageSharp(byte[] jpeg) => Image.Load<Rgb24>(ImageSharpSingleThread, jpeg);

    /// <summary>
    /// Packed RGB of each candidate, for the agreement report. SkiaSharp's codec and ImageSharp's Load leave EXIF
    /// orientation to the caller, so these apply it with the library's <see cref="ExifOrientation"/>, as a decoder
    /// built on them would.
    /// </summary>
    public static (int Width, int Height, byte[] Rgb) DctNetRgb(byte[] jpeg)
    {
        var image = DecodeDctNet(jpeg);
        return (image.Width, image.Height, image.Pixels);
    }

    public static (int Width, int Height, byte[] Rgb) SkiaRgb(byte[] jpeg)
    {
        var rgba = DecodeSkiaRgba(jpeg, out int width, out int height);
        var rgb = new byte[width * height * 3];
        for (int i = 0, j = 0; j < rgb.Length; i += 4, j += 3)
        {
            rgb[j] = rgba[i];
            rgb[j + 1] = rgba[i + 1];
            rgb[j + 2] = rgba[i + 2];
        }
        return Oriented(jpeg, new RgbImage(width, height, rgb));
    }

    public static (int Width, int Height, byte[] Rgb) ImageSharpRgb(byte[] jpeg)
    {
        using var image = DecodeImageSharp(jpeg);
        var rgb = new byte[image.Width * image.Height * 3];
        image.CopyPixelDataTo(rgb);
        return Oriented(jpeg, new RgbImage(image.Width, image.Height, rgb));
    }

    private static (int Width, int Height, byte[] Rgb) Oriented(byte[] jpeg, RgbImage image)
    {
        var oriented = ExifOrientation.Apply(image, ExifOrientation.ReadFromJpeg(jpeg));
        return (oriented.Width, oriented.Height, oriented.Pixels);
    }

    public static readonly (string Name, Func<byte[], (int Width, int Height, byte[] Rgb)> Decode)[] All =
    [
        ("DctNet ImageDecoder (libjpeg-turbo/TurboJPEG)", DctNetRgb),
        ("SkiaSharp 4.155.0 SKCodec (RGBA8888) + EXIF orientation", SkiaRgb),
        ("ImageSharp 2.1.13 Image.Load<Rgb24> + EXIF orientation", ImageSharpRgb),
    ];
}

/// <summary>
/// Decode speed of the candidates on the same in-memory ImageNet JPEGs, one thread each; times are per image.
/// Baseline: the library's decoder.
/// </summary>
[MemoryDiagnoser]
[MinColumn, MedianColumn]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 10)]
public class DecoderCandidates
{
    private const int ImageCount = 50;
    private byte[][] _jpegs = [];

    [GlobalSetup]
    public void Setup()
    {
        var files = SampleImages.JpegFiles(SampleImages.RequireFolder(), ImageCount);
        if (files.Length == 0)
            throw new InvalidOperationException("no JPEGs in the sample folder");
        _jpegs = files.Select(File.ReadAllBytes).ToArray();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = ImageCount, Description = "DctNet (libjpeg-turbo, TurboJPEG)")]
    public long DctNet()
    {
        long sum = 0;
        foreach (var jpeg in _jpegs)
            sum += Candidates.DecodeDctNet(jpeg).Pixels[0];
        return sum;
    }

    [Benchmark(OperationsPerInvoke = ImageCount, Description = "SkiaSharp SKCodec RGBA8888")]
    public long SkiaSharp()
    {
        long sum = 0;
        foreach (var jpeg in _jpegs)
            sum += Candidates.DecodeSkiaRgba(jpeg, out _, out _)[0];
        return sum;
    }

    [Benchmark(OperationsPerInvoke = ImageCount, Description = "ImageSharp Load<Rgb24>")]
    public long ImageSharp()
    {
        long sum = 0;
        foreach (var jpeg in _jpegs)
        {
            using var image = Candidates.DecodeImageSharp(jpeg);
            sum += image[0, 0].R;
        }
        return sum;
    }
}
