using DctNet.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace DctNet.Tests.Models;

/// <summary>
/// Full-size models against the reference's state_dict keys and shapes, so that the release's and torchvision's
/// checkpoints load unchanged.
/// </summary>
public sealed class StateDictCompatibilityTests
{
    private const string GateEntry = "input gate, prefix 'inp_GM.' inside a gated model (seed: GateModule192)";

    /// <summary>The model that must reproduce each entry of state_dict_keys.json; an entry missing here fails its row.</summary>
    private static readonly Dictionary<string, Func<nn.Module<Tensor, Tensor>>> Models = new()
    {
        ["resnet50-dct, channels=24 (seed: ResNetDCT_Upscaled_Static)"] = () => new ResNetDct(ResNetArchitecture.ResNet50, 24),
        ["resnet50-dct, channels=64 (seed: ResNetDCT_Upscaled_Static)"] = () => new ResNetDct(ResNetArchitecture.ResNet50, 64),
        ["resnet50-dct, channels=192 (seed: ResNetDCT_Upscaled_Static)"] = () => new ResNetDct(ResNetArchitecture.ResNet50, 192),
        ["mobilenetv2-dct, channels=24 (seed: MobileNetV2DCT_Subset_woinp)"] = () => new MobileNetV2Dct(24),
        ["mobilenetv2-dct, channels=32 (seed: MobileNetV2DCT_Subset_woinp)"] = () => new MobileNetV2Dct(32),
        [GateEntry] = () => new ResNetDct(ResNetArchitecture.ResNet50, 192, gate: true),
        ["torchvision resnet50 (RGB baseline naming)"] = () => new ResNet(ResNetArchitecture.ResNet50),
        ["torchvision mobilenet_v2 (RGB baseline naming)"] = () => new MobileNetV2(),
    };

    [ReferenceSpecTheory]
    [MemberData(nameof(ReferenceSpec.EntryNames), MemberType = typeof(ReferenceSpec))]
    public void State_dict_has_exactly_the_reference_keys_and_shapes(string entry)
    {
        Assert.True(Models.TryGetValue(entry, out var build), $"No model is mapped to the reference entry '{entry}'.");
        var expected = ReferenceSpec.StateDicts[entry];
        using var model = build();
        var actual = model.state_dict().ToDictionary(p => p.Key, p => p.Value.shape);
        if (entry == GateEntry)
            actual = actual.Where(p => p.Key.StartsWith("inp_GM.", StringComparison.Ordinal)).ToDictionary();

        var missing = expected.Keys.Except(actual.Keys).ToList();
        var unexpected = actual.Keys.Except(expected.Keys).ToList();
        var misshaped = expected.Keys.Intersect(actual.Keys)
            .Where(key => !expected[key].SequenceEqual(actual[key]))
            .Select(key => $"{key}: [{string.Join(", ", actual[key])}], expected [{string.Join(", ", expected[key])}]")
            .ToList();
        Assert.True(missing.Count + unexpected.Count + misshaped.Count == 0,
            $"missing: {string.Join(", ", missing)}\nunexpected: {string.Join(", ", unexpected)}\nmis-shaped: {string.Join("; ", misshaped)}");
    }

    [Fact]
    public void Gated_model_is_the_ungated_model_plus_the_gate()
    {
        using var plain = new ResNetDct(ResNetArchitecture.ResNet50, 192);
        using var gated = new ResNetDct(ResNetArchitecture.ResNet50, 192, gate: true);
        var gateKeys = gated.state_dict().Keys.Except(plain.state_dict().Keys).Order(StringComparer.Ordinal).ToArray();

        Assert.Empty(plain.state_dict().Keys.Except(gated.state_dict().Keys));
        Assert.Equal(
            ["inp_GM.inp_gate.0.bias", "inp_GM.inp_gate.0.weight", "inp_GM.inp_gate.1.bias", "inp_GM.inp_gate.1.num_batches_tracked",
             "inp_GM.inp_gate.1.running_mean", "inp_GM.inp_gate.1.running_var", "inp_GM.inp_gate.1.weight",
             "inp_GM.inp_gate_l.bias", "inp_GM.inp_gate_l.weight"],
            gateKeys);
    }

    [Fact]
    public void Batch_norm_counters_are_int64_scalars_as_in_PyTorch()
    {
        using var model = new MobileNetV2Dct(24);
        var counter = model.state_dict()["features.0.conv.1.num_batches_tracked"];

        Assert.Equal(ScalarType.Int64, counter.dtype);
        Assert.Empty(counter.shape);
        Assert.Equal(0L, counter.item<long>());
    }

    [Theory]
    [InlineData(18, 11_689_512)]
    [InlineData(34, 21_797_672)]
    [InlineData(50, 25_557_032)]
    [InlineData(101, 44_549_160)]
    public void RGB_ResNet_parameter_counts_are_torchvisions(int depth, long parameters)
    {
        using var model = new ResNet(ResNetArchitecture.FromDepth(depth));

        Assert.Equal(parameters, model.parameters().Sum(p => p.numel()));
    }

    [Fact]
    public void Classifier_follows_the_class_count()
    {
        using var resnet = new ResNetDct(ResNetArchitecture.ResNet50, 24, classes: 10);
        using var mobilenet = new MobileNetV2Dct(24, classes: 7);
        using var rgb = new MobileNetV2(classes: 5);

        Assert.Equal([10L, 2048L], resnet.state_dict()["fc.weight"].shape);
        Assert.Equal([7L, 1280L], mobilenet.state_dict()["classifier.weight"].shape);
        Assert.Equal([5L, 1280L], rgb.state_dict()["classifier.1.weight"].shape);
    }
}
