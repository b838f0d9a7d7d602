using System.Runtime.InteropServices;
using DctNet.Checkpoints;
using DctNet.Export;
using DctNet.Data;
using DctNet.Frequency;
using DctNet.Frequency.Channels;
using DctNet.Frequency.Geometry;
using DctNet.Frequency.Imaging;
using DctNet.Models;
using DctNet.Onnx;
using TorchSharp;
using static TorchSharp.torch;

namespace DctNet.Inference;

/// <summary>
/// A model of the registry with weights loaded strictly from a file, in evaluation mode, together with the input
/// pipeline its weights expect - what predicting and evaluating need - computed by libtorch or by ONNX Runtime
/// (<see cref="InferenceRequest.Engine"/>).
/// </summary>
public sealed class InferenceModel : IDisposable
{
    /// <summary>The exported model on ONNX Runtime, for <see cref="InferenceEngine.OnnxRuntime"/>; null on libtorch.</summary>
    private OnnxSession? onnx;

    private InferenceModel(ModelDefinition definition, ModelInput input, CropGeometry? geometry, int classes, bool hasInputGate,
        nn.Module<Tensor, Tensor> module, Device device, string weightsPath, string weightsFormat)
    {
        Definition = definition;
        Input = input;
        Geometry = geometry;
        Classes = classes;
        HasInputGate = hasInputGate;
        Module = module;
        Device = device;
        WeightsPath = weightsPath;
        WeightsFormat = weightsFormat;
        Pipeline = ImagePipeline.For(input);
    }

    public ModelDefinition Definition { get; }

    /// <summary>What computes the forward pass.</summary>
    public InferenceEngine Engine => onnx is null ? InferenceEngine.Torch : InferenceEngine.OnnxRuntime;

    /// <summary>The DCT channels the model reads; null for RGB models.</summary>
    public ChannelSubset? Channels => (Input as DctInput)?.Channels;

    /// <summary>The resize and crop the weights were trained at (their metadata's); null for the model's own.</summary>
    public CropGeometry? Geometry { get; }

    /// <summary>Outputs of the classifier.</summary>
    public int Classes { get; }

    /// <summary>Where the network runs; inputs and logits stay on the CPU for the caller.</summary>
    public Device Device { get; }

    /// <summary>Whether the model has the input gate (its weights have <c>inp_GM.*</c> keys).</summary>
    public bool HasInputGate { get; }

    /// <summary>The normalization of the model's input: 192 values for DCT models, 3 for RGB; null for raw input.</summary>
    public InputNormalization? Normalization => Input.Normalization;

    /// <summary>The network, in evaluation mode; owned by this object.</summary>
    public nn.Module<Tensor, Tensor> Module { get; }

    /// <summary>Whether the BatchNorms were merged into the convolutions (<see cref="InferenceRequest.FoldBatchNorm"/>): of
    /// <see cref="Module"/> on libtorch, of the exported graph on ONNX Runtime.</summary>
    public bool BatchNormFolded { get; private init; }

    /// <summary>The file the weights were read from (a run directory's checkpoint when a directory was given).</summary>
    public string WeightsPath { get; }

    /// <summary>"PyTorch zip", "PyTorch legacy" or "safetensors".</summary>
    public string WeightsFormat { get; }

    /// <summary>What the model takes, as <see cref="ModelDefinition.ResolveInput"/> resolved it from the request, the weights and the model's defaults.</summary>
    public ModelInput Input { get; }

    /// <summary>Images to the input this model takes.</summary>
    public ImagePipeline Pipeline { get; }

