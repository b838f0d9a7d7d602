using DctNet.Export;
using static TorchSharp.torch;

namespace DctNet.Models;

/// <summary>
/// A classifier of C x S x S DCT tensors, optionally behind the release's input gate, which it owns as
/// <c>inp_GM</c> (state_dict keys <c>inp_GM.*</c>), as the release's models do.
/// </summary>
public abstract class DctModel : nn.Module<Tensor, Tensor>, IOnnxExportable
{
    private readonly InputGate? inp_GM;

    /// <param name="gate">Put the input gate in front; it exists for all 192 channels only.</param>
    protected DctModel(string name, int channels, bool gate) : base(name)
    {
        if (gate && channels != InputGate.Channels)
            throw new ArgumentException($"The input gate selects among all {InputGate.Channels} channels; {name} was asked for {channels}.", nameof(gate));
        Channels = channels;
        inp_GM = gate ? new InputGate() : null;
    }

    /// <summary>Frequency channels of the input.</summary>
    public int Channels { get; }

    /// <summary>The input gate, or null for a static channel subset.</summary>
    public InputGate? Gate => inp_GM;

    /// <summary>The network behind the gate: N x C x S x S -> N x classes logits.</summary>
    protected abstract Tensor Classify(Tensor x);

    /// <summary><see cref="Classify"/>'s nodes.</summary>
    protected abstract string ExportClassifier(OnnxGraph graph, string x);

    string IOnnxExportable.ExportOnnx(OnnxGraph graph, string input)
        => ExportClassifier(graph, inp_GM is null ? input : graph.Module(inp_GM, input));

    /// <summary>The logits (N x classes); with a gate, its per-sample gates are dropped (see <see cref="ForwardWithGates"/>).</summary>
    public override Tensor forward(Tensor x)
    {
        if (inp_GM is null)
            return Classify(x);
        using var scope = NewDisposeScope();
        var (gated, _) = inp_GM.call(x);
        return Classify(gated).MoveToOuterDisposeScope();
    }

    /// <summary>The release's gated forward: the logits (N x classes), the gates (N x 192, 0 or 1) and the gate's own logits.</summary>
    /// <param name="gumbelNoise">Fixed Gumbel noise (N x 192 x 2); null draws it from the gate's <see cref="InputGate.NoiseGenerator"/>.</param>
    public GatedLogits ForwardWithGates(Tensor x, Tensor? gumbelNoise = null)
    {
        if (inp_GM is null)
            throw new InvalidOperationException($"This {GetType().Name} has no input gate; build it with 192 channels and the gate on.");
        using var scope = NewDisposeScope();
        var gate = gumbelNoise is null ? inp_GM.call(x) : inp_GM.forward(x, gumbelNoise);
        return new GatedLogits(Classify(gate.Gated).MoveToOuterDisposeScope(), gate.Gates.MoveToOuterDisposeScope(), gate.Logits.MoveToOuterDisposeScope());
    }
}

/// <summary>A gated model's output.</summary>
/// <param name="Logits">The classifier's, N x classes.</param>
/// <param name="Gates">N x 192, each 0 or 1 in value.</param>
/// <param name="GateLogits">The gate's (off, on) logits, N x 192 x 2.</param>
public sealed record GatedLogits(Tensor Logits, Tensor Gates, Tensor GateLogits)
{
    public void Deconstruct(out Tensor logits, out Tensor gates) => (logits, gates) = (Logits, Gates);
}
