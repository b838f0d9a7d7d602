using System.Text.Json;
using System.Text.Json.Serialization;
using DctNet.Frequency.Geometry;

namespace DctNet.Training;

/// <summary>How the learning rate moves over the epochs after warm-up.</summary>
public enum LearningRateScheduleKind
{
    /// <summary>Divided by 10 at one third and at two thirds of the epochs (torchvision's 30/60 of 90).</summary>
    Step,

    /// <summary>Half a cosine from the base rate down to 0 at the end of the last epoch.</summary>
    Cosine,
}

/// <summary>Everything that defines a training run; saved as the run directory's options.json so that a resume needs nothing else.</summary>
public sealed record TrainingOptions : IRunOptions
{
    /// <summary>The model registry's name.</summary>
    public required string Model { get; init; }

    /// <summary>The DCT channel subset as <see cref="Frequency.Channels.ChannelSubset.Parse"/> reads it (a count or a JSON file); null for RGB models or the default.</summary>
    public string? Channels { get; init; }

    /// <summary>The dataset root: <c>Data/train</c> and <c>Data/val</c> are ImageFolders.</summary>
    public required string Data { get; init; }

    /// <summary>Side of the (random-resized or centre) crop in pixels; null for the model's own (448 for DCT ResNets, 224 for RGB).</summary>
    public int? Crop { get; init; }

    /// <summary>Validation resize of the shorter side; null: the crop's 8/7 (512 for 448, 256 for 224), the model's own without a crop.</summary>
    public int? Resize { get; init; }

    /// <summary>DCT models: a statistics file (<c>dctnet stats</c>) to normalize with instead of the release's ImageNet statistics.</summary>
    public string? Stats { get; init; }

    /// <summary>DCT models: "exact" or "jpeg" (<see cref="Frequency.DctPipeline"/>); null for exact, as runs before the JPEG pipeline recorded it.</summary>
    public string? Pipeline { get; init; }

    /// <summary>The DCT pipeline, exact when <see cref="Pipeline"/> is null.</summary>
    [JsonIgnore]
    public Frequency.DctPipeline DctPipeline => Pipeline is null ? Frequency.DctPipeline.Exact : Frequency.DctFileTransform.Parse(Pipeline);

    /// <summary>Where the model trains (<see cref="ComputeDevice"/>).</summary>
    public string Device { get; init; } = ComputeDevice.Default;

    public int Epochs { get; init; } = 12;
    public int BatchSize { get; init; } = 32;
    /// <summary>The base rate: torchvision's 0.1 for batches of 256 (the CLI scales it to its batch size when no rate is given).</summary>
    public double LearningRate { get; init; } = 0.1;
    public double Momentum { get; init; } = 0.9;
    public bool Nesterov { get; init; }

    /// <summary>L2 penalty on the weights of convolutions and linear layers; never on BatchNorm weights nor on any bias (every 1-D parameter).</summary>
    public double WeightDecay { get; init; } = 1e-4;

    public double LabelSmoothing { get; init; }
    public LearningRateScheduleKind Schedule { get; init; } = LearningRateScheduleKind.Cosine;

    /// <summary>Epochs over which the learning rate rises linearly from near 0 to <see cref="LearningRate"/>, batch by batch.</summary>
    public int WarmupEpochs { get; init; }

    /// <summary>Starting weights: a torchvision RGB ResNet file for a DCT ResNet, or a DctNet checkpoint (or run directory) of the same model.</summary>
    public string? Init { get; init; }

    /// <summary>Drives the initialization, the sample order of each epoch, the augmentation of each sample and the gate's noise.</summary>
    public int Seed { get; init; }

    public int Threads { get; init; } = Environment.ProcessorCount;

    /// <summary>
    /// Random-resized crop and flip of the training images (on by default); without it they go through the validation
    /// transform, as when checking that a model can memorize a small set.
    /// </summary>
    public bool Augment { get; init; } = true;

    /// <summary>An unreadable image stops the run instead of being skipped with a warning.</summary>
    public bool Strict { get; init; }

    /// <summary>The input gate in front of a 192-channel DCT model (dynamic channel selection).</summary>
    public bool Gate { get; init; }

