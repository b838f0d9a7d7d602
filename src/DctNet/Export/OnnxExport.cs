using System.Reflection;
using DctNet.Frequency;
using DctNet.Frequency.IO;
using DctNet.Inference;
using DctNet.Models;
using DctNet.Onnx;
using Google.Protobuf;
using Onnx;
using static TorchSharp.torch;

namespace DctNet.Export;

/// <summary>
/// ONNX files of DctNet's classifiers, written from the module tree (<see cref="OnnxGraph"/>): input <c>input</c>
/// (N x C x H x W, N free), output <c>logits</c>, the input contract in <c>metadata_props</c> (<see cref="ModelContract"/>).
/// </summary>
public static class OnnxExport
{
    /// <summary>
    /// Opset 17 (ONNX 1.12, IR version 8): the newest that Debian's python3-onnx checker knows, and every operator the
    /// models need (Conv, BatchNormalization, Gemm, Clip with tensor bounds, ArgMax) has its current form there. ONNX
    /// Runtime 1.32 runs opsets up to 23.
    /// </summary>
    public const int Opset = 17;

    /// <summary>The IR version of opset 17.</summary>
    public const long IrVersion = 8;

    /// <summary>The graph of <paramref name="model"/> for <paramref name="contract"/>'s input.</summary>
    /// <param name="model">A classifier of the registry, in evaluation mode (BatchNorms folded or not).</param>
    /// <param name="foldBatchNorm">Merge every BatchNorm into its convolution, as inference runs it; else write
    /// BatchNormalization nodes (the unfolded form, whose weights are the checkpoint's).</param>
    /// <exception cref="InvalidOperationException">The model is in training mode.</exception>
    /// <exception cref="NotSupportedException">The model has a layer without an ONNX mapping.</exception>
    public static ModelProto Build(nn.Module<Tensor, Tensor> model, ModelContract contract, bool foldBatchNorm = true)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(contract);
        if (model.training)
            throw new InvalidOperationException("ONNX export writes the evaluation-mode forward; call eval() first.");
        if (model is not IOnnxExportable)
            throw new NotSupportedException($"{model.GetType().Name} has no ONNX export.");

        int[] shape = contract.Shape;
        var graph = new OnnxGraph(model, foldBatchNorm);
        graph.AddInput(OnnxNames.Input, "batch", shape[0], shape[1], shape[2]);
        graph.AddOutput(graph.Module(model, OnnxNames.Input), OnnxNames.Logits, "batch", contract.Classes);
        return ToModel(graph, contract.Model, contract.Describe(), contract.ToMetadata());
    }

    /// <summary>A finished graph as a model of <see cref="Opset"/>, produced by DctNet.</summary>
    public static ModelProto ToModel(OnnxGraph graph, string name, string description, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        graph.Proto.Name = name;
        var proto = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = "DctNet",
            ProducerVersion = typeof(OnnxExport).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "",
            DocString = description,
            Graph = graph.Proto,
        };
        proto.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        foreach (var (key, value) in metadata ?? new Dictionary<string, string>())
            proto.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        return proto;
    }

    /// <summary>The file's bytes for a loaded model (see <see cref="Build"/>).</summary>
    public static byte[] ToBytes(InferenceModel model, bool foldBatchNorm = true)
        => Build(model.Module, ContractOf(model), foldBatchNorm).ToByteArray();

    /// <summary>Writes a loaded model as an ONNX file, whole or not at all (<see cref="AtomicFile"/>; the folder is created).</summary>
    public static void Save(InferenceModel model, string path, bool foldBatchNorm = true)
        => AtomicFile.WriteAllBytes(path, ToBytes(model, foldBatchNorm));

    /// <summary>The contract of a loaded model: its input as resolved, the normalization of the channels it reads.</summary>
    public static ModelContract ContractOf(InferenceModel model) => ContractOf(model.Definition.Name, model.Input, model.Classes, model.HasInputGate);

    /// <inheritdoc cref="ContractOf(InferenceModel)"/>
    public static ModelContract ContractOf(string model, ModelInput input, int classes, bool gate)
    {
        var channels = (input as DctInput)?.Channels;
        int[] read = channels?.Channels ?? [0, 1, 2];
        var normalization = input.Normalization;
        return new ModelContract(
            model, classes, input is DctInput dct ? (dct.Pipeline == DctPipeline.Jpeg ? InputPipeline.JpegDct : InputPipeline.Dct) : InputPipeline.Rgb,
            input.Geometry, channels,
            normalization is null ? null : [.. read.Select(c => normalization.Mean[c])],
            normalization is null ? null : [.. read.Select(c => normalization.Std[c])],
            gate);
    }
}
