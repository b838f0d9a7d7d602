using DctNet.Demo;
using DctNet.Training;

namespace DctNet.Cli.Demo;

/// <summary>
/// What <see cref="DemoRun"/> makes and how it trains. <see cref="DemoPlan()"/>'s defaults fit the demo into about 5
/// minutes on 2 cores (4.2 to 4.4 measured on host B at seeds 0-2, after the build); tests shrink them.
/// </summary>
internal sealed record DemoPlan
{
    /// <summary>Images per class and their side; the DCT models see the whole side, the RGB model half of it.</summary>
    public SyntheticDatasetSize Dataset { get; init; } = new(TrainPerClass: 120, ValPerClass: 40, ImageSide: 64);

    /// <summary>Epochs of the RGB and DCT-24 models.</summary>
    public int Epochs { get; init; } = 12;

    /// <summary>
    /// Epochs of the gated model: it first learns on all 192 channels, then closes them over the recipe's pruning epochs,
    /// and needs epochs at its final budget after that.
    /// </summary>
    public int GatedEpochs { get; init; } = 24;

    /// <summary>
    /// Whether the models train on random-resized crops and flips. Off: a crop of 8% of the image resized to the whole
    /// rescales the stripes by up to 3.5x, so training would see the classes at frequencies that validation never shows
    /// and that are not the ones that define them. Measured at seed 0 on host B: the gated model's top-1 rose from 68.1%
    /// to 87.5% without it (12 epochs), and DCT-24 reached 100%.
    /// </summary>
    public bool Augment { get; init; }

    public int BatchSize { get; init; } = 32;
    /// <summary>The RGB and DCT-24 models' base rate (cosine after the warm-up). Measured: at 0.05 the RGB model's loss spiked early and it ended near 50%.</summary>
    public double LearningRate { get; init; } = 0.02;
    public int WarmupEpochs { get; init; } = 2;

    /// <summary>
    /// How the gated model's gate learns (<see cref="GateRecipe"/>); the network behind it trains at <see cref="LearningRate"/>.
    /// Eight epochs on all 192 channels first, so that the network has learned every kind of stripe before the penalty
    /// closes channels; then the count allowed falls to 40 over 10 epochs, and the sharpening over the last 6 settles it
    /// far below (18 to 19 channels at seeds 0-2 on host B). At target 30 the same recipe kept 10 to 15 channels and lost
    /// one stripe kind at two of three seeds (91.9 and 95.6%); at 48 it kept up to 36.
    /// </summary>
    public GateRecipe GateRecipe { get; init; } = new() { TargetChannels = 40, PenaltyWarmupEpochs = 8, PruningEpochs = 10, FinalSharpness = 4 };

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
        var ungated = new TrainingOptions
        {
            Model = "", Data = "", Epochs = Epochs, BatchSize = BatchSize, LearningRate = LearningRate, WarmupEpochs = WarmupEpochs, Threads = Threads, Augment = Augment,
        };
        ungated.Validate();
        (ungated with { Epochs = GatedEpochs, Gate = true, GateLambda = GateLambda, GateRecipe = GateRecipe }).Validate();
    }
}
