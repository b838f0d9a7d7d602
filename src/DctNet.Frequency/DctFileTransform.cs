using DctNet.Frequency.Channels;
using DctNet.Frequency.Geometry;
using DctNet.Frequency.Imaging;
using DctNet.Frequency.JpegDomain;

namespace DctNet.Frequency;

/// <summary>Where a DCT model's input comes from.</summary>
public enum DctPipeline
{
    /// <summary>The release's: decode, resize, centre crop, re-encode at quality 100 (<see cref="DctTransform"/>).</summary>
    Exact,

    /// <summary>The file's own coefficients, on its own block grid (<see cref="JpegDomainTransform"/>): JPEG files only.</summary>
    Jpeg,
}

/// <summary>
/// An image file to its DCT input, by either pipeline: what reading the file takes (a decode, or a read of its
/// coefficients) and the transform after it. The one place that chooses between the two, so that the commands, the
/// dataset statistics and the model pipelines cannot feed one pipeline's input where the other's is expected.
/// Thread-safe.
/// </summary>
public sealed class DctFileTransform
{
    private readonly DctTransform? exact;
    private readonly JpegDomainTransform? jpeg;
    private readonly ImageDecoder decoder;

    /// <param name="geometry">Exact: the resize and crop. Jpeg: only the crop, as crop / 8 blocks per side.</param>
    /// <param name="statistics">Normalization (of this pipeline's coefficients); null gives raw coefficients.</param>
    public DctFileTransform(DctPipeline pipeline, CropGeometry geometry, ChannelSubset channels, ChannelStatistics? statistics, ImageDecoder? decoder = null)
    {
        geometry.Validate();
        Pipeline = pipeline;
        Geometry = geometry;
        this.decoder = decoder ?? new ImageDecoder();
        if (pipeline == DctPipeline.Jpeg)
            jpeg = new JpegDomainTransform(geometry.BlocksPerSide, channels, statistics);
        else
            exact = new DctTransform(geometry, channels, statistics);
        Channels = channels;
        Statistics = statistics;
    }

    public DctPipeline Pipeline { get; }
    public CropGeometry Geometry { get; }
    public ChannelSubset Channels { get; }
    public ChannelStatistics? Statistics { get; }

    public int[] OutputShape => [Channels.Count, Geometry.BlocksPerSide, Geometry.BlocksPerSide];

    public int OutputLength => Channels.Count * Geometry.BlocksPerSide * Geometry.BlocksPerSide;

    /// <summary>"exact" or "jpeg", as the command line, checkpoints and ONNX metadata write it.</summary>
    public static string Name(DctPipeline pipeline) => pipeline == DctPipeline.Jpeg ? "jpeg" : "exact";

    /// <exception cref="ArgumentException">Neither "exact" nor "jpeg".</exception>
    public static DctPipeline Parse(string name) => name switch
    {
        "exact" => DctPipeline.Exact,
        "jpeg" => DctPipeline.Jpeg,
        _ => throw new ArgumentException($"unknown DCT pipeline '{name}' (exact or jpeg)", nameof(name)),
    };

    /// <summary>The validation input of one file.</summary>
    /// <exception cref="ImageDecodeException">The file cannot be read by this pipeline; the message names it and says why.</exception>
    public void Transform(string path, Span<float> output) => Transform(decoder.ReadFile(path), path, output);

    /// <param name="source">Names the data in error messages, usually its path.</param>
    public void Transform(ReadOnlySpan<byte> data, string source, Span<float> output)
    {
        if (jpeg is not null)
            jpeg.Transform(ReadCoefficients(data, source), output);
        else
            exact!.Transform(decoder.Decode(data, source), output);
    }

    /// <summary>The training input of one file: the pipeline's random crop and flip, drawn from <paramref name="random"/>.</summary>
    public void TransformForTraining(string path, Random random, Span<float> output)
    {
        var data = decoder.ReadFile(path);
        if (jpeg is not null)
            jpeg.TransformForTraining(ReadCoefficients(data, path), random, output);
        else
            exact!.TransformForTraining(decoder.Decode(data, path), random, output);
    }

    /// <summary>
    /// The raw values statistics are measured over (C x h x w): the exact pipeline's validation output; for the JPEG
    /// pipeline its validation window without the padding (<see cref="JpegDomainTransform.CentredBlocks"/>).
    /// </summary>
    public float[] StatisticsSample(string path)
    {
        if (Statistics is not null)
            throw new InvalidOperationException("Statistics are measured over raw coefficients; build the transform without statistics.");
        var data = decoder.ReadFile(path);
        if (jpeg is not null)
            return jpeg.CentredBlocks(ReadCoefficients(data, path));
        var output = new float[OutputLength];
        exact!.Transform(decoder.Decode(data, path), output);
        return output;
    }

    /// <summary>Each thread's coefficient memory: a file's coefficients are transformed before the thread reads the next.</summary>
    [ThreadStatic]
    private static CoefficientBuffers? t_buffers;

    private JpegCoefficients ReadCoefficients(ReadOnlySpan<byte> data, string source)
    {
        var coefficients = JpegCoefficientReader.Read(data, source, decoder.MaxPixels, t_buffers ??= new CoefficientBuffers());
        try
        {
            JpegDomainTransform.CheckSampling(coefficients);
        }
        catch (NotSupportedException e)
        {
            throw new ImageDecodeException(source, e.Message, e);
        }
        return coefficients;
    }
}
