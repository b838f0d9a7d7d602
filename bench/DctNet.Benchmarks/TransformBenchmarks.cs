using System.Runtime.Intrinsics.X86;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using DctNet.Frequency;
using DctNet.Frequency.Channels;
using DctNet.Frequency.Geometry;
using DctNet.Frequency.Imaging;
using DctNet.Frequency.Jpeg;

namespace DctNet.Benchmarks;

/// <summary>
/// The validation pipeline of REFERENCE.md section 1 (ResNet geometry: resize 512, crop 448, DCT-24, ImageNet
/// statistics) on decoded ImageNet images, whole and stage by stage. Every time is per image: each invocation
/// runs the stage once for each of the <see cref="ImageCount"/> images. Decoding is not included.
/// <para>
/// Two forms of the colour and chroma stages are measured: the reference path as the release computes it
/// (interleaved RGB; upscale 2x, convert, subsample h2v2) and the fused AVX2 path the transform uses where it can
/// (<see cref="PlanarRgb"/> planes; <see cref="UpscaledChroma"/> computes Cb and Cr at chroma resolution directly).
/// </para>
/// </summary>
[MemoryDiagnoser]
[MinColumn, MedianColumn]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 10)]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class TransformBenchmarks
{
    private const int ImageCount = 20;

    private readonly CropGeometry _geometry = CropGeometry.ResNet;
    private DctTransform _transform = null!;
    private RgbImage[] _images = [];
    private (int Width, int Height, PixelWindow Window)[] _resize = [];
    private byte[][] _crops = [], _lumas = [], _upscaled = [], _upscaledCb = [];
    private PlanarRgb[] _planes = [];
    private PlanarRgb _planeScratch = null!;
    private float[] _output = [];
    private byte[] _crop = [], _upscaledScratch = [], _plane = [], _cr = [], _half = [], _halfCr = [];
    private short[] _coefficients = [];

    private int Side => _geometry.Crop;

    [GlobalSetup]
    public void Setup()
    {
        var decoder = new ImageDecoder();
        _images = SampleImages.JpegFiles(SampleImages.RequireFolder(), ImageCount).Select(decoder.DecodeFile).ToArray();
        if (_images.Length == 0)
            throw new InvalidOperationException("no JPEGs in the sample folder");
        _transform = new DctTransform(_geometry, ChannelSubset.BuiltIn(24), ChannelStatistics.ImageNet);
        _output = new float[_transform.OutputLength];

        int side = Side, up = 2 * side;
        _crop = new byte[side * side * 3];
        _upscaledScratch = new byte[up * up * 3];
        _plane = new byte[up * up];
        _cr = new byte[up * up];
        _half = new byte[side * side];
        _halfCr = new byte[side * side];
        _coefficients = new short[side * side];
        _planeScratch = new PlanarRgb(side, side);

        // The intermediate of each stage, computed once so that every stage runs on its real input.
        _resize = _images.Select(image =>
        {
            var (width, height) = _geometry.ResizedSize(image.Width, image.Height);
            return (width, height, _geometry.CenterCrop(width, height));
        }).ToArray();
        _crops = new byte[_images.Length][];
        _lumas = new byte[_images.Length][];
        _upscaled = new byte[_images.Length][];
        _upscaledCb = new byte[_images.Length][];
        _planes = new PlanarRgb[_images.Length];
        for (int i = 0; i < _images.Length; i++)
        {
            var image = _images[i];
            var (width, height, window) = _resize[i];
            _crops[i] = new byte[side * side * 3];
            LinearResize.ResizeWindow(image.Pixels, image.Width, image.Height, 3, width, height, window, _crops[i]);
            _lumas[i] = new byte[side * side];
            JpegColor.ToLuma(_crops[i], _lumas[i]);
            _upscaled[i] = new byte[up * up * 3];
            LinearResize.ResizeWindow(_crops[i], side, side, 3, up, up, new PixelWindow(0, 0, up, up), _upscaled[i]);
            _upscaledCb[i] = new byte[up * up];
            JpegColor.ToChroma(_upscaled[i], _upscaledCb[i], _cr);
            _planes[i] = new PlanarRgb(side, side);
            _planes[i].Fill(_crops[i]);
        }
    }

    [Benchmark(OperationsPerInvoke = ImageCount, Description = "DctTransform.Transform (ResNet, DCT-24, normalized)")]
    [BenchmarkCategory("1 Full")]
    public float FullTransform()
    {
        float sum = 0;
        foreach (var image in _images)
        {
            _transform.Transform(image, _output);
            sum += _output[0];
        }
        return sum;
    }

    [Benchmark(OperationsPerInvoke = ImageCount, Description = "LinearResize.ResizeWindow to the 448 crop")]
    [BenchmarkCategory("2 Resize+crop")]
    public byte ResizeToCrop()
    {
        byte sum = 0;
        for (int i = 0; i < _images.Length; i++)
        {
            var image = _images[i];
            var (width, height, window) = _resize[i];
            LinearResize.ResizeWindow(image.Pixels, image.Width, image.Height, 3, width, height, window, _crop);
            sum += _crop[0];
        }
        return sum;
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = ImageCount, Description = "JpegColor.ToLuma, interleaved (448x448)")]
    [BenchmarkCategory("3 Luma")]
    public byte ToLuma()
    {
        byte sum = 0;
        foreach (var crop in _crops)
        {
            JpegColor.ToLuma(crop, _half);
            sum += _half[0];
        }
        return sum;
    }

    [Benchmark(OperationsPerInvoke = ImageCount, Description = "JpegColor.ToLuma, planar (448x448)")]
    [BenchmarkCategory("3 Luma")]
    public byte ToLumaPlanar()
    {
        byte sum = 0;
        foreach (var planes in _planes)
        {
            JpegColor.ToLuma(planes, _half);
            sum += _half[0];
        }
        return sum;
    }

    [Benchmark(OperationsPerInvoke = ImageCount, Description = "PlanarRgb.Fill (split the 448 crop into planes)")]
    [BenchmarkCategory("4 Planar split")]
    public byte SplitPlanes()
    {
        byte sum = 0;
        foreach (var crop in _crops)
        {
            _planeScratch.Fill(crop);
            sum += _planeScratch.R[0];
        }
        return sum;
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = ImageCount, Description = "Chroma, reference path: upscale 2x + ToChroma + 2x H2V2")]
    [BenchmarkCategory("5 Chroma path")]
    public byte ChromaReferencePath()
    {
        int side = Side, up = 2 * side;
        byte sum = 0;
        foreach (var crop in _crops)
        {
            LinearResize.ResizeWindow(crop, side, side, 3, up, up, new PixelWindow(0, 0, up, up), _upscaledScratch);
            JpegColor.ToChroma(_upscaledScratch, _plane, _cr);
            ChromaDownsampling.H2V2(_plane, up, up, _half);
            ChromaDownsampling.H2V2(_cr, up, up, _halfCr);
            sum += (byte)(_half[0] + _halfCr[0]);
        }
        return sum;
    }

    [Benchmark(OperationsPerInvoke = ImageCount, Description = "Chroma, fused: UpscaledChroma.Compute (AVX2)")]
    [BenchmarkCategory("5 Chroma path")]
    public byte ChromaFused()
    {
        if (!Avx2.IsSupported)
            return 0; // The fused kernel needs AVX2; the transform then takes the reference path.
        byte sum = 0;
        foreach (var planes in _planes)
        {
            UpscaledChroma.Compute(planes, _half, _halfCr);
            sum += (byte)(_half[0] + _halfCr[0]);
        }
        return sum;
    }

    [Benchmark(OperationsPerInvoke = ImageCount, Description = "LinearResize.ResizeWindow 2x upscale (448 -> 896)")]
    [BenchmarkCategory("6 Upscale 2x")]
    public byte Upscale2x()
    {
        int side = Side, up = 2 * side;
        byte sum = 0;
        foreach (var crop in _crops)
        {
            LinearResize.ResizeWindow(crop, side, side, 3, up, up, new PixelWindow(0, 0, up, up), _upscaledScratch);
            sum += _upscaledScratch[0];
        }
        return sum;
    }

    [Benchmark(OperationsPerInvoke = ImageCount, Description = "JpegColor.ToChroma (896x896)")]
    [BenchmarkCategory("7 ToChroma")]
    public byte ToChroma()
    {
        byte sum = 0;
        foreach (var upscaled in _upscaled)
        {
            JpegColor.ToChroma(upscaled, _plane, _cr);
            sum += _plane[0];
        }
        return sum;
    }

    [Benchmark(OperationsPerInvoke = ImageCount, Description = "ChromaDownsampling.H2V2 (one plane, 896 -> 448)")]
    [BenchmarkCategory("8 Downsample")]
    public byte DownsampleH2V2()
    {
        int up = 2 * Side;
        byte sum = 0;
        foreach (var cb in _upscaledCb)
        {
            ChromaDownsampling.H2V2(cb, up, up, _half);
            sum += _half[0];
        }
        return sum;
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = ImageCount, Description = "ForwardDct.TransformPlaneScalar (one 448x448 plane)")]
    [BenchmarkCategory("9 DCT")]
    public short DctScalar()
    {
        short sum = 0;
        foreach (var luma in _lumas)
        {
            ForwardDct.TransformPlaneScalar(luma, Side, Side, _coefficients);
            sum += _coefficients[0];
        }
        return sum;
    }

    [Benchmark(OperationsPerInvoke = ImageCount, Description = "ForwardDct.TransformPlane (one 448x448 plane)")]
    [BenchmarkCategory("9 DCT")]
    public short DctVectorized()
    {
        short sum = 0;
        foreach (var luma in _lumas)
        {
            ForwardDct.TransformPlane(luma, Side, Side, _coefficients);
            sum += _coefficients[0];
        }
        return sum;
    }
}
