using DctNet.Frequency.Channels;
using DctNet.Export;
using DctNet.Onnx;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DctNet.Models;

/// <summary>
/// The paper's learned dynamic channel selection, the release's <c>GateModule192</c> (REFERENCE.md section 2): from the
/// global average of each of the 192 frequency channels it predicts an on/off pair of logits per channel, draws a hard
/// Gumbel-softmax sample and multiplies each channel by its "on" component (0 or 1). Field names are the release's
/// (<c>inp_gate</c>, <c>inp_gate_l</c>), hence its state_dict keys.
/// </summary>
/// <remarks>
/// The release samples in evaluation too, so the gates are random unless the noise is fixed
/// (<see cref="NoiseGenerator"/> or <see cref="forward(Tensor, Tensor?)"/>). In training mode the BatchNorm sees one
/// value per channel and sample, so batches need at least two samples.
/// </remarks>
public sealed class InputGate : nn.Module<Tensor, GatedInput>, IOnnxExportable
{
    public const int Channels = ChannelSubset.TotalChannels;

    /// <summary>Conv1x1 192 -> 192 with bias, BN, ReLU.</summary>
    private readonly Sequential inp_gate;

    /// <summary>Grouped conv 192 -> 384, groups 192: an (off, on) logit pair per channel.</summary>
    private readonly Conv2d inp_gate_l;

    public InputGate() : base(nameof(InputGate))
    {
        inp_gate = nn.Sequential(nn.Conv2d(Channels, Channels, kernel_size: 1, bias: true), nn.BatchNorm2d(Channels), nn.ReLU());
        inp_gate_l = nn.Conv2d(Channels, 2 * Channels, kernel_size: 1, groups: Channels, bias: true);
        RegisterComponents();
        InitializeLikeRelease();
    }

    /// <summary>Source of the Gumbel noise of <see cref="nn.Module{T, TResult}.forward"/>; null uses the global generator.</summary>
    public Generator? NoiseGenerator { get; set; }

    /// <summary>
    /// The soft sample's temperature, which shapes the straight-through gradient only (<see cref="GumbelSoftmax.HardSample"/>):
    /// the release's 1 unless a training recipe anneals it (<c>GateRecipe</c>).
    /// </summary>
    public double Temperature { get; set; } = 1;

    /// <summary>
    /// Scales every (off, on) logit by <paramref name="factor"/>, in the parameters of the last layer, which is linear:
    /// the same decisions sampled with the Gumbel noise divided by <paramref name="factor"/>. A checkpoint keeps it, and
    /// the gate stays the release's module.
    /// </summary>
    public void Sharpen(double factor)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(factor, 0);
        using var noGrad = no_grad();
        using var scale = factor.ToScalar();
        inp_gate_l.weight!.mul_(scale);
        inp_gate_l.bias!.mul_(scale);
    }

    /// <summary>The (off, on) logits of each channel: N x 192 x 2.</summary>
    public Tensor Logits(Tensor x)
    {
        using var scope = NewDisposeScope();
        var pooled = nn.functional.adaptive_avg_pool2d(x, 1);
        var logits = inp_gate_l.call(inp_gate.call(pooled));
        return logits.reshape(logits.shape[0], Channels, 2).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Each gate's probability of keeping its channel, N x 192, from its (off, on) logits (N x 192 x 2): σ(on − off),
    /// exactly, since the difference of the two Gumbel draws is logistic.
    /// </summary>
    public static Tensor KeepProbabilities(Tensor logits) => (logits.select(2, 1) - logits.select(2, 0)).sigmoid();

    /// <summary>Gates <paramref name="x"/> (N x 192 x H x W) with noise from <see cref="NoiseGenerator"/>.</summary>
    public override GatedInput forward(Tensor x) => forward(x, null);

    /// <param name="gumbelNoise">Gumbel noise for the logits (N x 192 x 2, see <see cref="GumbelSoftmax.SampleNoise"/>);
    /// null draws it from <see cref="NoiseGenerator"/>.</param>
    public GatedInput forward(Tensor x, Tensor? gumbelNoise)
    {
        if (x.dim() != 4 || x.shape[1] != Channels)
            throw new ArgumentException($"The input gate takes N x {Channels} x H x W, got [{string.Join(", ", x.shape)}].", nameof(x));
        using var scope = NewDisposeScope();
        var logits = Logits(x);
        var noise = gumbelNoise ?? GumbelSoftmax.SampleNoise(logits.shape, NoiseGenerator, logits.dtype, logits.device);
        var gates = GumbelSoftmax.HardSample(logits, noise, dim: 2, Temperature).select(2, 1);
        var gated = x * gates.unsqueeze(-1).unsqueeze(-1);
        return new GatedInput(gated.MoveToOuterDisposeScope(), gates.MoveToOuterDisposeScope(), logits.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// The gate's nodes. The Gumbel noise is a graph input that defaults to zeros, so the exported gate keeps each
    /// channel whose "on" logit is the larger (a tie keeps it off), the same on every run; fed noise drawn as
    /// <see cref="GumbelSoftmax.SampleNoise"/> draws it, it samples as the release does. The graph compares the noisy
    /// logits where the release compares their softmax, and its gates are exactly 0 and 1; only a pair within a rounding
    /// error of a tie could decide otherwise.
    /// </summary>
    string IOnnxExportable.ExportOnnx(OnnxGraph graph, string input)
    {
        var logits = graph.Module(inp_gate_l, graph.Module(inp_gate, graph.GlobalAveragePool(input)));
        using var noNoise = zeros(1, Channels, 2);
        var noise = graph.InputWithDefault(OnnxNames.GumbelNoise, noNoise, "noise_batch", Channels, 2);
        var gates = graph.CastToFloat(graph.ArgMax(graph.Add(graph.Reshape(logits, 0, Channels, 2), noise), axis: 2));
        return graph.Mul(input, graph.Reshape(gates, 0, Channels, 1, 1));
    }

    /// <summary>
    /// The release's initialization: Kaiming-normal conv and unit BN in <c>inp_gate</c>; <c>inp_gate_l</c> weights
    /// N(0, 0.001) and biases 0.1 for "off" (even index), 2 for "on" (odd index), so that every channel starts on.
    /// </summary>
    private void InitializeLikeRelease()
    {
        Layers.InitializeConvsAndNorms(inp_gate);
        using var noGrad = no_grad();
        nn.init.normal_(inp_gate_l.weight, 0, 0.001);
        var bias = inp_gate_l.bias!.view(Channels, 2);
        bias.select(1, 0).fill_(0.1);
        bias.select(1, 1).fill_(2.0);
    }
}

/// <summary>What the input gate makes of a batch.</summary>
/// <param name="Gated">The input with the channels the gate closed set to 0, N x 192 x H x W.</param>
/// <param name="Gates">N x 192, each 0 or 1 in value (with the soft sample's gradient).</param>
/// <param name="Logits">The (off, on) logits the gates were sampled from, N x 192 x 2.</param>
public sealed record GatedInput(Tensor Gated, Tensor Gates, Tensor Logits)
{
    public void Deconstruct(out Tensor gated, out Tensor gates) => (gated, gates) = (Gated, Gates);
}
