using DctNet.Export;
using DctNet.Frequency.Channels;
using DctNet.Frequency.Geometry;
using DctNet.Frequency.IO;
using DctNet.Onnx;
using DctNet.Tests.Parity;
using Google.Protobuf;
using static TorchSharp.torch;

namespace DctNet.Tests.Export;

/// <summary>
/// The PyTorch fixtures of <see cref="ModelParityTests"/> (the release's layout, PyTorch's logits) through ONNX export
/// and ONNX Runtime: every case, every serialization, folded and unfolded, within the same bar; the gated case with
/// PyTorch's Gumbel noise fed to the graph gives PyTorch's logits, and with no noise the gates of the larger logit.
/// </summary>
public sealed class OnnxParityTests
{
    public static TheoryData<string, string, bool> Cases()
    {
        var data = new TheoryData<string, string, bool>();
        foreach (var (caseName, checkpoint) in ModelParityTests.CaseCheckpoints().Select(row => ((string)row[0], (string)row[1])))
        {
            data.Add(caseName, checkpoint, true);
            data.Add(caseName, checkpoint, false);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Onnx_runtime_gives_pytorchs_logits_from_the_release_checkpoint(string caseName, string checkpointFile, bool foldBatchNorm)
    {
        var testCase = ModelParityTests.Case(caseName);
        using var scope = NewDisposeScope();
        using var model = ModelParityTests.LoadModel(testCase, checkpointFile);
        using var input = ModelParityTests.LoadTensor(testCase.GetProperty("input").GetProperty("file").GetString()!);
        var expected = Npy.ReadFile(ModelParityTests.PathOf(testCase.GetProperty("expected_logits").GetProperty("file").GetString()!)).AsFloat32();
        float[]? noise = testCase.TryGetProperty("gumbel_noise", out var noiseFile)
            ? Npy.ReadFile(ModelParityTests.PathOf(noiseFile.GetProperty("file").GetString()!)).AsFloat32()
            : null;

        using var session = Export(model, testCase.GetProperty("family").GetString()!, input.shape, expected.Length / (int)input.shape[0], noise is not null, foldBatchNorm);
        var actual = session.Run(input.data<float>().ToArray(), (int)input.shape[0], noise);

        float tolerance = ModelParityTests.RelativeTolerance * expected.Max(Math.Abs);
        float worst = actual.Zip(expected, (a, e) => Math.Abs(a - e)).Max();
        Assert.True(worst <= tolerance, $"{caseName} ({checkpointFile}, {(foldBatchNorm ? "folded" : "unfolded")}): max |diff| {worst:G3} exceeds {tolerance:G3}");
    }

    /// <summary>
    /// An exported reduced model. Its contract is made up from the input's shape: the fixtures' inputs are already
    /// normalized, and a DCT input of C channels is taken as the first C of Y, Cb, Cr.
    /// </summary>
    internal static OnnxSession Export(nn.Module<Tensor, Tensor> model, string family, long[] inputShape, int classes, bool gate, bool foldBatchNorm)
    {
        int channels = (int)inputShape[1], side = (int)inputShape[2];
        bool rgb = family.EndsWith("-rgb", StringComparison.Ordinal);
        var subset = rgb ? null : ChannelSubset.FromLists($"first {channels}",
            Enumerable.Range(0, Math.Min(channels, 64)), Enumerable.Range(0, Math.Clamp(channels - 64, 0, 64)), Enumerable.Range(0, Math.Clamp(channels - 128, 0, 64)));
        var geometry = rgb ? new CropGeometry(side, side) : new CropGeometry(8 * side, 8 * side);
        var contract = new ModelContract(family, classes, rgb ? InputPipeline.Rgb : InputPipeline.Dct, geometry, subset, null, null, gate);
        byte[] bytes = OnnxExport.Build(model, contract, foldBatchNorm).ToByteArray();
        return OnnxSession.FromBytes(bytes, family);
    }
}
