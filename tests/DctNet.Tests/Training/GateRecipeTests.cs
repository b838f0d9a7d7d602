using System.Text.Json;
using DctNet.Models;
using DctNet.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace DctNet.Tests.Training;

/// <summary>The targeted gate recipe's parts, each against its formula, and its wiring into a training run.</summary>
[Collection(SharedTorchGenerator.Name)]
public sealed class GateRecipeTests
{
    private static readonly double[] Temperatures = [1.0, 3.0, 0.5];

    [Fact]
    public void Temperature_anneals_geometrically_from_the_initial_to_the_final_value()
    {
        var recipe = new GateRecipe { InitialTemperature = 4, FinalTemperature = 0.25 };

        Assert.Equal(4, recipe.Temperature(0, 12), 12);
        Assert.Equal(1, recipe.Temperature(6, 12), 12);
        Assert.Equal(0.25, recipe.Temperature(12, 12), 12);
        Assert.Equal(0.25, recipe.Temperature(13, 12), 12);
    }

    [Fact]
    public void The_target_falls_from_all_channels_to_the_final_count_along_a_cubic_after_the_warm_up()
    {
        var recipe = new GateRecipe { TargetChannels = 24, PenaltyWarmupEpochs = 2, PruningEpochs = 6 };

        Assert.Equal(192, recipe.Target(0), 12);
        Assert.Equal(192, recipe.Target(2), 12);
        Assert.Equal(24 + 168 * 0.125, recipe.Target(5), 12);
        Assert.Equal(24, recipe.Target(8), 12);
        Assert.Equal(24, recipe.Target(11.5), 12);
        Assert.Equal(24, (recipe with { PruningEpochs = 0 }).Target(0), 12);
    }

    [Fact]
    public void Penalty_is_lambda_times_the_expected_count_above_the_target_with_the_expected_count_gradient()
    {
        var recipe = new GateRecipe { TargetChannels = 80, PenaltyWarmupEpochs = 0, PruningEpochs = 0 };
        // Two samples; every channel has the on - off logit difference d, so P(on) = sigmoid(d) per channel.
        var difference = tensor(new[] { 0.5f, -1.0f }).reshape(2, 1).expand(2, InputGate.Channels);
        var logits = stack([zeros(2, InputGate.Channels), difference], 2).requires_grad_();

        using var penalty = recipe.Penalty(logits, lambda: 0.2, position: 3);
        penalty.backward();

        double p0 = 1 / (1 + Math.Exp(-0.5)), p1 = 1 / (1 + Math.Exp(1.0));
        double expectedOn = 192 * (p0 + p1) / 2;
        Assert.True(expectedOn > 80);
        Assert.Equal(0.2 * (expectedOn - 80), penalty.item<float>(), 4);
        // d penalty / d on-logit of a channel in sample 0: lambda x p(1 - p) / batch, and the opposite for its off logit.
        var gradient = logits.grad!;
        Assert.Equal(0.2 * p0 * (1 - p0) / 2, gradient[0, 5, 1].item<float>(), 6);
        Assert.Equal(-gradient[0, 5, 1].item<float>(), gradient[0, 5, 0].item<float>(), 6);
        // Below the target it costs nothing.
        using var below = (recipe with { TargetChannels = 90 }).Penalty(logits, lambda: 0.2, position: 3);
        Assert.Equal(0, below.item<float>());
    }

    [Fact]
    public void After_the_pruning_the_logits_sharpen_by_equal_steps_to_the_final_factor()
    {
        var recipe = new GateRecipe { PenaltyWarmupEpochs = 2, PruningEpochs = 3, FinalSharpness = 16 };

        Assert.All(Enumerable.Range(0, 5), epoch => Assert.Equal(1, recipe.SharpeningAt(epoch, epochs: 9)));
        Assert.All(Enumerable.Range(5, 4), epoch => Assert.Equal(2, recipe.SharpeningAt(epoch, epochs: 9), 12));
        Assert.Equal(1, recipe.SharpeningAt(9, epochs: 9));
        Assert.Equal(1, (recipe with { FinalSharpness = 1 }).SharpeningAt(6, epochs: 9));
    }

