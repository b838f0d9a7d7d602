using DctNet.Checkpoints;
using DctNet.Frequency.Channels;
using DctNet.Models;
using static TorchSharp.torch;

namespace DctNet.Tests.Inference;

/// <summary>Registry models with seeded random weights, saved in each supported format for the loader to read back.</summary>
internal static class TestModels
{
    /// <summary>A registry model in evaluation mode, its weights drawn from <paramref name="seed"/>.</summary>
    public static nn.Module<Tensor, Tensor> Create(string model, int? channels, int classes, bool gate = false, int seed = 1)
    {
        manual_seed(seed);
        var module = ModelRegistry.Create(model, channels is { } count ? ChannelSubset.BuiltIn(count) : null, classes, gate);
        module.eval();
        return module;
    }

    /// <summary>A DctNet checkpoint with the metadata the model was built with (ImageNet statistics for DCT models).</summary>
    public static string SaveCheckpoint(nn.Module<Tensor, Tensor> module, string path, string model, int? channels, int classes)
        => SaveCheckpoint(module, path, model, channels is { } count ? ChannelSubset.BuiltIn(count) : null, classes);

    /// <summary>A DctNet checkpoint of a model on <paramref name="subset"/> (null for RGB models).</summary>
    /// <param name="normalization">What the metadata records; null for ImageNet's DCT statistics, or none for RGB models.</param>
    public static string SaveCheckpoint(nn.Module<Tensor, Tensor> module, string path, string model, ChannelSubset? subset, int classes, InputNormalization? normalization = null)
    {
        var metadata = new CheckpointMetadata
        {
            Model = model,
            Classes = classes,
            Channels = subset,
            Normalization = normalization ?? (subset is null ? null : InputNormalization.From(ChannelStatistics.ImageNet)),
        };
        new DctNetCheckpoint(metadata, ModuleState.Capture(module)).Save(path);
        return path;
    }

    /// <summary>A torch.save file as the release writes them: "module."-prefixed keys under "state_dict".</summary>
    public static string SaveReleaseLayout(nn.Module<Tensor, Tensor> module, string path)
    {
        PyTorchCheckpoint.Write(path, ModuleState.Capture(module), new PyTorchExportOptions
        {
            DataParallelPrefix = true,
            ReleaseLayout = new ReleaseCheckpointFields(Epoch: 7, Arch: "test", BestPrec1: 1.5),
        });
        return path;
    }

    public static float[] Values(Tensor tensor) => tensor.data<float>().ToArray();

    /// <summary>
    /// The same logits up to float rounding: within 1e-4 of the largest magnitude, the parity bar. Loaded models run in
    /// channels-last layout, whose kernels add in another order than the freshly built NCHW model's.
    /// </summary>
    public static void AssertSameLogits(Tensor expected, Tensor actual)
    {
        float[] want = Values(expected), got = Values(actual);
        Assert.Equal(want.Length, got.Length);
        float scale = want.Max(Math.Abs);
        for (int i = 0; i < want.Length; i++)
            Assert.True(Math.Abs(want[i] - got[i]) <= 1e-4f * scale, $"logit {i}: {got[i]} vs {want[i]} (largest {scale})");
    }
}
