using DctNet.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DctNet.Tests.Models;

/// <summary>The input gate (GateModule192): release initialization, hard Gumbel-softmax decisions, straight-through gradient, wiring into the models.</summary>
public sealed class InputGateTests
{
    private const int Batch = 2;
    private const int Classes = 10;

    [Fact]
    public void Gate_starts_as_the_release_initializes_it()
    {
        using var gate = new InputGate();
        var state = gate.state_dict();

        float[] bias = state["inp_gate_l.bias"].data<float>().ToArray();
        Assert.Equal(Enumerable.Range(0, 384).Select(i => i % 2 == 0 ? 0.1f : 2f), bias);
        double std = state["inp_gate_l.weight"].std().item<float>();
        Assert.InRange(std, 0.0008, 0.0012); // N(0, 0.001) over 384 weights: 0.001 +- 4%
        Assert.All(state["inp_gate.0.bias"].data<float>().ToArray(), b => Assert.Equal(0f, b));
        Assert.All(state["inp_gate.1.weight"].data<float>().ToArray(), w => Assert.Equal(1f, w));
        Assert.All(state["inp_gate.1.bias"].data<float>().ToArray(), b => Assert.Equal(0f, b));
    }

    [Fact]
    public void Fresh_gate_without_noise_keeps_every_channel()
    {
        using var scope = NewDisposeScope();
        torch.manual_seed(1);
        using var gate = new InputGate();
        gate.eval();
        var x = randn(Batch, 192, 7, 7);

        var (gated, gates) = gate.forward(x, zeros(Batch, 192, 2));

        Assert.Equal([(long)Batch, 192], gates.shape);
        Assert.All(gates.data<float>().ToArray(), g => Assert.Equal(1f, g));
        Assert.Equal(x.data<float>().ToArray(), gated.data<float>().ToArray());
    }

    [Fact]
    public void Gates_are_the_argmax_of_logits_plus_noise_and_scale_their_channels()
    {
        using var scope = NewDisposeScope();
        torch.manual_seed(2);
        using var gate = new InputGate();
        gate.eval();
        // Logits of either sign, so that the noise decides some channels each way.
        var layer = (Conv2d)gate.named_modules().Single(m => m.name == "inp_gate_l").module;
        using (no_grad())
            layer.bias!.zero_();
        var x = randn(Batch, 192, 7, 7);
        var noise = GumbelSoftmax.SampleNoise([Batch, 192, 2], new Generator(3));

        var (gated, gates) = gate.forward(x, noise);

        var perturbed = gate.Logits(x) + noise;
        var expected = perturbed.select(2, 1).gt(perturbed.select(2, 0)).to_type(ScalarType.Float32);
        float[] decisions = gates.data<float>().ToArray();
        Assert.Equal(expected.data<float>().ToArray(), decisions.Select(g => MathF.Round(g)));
        Assert.All(decisions, g => Assert.True(Math.Abs(g - MathF.Round(g)) <= 1e-6f, $"gate {g} is not 0 or 1"));
        Assert.InRange(decisions.Count(g => g > 0.5f), 1, decisions.Length - 1);
        Assert.Equal((x * gates.unsqueeze(-1).unsqueeze(-1)).data<float>().ToArray(), gated.data<float>().ToArray());
    }

    [Fact]
    public void Hard_sample_is_one_hot_forward_and_soft_backward()
    {
        using var scope = NewDisposeScope();
        torch.manual_seed(4);
        var logits = randn(8, 192, 2).requires_grad_();
        var noise = GumbelSoftmax.SampleNoise([8, 192, 2], new Generator(5));
        var weights = randn(8, 192, 2);

        var hard = GumbelSoftmax.HardSample(logits, noise, dim: 2);
        (hard * weights).sum().backward();
        var straightThrough = logits.grad!.clone();
        logits.grad!.zero_();
        var soft = nn.functional.softmax(logits + noise, 2);
        (soft * weights).sum().backward();

        var oneHot = nn.functional.one_hot((logits + noise).argmax(2), 2).to_type(ScalarType.Float32);
        Assert.True((hard - oneHot).abs().max().item<float>() <= 1e-6f, "forward value is not the one-hot argmax");
        Assert.Equal(logits.grad!.data<float>().ToArray(), straightThrough.data<float>().ToArray());
        Assert.True(straightThrough.abs().max().item<float>() > 1e-3f, "no gradient flows through the hard sample");
    }

    [Fact]
    public void Noise_is_standard_Gumbel_and_reproducible_with_a_generator()
    {
        using var scope = NewDisposeScope();
        var noise = GumbelSoftmax.SampleNoise([200_000], new Generator(6));

        // Gumbel(0, 1): mean = Euler-Mascheroni 0.5772, std = pi / sqrt(6) = 1.2825; standard errors ~0.003.
        Assert.InRange(noise.mean().item<float>(), 0.5772 - 0.015, 0.5772 + 0.015);
        Assert.InRange(noise.std().item<float>(), 1.2825 - 0.015, 1.2825 + 0.015);
        Assert.Equal(noise.data<float>().ToArray(), GumbelSoftmax.SampleNoise([200_000], new Generator(6)).data<float>().ToArray());
        Assert.NotEqual(noise.data<float>().ToArray(), GumbelSoftmax.SampleNoise([200_000], new Generator(7)).data<float>().ToArray());
    }

