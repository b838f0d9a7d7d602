using System.CommandLine;
using System.CommandLine.Parsing;
using DctNet.Frequency;
using DctNet.Frequency.Channels;
using DctNet.Frequency.Geometry;
using DctNet.Frequency.Imaging;

namespace DctNet.Cli;

/// <summary>The options that describe the frequency transform, shared by <c>transform</c> and <c>bench transform</c>.</summary>
internal sealed class PipelineOptions
{
    public const string ResNet = "resnet";
    public const string MobileNetV2 = "mobilenetv2";

    public const string Exact = "exact";
    public const string Jpeg = "jpeg";

    /// <summary>--pipeline exact|jpeg; its help says what each one does and what the JPEG pipeline's input differs in.</summary>
    public Option<string> Pipeline { get; } = PipelineOption();

    /// <summary>--pipeline with its help; <paramref name="extra"/> is added to it, and without a default the option is null when not given.</summary>
    public static Option<string> PipelineOption(string? extra = null, bool exactByDefault = true) => new Option<string>("--pipeline")
    {
        Description = "Where the DCT input comes from. exact: the release's pipeline (decode, resize the shorter side, centre crop, "
            + "re-encode at quality 100, read the coefficients). jpeg: the coefficients the JPEG file already holds, dequantized, "
            + "with no decode or resize: a window of crop/8 x crop/8 blocks on the file's own block grid (centred, padded where "
            + "the image is smaller; random position and flip in training), chroma brought onto the luma grid in the DCT domain. "
            + "Only JPEG files can be read by it (others fail with a one-line error)." + (extra is null ? "" : " " + extra),
        HelpName = "exact|jpeg",
        DefaultValueFactory = exactByDefault ? _ => Exact : null,
    }.AcceptOnlyFromAmong(StringComparer.Ordinal, Exact, Jpeg);

    public DctPipeline ResolvePipeline(ParseResult parse) => DctFileTransform.Parse(parse.GetValue(Pipeline) ?? Exact);

    public Option<string> Channels { get; } = new("--channels")
    {
        Description = "Channels to keep: a built-in subset of the release (6, 24, 32, 48 or 64; 192 = all, "
            + "Y 0-63 then Cb then Cr), or a JSON subset file ({\"y\": [...], \"cb\": [...], \"cr\": [...]}).",
        HelpName = "6|24|32|48|64|192|subset.json",
        DefaultValueFactory = _ => "24",
    };

    public Option<string> Geometry { get; } = new Option<string>("--geometry")
    {
        Description = "Model family, setting --resize/--crop: resnet = 512/448 (56x56 blocks), mobilenetv2 = 1024/896 (112x112 blocks).",
        DefaultValueFactory = _ => ResNet,
    }.AcceptOnlyFromAmong(StringComparer.OrdinalIgnoreCase, ResNet, MobileNetV2);

    public Option<int?> Resize { get; } = new Option<int?>("--resize")
    {
        Description = "Shorter side after the bilinear resize, in pixels; 0 keeps the image size. Overrides --geometry. [default: 512, 1024 with --geometry mobilenetv2]",
        HelpName = "pixels",
    }.InRange(0, OptionRanges.MaxResize);

    public Option<int?> Crop { get; } = new Option<int?>("--crop")
    {
        Description = "Side of the centre crop, a multiple of 8; the output is crop/8 x crop/8 blocks. Overrides --geometry. [default: 448, 896 with --geometry mobilenetv2]",
        HelpName = "pixels",
    }.InRange(8, OptionRanges.MaxCrop);

    public Option<int> Threads { get; } = ThreadCount("Worker threads that decode and transform images in parallel; the default is the number of cores.", Environment.ProcessorCount);

    public Option<bool> Raw { get; } = new("--raw")
    {
        Description = "Write the raw integer DCT coefficients (as float32) instead of normalized values. Cannot be combined with --stats.",
    };

