using System.Text.Json;
using DctNet.Checkpoints;
using DctNet.Detection.Coco;
using DctNet.Frequency.Channels;

namespace DctNet.Detection.Modeling;

/// <summary>What a DctNet detection checkpoint says about its weights, so that <c>dctnet detect</c> needs no other flag.</summary>
/// <param name="Model">The detection model's name.</param>
/// <param name="Categories">The dataset's categories in label order: label k + 1 is category k (0 is the background).</param>
/// <param name="Channels">-dct models: the channel subset; null for RGB models.</param>
/// <param name="Scale">The bounds the model was trained at.</param>
/// <param name="Statistics">-dct models: the normalization of their input (192 means and standard deviations).</param>
public sealed record DetectionCheckpointMetadata(string Model, IReadOnlyList<CocoCategory> Categories, ChannelSubset? Channels, InputScale Scale,
    ChannelStatistics? Statistics = null)
{
    /// <summary>The classifier's outputs: the categories and the background.</summary>
    public int Classes => Categories.Count + 1;
}

/// <summary>
/// A trained detector in one self-describing file: the weights in a safetensors file whose <c>__metadata__</c> holds
/// <see cref="DetectionCheckpointMetadata"/> as JSON under "dctnet_detection", written atomically.
/// </summary>
public sealed record DetectionCheckpoint(DetectionCheckpointMetadata Metadata, StateDict Weights)
{
    public const string MetadataKey = "dctnet_detection";
    private const int FormatVersion = 1;

    private static readonly JsonSerializerOptions JsonOptions = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public void Save(string path)
    {
        var statistics = Metadata.Statistics is { } stats ? new MeanStdJson([.. stats.Mean], [.. stats.Std]) : null;
        var json = new MetadataJson(FormatVersion, Metadata.Model, [.. Metadata.Categories.Select(c => new CategoryJson(c.Id, c.Name, c.Supercategory))],
            ChannelSubsetJson.From(Metadata.Channels), Metadata.Scale.ShortEdge, Metadata.Scale.LongEdge, statistics);
        SafeTensorsFile.WriteFile(path, Weights, new Dictionary<string, string> { [MetadataKey] = JsonSerializer.Serialize(json, JsonOptions) });
    }

    /// <summary>The detection metadata of weights read by <see cref="WeightsFile.Read"/>, or null for weights without it (e.g. a torchvision file).</summary>
    /// <exception cref="CheckpointException">Detection metadata that is not valid.</exception>
    public static DetectionCheckpointMetadata? MetadataOf(WeightsFileContents contents, string path)
    {
        ArgumentNullException.ThrowIfNull(contents);
        if (!contents.FileMetadata.TryGetValue(MetadataKey, out string? text))
            return null;
        try
        {
            var json = JsonSerializer.Deserialize<MetadataJson>(text, JsonOptions) ?? throw new InvalidDataException("it is null");
            if (json.FormatVersion != FormatVersion)
                throw new InvalidDataException($"format {json.FormatVersion} is not supported (this version reads {FormatVersion})");
            if (string.IsNullOrEmpty(json.Model) || json.Categories is not { Length: > 0 })
                throw new InvalidDataException("it lacks the model name or the categories");
            if (json.Categories.Length >= CheckpointLimits.MaxClasses)
                throw new InvalidDataException($"{json.Categories.Length} categories; a detector may have at most {CheckpointLimits.MaxClasses - 1} besides the background");
            var categories = json.Categories.Select(c => new CocoCategory(c.Id, c.Name ?? throw new InvalidDataException($"category {c.Id} has no name"), c.Supercategory)).ToList();
            var statistics = json.Statistics is { } st ? new ChannelStatistics(st.Mean, st.Std) : null;
            return new DetectionCheckpointMetadata(json.Model, categories, json.Channels?.ToSubset(), new InputScale(json.ShortEdge, json.LongEdge), statistics);
        }
        catch (Exception e) when (e is JsonException or InvalidDataException or ArgumentException)
        {
            throw new CheckpointException($"{path}: its '{MetadataKey}' metadata is not valid ({e.Message}).");
        }
    }

    private sealed record MetadataJson(int FormatVersion, string Model, CategoryJson[] Categories, ChannelSubsetJson? Channels, int ShortEdge, int LongEdge,
        MeanStdJson? Statistics);

    private sealed record CategoryJson(int Id, string? Name, string? Supercategory);
}
