using DctNet.Demo;
using DctNet.Training;

namespace DctNet.Cli.Demo;

/// <summary>
/// What <see cref="DemoRun"/> makes and how it trains. <see cref="DemoPlan()"/>'s defaults are the measured fit
/// to the budget (the whole demo, build included, within 5 minutes on 2 cores); tests shrink them.
/// </summary>
internal sealed record DemoPlan
{
    /// <summary>Images per class and their side; the DCT models see the whole side, the RGB model half of it.</summary>
    public SyntheticDatasetSize Dataset { get; init; } = new(TrainPerClass: 120, ValPerClass: 40, ImageSide: 64);

    public int Epochs { get; init; } = 12;
    public int BatchSize { get; init; } = 32;
    /// <summary>The RGB and DCT-24 models' base rate (cosine after the warm-up). Measured: at 0.05 the RGB model's loss spiked early and it ended near 50%.</summary>
    public double LearningRate { get; init; } = 0.02;
    public int WarmupEpochs { get; init; } = 2;

    /// <summary>
    /// How the gated model's gate learns (<see cref="GateRecipe"/>); the network behind it trains at <see cref="LearningRate"/>.
    /// Measured at seed 0 on host B: the release's recipe (lambda 0.1 per channel on, at a rate of 0.05) kept 117 of 192
    /// channels on and reached 65.6% top-1; these defaults keep 23.5 at 68.1%, against 99.4% for DCT-24. Gate rates of
    /// 1 to 10 and opening the gate at the target instead of pruning towards it ended between 60% and 74% at 22 to 24
    /// channels: the gate keeps chroma channels and closes the luma stripes' (see the README).
    /// </summary>
    public GateRecipe GateRecipe { get; init; } = new();

    /// <summary>The gated model's price per expected channel on away from the recipe's target.</summary>
    public double GateLambda { get; init; } = GateRecipe.DefaultLambda;

    /// <summary>Size of the static subset exported from the gate's selection (the paper's 24).</summary>
    public int SubsetChannels { get; init; } = 24;

    /// <summary>Images per forward pass when timing inference (bench model's default).</summary>
    public int InferenceBatchSize { get; init; } = 16;

    /// <summary>Drives the dataset, the initializations, the sample orders, the augmentation and the gates' noise.</summary>
    public int Seed { get; init; }

    /// <summary>Image workers and libtorch's threads.</summary>
    public int Threads { get; init; } = Environment.ProcessorCount;

    /// <summary>Side of the DCT models' crop: the whole image, as 8x8 blocks.</summary>
    public int DctCrop => Dataset.ImageSide;

    /// <summary>
    /// Side of the RGB model's crop: half the image, so that after ResNet's stem (stride 4) its feature maps equal the
    /// DCT models' blocks (stride 8) from layer1 on - the paper's "same cost, larger input" comparison.
    /// </summary>
    public int RgbCrop => Dataset.ImageSide / 2;

    /// <exception cref="ArgumentException">A value no demo can use.</exception>
    public void Validate()
    {
        if (Dataset.ImageSide < 32 || Dataset.ImageSide % 16 != 0)
            throw new ArgumentException($"the image side must be a multiple of 16 and at least 32 (the RGB crop is half of it, a multiple of 8), got {Dataset.ImageSide}.");
        if (Dataset.TrainPerClass <= 0 || Dataset.ValPerClass <= 0)
            throw new ArgumentException("the dataset needs training and validation images in every class.");
        if (SubsetChannels is <= 0 or > Frequency.Channels.ChannelSubset.TotalChannels)
            throw new ArgumentException($"the exported subset must have 1 to {Frequency.Channels.ChannelSubset.TotalChannels} channels, got {SubsetChannels}.");
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(InferenceBatchSize);
        // The rest are training options: checked as the trainer will check them, before anything is written.
        new TrainingOptions
        {
            Model = "", Data = "", Epochs = Epochs, BatchSize = BatchSize, LearningRate = LearningRate, WarmupEpochs = WarmupEpochs, Threads = Threads,
            Gate = true, GateLambda = GateLambda, GateRecipe = GateRecipe,
        }.Validate();
    }
}
