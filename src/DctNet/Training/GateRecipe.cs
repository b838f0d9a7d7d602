using DctNet.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace DctNet.Training;

/// <summary>
/// How the input gate learns to select channels when the release's recipe (a penalty of lambda per channel on, at the
/// network's learning rate, temperature 1) does not move it: on small data the gate's logits then drift by
/// lambda x p(1 - p) per step, and the selection stays nearly flat. Each part answers one cause, by design; the defaults
/// are one point measured on the demo's data (see <c>DemoPlan</c>), not a tuned optimum, and not yet good enough there
/// (see the README):
/// <list type="bullet">
/// <item><see cref="TargetChannels"/>: the penalty prices only the channels above a target, so that lambda sets how
/// firmly the count is held rather than where it ends up, and a sweep of the target gives the channels-on curve.</item>
/// <item>The penalty counts the channels on in expectation, the sum over channels of P(on) = sigmoid(on - off logit)
/// (Gumbel-max makes that exact). This is the expected-L0 penalty of Louizos et al. (2018): the same mean as the
/// sampled count, without its noise.</item>
/// <item><see cref="LearningRate"/>: the gate's own base rate, on the network's schedule, so that the gate moves as
/// far in a few epochs as the network does.</item>
/// <item><see cref="InitialTemperature"/> to <see cref="FinalTemperature"/>: the soft sample's temperature, annealed
/// geometrically over the run (Jang et al. 2017). The forward value stays the hard sample; a high temperature early
/// lets the cross-entropy's gradient reach gates far from their decision, a low one late makes the straight-through
/// gradient that of the decision itself.</item>
/// <item><see cref="PenaltyWarmupEpochs"/> and <see cref="PruningEpochs"/>: the gate starts with every channel on, as
/// the release's does, and no penalty at first, so that the network learns what each channel is worth; then the target
/// falls from 192 to <see cref="TargetChannels"/> along the cubic schedule of gradual pruning (Zhu and Gupta 2017),
/// fast while many channels are left and slowly near the end, so that the channels closed first are those the
/// cross-entropy defends least.</item>
/// <item><see cref="FinalSharpness"/>: after the pruning the gate's logits are scaled up, epoch by epoch, to this factor
/// by the end of the run, which is the Gumbel noise scaled down by the same factor: a channel kept for 30% of the images
/// at the end of the pruning is then kept for nearly all of them or nearly none. Without it the gates stay undecided,
/// since the gradients of both the penalty and the cross-entropy fade as p(1 - p) while the penalty stops at the target,
/// and the network behind them learns, as under dropout, not to rely on any one channel.</item>
/// </list>
/// </summary>
public sealed record GateRecipe
{
    /// <summary>The loss per expected channel on above the target that the command line defaults to.</summary>
    public const double DefaultLambda = 0.1;

    /// <summary>Channels on per image, in expectation, above which each channel costs lambda at the end of the pruning.</summary>
    public int TargetChannels { get; init; } = 24;

    /// <summary>The gate's base learning rate (on the run's schedule and warm-up); the network keeps the run's.</summary>
    public double LearningRate { get; init; } = 1;

    public double InitialTemperature { get; init; } = 4;
    public double FinalTemperature { get; init; } = 0.5;

    /// <summary>Epochs at the start of the run without the penalty.</summary>
    public int PenaltyWarmupEpochs { get; init; } = 4;

    /// <summary>Epochs after the warm-up over which the target falls from 192 channels to <see cref="TargetChannels"/>.</summary>
    public int PruningEpochs { get; init; } = 6;

    /// <summary>The factor the gate's logits are scaled by over the epochs after the pruning; 1 leaves them as learned.</summary>
    public double FinalSharpness { get; init; } = 1;

    /// <exception cref="ArgumentException">A value no run can use; the message names it.</exception>
    public void Validate(int epochs)
    {
        if (TargetChannels is < 1 or > InputGate.Channels)
            throw new ArgumentException($"the gate's target must be from 1 to {InputGate.Channels} channels, got {TargetChannels}.");
        if (!(LearningRate > 0) || double.IsInfinity(LearningRate))
            throw new ArgumentException($"the gate's learning rate must be positive, got {LearningRate}.");
        foreach (double temperature in new[] { InitialTemperature, FinalTemperature })
        {
            if (!(temperature > 0) || double.IsInfinity(temperature))
                throw new ArgumentException($"the gate's temperature must be positive, got {temperature}.");
        }
        if (!(FinalSharpness >= 1) || double.IsInfinity(FinalSharpness))
            throw new ArgumentException($"the gate's final sharpness must be 1 (none) or more, got {FinalSharpness}.");
        if (PenaltyWarmupEpochs < 0 || PenaltyWarmupEpochs >= epochs)
            throw new ArgumentException($"the gate's penalty warm-up must be from 0 to {epochs - 1} epochs (the penalty must start), got {PenaltyWarmupEpochs}.");
        if (PruningEpochs < 0 || PenaltyWarmupEpochs + PruningEpochs > epochs)
            throw new ArgumentException($"the gate's pruning must end by the last epoch: warm-up {PenaltyWarmupEpochs} + pruning {PruningEpochs} epochs is more than {epochs}.");
    }

    /// <summary>The channels on that the penalty allows <paramref name="position"/> epochs into the run.</summary>
    public double Target(double position)
    {
        if (PruningEpochs == 0)
            return TargetChannels;
        double remaining = 1 - Math.Clamp((position - PenaltyWarmupEpochs) / PruningEpochs, 0, 1);
        return TargetChannels + (InputGate.Channels - TargetChannels) * remaining * remaining * remaining;
    }

    /// <summary>The temperature at <paramref name="position"/> epochs into a run of <paramref name="epochs"/>.</summary>
    public double Temperature(double position, int epochs)
        => InitialTemperature * Math.Pow(FinalTemperature / InitialTemperature, Math.Clamp(position / epochs, 0, 1));

    /// <summary>
    /// Whether the model after <paramref name="completedEpochs"/> epochs has its final channel budget, so that its accuracy
    /// may make it the run's best: one from before the pruning ended would be a model with more channels on.
    /// </summary>
    public bool PruningDone(int completedEpochs) => completedEpochs >= PenaltyWarmupEpochs + PruningEpochs;

    /// <summary>
    /// The factor to scale the gate's logits by at the start of zero-based <paramref name="epoch"/> of <paramref name="epochs"/>:
    /// an equal step in every epoch after the pruning, so that they reach <see cref="FinalSharpness"/> by the end; 1 before.
    /// </summary>
    public double SharpeningAt(int epoch, int epochs)
    {
        int pruned = PenaltyWarmupEpochs + PruningEpochs;
        return epoch >= pruned && epoch < epochs ? Math.Pow(FinalSharpness, 1.0 / (epochs - pruned)) : 1;
    }

    /// <summary>Whether the penalty applies in zero-based <paramref name="epoch"/>.</summary>
    public bool Penalizes(int epoch) => epoch >= PenaltyWarmupEpochs;

    /// <summary>lambda x the expected channels on per sample, averaged over the batch, above <see cref="Target"/> at <paramref name="position"/>.</summary>
    /// <param name="logits">The gate's (off, on) logits, N x 192 x 2.</param>
    public Tensor Penalty(Tensor logits, double lambda, double position)
    {
        using var scope = NewDisposeScope();
        // Held until libtorch returns (HeldScalars).
        using var target = Target(position).ToScalar();
        using var weight = lambda.ToScalar();
        var expectedOn = InputGate.KeepProbabilities(logits).sum(1).mean();
        return expectedOn.sub(target).relu().mul(weight).MoveToOuterDisposeScope();
    }
}
