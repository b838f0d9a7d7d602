using BenchmarkDotNet.Attributes;
using BitMiracle.LibJpeg.Classic;
using DctNet.Frequency.Imaging;
using DctNet.Frequency.JpegDomain;

namespace DctNet.Benchmarks;

/// <summary>
/// The ways to get the quantized DCT coefficients of a JPEG file, each called as the library would call it, on one
/// thread, over in-memory bytes. <see cref="JpegRoutesReport"/> checks that (b) gives exactly (a)'s coefficients.
/// </summary>
internal static class CoefficientRoutes
{
    /// <summary>The library's pixel decoder; TurboJPEG (tjDecompress2) wherever (a) can run at all.</summary>
    public static readonly ImageDecoder PixelDecoder = new();

    /// <summary>
    /// (a) The library's reader: TurboJPEG's tjTransform with a custom filter and TJXOPT_NOOUTPUT (the baseline), with
    /// its coefficient memory reused from image to image as the JPEG pipeline reuses it (one thread here): the result is
    /// valid until the next call.
    /// </summary>
    /// <param name="name">Names the image in error messages.</param>
    public static JpegCoefficients ReadTurboJpeg(byte[] jpeg, string name = "benchmark") => JpegCoefficientReader.Read(jpeg, name, buffers: ReusedBuffers);

    private static readonly CoefficientBuffers ReusedBuffers = new();

    /// <summary>(c) For scale: the full pixel decode that the exact pipeline pays before its own transform.</summary>
    public static RgbImage DecodePixels(byte[] jpeg, string name = "benchmark") => PixelDecoder.Decode(jpeg, name);

    /// <summary>One component as (b) reads it, laid out like <see cref="ComponentCoefficients"/> so the two compare value for value.</summary>
    /// <param name="Blocks">HeightInBlocks x WidthInBlocks x 64 quantized coefficients, each block in natural order.</param>
    public sealed record BitMiracleComponent(int Id, int HorizontalSampling, int VerticalSampling, int WidthInBlocks, int HeightInBlocks, short[] Blocks);

    /// <summary>
    /// (b) BitMiracle.LibJpeg.NET's classic API (a C# port of libjpeg): jpeg_read_header, jpeg_read_coefficients, then
    /// every block of every component copied into a short[], so that it does the same work as (a), which hands back
    /// copies too. <paramref name="warnings"/> is libjpeg's warning count (a truncated stream is only a warning there).
    /// </summary>
    public static BitMiracleComponent[] ReadBitMiracle(byte[] jpeg, out int warnings)
    {
        var errors = new SilentErrorManager();
        var decompressor = new jpeg_decompress_struct(errors);
        using var stream = new MemoryStream(jpeg, writable: false);
        decompressor.jpeg_stdio_src(stream);
        decompressor.jpeg_read_header(true);
        var arrays = decompressor.jpeg_read_coefficients();
        var components = new BitMiracleComponent[decompressor.Num_components];
        for (int i = 0; i < components.Length; i++)
            components[i] = CopyComponent(decompressor, decompressor.Comp_info[i], arrays[i]);
        // Copied first: the documentation warns that Access results do not stay valid across library calls.
        decompressor.jpeg_finish_decompress();
        warnings = errors.Num_warnings;
        return components;
    }

    private static BitMiracleComponent CopyComponent(jpeg_decompress_struct decompressor, jpeg_component_info info, jvirt_array<JBLOCK> array)
    {
        int width = info.Width_in_blocks;
        int height = HeightInBlocks(decompressor.Image_height, info.V_samp_factor, decompressor.Max_v_samp_factor);
        var blocks = new short[width * height * ComponentCoefficients.CoefficientsPerBlock];
        // The virtual array is padded to whole MCU rows; only the rows that cover the component are read, as in (a).
        JBLOCK[][] rows = array.Access(0, height);
        int offset = 0;
        for (int y = 0; y < height; y++)
        {
            var row = rows[y];
            for (int x = 0; x < width; x++)
            {
                // JBLOCK exposes its 64 values only through its indexer (the array behind it is internal).
                var block = row[x];
                for (int k = 0; k < ComponentCoefficients.CoefficientsPerBlock; k++)
                    blocks[offset++] = block[k];
            }
        }
        return new BitMiracleComponent(info.Component_id, info.H_samp_factor, info.V_samp_factor, width, height, blocks);
    }

    /// <summary>
    /// libjpeg's height_in_blocks, ceil(height * v / (vmax * 8)): BitMiracle keeps it internal and exposes only
    /// Width_in_blocks. (The comparison with (a) checks both counts.)
    /// </summary>
    private static int HeightInBlocks(int imageHeight, int verticalSampling, int maxVerticalSampling)
        => (int)(((long)imageHeight * verticalSampling + maxVerticalSampling * 8L - 1) / (maxVerticalSampling * 8L));

    /// <summary>
    /// The default error manager prints warnings to the console; these are counted (Num_warnings) instead, so the
    /// benchmark and the report stay quiet. Errors still throw, as by default.
    /// </summary>
    private sealed class SilentErrorManager : jpeg_error_mgr
    {
        public override void output_message()
        {
        }
    }
}

/// <summary>
/// Per image, one thread: the quantized coefficients of the same in-memory ImageNet JPEGs read by TurboJPEG's
/// tjTransform (the library's reader, baseline) and by BitMiracle.LibJpeg.NET, and, for scale, the full pixel decode.
/// </summary>
[MemoryDiagnoser]
[MinColumn, MedianColumn]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 10)]
public class JpegCoefficientRoutes
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

    // Each benchmark returns a value taken from every result, so that none of the work can be dropped as unused.

    [Benchmark(Baseline = true, OperationsPerInvoke = ImageCount, Description = "(a) TurboJPEG tjTransform, custom filter (JpegCoefficientReader)")]
    public long TurboJpegTransform()
    {
        long sum = 0;
        foreach (var jpeg in _jpegs)
            sum += CoefficientRoutes.ReadTurboJpeg(jpeg).Luma.Blocks[0];
        return sum;
    }

    [Benchmark(OperationsPerInvoke = ImageCount, Description = "(b) BitMiracle.LibJpeg.NET jpeg_read_coefficients + copy")]
    public long BitMiracle()
    {
        long sum = 0;
        foreach (var jpeg in _jpegs)
            sum += CoefficientRoutes.ReadBitMiracle(jpeg, out _)[0].Blocks[0];
        return sum;
    }

    [Benchmark(OperationsPerInvoke = ImageCount, Description = "(c) full pixel decode, ImageDecoder (TurboJPEG tjDecompress2)")]
    public long PixelDecode()
    {
        long sum = 0;
        foreach (var jpeg in _jpegs)
            sum += CoefficientRoutes.DecodePixels(jpeg).Pixels[0];
        return sum;
    }
}
