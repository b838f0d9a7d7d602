using System.CommandLine;
using DctNet.Frequency.Channels;
using DctNet.Models;

namespace DctNet.Cli;

/// <summary>The options that choose a model of the registry, shared by the model commands.</summary>
internal sealed class ModelOptions
{
    public Option<string> Model { get; } = new("--model")
    {
        Description = "Model name (see 'dctnet models'), e.g. resnet50-dct, resnet50-dct-s2, mobilenetv2-dct, resnet50, mobilenetv2.",
        HelpName = "name",
        Required = true,
    };

    public Option<string> Channels { get; } = new("--channels")
    {
        Description = $"DCT models: the channels they take - 6, 24, 32, 48, 64, 192 or a subset file. [default: {ModelRegistry.DefaultChannelCount}] RGB models take none.",
        HelpName = "6|24|32|48|64|192|subset.json",
    };

    public Option<int> Classes { get; } = PipelineOptions.PositiveInt("--classes", "Outputs of the classifier.", 1000, OptionRanges.MaxClasses);

    public Option<bool> Gate { get; } = new("--gate")
    {
        Description = "Put the learned input gate (GateModule192) in front; needs --channels 192.",
    };

    public IEnumerable<Option> All => [Model, Channels, Classes, Gate];

    public ModelDefinition ResolveDefinition(ParseResult parse)
    {
        return UsageException.Guard("--model: ", () => ModelRegistry.Get(parse.GetRequiredValue(Model)));
    }

    /// <summary>The subset of --channels, null when it is not given; an RGB model refuses it.</summary>
    public ChannelSubset? ResolveGivenChannels(ParseResult parse, ModelDefinition definition)
    {
        string? value = parse.GetValue(Channels);
        if (value is null)
            return null;
        if (!definition.TakesDct)
            throw new UsageException($"--channels: {definition.Name} takes RGB images; channels are for the DCT models ({definition.Name}-dct, ...).");
        return UsageException.Guard($"--channels {value}: ", () => ChannelSubset.Parse(value));
    }

    /// <summary>
    /// A freshly initialized model as the options describe it, and its input (the model's own but for --channels;
    /// --gate asks for --channels 192 rather than choosing them); architecture refusals become usage errors.
    /// </summary>
    public (ModelDefinition Definition, ModelInput Input, TorchSharp.torch.nn.Module<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor> Model) Create(ParseResult parse)
    {
        var definition = ResolveDefinition(parse);
        var input = definition.ResolveInput(new InputRequest(ResolveGivenChannels(parse, definition)));
        return UsageException.Guard("", () => (definition, input, definition.Create((input as DctInput)?.Channels, parse.GetValue(Classes), parse.GetValue(Gate))));
    }
}