    /// <summary>
    /// Weight of the channels on in the loss of a gated model: of every channel on per sample (the release's recipe), or
    /// of the expected channels on above <see cref="GateRecipe"/>'s target.
    /// </summary>
    public double GateLambda { get; init; }

    /// <summary>How the gate learns; null for the release's recipe (lambda x channels on, the network's rate, temperature 1),
    /// which is also what runs recorded before there was a choice.</summary>
    public GateRecipe? GateRecipe { get; init; }

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
    };

    /// <summary>
    /// Whether the model after <paramref name="completedEpochs"/> epochs may be the run's best: always, except for a gated
    /// model whose recipe has not yet pruned it to its final channel budget (<see cref="GateRecipe.PruningDone"/>).
    /// </summary>
    public bool MayBeBest(int completedEpochs) => GateRecipe?.PruningDone(completedEpochs) ?? true;

    /// <exception cref="ArgumentException">A value no run can use; the message names the option.</exception>
    public void Validate()
    {
        if (Epochs is <= 0 or > WorkLimits.MaxEpochs) throw new ArgumentException($"epochs must be from 1 to {WorkLimits.MaxEpochs}, got {Epochs}.");
        if (BatchSize is <= 0 or > WorkLimits.MaxBatchSize) throw new ArgumentException($"batch size must be from 1 to {WorkLimits.MaxBatchSize}, got {BatchSize}.");
        if (!(LearningRate > 0) || double.IsInfinity(LearningRate)) throw new ArgumentException($"learning rate must be positive, got {LearningRate}.");
        if (!(Momentum is >= 0 and < 1)) throw new ArgumentException($"momentum must be in [0, 1), got {Momentum}.");
        if (Nesterov && Momentum == 0) throw new ArgumentException("Nesterov momentum needs a momentum above 0.");
        if (!(WeightDecay >= 0) || double.IsInfinity(WeightDecay)) throw new ArgumentException($"weight decay must be a finite number >= 0, got {WeightDecay}.");
        if (!(LabelSmoothing is >= 0 and < 1)) throw new ArgumentException($"label smoothing must be in [0, 1), got {LabelSmoothing}.");
        if (WarmupEpochs < 0 || WarmupEpochs > Epochs) throw new ArgumentException($"warm-up epochs must be in [0, {Epochs}], got {WarmupEpochs}.");
        if (Threads is <= 0 or > WorkLimits.MaxThreads) throw new ArgumentException($"threads must be from 1 to {WorkLimits.MaxThreads}, got {Threads}.");
        if (!(GateLambda >= 0) || double.IsInfinity(GateLambda)) throw new ArgumentException($"the gate's lambda must be a finite number >= 0, got {GateLambda}.");
        if (GateLambda > 0 && !Gate) throw new ArgumentException("a gate lambda needs the input gate.");
        if (GateRecipe is not null && !Gate) throw new ArgumentException("a gate recipe needs the input gate.");
        GateRecipe?.Validate(Epochs);
        if (Crop is { } crop && (crop is <= 0 or > CropGeometry.MaxCrop || crop % 8 != 0)) throw new ArgumentException($"crop must be a positive multiple of 8 up to {CropGeometry.MaxCrop}, got {crop}.");
        if (Resize is { } resize && resize is <= 0 or > CropGeometry.MaxResize) throw new ArgumentException($"resize must be from 1 to {CropGeometry.MaxResize}, got {resize}.");
        if (Pipeline is not (null or "exact" or "jpeg")) throw new ArgumentException($"pipeline must be exact or jpeg, got '{Pipeline}'.");
        ComputeDevice.Parse(Device);
    }

    /// <summary>The input geometry the options ask for; null for the model's own.</summary>
    public CropGeometry? Geometry(CropGeometry modelDefault)
    {
        if (Crop is null && Resize is null)
            return null;
        int crop = Crop ?? modelDefault.Crop;
        return new CropGeometry(Resize ?? (Crop is null ? modelDefault.Resize : (int)Math.Round(crop * 8 / 7.0)), crop);
    }

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <exception cref="InvalidDataException">Not the JSON of <see cref="ToJson"/>.</exception>
    public static TrainingOptions FromJson(string json)
    {
        try
        {
            return JsonSerializer.Deserialize<TrainingOptions>(json, JsonOptions) ?? throw new InvalidDataException("options.json is null.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"options.json is not valid ({e.Message})", e);
        }
    }
}
