using DctNet.Checkpoints;
using DctNet.Frequency;
using DctNet.Frequency.Channels;
using DctNet.Frequency.Geometry;
using DctNet.Frequency.Imaging;
using DctNet.Models;
using static TorchSharp.torch;

namespace DctNet.Cli.Tests;

/// <summary>
/// A registry model (resnet18-dct-s2 on 6 channels, 2 classes) with seeded random weights, saved as a DctNet checkpoint
/// and as the release's PyTorch layout, kept in memory to compute what the commands must print.
/// </summary>
public sealed class TrainedWeights : IDisposable
{
    public const string Model = "resnet18-dct-s2";
    public const int Channels = 6;
    public const int Classes = 2;

    private readonly nn.Module<Tensor, Tensor> module;
    private readonly Lock moduleLock = new();

    public TrainedWeights()
    {
        manual_seed(20200226);
        module = ModelRegistry.Create(Model, ChannelSubset.BuiltIn(Channels), Classes);
        module.eval();
        var metadata = new CheckpointMetadata
        {
            Model = Model,
            Classes = Classes,
            Channels = ChannelSubset.BuiltIn(Channels),
            Normalization = InputNormalization.From(ChannelStatistics.ImageNet),
            Layer2Stride = 2,
        };
        new DctNetCheckpoint(metadata, ModuleState.Capture(module)).Save(Checkpoint);
        PyTorchCheckpoint.Write(ReleaseFile, ModuleState.Capture(module), new PyTorchExportOptions
        {
            DataParallelPrefix = true,
            ReleaseLayout = new ReleaseCheckpointFields(Epoch: 90, Arch: Model, BestPrec1: 50),
        });
    }

    public string Directory { get; } = System.IO.Directory.CreateTempSubdirectory("dctnet-cli-weights-").FullName;

    /// <summary>A DctNet checkpoint: the metadata names the model, the channels and the classes.</summary>
    public string Checkpoint => Path.Combine(Directory, "dct6.safetensors");

    /// <summary>The release's model_best.pth.tar layout: "module." keys under "state_dict", no metadata.</summary>
    public string ReleaseFile => Path.Combine(Directory, "model_best.pth.tar");

    /// <summary>The model's logits for a batch, computed in this process.</summary>
    public float[] Logits(float[] inputs, params long[] shape)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        lock (moduleLock)
            return module.call(tensor(inputs, shape)).data<float>().ToArray();
    }

    /// <summary>The images through the model's pipeline (REFERENCE.md section 1: ResNet geometry, DCT-6, ImageNet statistics), one after the other.</summary>
    public static float[] PipelineInputs(params string[] images)
    {
        var transform = new DctTransform(CropGeometry.ResNet, ChannelSubset.BuiltIn(Channels), ChannelStatistics.ImageNet);
        var decoder = new ImageDecoder();
        return [.. images.SelectMany(image => transform.Transform(decoder.DecodeFile(image)))];
    }

    public void Dispose()
    {
        module.Dispose();
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}
