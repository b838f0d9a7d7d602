using DctNet.Analysis;
using DctNet.Checkpoints;
using DctNet.Data;
using DctNet.Frequency.Channels;
using DctNet.Frequency.Geometry;
using DctNet.Inference;
using DctNet.Models;
using DctNet.TestSupport;
using static TorchSharp.torch;

namespace DctNet.Tests.Analysis;

[Collection(Training.SharedTorchGenerator.Name)]
public sealed class SpectralSensitivityTests : IDisposable
{
    private const string Model = "resnet18-dct-s2";

    /// <summary>So large that (x - mean) / std is 0 to float precision for any coefficient: the pipeline's own way to blank a channel.</summary>
    private const double Blanking = 1e30;

    private readonly string temp = Directory.CreateTempSubdirectory("dctnet-sensitivity-").FullName;

    public void Dispose() => Directory.Delete(temp, recursive: true);

    /// <summary>
    /// The oracle is the input pipeline itself: a checkpoint whose statistics give channel c a std of 1e30 (mean
    /// ablation) or a mean of (mean / std) x 1e30 as well (a coefficient of 0) produces the ablated input through the
    /// transform's normalization, and a plain forward pass over it gives the loss and accuracy the analysis must report.
    /// </summary>
    [Theory]
    [InlineData(Ablation.Mean)]
    [InlineData(Ablation.Zero)]
    public void Each_ablation_equals_evaluating_the_model_with_that_channel_blanked_by_the_input_normalization(Ablation ablation)
    {
        var channels = ChannelSubset.BuiltIn(6);
        string weights = SaveCheckpoint(channels, ChannelStatistics.ImageNet, "model.safetensors", seed: 3);
        var data = ImageFolder.Open(WriteImageFolder());
        using var model = Load(weights);

        var measured = SpectralSensitivity.Measure(model, data, ablation, AblationUnit.Channel, batchSize: 2, threads: 2);

        Assert.Equal(channels.Count, measured.Results.Count);
        Assert.Equal(data.Samples.Count, measured.Samples);
        var (baselineTop1, baselineLoss) = Evaluate(weights, data);
        Assert.Equal(baselineTop1, measured.BaselineTop1);
        Assert.Equal(baselineLoss, measured.BaselineLoss, 1e-9);
        foreach (int index in new[] { 0, 2, 5 })
        {
            int channel = channels.Channels[index];
            string blanked = SaveCheckpoint(channels, Blank(ChannelStatistics.ImageNet, channel, ablation), $"blank{channel}.safetensors", seed: 3);
            var (top1, loss) = Evaluate(blanked, data);
            var result = measured.Results[index];
            Assert.Equal([channel], result.Channels);
            Assert.Equal(top1, result.Top1);
            Assert.Equal(loss, result.Loss, 1e-4 * Math.Max(1, loss));
        }
    }

    [Fact]
    public void Onnx_runtime_measures_what_libtorch_measures()
    {
        var channels = ChannelSubset.BuiltIn(6);
        string weights = SaveCheckpoint(channels, ChannelStatistics.ImageNet, "model.safetensors", seed: 4);
        var data = ImageFolder.Open(WriteImageFolder());
        using var torchModel = Load(weights);
        using var onnxModel = Load(weights, InferenceEngine.OnnxRuntime);

        var onTorch = SpectralSensitivity.Measure(torchModel, data, Ablation.Mean, AblationUnit.Band, batchSize: 4, threads: 2);
        var onOnnx = SpectralSensitivity.Measure(onnxModel, data, Ablation.Mean, AblationUnit.Band, batchSize: 4, threads: 2);

        Assert.Equal(onTorch.Results.Select(r => r.Name), onOnnx.Results.Select(r => r.Name));
        Assert.Equal(onTorch.BaselineLoss, onOnnx.BaselineLoss, 1e-3);
        Assert.All(onTorch.Results.Zip(onOnnx.Results), pair => Assert.Equal(pair.First.Loss, pair.Second.Loss, 1e-3));
    }

