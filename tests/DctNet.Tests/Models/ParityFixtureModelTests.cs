using System.Text.Json;
using DctNet.Models;
using static TorchSharp.torch;

namespace DctNet.Tests.Models;

/// <summary>
/// The reduced models of the parity fixtures (tests/fixtures/parity, made by tools/parity from the release's PyTorch
/// modules) build from the public constructors: the architecture each case describes gives a state_dict with as many
/// tensors, and as many parameters, as its checkpoint holds.
/// </summary>
public sealed class ParityFixtureModelTests
{
    private static readonly string ManifestPath = Path.Combine(TestPaths.Fixtures, "parity", "manifest.json");

    public static TheoryData<string> CaseNames()
    {
        var data = new TheoryData<string>();
        foreach (var testCase in Cases())
            data.Add(testCase.GetProperty("name").GetString()!);
        return data;
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Reduced_model_has_the_size_of_the_fixture_checkpoint(string name)
    {
        var testCase = Cases().Single(c => c.GetProperty("name").GetString() == name);
        var checkpoint = testCase.GetProperty("checkpoints")[0];
        using var model = Build(testCase.GetProperty("family").GetString()!, testCase.GetProperty("architecture"));

        Assert.Equal(checkpoint.GetProperty("tensors").GetInt32(), model.state_dict().Count);
        Assert.Equal(checkpoint.GetProperty("parameters").GetInt64(), model.parameters().Sum(p => p.numel()));
    }

    /// <summary>The model a case's "architecture" describes, from the constructors' own parameters only.</summary>
    internal static nn.Module<Tensor, Tensor> Build(string family, JsonElement architecture)
    {
        int Int(string property) => architecture.GetProperty(property).GetInt32();
        ResNetArchitecture ResNetLayers() => new(
            Enum.Parse<ResidualBlockKind>(architecture.GetProperty("block").GetString()!.Replace("Block", "", StringComparison.Ordinal)),
            [.. architecture.GetProperty("layers").EnumerateArray().Select(n => n.GetInt32())]);
        double width = architecture.TryGetProperty("width_mult", out var w) ? w.GetDouble() : 1.0;
        bool gate = architecture.TryGetProperty("input_gate", out var g) && g.GetBoolean();

        return family switch
        {
            "resnet-dct" => new ResNetDct(ResNetLayers(), Int("in_channels"), Int("num_classes"), Int("layer2_stride"), gate, Int("base_width")),
            "resnet-rgb" => new ResNet(ResNetLayers(), Int("num_classes"), Int("base_width")),
            "mobilenetv2-dct" => new MobileNetV2Dct(Int("in_channels"), Int("num_classes"), gate, width, Int("last_channel")),
            "mobilenetv2-rgb" => new MobileNetV2(Int("num_classes"), width, Int("last_channel")),
            _ => throw new InvalidOperationException($"Unknown fixture family '{family}'."),
        };
    }

    private static IEnumerable<JsonElement> Cases()
    {
        using var document = JsonDocument.Parse(File.ReadAllText(ManifestPath));
        return [.. document.RootElement.GetProperty("cases").EnumerateArray().Select(c => c.Clone())];
    }
}