    [Fact]
    public void Gated_model_with_every_gate_on_equals_the_ungated_model()
    {
        using var scope = NewDisposeScope();
        torch.manual_seed(8);
        using var gated = new ResNetDct(ResNetArchitecture.ResNet50, 192, Classes, gate: true, baseWidth: 8);
        using var plain = new ResNetDct(ResNetArchitecture.ResNet50, 192, Classes, baseWidth: 8);
        plain.load_state_dict(gated.state_dict().Where(p => !p.Key.StartsWith("inp_GM.", StringComparison.Ordinal)).ToDictionary());
        gated.eval();
        plain.eval();
        var x = randn(Batch, 192, 14, 14);
        var allOn = stack([full(Batch, 192, -100f), full(Batch, 192, 100f)], dim: 2);
        var allOff = stack([full(Batch, 192, 100f), full(Batch, 192, -100f)], dim: 2);

        var (logitsOn, gatesOn) = gated.ForwardWithGates(x, allOn);
        var (logitsOff, gatesOff) = gated.ForwardWithGates(x, allOff);

        Assert.Equal([(long)Batch, Classes], logitsOn.shape);
        Assert.All(gatesOn.data<float>().ToArray(), g => Assert.Equal(1f, g));
        Assert.All(gatesOff.data<float>().ToArray(), g => Assert.Equal(0f, g));
        Assert.Equal(plain.call(x).data<float>().ToArray(), logitsOn.data<float>().ToArray());
        Assert.Equal(plain.call(zeros_like(x)).data<float>().ToArray(), logitsOff.data<float>().ToArray());
    }

    [Fact]
    public void Forward_draws_the_noise_from_the_gates_generator()
    {
        using var scope = NewDisposeScope();
        torch.manual_seed(9);
        using var model = new MobileNetV2Dct(192, Classes, gate: true, widthMultiplier: 0.25);
        model.eval();
        var x = randn(Batch, 192, 28, 28);

        model.Gate!.NoiseGenerator = new Generator(10);
        var logits = model.call(x);
        var (expected, gates) = model.ForwardWithGates(x, GumbelSoftmax.SampleNoise([Batch, 192, 2], new Generator(10)));

        Assert.Equal([(long)Batch, 192], gates.shape);
        Assert.Equal(expected.data<float>().ToArray(), logits.data<float>().ToArray());
    }

    [Fact]
    public void Training_signal_reaches_the_gate_through_the_hard_decisions()
    {
        using var scope = NewDisposeScope();
        torch.manual_seed(11);
        using var model = new ResNetDct(ResNetArchitecture.ResNet18, 192, Classes, gate: true, baseWidth: 8);
        model.train();
        model.Gate!.NoiseGenerator = new Generator(12);

        var (logits, gates) = model.ForwardWithGates(randn(4, 192, 14, 14));
        // The paper's loss: cross-entropy plus lambda x the channels kept.
        var loss = nn.functional.cross_entropy(logits, tensor(new long[] { 0, 1, 2, 3 })) + 0.01 * gates.sum(1).mean();
        loss.backward();

        var gateLogits = model.named_parameters().Single(p => p.name == "inp_GM.inp_gate_l.weight").parameter;
        Assert.True(gateLogits.grad!.abs().max().item<float>() > 0f, "the gate's logits get no gradient");
    }

    [Fact]
    public void Gate_refuses_other_channel_counts_and_noise_shapes()
    {
        using var scope = NewDisposeScope();
        using var gate = new InputGate();

        var resnet = Assert.Throws<ArgumentException>(() => new ResNetDct(ResNetArchitecture.ResNet50, 24, gate: true, baseWidth: 8));
        var mobilenet = Assert.Throws<ArgumentException>(() => new MobileNetV2Dct(32, gate: true, widthMultiplier: 0.25));
        var input = Assert.Throws<ArgumentException>(() => gate.forward(randn(1, 24, 7, 7)));
        var noise = Assert.Throws<ArgumentException>(() => gate.forward(randn(1, 192, 7, 7), zeros(1, 192)));
        using var ungated = new ResNetDct(ResNetArchitecture.ResNet50, 192, baseWidth: 8);
        var missing = Assert.Throws<InvalidOperationException>(() => ungated.ForwardWithGates(randn(1, 192, 7, 7)));

        Assert.Contains("all 192 channels", resnet.Message);
        Assert.Contains("was asked for 24", resnet.Message);
        Assert.Contains("was asked for 32", mobilenet.Message);
        Assert.Contains("N x 192 x H x W", input.Message);
        Assert.Contains("does not match the logits' [1, 192, 2]", noise.Message);
        Assert.Contains("no input gate", missing.Message);
    }
}
