using System.CommandLine;
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
        ChannelSubset? subset = null;
        if (channels is not null)
        {
            if (!definition.TakesDct)
                throw new UsageException($"--channels: {definition.Name} takes RGB images; channels are for {definition.Name}-dct.");
            try
            {
                subset = ChannelSubset.Parse(channels);
            }
            catch (ArgumentException e)
            {
                throw new UsageException($"--channels {channels}: {e.Message}");
            }
        }
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
        if (channels is not null)
        {
            ChannelSubset requested;
            try
            {
                requested = ChannelSubset.Parse(channels);
            }
            catch (ArgumentException e)
            {
                throw new UsageException($"--channels {channels}: {e.Message}");
            }
            if (trained.Channels is null || !requested.Channels.SequenceEqual(trained.Channels.Channels))
                throw new ModelRequestException($"{weightsPath}: the checkpoint was trained on {(trained.Channels is null ? "RGB images" : $"channels {trained.Channels.Name}")}, "
                    + $"but channels {channels} were asked for; leave --channels out to use the checkpoint's.");
        }
        return DetectionModels.Create(trained.Model, trained.Classes, channels: trained.Channels, scale: trained.Scale);
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