    [Fact]
    public void Bands_group_the_input_channels_by_component_and_anti_diagonal()
    {
        // DCT-24: Y's top-left 4x4 (u + v = 0..6), Cb's and Cr's top-left 2x2 (u + v = 0..2).
        var channels = ChannelSubset.BuiltIn(24);
        Assert.Equal(24, SpectralSensitivity.AblationCount(channels, AblationUnit.Channel));
        Assert.Equal(7 + 3 + 3, SpectralSensitivity.AblationCount(channels, AblationUnit.Band));
        Assert.Equal(3 * SpectralSensitivity.BandsPerComponent, SpectralSensitivity.AblationCount(ChannelSubset.All, AblationUnit.Band));
        Assert.Equal(0, SpectralSensitivity.Band(64));
        Assert.Equal(7 + 7, SpectralSensitivity.Band(63));
        Assert.Equal(1 + 2, SpectralSensitivity.Band(128 + 8 * 2 + 1));
    }

    [Fact]
    public void Ranks_order_by_accuracy_drop_then_loss_increase_with_ties_ranked_last_and_unmeasured_channels_after_all()
    {
        AblationResult Channel(int c, double top1, double loss) => new($"c{c}", [c], top1, loss);
        var sensitivity = new SpectralSensitivity(Ablation.Mean, AblationUnit.Channel, 10, BaselineTop1: 90, BaselineLoss: 0.5,
            [Channel(0, 60, 1.0), Channel(1, 80, 0.9), Channel(2, 80, 0.7), Channel(64, 90, 0.6), Channel(65, 90, 0.6), Channel(128, 95, 0.4)], []);

        var ranks = sensitivity.Ranks();

        Assert.Equal(1, ranks[0]);
        Assert.Equal(2, ranks[1]);
        Assert.Equal(3, ranks[2]);
        Assert.Equal(5, ranks[64]);
        Assert.Equal(5, ranks[65]);
        Assert.Equal(6, ranks[128]);
        Assert.Equal(192, ranks[3]);
        Assert.Equal([0, 1], sensitivity.MostSensitive(2).Y);
        Assert.True(double.IsNaN(sensitivity.Top1DropPerChannel()[3]));
        var (low, high) = sensitivity.LowAndHighBands();
        Assert.Equal((30 + 10 + 10 + 0 + 0 - 5) / 6.0, low, 12);
        Assert.True(double.IsNaN(high));
    }

    [Fact]
    public void A_gated_model_measures_the_same_twice_and_its_closed_channels_cost_nothing()
    {
        int[] open = [0, 1, 8, 64, 128];
        string weights = SaveGatedCheckpoint(open);
        var data = ImageFolder.Open(WriteImageFolder());
        using var model = Load(weights);

        var first = SpectralSensitivity.Measure(model, data, Ablation.Zero, AblationUnit.Channel, batchSize: 2, threads: 2, gateSeed: 5);
        var second = SpectralSensitivity.Measure(model, data, Ablation.Zero, AblationUnit.Channel, batchSize: 2, threads: 2, gateSeed: 5);

        Assert.Equal(first.Results.Select(r => r.Loss), second.Results.Select(r => r.Loss));
        Assert.All(first.Results.Where(r => !open.Contains(r.Channels[0])), r => Assert.Equal(first.BaselineLoss, r.Loss));
        Assert.Contains(first.Results.Where(r => open.Contains(r.Channels[0])), r => r.Loss != first.BaselineLoss);
    }

    [Fact]
    public void Mean_ablation_of_raw_input_and_rgb_models_are_refused_by_name()
    {
        var data = ImageFolder.Open(WriteImageFolder());
        string rgbWeights = Path.Combine(temp, "rgb.safetensors");
        using (var rgb = ModelRegistry.Create("resnet18", null, 2))
            new DctNetCheckpoint(new CheckpointMetadata { Model = "resnet18", Classes = 2, Geometry = new CropGeometry(32, 32) }, ModuleState.Capture(rgb)).Save(rgbWeights);
        using var rgbModel = InferenceModel.Load(new InferenceRequest(ModelRegistry.Get("resnet18"), rgbWeights));

        var error = Assert.Throws<ModelRequestException>(() => SpectralSensitivity.Measure(rgbModel, data, Ablation.Mean, AblationUnit.Channel, 2, 2));
        Assert.Contains("needs a DCT model", error.Message, StringComparison.Ordinal);

        using var raw = Load(SaveCheckpoint(ChannelSubset.BuiltIn(6), null, "raw.safetensors", seed: 3));
        error = Assert.Throws<ModelRequestException>(() => SpectralSensitivity.Measure(raw, data, Ablation.Mean, AblationUnit.Channel, 2, 2));
        Assert.Contains("raw coefficients", error.Message, StringComparison.Ordinal);
        Assert.Equal(6, SpectralSensitivity.Measure(raw, data, Ablation.Zero, AblationUnit.Channel, 2, 2).Results.Count);
    }

