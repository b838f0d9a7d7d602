using System.Text.Json;
using DctNet.Checkpoints;
using DctNet.Frequency.IO;
using DctNet.Inference;
using DctNet.Models;
using DctNet.Tests.Models;
using static TorchSharp.torch;

namespace DctNet.Tests.Parity;

/// <summary>
/// The oracle for the models: PyTorch 1.13 with the release's module layout (tools/parity) saved reduced models
/// with random weights and non-trivial BatchNorm statistics, in the release's checkpoint layout and in both
/// serializations, together with an input and the logits PyTorch computed. Loading those files into DctNet's models
/// must reproduce the logits within 1e-4 of their largest magnitude, and the gates exactly.
/// </summary>
public sealed class ModelParityTests
{
    private static readonly string ParityDirectory = Path.Combine(TestPaths.Fixtures, "parity");
    internal static readonly JsonElement Manifest = LoadManifest();

    public static TheoryData<string, string> CaseCheckpoints() => Checkpoints(gatedOnly: false);

    /// <summary>The parity bar of every case: max |diff| over the logits &lt;= rel x max |expected logit|.</summary>
    internal static float RelativeTolerance => Manifest.GetProperty("tolerance").GetProperty("rel").GetSingle();

    public static TheoryData<string, string> GatedCaseCheckpoints() => Checkpoints(gatedOnly: true);

    private static TheoryData<string, string> Checkpoints(bool gatedOnly)
    {
        var data = new TheoryData<string, string>();
        foreach (var testCase in Manifest.GetProperty("cases").EnumerateArray())
        {
            if (gatedOnly && !testCase.TryGetProperty("expected_gates", out _))
                continue;
            foreach (var checkpoint in testCase.GetProperty("checkpoints").EnumerateArray())
                data.Add(testCase.GetProperty("name").GetString()!, checkpoint.GetProperty("file").GetString()!);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(CaseCheckpoints))]
    public void Logits_equal_pytorch_from_the_release_checkpoint(string caseName, string checkpointFile)
    {
        var testCase = Case(caseName);
        using var scope = NewDisposeScope();
        using var model = LoadModel(testCase, checkpointFile);
        using var input = LoadTensor(testCase.GetProperty("input").GetProperty("file").GetString()!);
        var expected = Npy.ReadFile(PathOf(testCase.GetProperty("expected_logits").GetProperty("file").GetString()!)).AsFloat32();

        Tensor logits;
        using (no_grad())
        {
            logits = testCase.TryGetProperty("gumbel_noise", out var noise)
                ? ((DctModel)model).ForwardWithGates(input, LoadTensor(noise.GetProperty("file").GetString()!)).Logits
                : model.call(input);
        }

        var actual = logits.data<float>().ToArray();
        Assert.Equal(expected.Length, actual.Length);
        float tolerance = Manifest.GetProperty("tolerance").GetProperty("rel").GetSingle() * expected.Max(Math.Abs);
        float worst = actual.Zip(expected, (a, e) => Math.Abs(a - e)).Max();
        Assert.True(worst <= tolerance, $"{caseName} ({checkpointFile}): max |diff| {worst:G3} exceeds {tolerance:G3}");
    }

    /// <summary>
    /// The configuration predict and eval run (<see cref="InferenceModel.PrepareForInference"/>): BatchNorms folded into
    /// the convolutions and channels-last layout, whose kernels differ from the plain model's (on one host oneDNN's
    /// channels-last 1x1 convolutions were 50% off while the plain layout was right).
    /// </summary>
    [Theory]
    [MemberData(nameof(CaseCheckpoints))]
    public void Logits_as_predict_runs_the_model_equal_pytorch(string caseName, string checkpointFile)
    {
        var testCase = Case(caseName);
        using var scope = NewDisposeScope();
        using var model = LoadModel(testCase, checkpointFile);
        int folded = InferenceModel.PrepareForInference(model, foldBatchNorm: true);
        using var input = LoadTensor(testCase.GetProperty("input").GetProperty("file").GetString()!);
        var expected = Npy.ReadFile(PathOf(testCase.GetProperty("expected_logits").GetProperty("file").GetString()!)).AsFloat32();

        Tensor logits;
        if (testCase.TryGetProperty("gumbel_noise", out var noise))
        {
            using var noGrad = no_grad();
            logits = ((DctModel)model).ForwardWithGates(ChannelsLast.Of(input), LoadTensor(noise.GetProperty("file").GetString()!)).Logits;
        }
        else
        {
            logits = InferenceModel.Forward(model, input);
        }

        if (testCase.GetProperty("family").GetString()!.StartsWith("resnet", StringComparison.Ordinal))
            Assert.True(folded > 0, $"{caseName}: no BatchNorm was folded");
        float tolerance = Manifest.GetProperty("tolerance").GetProperty("rel").GetSingle() * expected.Max(Math.Abs);
        float worst = logits.data<float>().ToArray().Zip(expected, (a, e) => Math.Abs(a - e)).Max();
        Assert.True(worst <= tolerance, $"{caseName} ({checkpointFile}), as predict runs it: max |diff| {worst:G3} exceeds {tolerance:G3}");
    }

    [Fact]
    public void Folding_refuses_a_model_in_training_mode()
    {
        using var model = new ResNetDct(new ResNetArchitecture(ResidualBlockKind.Basic, [1, 1, 1, 1]), channels: 6, classes: 2, baseWidth: 4);
        Assert.Contains("evaluation mode", Assert.Throws<InvalidOperationException>(() => BatchNormFolding.Fold(model)).Message);
    }

    [Theory]
    [MemberData(nameof(GatedCaseCheckpoints))]
    public void Gates_equal_pytorch_exactly(string caseName, string checkpointFile)
    {
        var testCase = Case(caseName);
        var expectedGates = testCase.GetProperty("expected_gates");
        using var scope = NewDisposeScope();
        using var model = LoadModel(testCase, checkpointFile);
        using var input = LoadTensor(testCase.GetProperty("input").GetProperty("file").GetString()!);
        using var noise = LoadTensor(testCase.GetProperty("gumbel_noise").GetProperty("file").GetString()!);
        var expected = Npy.ReadFile(PathOf(expectedGates.GetProperty("file").GetString()!)).AsFloat32();

        using (no_grad())
        {
            var gates = ((DctModel)model).ForwardWithGates(input, noise).Gates;
            Assert.Equal(expected, gates.data<float>().ToArray());
        }
    }

    internal static nn.Module<Tensor, Tensor> LoadModel(JsonElement testCase, string checkpointFile)
    {
        var model = ParityFixtureModelTests.Build(testCase.GetProperty("family").GetString()!, testCase.GetProperty("architecture"));
        string path = PathOf(checkpointFile);
        ModuleState.Load(model, PyTorchCheckpoint.ReadStateDict(path), path);
        model.eval();
        return model;
    }

    internal static Tensor LoadTensor(string file)
    {
        var array = Npy.ReadFile(PathOf(file));
        return tensor(array.AsFloat32(), [.. array.Shape.Select(d => (long)d)]);
    }

    internal static JsonElement Case(string name)
        => Manifest.GetProperty("cases").EnumerateArray().Single(c => c.GetProperty("name").GetString() == name);

    internal static string PathOf(string file) => Path.Combine(ParityDirectory, file);

    private static JsonElement LoadManifest()
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(ParityDirectory, "manifest.json")));
        return document.RootElement.Clone();
    }
}