    [Fact]
    public void Sharpening_the_gate_scales_its_logits_and_so_divides_the_noise()
    {
        torch.manual_seed(3);
        using var gate = new InputGate();
        gate.eval();
        var x = randn(4, InputGate.Channels, 2, 2);
        var noise = GumbelSoftmax.SampleNoise([4, InputGate.Channels, 2]);
        using var noGrad = no_grad();
        var before = gate.Logits(x);

        gate.Sharpen(8);

        Assert.True(gate.Logits(x).allclose(before * 8, rtol: 1e-5, atol: 1e-5));
        // A sample with the noise divided by 8 decides as the sharpened gate does with the whole noise.
        var divided = GumbelSoftmax.HardSample(before, noise / 8, dim: 2).select(2, 1);
        Assert.Equal(divided.data<float>().ToArray(), gate.forward(x, noise).Gates.data<float>().ToArray());
    }

    [Fact]
    public void The_penalty_waits_for_its_warm_up_and_the_best_for_the_pruning_to_end()
    {
        var recipe = new GateRecipe { PenaltyWarmupEpochs = 2, PruningEpochs = 3 };
        Assert.False(recipe.Penalizes(1));
        Assert.True(recipe.Penalizes(2));
        Assert.False(recipe.PruningDone(4));
        Assert.True(recipe.PruningDone(5));
    }