    private static InferenceModel Load(string weights, InferenceEngine engine = InferenceEngine.Torch)
        => InferenceModel.Load(new InferenceRequest(ModelRegistry.Get(Model), weights) { Engine = engine, Threads = 2 });

    /// <summary>Top-1 in percent and mean cross-entropy of a plain forward pass over the model's own input.</summary>
    private static (double Top1, double Loss) Evaluate(string weights, ImageFolder data)
    {
        using var model = InferenceModel.Load(new InferenceRequest(ModelRegistry.Get(Model), weights));
        int correct = 0, count = 0;
        double loss = 0;
        foreach (var batch in model.CreateLoader(data.Samples, 3, 2).Batches())
        {
            using (batch)
            using (NewDisposeScope())
            {
                var logits = model.Logits(batch.Inputs);
                var labels = batch.Labels.to(ScalarType.Int64);
                correct += (int)logits.argmax(1).eq(labels).sum().item<long>();
                loss += nn.functional.cross_entropy(logits.to(ScalarType.Float64), labels, reduction: nn.Reduction.Sum).item<double>();
                count += batch.Count;
            }
        }
        return (100.0 * correct / count, loss / count);
    }

    private static ChannelStatistics Blank(ChannelStatistics statistics, int channel, Ablation ablation)
    {
        var mean = statistics.Mean.ToArray();
        var std = statistics.Std.ToArray();
        if (ablation == Ablation.Zero)
            mean[channel] = mean[channel] / std[channel] * Blanking;
        std[channel] = Blanking;
        return new ChannelStatistics(mean, std);
    }

    private string SaveCheckpoint(ChannelSubset channels, ChannelStatistics? statistics, string name, int seed)
    {
        manual_seed(seed);
        using var model = ModelRegistry.Create(Model, channels, 2);
        string path = Path.Combine(temp, name);
        new DctNetCheckpoint(Metadata(channels, statistics), ModuleState.Capture(model)).Save(path);
        return path;
    }

    /// <summary>A gated model whose gate logits are +-50 whatever the input, so that exactly <paramref name="open"/> pass.</summary>
    private string SaveGatedCheckpoint(int[] open)
    {
        manual_seed(6);
        using var model = ModelRegistry.Create(Model, ChannelSubset.All, 2, gate: true);
        ForcedGates.Force(model, open);
        string path = Path.Combine(temp, "gated.safetensors");
        new DctNetCheckpoint(Metadata(ChannelSubset.All, ChannelStatistics.ImageNet), ModuleState.Capture(model)).Save(path);
        return path;
    }

    /// <param name="statistics">Null for raw coefficients.</param>
    private static CheckpointMetadata Metadata(ChannelSubset channels, ChannelStatistics? statistics) => new()
    {
        Model = Model,
        Classes = 2,
        Channels = channels,
        Normalization = statistics is null ? null : InputNormalization.From(statistics),
        Layer2Stride = 2,
        Geometry = new CropGeometry(64, 64),
    };

    /// <summary>A 2-class ImageFolder of 5 fixture images.</summary>
    private string WriteImageFolder()
    {
        string root = Path.Combine(temp, "data");
        foreach (var (image, folder) in new[] { ("jpeg_420.jpg", "ants"), ("jpeg_444.jpg", "ants"), ("jpeg_tall.jpg", "ants"), ("png_rgb.png", "bees"), ("jpeg_gray.jpg", "bees") })
        {
            Directory.CreateDirectory(Path.Combine(root, folder));
            File.Copy(TestPaths.FixtureImage(image), Path.Combine(root, folder, image), overwrite: true);
        }
        return root;
    }
}
