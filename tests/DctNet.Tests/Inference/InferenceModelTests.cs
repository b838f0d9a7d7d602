using DctNet.Checkpoints;
using DctNet.Frequency.Channels;
using DctNet.Inference;
using DctNet.Models;
using DctNet.Tests.Checkpoints;
using static TorchSharp.torch;

namespace DctNet.Tests.Inference;

/// <summary>Loading registry models from every kind of weights: what follows the weights, what the request may say, and the refusals.</summary>
public sealed class InferenceModelTests
{
    private const string Model = "mobilenetv2-dct";

    [Fact]
    public void A_DctNet_checkpoint_supplies_channels_classes_and_normalization()
    {
        using var directory = new TemporaryDirectory();
        using var scope = NewDisposeScope();
        using var original = TestModels.Create(Model, channels: 6, classes: 3);
        string path = TestModels.SaveCheckpoint(original, directory.File("weights.safetensors"), Model, channels: 6, classes: 3);
        var x = randn(2, 6, 112, 112);

        using var loaded = InferenceModel.Load(new InferenceRequest(ModelRegistry.Get(Model), path));

        Assert.Equal(ChannelSubset.BuiltIn(6).Channels, loaded.Channels!.Channels);
        Assert.Equal(3, loaded.Classes);
        Assert.False(loaded.HasInputGate);
        Assert.Equal("safetensors", loaded.WeightsFormat);
        Assert.Equal(ChannelStatistics.ImageNet.Mean, loaded.Normalization!.Mean);
        Assert.Equal([6, 112, 112], loaded.Pipeline.Shape);
        TestModels.AssertSameLogits(original.call(x), loaded.Logits(x));
    }

    [Fact]
    public void A_release_layout_PyTorch_file_loads_with_the_default_channels_and_its_classifier_size()
    {
        using var directory = new TemporaryDirectory();
        using var scope = NewDisposeScope();
        using var original = TestModels.Create(Model, channels: 24, classes: 5);
        string path = TestModels.SaveReleaseLayout(original, directory.File("model_best.pth.tar"));
        var x = randn(2, 24, 112, 112);

        using var loaded = InferenceModel.Load(new InferenceRequest(ModelRegistry.Get(Model), path));

        Assert.Equal(24, loaded.Channels!.Count);
        Assert.Equal(5, loaded.Classes);
        Assert.Equal("PyTorch zip", loaded.WeightsFormat);
        TestModels.AssertSameLogits(original.call(x), loaded.Logits(x));
    }

    [Fact]
    public void A_run_directory_loads_its_best_checkpoint()
    {
        using var directory = new TemporaryDirectory();
        using var best = TestModels.Create(Model, channels: 6, classes: 2, seed: 1);
        using var last = TestModels.Create(Model, channels: 6, classes: 2, seed: 2);
        TestModels.SaveCheckpoint(best, directory.File(RunDirectory.BestCheckpoint), Model, channels: 6, classes: 2);
        TestModels.SaveCheckpoint(last, directory.File(RunDirectory.LastCheckpoint), Model, channels: 6, classes: 2);

        using var loaded = InferenceModel.Load(new InferenceRequest(ModelRegistry.Get(Model), directory.Path));

        Assert.Equal(directory.File(RunDirectory.BestCheckpoint), loaded.WeightsPath);
    }

    [Fact]
    public void Requests_that_contradict_the_weights_are_refused_naming_both_sides()
    {
        using var directory = new TemporaryDirectory();
        using var original = TestModels.Create(Model, channels: 6, classes: 3);
        string path = TestModels.SaveCheckpoint(original, directory.File("weights.safetensors"), Model, channels: 6, classes: 3);

        var model = Assert.Throws<ModelRequestException>(() => InferenceModel.Load(new InferenceRequest(ModelRegistry.Get("resnet18-dct"), path)));
        var channels = Assert.Throws<ModelRequestException>(() => InferenceModel.Load(new InferenceRequest(ModelRegistry.Get(Model), path) { Channels = ChannelSubset.BuiltIn(24) }));
        var classes = Assert.Throws<ModelRequestException>(() => InferenceModel.Load(new InferenceRequest(ModelRegistry.Get(Model), path) { Classes = 1000 }));

        Assert.Equal($"{path}: the checkpoint holds a mobilenetv2-dct model, but resnet18-dct was asked for.", model.Message);
        Assert.Equal($"{path}: the checkpoint was trained on channels 6, but channels 24 were asked for; leave the channels out to use the checkpoint's.", channels.Message);
        Assert.Equal($"{path}: the classifier has 3 outputs (classifier.weight is [3, 1280]), but 1000 classes were asked for.", classes.Message);
    }

    [Fact]
    public void Weights_for_other_channels_fail_strict_loading_with_the_shapes()
    {
        using var directory = new TemporaryDirectory();
        using var original = TestModels.Create(Model, channels: 6, classes: 3);
        string path = TestModels.SaveReleaseLayout(original, directory.File("model_best.pth.tar"));

        var error = Assert.Throws<StateDictMismatchException>(() => InferenceModel.Load(new InferenceRequest(ModelRegistry.Get(Model), path)));

        Assert.Contains(error.ShapeMismatches, m => m.Key == "features.0.conv.0.weight" && m.FileShape.SequenceEqual([6L, 1, 3, 3]) && m.ModelShape.SequenceEqual([24L, 1, 3, 3]));
    }

