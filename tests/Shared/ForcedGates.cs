using TorchSharp;
using static TorchSharp.torch;

namespace DctNet.TestSupport;

/// <summary>
/// Makes a gated model's decisions known in advance: the gate's last layer gets zero weights, so its logits are its
/// biases whatever the input, and a bias pair of +-50 outweighs any Gumbel noise. Shared by the test projects (linked
/// into each), which check what the gate selection and the sensitivity analysis report against these decisions.
/// </summary>
internal static class ForcedGates
{
    /// <param name="open">Channels (of the 192) on in every image.</param>
    /// <param name="closed">Channels off in every image; null closes every channel not in <paramref name="open"/>. The
    /// channels in neither get even logits and are left to the noise.</param>
    public static void Force(nn.Module model, IEnumerable<int> open, IEnumerable<int>? closed = null)
    {
        using var noGrad = no_grad();
        var parameters = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        parameters["inp_GM.inp_gate_l.weight"].zero_();
        // (off, on) logit pairs.
        var bias = parameters["inp_GM.inp_gate_l.bias"].view(192, 2);
        var opened = open.ToHashSet();
        bias.zero_();
        foreach (int channel in closed ?? Enumerable.Range(0, 192).Where(c => !opened.Contains(c)))
            bias[channel].copy_(tensor(new float[] { 50, -50 }));
        foreach (int channel in opened)
            bias[channel].copy_(tensor(new float[] { -50, 50 }));
    }
}
