using System.CommandLine;
using DctNet.Detection.Modeling;
using DctNet.Frequency.Channels;

namespace DctNet.Cli;

/// <summary>The options shared by the detection commands.</summary>
internal static class DetectionOptions
{
    public static Option<string> Model() => new("--model")
    {
        Description = $"Detection model: {string.Join(", ", DetectionModels.All.Select(d => d.Name))}.",
        HelpName = "name",
        Required = true,
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
