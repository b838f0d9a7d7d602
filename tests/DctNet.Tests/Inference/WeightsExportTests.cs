using DctNet.Checkpoints;
using DctNet.Frequency.Channels;
using DctNet.Inference;
using DctNet.Models;
using DctNet.Tests.Checkpoints;

namespace DctNet.Tests.Inference;

public sealed class WeightsExportTests
{
    [Fact]
    public void A_DctNet_checkpoint_records_the_model_and_its_input()
    {
        using var directory = new TemporaryDirectory();
        using var original = TestModels.Create("resnet18-dct-s2", channels: 6, classes: 2);
        using var loaded = InferenceModel.Load(new InferenceRequest(ModelRegistry.Get("resnet18-dct-s2"), TestModels.SaveReleaseLayout(original, directory.File("in.pth")))
        {
            Channels = ChannelSubset.BuiltIn(6),
        });

        var format = WeightsExport.Save(loaded, directory.File("out.safetensors"));
        var checkpoint = DctNetCheckpoint.Load(directory.File("out.safetensors"));

        Assert.Equal(WeightsExportFormat.DctNetCheckpoint, format);
        Assert.Equal("resnet18-dct-s2", checkpoint.Metadata.Model);
        Assert.Equal(2, checkpoint.Metadata.Classes);
        Assert.Equal(ChannelSubset.BuiltIn(6).Channels, checkpoint.Metadata.Channels!.Channels);
        Assert.Equal(ChannelStatistics.ImageNet.Mean, checkpoint.Metadata.Normalization!.Mean);
        Assert.Equal(ChannelStatistics.ImageNet.Std, checkpoint.Metadata.Normalization.Std);
        Assert.Equal(2, checkpoint.Metadata.Layer2Stride);
        AssertSameWeights(ModuleState.Capture(original), checkpoint.Weights);
    }

    [Fact]
    public void Weights_round_trip_through_PyTorch_files_unchanged()
    {
        using var directory = new TemporaryDirectory();
        using var original = TestModels.Create("mobilenetv2-dct", channels: 6, classes: 2);
        string first = TestModels.SaveCheckpoint(original, directory.File("first.safetensors"), "mobilenetv2-dct", 6, 2);

        using (var fromCheckpoint = InferenceModel.Load(new InferenceRequest(ModelRegistry.Get("mobilenetv2-dct"), first)))
            WeightsExport.Save(fromCheckpoint, directory.File("exported.pth"));
        using (var fromPyTorch = InferenceModel.Load(new InferenceRequest(ModelRegistry.Get("mobilenetv2-dct"), directory.File("exported.pth")) { Channels = ChannelSubset.BuiltIn(6) }))
            WeightsExport.Save(fromPyTorch, directory.File("second.safetensors"));

        var exported = PyTorchCheckpoint.Read(directory.File("exported.pth"));
        Assert.Null(exported.StateDictEntry);
        Assert.False(exported.DataParallelPrefixRemoved);
        AssertSameWeights(DctNetCheckpoint.Load(first).Weights, exported.StateDict);
        AssertSameWeights(DctNetCheckpoint.Load(first).Weights, DctNetCheckpoint.Load(directory.File("second.safetensors")).Weights);
        Assert.Equal(DctNetCheckpoint.Load(first).Metadata.ToJson(), DctNetCheckpoint.Load(directory.File("second.safetensors")).Metadata.ToJson());
    }

    [Fact]
    public void The_release_layout_nests_prefixed_weights_as_the_release_saves_them()
    {
        using var directory = new TemporaryDirectory();
        using var original = TestModels.Create("mobilenetv2-dct", channels: 6, classes: 2);
        using var loaded = InferenceModel.Load(new InferenceRequest(ModelRegistry.Get("mobilenetv2-dct"), TestModels.SaveCheckpoint(original, directory.File("w.safetensors"), "mobilenetv2-dct", 6, 2)));

        WeightsExport.Save(loaded, directory.File("model_best.pth.tar"), releaseLayout: true);
        var exported = PyTorchCheckpoint.Read(directory.File("model_best.pth.tar"));

        Assert.Equal("state_dict", exported.StateDictEntry);
        Assert.True(exported.DataParallelPrefixRemoved);
        Assert.Equal(["epoch", "arch", "best_prec1"], exported.IgnoredEntries);
        AssertSameWeights(ModuleState.Capture(original), exported.StateDict);
    }

    [Theory]
    [InlineData("out.safetensors", WeightsExportFormat.DctNetCheckpoint)]
    [InlineData("out.pth", WeightsExportFormat.PyTorch)]
    [InlineData("out.PT", WeightsExportFormat.PyTorch)]
    [InlineData("model_best.pth.tar", WeightsExportFormat.PyTorch)]
    public void The_extension_chooses_the_format(string path, WeightsExportFormat format)
    {
        Assert.Equal(format, WeightsExport.FormatOf(path));
    }

    [Fact]
    public void Unknown_extensions_and_a_release_layout_safetensors_file_are_refused()
    {
        using var directory = new TemporaryDirectory();
        using var original = TestModels.Create("mobilenetv2-dct", channels: 6, classes: 2);
        using var loaded = InferenceModel.Load(new InferenceRequest(ModelRegistry.Get("mobilenetv2-dct"), TestModels.SaveCheckpoint(original, directory.File("w.safetensors"), "mobilenetv2-dct", 6, 2)));

        var extension = Assert.Throws<ArgumentException>(() => WeightsExport.Save(loaded, directory.File("out.bin")));
        var layout = Assert.Throws<ArgumentException>(() => WeightsExport.Save(loaded, directory.File("out.safetensors"), releaseLayout: true));

        Assert.Contains(".safetensors for a DctNet checkpoint, .pth, .pt, .tar for PyTorch", extension.Message);
        Assert.Contains("write a .pth", layout.Message);
        Assert.Equal(["w.safetensors"], Directory.GetFiles(directory.Path).Select(Path.GetFileName));
    }

    private static void AssertSameWeights(StateDict expected, StateDict actual)
    {
        Assert.Equal(expected.Keys, actual.Keys);
        foreach (var (key, tensor) in expected)
        {
            Assert.Equal(tensor.ElementType, actual[key].ElementType);
            Assert.Equal(tensor.Shape, actual[key].Shape);
            Assert.True(tensor.Bytes.Span.SequenceEqual(actual[key].Bytes.Span), $"{key} differs");
        }
    }
}