    [Fact]
    public void Gated_weights_build_the_gate_on_all_channels_and_draw_its_noise_from_the_seed()
    {
        using var directory = new TemporaryDirectory();
        using var scope = NewDisposeScope();
        using var original = TestModels.Create(Model, channels: 192, classes: 4, gate: true);
        string path = TestModels.SaveReleaseLayout(original, directory.File("gated.pth"));
        var x = randn(3, 192, 112, 112);
        var (expected, _) = ((DctModel)original).ForwardWithGates(x, GumbelSoftmax.SampleNoise([3, 192, 2], new Generator(7)));

        using var loaded = InferenceModel.Load(new InferenceRequest(ModelRegistry.Get(Model), path) { GateSeed = 7 });
        var refused = Assert.Throws<ModelRequestException>(() => InferenceModel.Load(new InferenceRequest(ModelRegistry.Get(Model), path) { Channels = ChannelSubset.BuiltIn(24) }));
        var rgb = Assert.Throws<ModelRequestException>(() => InferenceModel.Load(new InferenceRequest(ModelRegistry.Get("mobilenetv2"), path)));

        Assert.True(loaded.HasInputGate);
        Assert.Equal(192, loaded.Channels!.Count);
        TestModels.AssertSameLogits(expected, loaded.Logits(x));
        Assert.Equal($"{path}: the weights have an input gate (inp_GM.*), which selects among all 192 channels, but channels 24 were asked for.", refused.Message);
        Assert.Equal($"{path}: the weights have an input gate (inp_GM.*), which only DCT models take; mobilenetv2 takes RGB images.", rgb.Message);
    }

    [Fact]
    public void RGB_weights_take_torchvision_normalization_and_refuse_channels()
    {
        using var directory = new TemporaryDirectory();
        using var original = TestModels.Create("mobilenetv2", channels: null, classes: 2);
        string path = directory.File("mobilenetv2.pth");
        PyTorchCheckpoint.Write(path, ModuleState.Capture(original));

        using var loaded = InferenceModel.Load(new InferenceRequest(ModelRegistry.Get("mobilenetv2"), path));

        Assert.Null(loaded.Channels);
        Assert.Equal(2, loaded.Classes);
        Assert.Equal(InputNormalization.RgbImageNet, loaded.Normalization);
        Assert.Equal([3, 224, 224], loaded.Pipeline.Shape);
        var channels = Assert.Throws<ArgumentException>(() => InferenceModel.Load(new InferenceRequest(ModelRegistry.Get("mobilenetv2"), path) { Channels = ChannelSubset.BuiltIn(24) }));
        Assert.StartsWith("mobilenetv2 takes RGB images; channel subsets are for the DCT models.", channels.Message);
    }

    [Fact]
    public void Inputs_of_the_wrong_channel_count_are_refused_before_the_model_runs()
    {
        using var directory = new TemporaryDirectory();
        using var original = TestModels.Create(Model, channels: 6, classes: 2);
        using var loaded = InferenceModel.Load(new InferenceRequest(ModelRegistry.Get(Model), TestModels.SaveCheckpoint(original, directory.File("w.safetensors"), Model, 6, 2)));
        using var input = zeros(1, 24, 112, 112);

        var error = Assert.Throws<ArgumentException>(() => loaded.Logits(input));

        Assert.StartsWith("mobilenetv2-dct takes N x 6 x H x W inputs, got [1, 24, 112, 112].", error.Message);
    }

    [Fact]
    public void A_checkpoint_normalization_sets_the_RGB_pipeline_and_a_malformed_one_is_refused()
    {
        using var directory = new TemporaryDirectory();
        using var original = TestModels.Create("mobilenetv2", channels: null, classes: 2);
        var weights = ModuleState.Capture(original);
        string custom = directory.File("custom.safetensors"), malformed = directory.File("malformed.safetensors");
        new DctNetCheckpoint(new CheckpointMetadata { Model = "mobilenetv2", Classes = 2, Normalization = new([0.5, 0.5, 0.5], [0.25, 0.25, 0.25]) }, weights).Save(custom);
        new DctNetCheckpoint(new CheckpointMetadata { Model = "mobilenetv2", Classes = 2, Normalization = new([0.5], [0.25]) }, weights).Save(malformed);

        using var loaded = InferenceModel.Load(new InferenceRequest(ModelRegistry.Get("mobilenetv2"), custom));
        var error = Assert.Throws<CheckpointException>(() => InferenceModel.Load(new InferenceRequest(ModelRegistry.Get("mobilenetv2"), malformed)));

        Assert.Equal("RGB 3 x 224 x 224 (resize 256, crop 224, mean [0.5, 0.5, 0.5], std [0.25, 0.25, 0.25])", loaded.Pipeline.Description);
        Assert.Equal($"{malformed}: the metadata's normalization needs 3 means and 3 positive, finite standard deviations for mobilenetv2.", error.Message);
    }

    [Fact]
    public void A_classifier_declaring_more_classes_than_any_model_has_is_refused_before_the_model_is_built()
    {
        using var directory = new TemporaryDirectory();
        string path = directory.File("classes.pth");
        // fc.weight: 2e9 x 512 from one stored element, as a zero-stride view; the model it asks for would take 4 TB.
        using (var archive = new System.IO.Compression.ZipArchive(File.Create(path), System.IO.Compression.ZipArchiveMode.Create))
        {
            using (var pickle = archive.CreateEntry("archive/data.pkl").Open())
                pickle.Write(PickleBuilder.FloatTensorStateDict("fc.weight", 1, 0, [2_000_000_000, 512], [0, 0]));
            using var storage = archive.CreateEntry("archive/data/0").Open();
            storage.Write(new byte[4]);
        }

        var error = Assert.Throws<CheckpointException>(() => InferenceModel.Load(new InferenceRequest(ModelRegistry.Get("resnet18"), path)));

        Assert.Equal($"{path}: fc.weight is [2000000000, 512], 2000000000 classes; a classifier may have 1 to 32768.", error.Message);
    }
}
