using System.CommandLine;
using DctNet.Inference;

namespace DctNet.Cli;

/// <summary>The options of the commands that run a model with trained weights: predict, eval and convert.</summary>
internal sealed class WeightsOptions
{
    private readonly ModelOptions models = new();

    public WeightsOptions()
    {
        models.Channels.Description = "DCT models: the channels they take - 6, 24, 32, 48, 64, 192 or a subset file. "
            + "[default: a DctNet checkpoint's own; 192 for weights with an input gate; else 24] RGB models take none.";
    }

    public Option<string> Model => models.Model;

    public Option<string> Channels => models.Channels;

    public Option<string> Weights { get; } = new("--weights")
    {
        Description = "The weights: a PyTorch file (torch.save zip or legacy; a bare state_dict or under 'state_dict'/'model'; "
            + $"'module.' prefix or not), a DctNet checkpoint (.safetensors), or a DctNet training run directory (its {RunDirectory.BestCheckpoint}, "
            + $"else its {RunDirectory.LastCheckpoint}). Loaded strictly: every key and shape must match the model.",
        HelpName = "file|run-dir",
        Required = true,
    };

    public Option<int?> Classes { get; } = new Option<int?>("--classes")
    {
        Description = "The number of classes expected; an error if the classifier in the weights has another size. [default: the weights' classifier size]",
        HelpName = "N",
    }.InRange(1, OptionRanges.MaxClasses);

    public Option<ulong> Seed { get; } = new("--seed")
    {
        Description = "Seed of the input gate's Gumbel noise, for weights with a gate (inp_GM.*): the release samples the gates "
            + "in evaluation too, so the outputs depend on the noise.",
        HelpName = "N",
        DefaultValueFactory = _ => 0,
    };

    public Option<string> Stats { get; } = new("--stats")
    {
        Description = "DCT models with weights that do not record their normalization (PyTorch files): normalize with this statistics file "
            + "('dctnet stats') instead of the release's ImageNet statistics. DctNet checkpoints use their own.",
        HelpName = "stats.json",
    };

    public Option<string> Pipeline { get; } = PipelineOptions.PipelineOption(
        "[default: a DctNet checkpoint's own (which refuses the other); exact for other weights]", exactByDefault: false);

    public Option<string> Device { get; } = DeviceOption.Create();

    /// <summary>--engine, for the commands that run the model (predict, eval); the others load it on libtorch.</summary>
    public Option<InferenceEngine> Engine { get; } = EngineOption.Create();

    /// <summary>The engine --engine and --device ask for.</summary>
    public InferenceEngine ResolveEngine(ParseResult parse)
        => EngineOption.Resolve(parse, Engine, UsageException.Guard("--device: ", () => ComputeDevice.Parse(parse.GetValue(Device) ?? ComputeDevice.Default)));

    /// <summary>The options that choose the model, its weights and its input.</summary>
    public IEnumerable<Option> Selection => [Model, Channels, Weights, Classes, Stats, Pipeline];

    /// <summary>Builds the model around the weights; contradictions between the options and the weights are usage errors.</summary>
    /// <param name="foldBatchNorm">For commands that only run the model: merge BatchNorms into convolutions (faster).</param>
    /// <param name="engine">What runs the model (<see cref="ResolveEngine"/> for the commands that take --engine).</param>
    /// <param name="threads">ONNX Runtime's threads for a forward pass (libtorch's are process-wide).</param>
    public InferenceModel Load(ParseResult parse, bool foldBatchNorm, InferenceEngine engine = InferenceEngine.Torch, int threads = 0)
    {
        string device = parse.GetValue(Device) ?? ComputeDevice.Default;
        var definition = models.ResolveDefinition(parse);
        var request = new InferenceRequest(definition, parse.GetRequiredValue(Weights))
        {
            Channels = models.ResolveGivenChannels(parse, definition),
            Classes = parse.GetValue(Classes),
            GateSeed = parse.GetValue(Seed),
            FoldBatchNorm = foldBatchNorm,
            Statistics = parse.GetValue(Stats) is { } stats ? PipelineOptions.LoadStatistics(stats) : null,
            Pipeline = parse.GetValue(Pipeline) is { } pipeline ? Frequency.DctFileTransform.Parse(pipeline) : null,
            Device = device,
            Engine = engine,
            Threads = threads,
        };
        // The registry's refusals: channel counts an architecture does not define.
        return UsageException.Guard("", () => InferenceModel.Load(request));
    }
}
