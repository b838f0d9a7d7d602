using System.CommandLine;
using System.Globalization;
using DctNet.Models;
using DctNet.Training;

namespace DctNet.Cli;

/// <summary><c>train</c>'s options of the input gate's recipe (<see cref="GateRecipe"/>, or the release's).</summary>
internal sealed class GateCommandLine
{
    public const string Targeted = "targeted", Release = "release";

    private static readonly GateRecipe Defaults = new();

    private readonly Option<string> recipe = new Option<string>("--gate-recipe")
    {
        Description = $"How the gate learns: {Targeted} (the expected channels on above a target that falls to --gate-target cost L each, the gate's own "
            + $"learning rate, an annealed temperature, a penalty warm-up) or {Release} (the paper's: L x channels on, the network's learning rate, temperature 1).",
        DefaultValueFactory = _ => Targeted,
    }.AcceptOnlyFromAmong(Targeted, Release);

    private readonly Option<double?> lambda = new Option<double?>("--gate-lambda")
    {
        Description = $"L, the loss per channel on: above the target ({Targeted}), or every one ({Release}). [default: {GateRecipe.DefaultLambda.ToString(CultureInfo.InvariantCulture)} ({Targeted}), 0 ({Release})]",
        HelpName = "L",
    }.NonNegative();

    private readonly Option<int> target = new Option<int>("--gate-target")
    {
        Description = "Channels on per image (in expectation) that cost nothing once the pruning is over; the count settles at or below it.",
        HelpName = "N",
        DefaultValueFactory = _ => Defaults.TargetChannels,
    }.InRange(1, InputGate.Channels);

    private readonly Option<double> learningRate = PipelineOptions.Number("--gate-lr", "The gate's base learning rate, on the run's schedule and warm-up.", Defaults.LearningRate).PositiveFinite();

    private readonly Option<double> temperature = PipelineOptions.Number("--gate-temperature",
        "The soft sample's temperature at the start, annealed geometrically to --gate-final-temperature by the end (the gradient's shape only).",
        Defaults.InitialTemperature).PositiveFinite();

    private readonly Option<double> finalTemperature = PipelineOptions.Number("--gate-final-temperature", "The temperature at the end of the run.", Defaults.FinalTemperature).PositiveFinite();

    private readonly Option<int> penaltyWarmup = new Option<int>("--gate-penalty-warmup")
    {
        Description = "Epochs before the penalty starts (fewer than --epochs).",
        HelpName = "N",
        DefaultValueFactory = _ => Defaults.PenaltyWarmupEpochs,
    }.InRange(0, OptionRanges.MaxEpochs);

    private readonly Option<int> pruning = new Option<int>("--gate-pruning-epochs")
    {
        Description = "Epochs after the warm-up over which the allowed channels fall from 192 to --gate-target (cubic: fast first, slow at the end); "
            + "warm-up + pruning must not exceed --epochs.",
        HelpName = "N",
        DefaultValueFactory = _ => Defaults.PruningEpochs,
    }.InRange(0, OptionRanges.MaxEpochs);

    private readonly Option<double> sharpness = PipelineOptions.Number("--gate-sharpness",
        "The factor the gate's logits are scaled by over the epochs after the pruning (the Gumbel noise divided by it), so that each channel ends "
        + "kept for nearly all images or nearly none; 1 leaves the gates as undecided as the pruning left them.", Defaults.FinalSharpness).Within(1, 1e6);

    public IReadOnlyList<Option> All => [recipe, lambda, target, learningRate, temperature, finalTemperature, penaltyWarmup, pruning, sharpness];

    /// <summary>The recipe's part of --help: what each option does and how to choose it.</summary>
    public const string Help = """
        GATE RECIPES
          targeted (the default): choose --gate-target as the channels you can afford (the paper keeps 24 of 192). The
          gate starts with every channel on; after --gate-penalty-warmup epochs the allowed count falls to the target over
          --gate-pruning-epochs (cubic), and each expected channel on above it costs L. Raise L if channels_on in
          metrics.jsonl stays above the target; sweep --gate-target for the accuracy-against-channels curve. Give the
          network time before the penalty, and the pruning time: a channel closed before the network has learned to use
          it does not come back. Leave epochs after the pruning and sharpen the gates there: without --gate-sharpness the
          budget spreads over channels kept for 10-50% of the images, a dropout the network learns to live with. The
          sharpening settles the count well below the target, so set the target above the channels you can afford. The
          demo (24 epochs: --gate-penalty-warmup 8 --gate-pruning-epochs 10 --gate-target 40 --gate-sharpness 4) reached
          98.1-100% with 18-19 channels on at three seeds on host B, DCT-24 100%. Where a rescale changes what defines the classes
          (the demo's stripes), train with --no-augmentation: random-resized crops held the gate to 68% (README,
          'Channel selection').
          release: the paper's training, L x channels on at the network's learning rate; on small data its gate barely
          moves (lambda 0.1 left 117 of 192 channels on in the demo).
        """;

    /// <summary>The options with the gate's recipe the command line asks for.</summary>
    /// <exception cref="UsageException">A targeted option with the release recipe, or a gate option without --gate.</exception>
    public TrainingOptions Apply(ParseResult parse, TrainingOptions options)
    {
        var given = All.Where(option => parse.GetResult(option) is { Implicit: false }).ToList();
        if (!options.Gate)
        {
            if (given.Count > 0)
                throw new UsageException($"{given[0].Name} needs --gate.");
            return options;
        }
        if (parse.GetValue(recipe) == Release)
        {
            if (given.FirstOrDefault(option => option != recipe && option != lambda) is { } targetedOnly)
                throw new UsageException($"{targetedOnly.Name} belongs to the {Targeted} recipe; the {Release} recipe takes --gate-lambda only.");
            return options with { GateLambda = parse.GetValue(lambda) ?? 0 };
        }
        return options with
        {
            GateLambda = parse.GetValue(lambda) ?? GateRecipe.DefaultLambda,
            GateRecipe = new GateRecipe
            {
                TargetChannels = parse.GetValue(target),
                LearningRate = parse.GetValue(learningRate),
                InitialTemperature = parse.GetValue(temperature),
                FinalTemperature = parse.GetValue(finalTemperature),
                PenaltyWarmupEpochs = parse.GetValue(penaltyWarmup),
                PruningEpochs = parse.GetValue(pruning),
                FinalSharpness = parse.GetValue(sharpness),
            },
        };
    }
}
