using DctNet.Frequency.Channels;
using DctNet.Inference;
using DctNet.Models;
using DctNet.Tests.Inference;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace DctNet.Tests.Parity;

/// <summary>
/// The registry's models at full width, loaded from a checkpoint file as predict and eval load them (BatchNorms folded,
/// channels-last layout), against float64 of the same weights on the plain model - a computation that no host's oneDNN
/// takes part in (libtorch has no oneDNN path for float64). The PyTorch fixtures are reduced in width; on one host oneDNN
/// was wrong only at full width (MobileNetV2's 960 -> 320 and 320 -> 1280 projections, ResNet-50's 1x1 convolutions).
/// </summary>
public sealed class ProductionParityTests
{
    /// <summary>The parity bar of the PyTorch fixtures: 1e-4 of the largest logit.</summary>
    private const double Tolerance = 1e-4;

    /// <summary>Every model of the registry (DCT models with DCT-24), and the other input adaptations: 6, 64 and 192 channels, MobileNetV2's 32.</summary>
    public static TheoryData<string, int?> Models()
    {
        var data = new TheoryData<string, int?>();
        foreach (var definition in ModelRegistry.Models)
            data.Add(definition.Name, definition.TakesDct ? ModelRegistry.DefaultChannelCount : null);
        data.Add("resnet50-dct", 64);
        data.Add("resnet50-dct-s2", 192);
        data.Add("resnet18-dct", 6);
        data.Add("mobilenetv2-dct", 32);
        return data;
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Logits_as_predict_runs_the_model_equal_float64(string name, int? channels)
    {
        using var scope = NewDisposeScope();
        using var trained = TestModels.Create(name, channels, classes: 1000, seed: 3);
        GiveBatchNormsStatistics(trained);
        string path = TestModels.SaveCheckpoint(trained, Path.Combine(Path.GetTempPath(), $"dctnet-production-{Guid.NewGuid():N}.safetensors"), name, channels, 1000);
        try
        {
            var definition = ModelRegistry.Get(name);
            var subset = channels is { } count ? ChannelSubset.BuiltIn(count) : null;
            var input = randn([2, .. definition.ResolveInput(new InputRequest(subset)).Shape.Select(d => (long)d)], generator: new Generator(seed: 5));

            trained.to(ScalarType.Float64);
            Tensor expected;
            using (no_grad())
                expected = trained.call(input.to(float64));

            using var model = InferenceModel.Load(new InferenceRequest(ModelRegistry.Get(name), path) { FoldBatchNorm = true });
            Assert.True(model.BatchNormFolded);
            var actual = model.Logits(input);

            double scale = expected.abs().max().item<double>();
            double worst = (actual.to(float64) - expected).abs().max().item<double>();
            Assert.True(worst <= Tolerance * scale, $"{name} ({channels}): max |diff| {worst:G3} exceeds {Tolerance * scale:G3}");
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>Running statistics and affine parameters away from the identity, so that folding has something to fold.</summary>
    internal static void GiveBatchNormsStatistics(nn.Module model)
    {
        var generator = new Generator(seed: 7);
        using var noGrad = no_grad();
        foreach (var norm in model.modules().OfType<BatchNorm2d>())
        {
            norm.running_mean!.copy_(randn(norm.running_mean.shape, generator: generator) * 0.1);
            norm.running_var!.copy_(rand(norm.running_var.shape, generator: generator) + 0.5);
            norm.weight!.copy_(rand(norm.weight.shape, generator: generator) + 0.5);
            norm.bias!.copy_(randn(norm.bias.shape, generator: generator) * 0.1);
        }
    }
}
