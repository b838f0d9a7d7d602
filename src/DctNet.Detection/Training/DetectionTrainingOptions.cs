using System.Text.Json;
using System.Text.Json.Serialization;
using DctNet.Detection.Modeling;
using DctNet.Training;

namespace DctNet.Detection.Training;

/// <summary>
/// Everything that defines a detection training run, saved as the run directory's options.json. The defaults are the
/// release's mmdetection v1 "1x" recipe (REFERENCE.md section 4): SGD with momentum 0.9 and weight decay 1e-4 on every
/// parameter, gradients clipped at norm 35, a linear warm-up over 500 iterations from a third of the rate, the rate
/// divided by 10 after epochs 8 and 11 of 12, images rescaled to fit 1333 x 800 and flipped at random, the stem and
/// layer1 frozen.
/// </summary>
public sealed record DetectionTrainingOptions : IRunOptions
{
    /// <summary>mmdetection's 0.02 for 16 images per step; <c>dctnet train-det</c> scales it linearly to its batch size.</summary>
    public const double ReferenceLearningRate = 0.02;
    public const int ReferenceBatchSize = 16;

    /// <summary>The detection model's name (<see cref="DetectionModels.All"/>).</summary>
    public required string Model { get; init; }

    /// <summary>-dct models: the channel subset as <see cref="Frequency.Channels.ChannelSubset.Parse"/> reads it; null for DCT-24 or RGB models.</summary>
    public string? Channels { get; init; }

    /// <summary>
    /// -dct models: a statistics file (<c>dctnet stats</c>) to normalize with; null: those the starting weights' model was
    /// trained with (a DctNet detection checkpoint's, the release's COCO statistics for its mmdetection v1 files), else
    /// the release's ImageNet statistics.
    /// </summary>
    public string? Stats { get; init; }

    /// <summary>The training images' folder and annotation file.</summary>
    public required string Data { get; init; }
    public required string Annotations { get; init; }

    /// <summary>The validation images' folder and annotation file, evaluated with COCO's metrics after each epoch.</summary>
    public required string ValData { get; init; }
    public required string ValAnnotations { get; init; }

    public string Device { get; init; } = ComputeDevice.Default;

    public int Epochs { get; init; } = 12;

    /// <summary>Images per SGD step (mmdetection's 2 per GPU).</summary>
    public int BatchSize { get; init; } = 2;

    public double LearningRate { get; init; } = ReferenceLearningRate * 2 / ReferenceBatchSize;
    public double Momentum { get; init; } = 0.9;
    public double WeightDecay { get; init; } = 1e-4;

    /// <summary>The largest L2 norm of all gradients together; larger ones are scaled down to it (0: no clipping).</summary>
    public double ClipGradientNorm { get; init; } = 35;

    /// <summary>Steps over which the rate rises linearly from <see cref="WarmupRatio"/> x the rate to the rate.</summary>
    public int WarmupIterations { get; init; } = 500;
    public double WarmupRatio { get; init; } = 1.0 / 3;

    /// <summary>The epochs after which the rate is divided by 10; null: 2/3 and 11/12 of the epochs (8 and 11 of 12).</summary>
    public IReadOnlyList<int>? DecayEpochs { get; init; }

    /// <summary>The bounds images are rescaled to fit (800 x 1333; smaller bounds train much faster on a CPU).</summary>
    public int ShortEdge { get; init; } = InputScale.Default.ShortEdge;
    public int LongEdge { get; init; } = InputScale.Default.LongEdge;

    /// <summary>Proposals sampled per image to train the box and mask heads (<see cref="RoIHeads.SampledRoIsPerImage"/>; fewer train faster).</summary>
    public int RoIsPerImage { get; init; } = 512;

    /// <summary>Backbone stages that train, last first (<see cref="GeneralizedRCNN.SetTrainableBackboneLayers"/>).</summary>
    public int TrainableBackboneLayers { get; init; } = 3;

    /// <summary>Starting weights: a detection checkpoint or run directory, a torchvision ResNet-50 (RGB models) or a resnet50-dct classification checkpoint (-dct models).</summary>
    public string? Init { get; init; }

    /// <summary>Drives the fresh initialization, the batch order, the flips and the samplers' draws.</summary>
    public int Seed { get; init; }

    public int Threads { get; init; } = Environment.ProcessorCount;

    /// <summary>Horizontal flips of half the training images.</summary>
    public bool Flip { get; init; } = true;

    /// <summary>An absent or unreadable image stops the run instead of being left out or skipped with a warning.</summary>
    public bool Strict { get; init; }

    [JsonIgnore]
    public InputScale Scale => new(ShortEdge, LongEdge);

    /// <summary>The decay epochs in effect.</summary>
    [JsonIgnore]
    public IReadOnlyList<int> EffectiveDecayEpochs => DecayEpochs ?? [(int)Math.Round(Epochs * 2 / 3.0), (int)Math.Round(Epochs * 11 / 12.0)];

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <exception cref="ArgumentException">A value no run can use; the message names the option.</exception>
    public void Validate()
    {
        DetectionModels.All.Get(Model);
        if (Epochs is <= 0 or > WorkLimits.MaxEpochs) throw new ArgumentException($"epochs must be from 1 to {WorkLimits.MaxEpochs}, got {Epochs}.");
        if (BatchSize is <= 0 or > WorkLimits.MaxBatchSize) throw new ArgumentException($"batch size must be from 1 to {WorkLimits.MaxBatchSize}, got {BatchSize}.");
        if (!(LearningRate > 0) || double.IsInfinity(LearningRate)) throw new ArgumentException($"learning rate must be positive, got {LearningRate}.");
        if (!(Momentum is >= 0 and < 1)) throw new ArgumentException($"momentum must be in [0, 1), got {Momentum}.");
        if (!(WeightDecay >= 0) || double.IsInfinity(WeightDecay)) throw new ArgumentException($"weight decay must be a finite number >= 0, got {WeightDecay}.");
        if (!(ClipGradientNorm >= 0) || double.IsInfinity(ClipGradientNorm)) throw new ArgumentException($"the gradient clipping norm must be a finite number >= 0, got {ClipGradientNorm}.");
        if (WarmupIterations < 0) throw new ArgumentException($"warm-up iterations must not be negative, got {WarmupIterations}.");
        if (!(WarmupRatio is > 0 and <= 1)) throw new ArgumentException($"the warm-up ratio must be in (0, 1], got {WarmupRatio}.");
        if (DecayEpochs is { } decay && decay.Any(e => e <= 0 || e > Epochs)) throw new ArgumentException($"decay epochs must lie in 1..{Epochs}, got {string.Join(", ", decay)}.");
        _ = Scale; // InputScale checks its own bounds
        if (RoIsPerImage < 4) throw new ArgumentException($"RoIs per image must be at least 4 (a quarter may be positive), got {RoIsPerImage}.");
        if (TrainableBackboneLayers is < 0 or > 5) throw new ArgumentException($"trainable backbone layers must be in 0..5, got {TrainableBackboneLayers}.");
        if (Threads is <= 0 or > WorkLimits.MaxThreads) throw new ArgumentException($"threads must be from 1 to {WorkLimits.MaxThreads}, got {Threads}.");
        ComputeDevice.Parse(Device);
    }

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <exception cref="InvalidDataException">Not the JSON of <see cref="ToJson"/>.</exception>
    public static DetectionTrainingOptions FromJson(string json)
    {
        try
        {
            return JsonSerializer.Deserialize<DetectionTrainingOptions>(json, JsonOptions) ?? throw new InvalidDataException("options.json is null.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"options.json is not valid ({e.Message})", e);
        }
    }
}
