using System.CommandLine;
using DctNet.Detection.Modeling;
using DctNet.Frequency.Channels;
using DctNet.Detection.Inference;
using DctNet.Models;

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
        Description = $"-dct models: the DCT channels the backbone takes - 6, 24, 32, 48, 64, 192 or a subset file. [default: {ModelRegistry.DefaultChannelCount}] RGB models take none.",
        HelpName = "6|24|32|48|64|192|subset.json",
    };

    /// <summary>The model with torchvision's initialization; a contradiction between the model and --channels is a usage error.</summary>
    public static GeneralizedRCNN Create(DetectionModelDefinition definition, string? channels)
        => WithChannels(channels, () => DetectionModels.Create(definition.Name, channels: ResolveChannels(definition, channels)));

    /// <summary><see cref="LoadedDetector.Load"/>, with the channels a model does not take as a usage error.</summary>
    public static LoadedDetector Load(DetectorRequest request, string? channels) => WithChannels(channels, () => LoadedDetector.Load(request));

    /// <summary>The subset of --channels, null when it is not given; a named RGB model refuses it.</summary>
    public static ChannelSubset? ResolveChannels(DetectionModelDefinition? model, string? channels)
    {
        if (channels is null)
            return null;
        if (model is { TakesDct: false })
            throw new UsageException($"--channels: {model.Name} takes RGB images; channels are for {model.Name}-dct.");
        return UsageException.Guard($"--channels {channels}: ", () => ChannelSubset.Parse(channels));
    }

    private static T WithChannels<T>(string? channels, Func<T> create)
    {
        try
        {
            return create();
        }
        catch (ArgumentException e) when (channels is not null)
        {
            throw new UsageException($"--channels {channels}: {UsageException.WithoutParameterName(e)}");
        }
    }

    public static DetectionModelDefinition ResolveModel(string name)
    {
        return UsageException.Guard("--model: ", () => DetectionModels.All.Get(name));
    }
}