    [Theory]
    [InlineData("target", 0)]
    [InlineData("target", 193)]
    [InlineData("learning rate", double.NaN)]
    [InlineData("temperature", 0)]
    [InlineData("penalty warm-up", 12)]
    [InlineData("pruning", 11)]
    [InlineData("sharpness", 0.5)]
    public void Values_no_run_can_use_are_refused_by_name(string name, double value)
    {
        var recipe = name switch
        {
            "target" => new GateRecipe { TargetChannels = (int)value },
            "learning rate" => new GateRecipe { LearningRate = value },
            "temperature" => new GateRecipe { FinalTemperature = value },
            "pruning" => new GateRecipe { PenaltyWarmupEpochs = 2, PruningEpochs = (int)value },
            "sharpness" => new GateRecipe { FinalSharpness = value },
            _ => new GateRecipe { PenaltyWarmupEpochs = (int)value },
        };
        var options = new TrainingOptions { Model = "m", Data = "", Epochs = 12, Gate = true, GateRecipe = recipe };
        Assert.Contains(name, Assert.Throws<ArgumentException>(options.Validate).Message, StringComparison.Ordinal);
        Assert.Contains("needs the input gate", Assert.Throws<ArgumentException>((options with { Gate = false }).Validate).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_temperature_shapes_the_straight_through_gradient_and_never_the_decision()
    {
        var logits = tensor(new[] { 0.3f, 1.1f, -0.4f, 0.2f }, [2, 2]);
        var noise = tensor(new[] { 0.5f, -0.2f, 0.9f, 0.0f }, [2, 2]);
        var weights = arange(1, 5, dtype: ScalarType.Float32).reshape(2, 2);
        foreach (double temperature in Temperatures)
        {
            var leaf = logits.clone().requires_grad_();
            var hard = GumbelSoftmax.HardSample(leaf, noise, dim: 1, temperature);
            (hard * weights).sum().backward();

            var reference = logits.clone().requires_grad_();
            (nn.functional.softmax((reference + noise) / temperature, 1) * weights).sum().backward();

            Assert.Equal([0f, 1f, 1f, 0f], hard.detach().data<float>().ToArray());
            Assert.Equal(reference.grad!.data<float>().ToArray(), leaf.grad!.data<float>().ToArray());
        }
    }

    [Fact]
    public void Each_parameter_moves_at_the_rate_given_for_its_name()
    {
        using var module = nn.Sequential(("gate", nn.Linear(2, 2)), ("body", nn.Linear(2, 2)));
        using var sgd = new MomentumSgd(module, momentum: 0, nesterov: false, weightDecay: 0);
        var parameters = module.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        var before = parameters.ToDictionary(p => p.Key, p => p.Value.detach().clone());
        foreach (var parameter in parameters.Values)
            parameter.grad = ones_like(parameter);

        sgd.Step(name => name.StartsWith("gate.", StringComparison.Ordinal) ? 0.5 : 0.01);

        foreach (var (name, parameter) in parameters)
        {
            double rate = name.StartsWith("gate.", StringComparison.Ordinal) ? 0.5 : 0.01;
            Assert.True((before[name] - rate).allclose(parameter.detach(), rtol: 0, atol: 1e-7), name);
        }
    }

    [Fact]
    public void A_targeted_run_closes_channels_towards_its_target_keeps_its_best_from_the_final_budget_and_resumes()
    {
        using var tiny = new TinyRun();
        var recipe = new GateRecipe { TargetChannels = 12, PenaltyWarmupEpochs = 0, PruningEpochs = 2, LearningRate = 5 };
        var options = tiny.Options(epochs: 3) with { Gate = true, GateLambda = 1, GateRecipe = recipe };
        string directory = tiny.RunDirectory("targeted");
        string best = Path.Combine(directory, "best.safetensors");
        double first, second;
        using (var run = TrainingRun.Start(options, directory, TinyRun.Build))
        {
            // The release's initialization keeps about 167 on; as the target falls, a strong penalty at a high gate
            // rate closes channels.
            first = run.RunEpoch().ChannelsOn!.Value;
            Assert.InRange(first, 120, 192);
            // Before the pruning ends the model has more channels than its budget: it cannot be the run's best.
            Assert.False(File.Exists(best));
            second = run.RunEpoch().ChannelsOn!.Value;
            Assert.True(second < first - 20, $"{second} channels on after {first}");
            Assert.True(File.Exists(best));
        }

        var saved = TrainingOptions.FromJson(File.ReadAllText(Path.Combine(directory, "options.json")));
        Assert.Equal(recipe, saved.GateRecipe);
        using var resumed = TrainingRun.Resume(directory, TinyRun.Build);
        Assert.True(resumed.RunEpoch().ChannelsOn!.Value < second);
    }

    [Fact]
    public void A_run_sharpens_its_gate_in_each_epoch_after_the_pruning_also_when_resumed()
    {
        using var tiny = new TinyRun();
        // A gate rate too small to move anything, so that the gate's biases change by the sharpening alone.
        var recipe = new GateRecipe { PenaltyWarmupEpochs = 0, PruningEpochs = 1, LearningRate = 1e-12, FinalSharpness = 9 };
        var options = tiny.Options(epochs: 3) with { Gate = true, GateRecipe = recipe };
        string directory = tiny.RunDirectory("sharpened");
        Tensor initial;
        using (var run = TrainingRun.Start(options, directory, TinyRun.Build))
        {
            initial = GateBias(run).clone();
            run.RunEpoch();
            Assert.True(GateBias(run).allclose(initial, rtol: 1e-6, atol: 1e-6));
            run.RunEpoch();
            Assert.True(GateBias(run).allclose(initial * 3, rtol: 1e-5, atol: 1e-5));
        }
        using var resumed = TrainingRun.Resume(directory, TinyRun.Build);
        resumed.RunEpoch();
        Assert.True(GateBias(resumed).allclose(initial * 9, rtol: 1e-5, atol: 1e-5));
    }

    /// <summary>The (off, on) logits' biases of the run's gate.</summary>
    private static Tensor GateBias(TrainingRun run)
        => run.Model.named_parameters().Single(p => p.name.EndsWith("inp_gate_l.bias", StringComparison.Ordinal)).parameter.detach();

    [Fact]
    public void Options_written_before_there_were_recipes_read_as_the_release_recipe()
    {
        var options = TrainingOptions.FromJson(JsonSerializer.Serialize(new { model = "resnet18-dct-s2", data = "d", gate = true, gate_lambda = 0.1 }));
        Assert.True(options.Gate);
        Assert.Equal(0.1, options.GateLambda);
        Assert.Null(options.GateRecipe);
    }
}
