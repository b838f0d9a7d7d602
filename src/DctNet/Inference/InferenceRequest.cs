using DctNet.Frequency;
using DctNet.Frequency.Channels;
using DctNet.Models;

namespace DctNet.Inference;

/// <summary>Which model to run with which weights; what is left null follows the weights.</summary>
/// <param name="Model">A model of the registry, e.g. <c>ModelRegistry.Get("resnet50-dct")</c>.</param>
/// <param name="Weights">A PyTorch file, a DctNet checkpoint or a DctNet training run directory (<see cref="RunDirectory"/>).</param>
public sealed record InferenceRequest(ModelDefinition Model, string Weights)
{
    /// <summary>
    /// DCT models: the channel subset. Null takes the checkpoint's (DctNet checkpoints name theirs), all 192 for
    /// weights with an input gate, else DCT-24. Must be null for RGB models.
    /// </summary>
    public ChannelSubset? Channels { get; init; }

    /// <summary>The number of classes expected; null accepts the classifier of the weights, whatever its size.</summary>
    public int? Classes { get; init; }

    /// <summary>
    /// Seed of the input gate's Gumbel noise, for weights with a gate: the release samples the gates in evaluation
    /// too, so a gated model's outputs depend on the noise, and a seed makes runs repeatable.
    /// </summary>
    public ulong GateSeed { get; init; }

    /// <summary>
    /// Merge the BatchNorms into the convolutions: faster inference, outputs equal up to float rounding. On libtorch the
    /// module is folded (<see cref="Models.BatchNormFolding"/>) and can then no longer be saved or trained; on ONNX
    /// Runtime the exported graph is (in float64, as <see cref="Export.OnnxExport"/> writes files) and the module stays as loaded.
    /// </summary>
    public bool FoldBatchNorm { get; init; }

    /// <summary>
    /// DCT models: the statistics to normalize the input with, for weights that do not record theirs (PyTorch files);
    /// null for the checkpoint's own, else the release's ImageNet statistics.
    /// </summary>
    public ChannelStatistics? Statistics { get; init; }

    /// <summary>
    /// DCT models: the DCT pipeline. Null takes the checkpoint's (exact for files that do not record one); a DctNet
    /// checkpoint refuses the other. Must be null for RGB models.
    /// </summary>
    public DctPipeline? Pipeline { get; init; }

    /// <summary>Where the network runs (<see cref="ComputeDevice"/>).</summary>
    public string Device { get; init; } = ComputeDevice.Default;

    /// <summary>What computes the network: libtorch, or ONNX Runtime on the model exported in memory.</summary>
    public InferenceEngine Engine { get; init; } = InferenceEngine.Torch;

    /// <summary>ONNX Runtime's threads for one forward pass; 0 for one per core. (libtorch's are process-wide: <c>torch.set_num_threads</c>.)</summary>
    public int Threads { get; init; }
}

/// <summary>What computes a model's forward pass for predict, eval and the benchmarks.</summary>
public enum InferenceEngine
{
    /// <summary>libtorch through TorchSharp (oneDNN's kernels on the CPU), on any <see cref="ComputeDevice"/>.</summary>
    Torch,

    /// <summary>
    /// ONNX Runtime's CPU engine (its own MLAS kernels) on the model exported with <see cref="Export.OnnxExport"/>, BatchNorms
    /// folded. The package DctNet references is the CPU build, so this engine runs on the CPU only.
    /// </summary>
    OnnxRuntime,
}