    public Option<string> Stats { get; } = new("--stats")
    {
        Description = "Normalize with this statistics file ({\"mean\": [192 numbers], \"std\": [192 numbers]}) instead of the release's ImageNet statistics. [default: built-in ImageNet statistics]",
        HelpName = "stats.json",
    };

    public Option<long> MaxPixels { get; } = new Option<long>("--max-pixels")
    {
        Description = "Refuse images with more pixels than this (decompression-bomb guard).",
        HelpName = "pixels",
        DefaultValueFactory = _ => ImageDecoder.DefaultMaxPixels,
    }.InRange(1, OptionRanges.MaxPixels);

    /// <summary>A real-valued option with its default shown in --help.</summary>
    public static Option<double> Number(string name, string description, double defaultValue) => new(name)
    {
        Description = description,
        HelpName = "X",
        DefaultValueFactory = _ => defaultValue,
    };

    /// <summary>A whole-number option from 1 to <paramref name="max"/> (see <see cref="OptionRanges"/> for the shared limits).</summary>
    public static Option<int> PositiveInt(string name, string description, int defaultValue, int max) => new Option<int>(name)
    {
        Description = description,
        HelpName = "N",
        DefaultValueFactory = _ => defaultValue,
    }.InRange(1, max);

    /// <summary>--threads, 1 to <see cref="OptionRanges.MaxThreads"/>.</summary>
    public static Option<int> ThreadCount(string description, int defaultValue) => PositiveInt("--threads", description, defaultValue, OptionRanges.MaxThreads);

    /// <summary>--batch-size, 1 to <see cref="OptionRanges.MaxBatchSize"/>.</summary>
    public static Option<int> BatchSize(string description, int defaultValue) => PositiveInt("--batch-size", description, defaultValue, OptionRanges.MaxBatchSize);

    /// <summary>The preset of --geometry with --resize and --crop applied on top.</summary>
    public CropGeometry ResolveGeometry(ParseResult parse)
    {
        var preset = string.Equals(parse.GetValue(Geometry), MobileNetV2, StringComparison.OrdinalIgnoreCase)
            ? CropGeometry.MobileNetV2
            : CropGeometry.ResNet;
        var geometry = new CropGeometry(parse.GetValue(Resize) ?? preset.Resize, parse.GetValue(Crop) ?? preset.Crop);
        UsageException.Guard($"--resize {geometry.Resize} --crop {geometry.Crop}: ", geometry.Validate);
        return geometry;
    }

    public ChannelSubset ResolveChannels(ParseResult parse)
    {
        string value = parse.GetValue(Channels) ?? "24";
        try
        {
            return ChannelSubset.Parse(value);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or FormatException or IOException or UnauthorizedAccessException)
        {
            throw new UsageException(e.Message.StartsWith(value, StringComparison.Ordinal) ? $"--channels {e.Message}" : $"--channels {value}: {e.Message}");
        }
    }

    /// <summary>Null (raw coefficients) with --raw, the --stats file, or the built-in ImageNet statistics of the pipeline.</summary>
    public ChannelStatistics? ResolveStatistics(ParseResult parse)
    {
        bool raw = parse.GetValue(Raw);
        string? stats = parse.GetValue(Stats);
        if (raw && stats is not null)
            throw new UsageException("--raw and --stats cannot be combined: --raw writes unnormalized coefficients.");
        if (raw)
            return null;
        return stats is null ? ChannelStatistics.ImageNetFor(ResolvePipeline(parse)) : LoadStatistics(stats);
    }

    /// <summary>The --stats file; problems with it are usage errors that name it.</summary>
    public static ChannelStatistics LoadStatistics(string stats)
    {
        try
        {
            return ChannelStatistics.Load(stats);
        }
        catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException)
        {
            throw new UsageException(e.Message.Contains(stats, StringComparison.Ordinal) ? $"--stats: {e.Message}" : $"--stats {stats}: {e.Message}");
        }
    }
}