    /// <summary>
    /// Builds the requested model around the weights: classes follow the classifier in the weights, the input gate
    /// is built when the weights have one, and a DctNet checkpoint's metadata supplies the channels and the input
    /// normalization (otherwise the release's ImageNet statistics for DCT models, torchvision's mean/std for RGB).
    /// </summary>
    /// <exception cref="ModelRequestException">The request contradicts the weights (model, channels, classes or input gate).</exception>
    /// <exception cref="CheckpointException">The weights cannot be read, are unsafe, or do not fit the model (strict matching).</exception>
    /// <exception cref="ArgumentException">The model does not take the channels or statistics asked for.</exception>
    public static InferenceModel Load(InferenceRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var definition = request.Model;
        string path = RunDirectory.ResolveWeights(request.Weights);
        var contents = WeightsFile.Read(path);
        var metadata = contents.Metadata;
        if (metadata is not null && !string.Equals(metadata.Model, definition.Name, StringComparison.OrdinalIgnoreCase))
            throw new ModelRequestException($"{path}: the checkpoint holds a {metadata.Model} model, but {definition.Name} was asked for.");

        bool gate = WeightsLayout.HasInputGate(contents.Weights);
        var input = definition.ResolveInput(new InputRequest(request.Channels, Statistics: request.Statistics, Pipeline: request.Pipeline), metadata, gate, path);
        var channels = (input as DctInput)?.Channels;
        if (gate && channels is null)
            throw new ModelRequestException($"{path}: the weights have an input gate ({WeightsLayout.InputGatePrefix}*), which only DCT models take; {definition.Name} takes RGB images.");
        if (gate && channels!.Count != InputGate.Channels)
            throw new ModelRequestException($"{path}: the weights have an input gate ({WeightsLayout.InputGatePrefix}*), which selects among all {InputGate.Channels} channels, but channels {ModelDefinition.Describe(channels)} were asked for.");
        int classes = ResolveClasses(request.Classes, contents.Weights, metadata, path);

        var device = ComputeDevice.Parse(request.Device);
        if (request.Engine == InferenceEngine.OnnxRuntime && device.type != DeviceType.CPU)
            throw new ArgumentException($"device '{request.Device}': the onnxruntime engine runs on the CPU (DctNet references ONNX Runtime's CPU build); use the torch engine for {request.Device}.");
        var module = definition.Create(channels, classes, gate);
        try
        {
            ModuleState.Load(module, contents.Weights, path);
            module.to(device);
            // The onnxruntime engine folds in its graph (in float64, as an exported file does), from the module as loaded.
            bool onnxRuntime = request.Engine == InferenceEngine.OnnxRuntime;
            PrepareForInference(module, request.FoldBatchNorm && !onnxRuntime);
            if (module is DctModel { Gate: { } inputGate })
                inputGate.NoiseGenerator = new Generator(request.GateSeed);
            var loaded = new InferenceModel(definition, input, metadata?.Geometry, classes, gate, module, device, path, contents.Format)
            {
                BatchNormFolded = request.FoldBatchNorm,
            };
            if (onnxRuntime)
                loaded.onnx = OnnxSession.FromBytes(OnnxExport.ToBytes(loaded, request.FoldBatchNorm), $"{path} (exported to ONNX)", request.Threads);
            return loaded;
        }
        catch
        {
            module.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Restarts a gated model's Gumbel noise from <paramref name="seed"/>, on either engine, so that the next batches
    /// sample the gates they sampled after the last restart from the same seed. Nothing for a model without a gate.
    /// </summary>
    public void SeedGateNoise(ulong seed)
    {
        if (Module is DctModel { Gate: { } gate })
            gate.NoiseGenerator = new Generator(seed);
    }

    /// <summary>The logits (N x classes, on the CPU) of a batch of CPU inputs (N x C x H x W, as <see cref="Pipeline"/> makes them), without gradients.</summary>
    public Tensor Logits(Tensor inputs)
    {
        if (inputs.dim() != 4 || inputs.shape[1] != Input.Shape[0])
            throw new ArgumentException($"{Definition.Name} takes N x {Input.Shape[0]} x H x W inputs, got [{string.Join(", ", inputs.shape)}].", nameof(inputs));
        if (onnx is not null)
            return OnnxLogits(onnx, inputs);
        if (Device.type == DeviceType.CPU)
            return Forward(Module, inputs);
        using var onDevice = inputs.to(Device);
        using var logits = Forward(Module, onDevice);
        return logits.cpu();
    }

    /// <summary>
    /// The exported model's logits. A gated model gets the Gumbel noise its gate would draw on libtorch, from the same
    /// generator, so that both engines sample the same gates for the same seed.
    /// </summary>
    private Tensor OnnxLogits(OnnxSession session, Tensor inputs)
    {
        using var scope = NewDisposeScope();
        int batch = (int)inputs.shape[0];
        var values = MemoryMarshal.Cast<byte, float>(inputs.to(float32).contiguous().bytes);
        var noise = Module is DctModel { Gate: { } inputGate }
            ? MemoryMarshal.Cast<byte, float>(GumbelSoftmax.SampleNoise([batch, InputGate.Channels, 2], inputGate.NoiseGenerator).bytes)
            : [];
        return tensor(session.Run(values, batch, noise), [batch, Classes]).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// How inference runs a network: evaluation mode, BatchNorms folded where asked, channels-last weights. The parity
    /// tests run models of their own through this and <see cref="Forward"/>, so that they check what predict runs.
    /// </summary>
    /// <returns>How many blocks had their BatchNorms folded.</returns>
    internal static int PrepareForInference(nn.Module module, bool foldBatchNorm)
    {
        module.eval();
        int folded = foldBatchNorm ? BatchNormFolding.Fold(module) : 0;
        ChannelsLast.Convert(module);
        return folded;
    }

    /// <summary>A prepared network's output for N x C x H x W inputs on its device: channels-last, no gradients.</summary>
    internal static Tensor Forward(nn.Module<Tensor, Tensor> module, Tensor inputs)
    {
        using var noGrad = no_grad();
        using var laidOut = ChannelsLast.Of(inputs);
        return module.call(laidOut);
    }

    /// <summary>Reads and transforms <paramref name="samples"/> with <see cref="Pipeline"/> on worker threads, in batches.</summary>
    public BatchLoader CreateLoader(IReadOnlyList<(string Path, int Label)> samples, int batchSize, int threads)
        => new(samples, Pipeline.Shape, (path, _, destination) => Pipeline.Transform(path, destination), batchSize, threads);

    /// <summary>What a DctNet checkpoint of this model records: model, classes, channels, normalization and layer2 stride.</summary>
    public CheckpointMetadata Metadata => new()
    {
        Model = Definition.Name,
        Classes = Classes,
        Channels = Channels,
        Normalization = Normalization,
        Layer2Stride = Module is ResNetDct resnet ? resnet.Layer2Stride : null,
        Geometry = Geometry,
        Pipeline = (Input as DctInput)?.Pipeline ?? DctPipeline.Exact,
    };

    public void Dispose()
    {
        onnx?.Dispose();
        Module.Dispose();
    }

    private static int ResolveClasses(int? requested, StateDict weights, CheckpointMetadata? metadata, string path)
    {
        if (WeightsLayout.Classifier(weights) is not var (key, weight))
            return requested ?? metadata?.Classes ?? 1000; // no known classifier: strict loading reports what is there
        long rows = weight.Shape[0];
        if (rows is < 1 or > CheckpointLimits.MaxClasses)
            throw new CheckpointException($"{path}: {key} is {weight.ShapeText}, {rows} classes; a classifier may have 1 to {CheckpointLimits.MaxClasses}.");
        if (metadata is not null && metadata.Classes != rows)
            throw new CheckpointException($"{path}: the metadata says {metadata.Classes} classes, but {key} is {weight.ShapeText}.");
        if (requested is { } classes && classes != rows)
            throw new ModelRequestException($"{path}: the classifier has {rows} outputs ({key} is {weight.ShapeText}), but {classes} classes were asked for.");
        return (int)rows;
    }
}
