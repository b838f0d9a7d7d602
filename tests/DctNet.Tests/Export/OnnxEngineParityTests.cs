using DctNet.Frequency.Channels;
using DctNet.Inference;
using DctNet.Models;
using DctNet.Tests.Inference;
using DctNet.Tests.Parity;
using TorchSharp;
using static TorchSharp.torch;

namespace DctNet.Tests.Export;

/// <summary>
/// The registry's models at full width, loaded from a checkpoint as predict loads them and run by the onnxruntime engine,
/// with the BatchNorms folded into the graph and kept as BatchNormalization nodes: both must give the float64 logits of
/// the same weights within the parity bar, for every model, every DCT model at 6, 24, 64 (MobileNetV2: 32) and 192
/// channels, and a subset file.
/// </summary>
public sealed class OnnxEngineParityTests
{
    private const double Tolerance = 1e-4;

    public static TheoryData<string, string?> Models()
    {
        var data = new TheoryData<string, string?>();
        foreach (var definition in ModelRegistry.Models)
        {
            if (!definition.TakesDct)
            {
                data.Add(definition.Name, null);
                continue;
            }
            int wide = definition.Name.StartsWith("mobilenetv2", StringComparison.Ordinal) ? 32 : 64;
            foreach (int channels in new[] { 6, 24, wide, 192 })
                data.Add(definition.Name, channels.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        data.Add("resnet50-dct", "subset");
        return data;
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Onnx_runtime_gives_the_float64_logits_folded_and_unfolded(string name, string? channels)
    {
        using var scope = NewDisposeScope();
        var definition = ModelRegistry.Get(name);
        var subset = channels switch
        {
            null => null,
            "subset" => ChannelSubset.FromLists("test subset", [0, 1, 8, 9, 16, 2], [0, 1], [0, 8]),
            var count => ChannelSubset.BuiltIn(int.Parse(count, System.Globalization.CultureInfo.InvariantCulture)),
        };
        manual_seed(3);
        using var trained = definition.Create(subset, classes: 1000);
        trained.eval();
        ProductionParityTests.GiveBatchNormsStatistics(trained);
        string path = Save(trained, name, subset, classes: 1000);
        try
        {
            var input = randn([2, .. definition.ResolveInput(new InputRequest(subset)).Shape.Select(d => (long)d)], generator: new Generator(seed: 5));
            trained.to(ScalarType.Float64);
            Tensor expected;
            using (no_grad())
                expected = trained.call(input.to(float64));
            double scale = expected.abs().max().item<double>();

            foreach (bool fold in new[] { true, false })
            {
                using var model = InferenceModel.Load(new InferenceRequest(definition, path) { FoldBatchNorm = fold, Engine = InferenceEngine.OnnxRuntime });
                Assert.Equal(InferenceEngine.OnnxRuntime, model.Engine);
                double worst = (model.Logits(input).to(float64) - expected).abs().max().item<double>();
                Assert.True(worst <= Tolerance * scale, $"{name} ({channels}, {(fold ? "folded" : "unfolded")}): max |diff| {worst:G3} exceeds {Tolerance * scale:G3}");
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>The onnxruntime engine feeds the graph the noise the gate draws on libtorch: the same seed, the same gates and logits.</summary>
    [Fact]
    public void Both_engines_sample_the_same_gates_for_the_same_seed()
    {
        using var scope = NewDisposeScope();
        manual_seed(4);
        using var trained = ModelRegistry.Create("resnet18-dct-s2", ChannelSubset.All, classes: 10, gate: true);
        trained.eval();
        string path = Save(trained, "resnet18-dct-s2", ChannelSubset.All, classes: 10);
        try
        {
            var input = randn([3, 192, 56, 56], generator: new Generator(seed: 6));
            Tensor Logits(InferenceEngine engine, ulong seed)
            {
                using var model = InferenceModel.Load(new InferenceRequest(ModelRegistry.Get("resnet18-dct-s2"), path) { Engine = engine, GateSeed = seed, FoldBatchNorm = true });
                Assert.True(model.HasInputGate);
                return model.Logits(input);
            }

            TestModels.AssertSameLogits(Logits(InferenceEngine.Torch, 11), Logits(InferenceEngine.OnnxRuntime, 11));
            Assert.False(Logits(InferenceEngine.OnnxRuntime, 11).allclose(Logits(InferenceEngine.OnnxRuntime, 12)), "the noise should change the gates");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Without_noise_the_exported_gate_keeps_the_channels_whose_on_logit_is_larger()
    {
        var testCase = ModelParityTests.Case("resnet-dct-192-gate");
        using var scope = NewDisposeScope();
        using var model = ModelParityTests.LoadModel(testCase, "resnet-dct-192-gate.zip.pth.tar");
        using var input = ModelParityTests.LoadTensor(testCase.GetProperty("input").GetProperty("file").GetString()!);
        Tensor expected;
        using (no_grad())
            expected = ((DctModel)model).ForwardWithGates(input, zeros(input.shape[0], InputGate.Channels, 2)).Logits;

        using var session = OnnxParityTests.Export(model, "resnet-dct", input.shape, (int)expected.shape[1], gate: true, foldBatchNorm: true);
        var actual = tensor(session.Run(input.data<float>().ToArray(), (int)input.shape[0]), expected.shape);

        TestModels.AssertSameLogits(expected, actual);
    }

    private static string Save(nn.Module<Tensor, Tensor> module, string model, ChannelSubset? channels, int classes)
        => TestModels.SaveCheckpoint(module, Path.Combine(Path.GetTempPath(), $"dctnet-onnx-{Guid.NewGuid():N}.safetensors"), model, channels, classes);
}
