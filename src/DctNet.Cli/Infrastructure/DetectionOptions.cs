using System.CommandLine;
using DctNet.Checkpoints;
using DctNet.Detection.Modeling;
using DctNet.Frequency.Channels;
using DctNet.Inference;

namespace DctNet.Cli;

/// <summary>The options shared by the detection commands.</summary>
internal static class DetectionOptions
{
    public static Option<string> Model(bool required = true, string? note = null) => new("--model")
    {
        Description = $"Detection model: {string.Join(", ", DetectionModels.All.Select(d => d.Name))}.{(note is null ? "" : " " + note)}",
        HelpName = "name",
        Required = required,
    };

    public static Option<string> Channels() => new("--channels")
    {
        Description = $"-dct models: the DCT channels the backbone takes - 6, 24, 32, 48, 64, 192 or a subset file. [default: {DetectionModels.DefaultDctChannels}] RGB models take none.",
        HelpName = "6|24|32|48|64|192|subset.json",
    };

    /// <summary>The model with torchvision's initialization; a contradiction between the model and --channels is a usage error.</summary>
    public static GeneralizedRCNN Create(DetectionModelDefinition definition, string? channels)
    {
        if (channels is not null && !definition.TakesDct)
            throw new UsageException($"--channels: {definition.Name} takes RGB images; channels are for {definition.Name}-dct.");
        var subset = channels is null ? null : Parse(channels);
        try
        {
            return DetectionModels.Create(definition.Name, channels: subset);
        }
        catch (ArgumentException e)
        {
            throw new UsageException($"--channels {channels}: {ModelOptions.WithoutParameterName(e)}");
        }
    }

    /// <summary>
    /// The model a DctNet detection checkpoint records (its categories, channels and scale); a --model or --channels that
    /// the checkpoint contradicts is a usage error.
    /// </summary>
    public static GeneralizedRCNN Create(DetectionCheckpointMetadata trained, string weightsPath, string? model, string? channels)
    {
        if (model is not null && model != trained.Model)
            throw new ModelRequestException($"{weightsPath}: the checkpoint holds a {trained.Model} model, but {model} was asked for.");
        if (channels is not null && (trained.Channels is null || !Parse(channels).Channels.SequenceEqual(trained.Channels.Channels)))
            throw new ModelRequestException($"{weightsPath}: the checkpoint was trained on {(trained.Channels is null ? "RGB images" : $"channels {trained.Channels.Name}")}, "
                + $"but channels {channels} were asked for; leave --channels out to use the checkpoint's.");
        return DetectionModels.Create(trained.Model, trained.Classes, channels: trained.Channels, scale: trained.Scale, statistics: trained.Statistics);
    }

    /// <summary>The model an mmdetection v1 file of the release holds; a --model or --channels that it contradicts is a usage error.</summary>
    public static GeneralizedRCNN CreateRelease(StateDict weights, string weightsPath, string? model, string? channels)
    {
        var (held, dctChannels) = MmdetV1Weights.ModelOf(weights, weightsPath);
        if (model is not null && model != held)
            throw new ModelRequestException($"{weightsPath}: the mmdetection v1 file holds a {held} model, but {model} was asked for.");
        if (channels is not null && (dctChannels is null || Parse(channels).Count != dctChannels))
            throw new ModelRequestException($"{weightsPath}: the mmdetection v1 file's backbone takes {(dctChannels is { } c ? $"{c} DCT channels" : "RGB images")}, "
                + $"but channels {channels} were asked for; leave --channels out to use the file's.");
        return MmdetV1Weights.CreateModel(weights, weightsPath);
    }

    private static ChannelSubset Parse(string channels)
    {
        try
        {
            return ChannelSubset.Parse(channels);
        }
        catch (ArgumentException e)
        {
            throw new UsageException($"--channels {channels}: {e.Message}");
        }
    }

    public static DetectionModelDefinition ResolveModel(string name)
    {
        try
        {
            return DetectionModels.Find(name);
        }
        catch (ArgumentException e)
        {
            throw new UsageException($"--model: {ModelOptions.WithoutParameterName(e)}");
        }
    }
}
