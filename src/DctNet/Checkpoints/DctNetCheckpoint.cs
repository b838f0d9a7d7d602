using System.Text.Json;
using System.Text.Json.Serialization;
using DctNet.Frequency;
using DctNet.Frequency.Channels;
using DctNet.Frequency.Geometry;
using DctNet.Models;

namespace DctNet.Checkpoints;

/// <summary>What a DctNet checkpoint says about its weights, so that they can be used without other flags.</summary>
public sealed record CheckpointMetadata
{
    /// <summary>The model registry's name, e.g. "resnet50-dct".</summary>
    public required string Model { get; init; }

    /// <summary>Number of classes of the classifier.</summary>
    public required int Classes { get; init; }

    /// <summary>The DCT channels the model reads; null for RGB models.</summary>
    public ChannelSubset? Channels { get; init; }

    /// <summary>The input normalization; null when the model takes raw input.</summary>
    public InputNormalization? Normalization { get; init; }

    /// <summary>Stride of a DCT ResNet's layer2 (1 as released, 2 for the "-s2" variants); null for other models.</summary>
    public int? Layer2Stride { get; init; }

    /// <summary>The resize and crop the model was trained at, when not the model's own (<see cref="Models.ModelDefinition.Input"/>).</summary>
    public CropGeometry? Geometry { get; init; }

    /// <summary>The DCT pipeline the model was trained on; exact for every checkpoint that does not say.</summary>
    public DctPipeline Pipeline { get; init; } = DctPipeline.Exact;

    /// <summary>
    /// Format 1 has no pipeline; checkpoints of the JPEG pipeline are written as format 2, which versions before it
    /// refuse, so that no older DctNet feeds such a model the exact pipeline's input.
    /// </summary>
    private const int FormatVersion = 1, JpegPipelineFormatVersion = 2;

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public string ToJson() => JsonSerializer.Serialize(
        new MetadataJson(
            Pipeline == DctPipeline.Jpeg ? JpegPipelineFormatVersion : FormatVersion,
            Model,
            Classes,
            ChannelSubsetJson.From(Channels),
            Normalization is null ? null : new MeanStdJson([.. Normalization.Mean], [.. Normalization.Std]),
            Layer2Stride,
            Geometry is null ? null : new GeometryJson(Geometry.Resize, Geometry.Crop),
            Pipeline == DctPipeline.Jpeg ? DctFileTransform.Name(Pipeline) : null),
        JsonOptions);

    /// <exception cref="InvalidDataException">Not the JSON of <see cref="ToJson"/>, or of a newer format version.</exception>
    public static CheckpointMetadata FromJson(string json)
    {
        MetadataJson parsed;
        try
        {
            parsed = JsonSerializer.Deserialize<MetadataJson>(json, JsonOptions) ?? throw new InvalidDataException("DctNet metadata is null.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"DctNet metadata is not valid ({e.Message})", e);
        }
        if (parsed.FormatVersion is not (FormatVersion or JpegPipelineFormatVersion))
            throw new InvalidDataException($"DctNet metadata format {parsed.FormatVersion} is not supported (this version reads {FormatVersion} and {JpegPipelineFormatVersion}).");
        if ((parsed.FormatVersion == JpegPipelineFormatVersion) != (parsed.Pipeline == "jpeg"))
            throw new InvalidDataException($"DctNet metadata format {parsed.FormatVersion} with pipeline '{parsed.Pipeline ?? "exact"}': format 2 is for, and only for, the jpeg pipeline.");
        if (string.IsNullOrEmpty(parsed.Model) || parsed.Classes is <= 0 or > CheckpointLimits.MaxClasses)
            throw new InvalidDataException($"DctNet metadata lacks the model name or a class count from 1 to {CheckpointLimits.MaxClasses}.");
        try
        {
            return new CheckpointMetadata
            {
                Model = parsed.Model,
                Classes = parsed.Classes,
                Channels = parsed.Channels?.ToSubset(),
                Normalization = parsed.Normalization is { } normalization ? new InputNormalization(normalization.Mean, normalization.Std) : null,
                Layer2Stride = parsed.Layer2Stride,
                Geometry = parsed.Geometry is { } geometry ? Validated(new CropGeometry(geometry.Resize, geometry.Crop)) : null,
                Pipeline = parsed.Pipeline is null ? DctPipeline.Exact : DctFileTransform.Parse(parsed.Pipeline),
            };
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"DctNet metadata: {e.Message}", e);
        }
    }

    private static CropGeometry Validated(CropGeometry geometry)
    {
        geometry.Validate();
        return geometry;
    }

    private sealed record MetadataJson(int FormatVersion, string Model, int Classes, ChannelSubsetJson? Channels, MeanStdJson? Normalization,
        int? Layer2Stride, GeometryJson? Geometry, string? Pipeline);

    private sealed record GeometryJson(int Resize, int Crop);
}

/// <summary>
/// DctNet's own checkpoint: weights in a safetensors file whose <c>__metadata__</c> carries the
/// <see cref="CheckpointMetadata"/> as JSON under "dctnet" - one self-describing file, written atomically.
/// </summary>
public sealed record DctNetCheckpoint(CheckpointMetadata Metadata, StateDict Weights)
{
    /// <summary>The <c>__metadata__</c> entry that holds <see cref="CheckpointMetadata.ToJson"/>.</summary>
    public const string MetadataKey = "dctnet";

    public void Save(string path) => SafeTensorsFile.WriteFile(path, Weights, new Dictionary<string, string>
    {
        // "pt" tells Hugging Face tooling that the tensors follow PyTorch conventions.
        ["format"] = "pt",
        [MetadataKey] = Metadata.ToJson(),
    });

    /// <exception cref="CheckpointException">Not a safetensors file, or one without DctNet metadata; the message starts with the path.</exception>
    public static DctNetCheckpoint Load(string path) => FromContents(path, SafeTensorsFile.ReadFile(path));

    /// <summary>The checkpoint in a safetensors file already read from <paramref name="path"/>.</summary>
    internal static DctNetCheckpoint FromContents(string path, SafeTensorsContents contents) =>
        CheckpointErrors.Reading(path, () => contents.Metadata.TryGetValue(MetadataKey, out string? json)
            ? new DctNetCheckpoint(CheckpointMetadata.FromJson(json), contents.Tensors)
            : throw new InvalidDataException($"a safetensors file without DctNet metadata (no '{MetadataKey}' entry in __metadata__)."));
}
