using System.Runtime.InteropServices;
using DctNet.Export;
using DctNet.Onnx;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using TensorElementType = Microsoft.ML.OnnxRuntime.Tensors.TensorElementType;
using static TorchSharp.torch;

namespace DctNet.Detection.Modeling;

/// <summary>
/// A detector's backbone and FPN exported to ONNX (BatchNorms folded) and run by ONNX Runtime's CPU kernels, for
/// inference: the images' batch in, P2..P6 out as CPU tensors for the RPN and RoI heads, which stay on libtorch.
/// Height and width are free in the graph, so every image size runs on the one session.
/// </summary>
public sealed class OnnxBackbone : IDisposable
{
    private const string Input = "images";
    private static readonly string[] Outputs = ["p2", "p3", "p4", "p5", "p6"];

    private readonly InferenceSession session;

    private OnnxBackbone(InferenceSession session) => this.session = session;

    /// <param name="threads">ONNX Runtime's intra-op threads; 0 for one per core.</param>
    public static OnnxBackbone Export(BackboneWithFpn backbone, int threads)
    {
        ArgumentNullException.ThrowIfNull(backbone);
        var graph = new OnnxGraph(backbone, foldBatchNorm: true);
        graph.AddInput(Input, "batch", "channels", "height", "width");
        string[] levels = backbone.ExportOnnx(graph, Input);
        for (int i = 0; i < levels.Length; i++)
            graph.AddOutput(levels[i], Outputs[i], "batch", backbone.OutChannels, $"height{i + 2}", $"width{i + 2}");
        byte[] model = OnnxExport.ToModel(graph, "backbone", "A detector's ResNet body and FPN: images (N x C x H x W) to P2..P6.").ToByteArray();
        return new OnnxBackbone(OnnxSession.CreateSession(model, "the detector's backbone", threads));
    }

    /// <summary>P2..P6 of a batch (float32 N x C x H x W on the CPU).</summary>
    public unsafe Tensor[] Run(Tensor images)
    {
        if (images.device_type != TorchSharp.DeviceType.CPU || images.dtype != ScalarType.Float32)
            throw new ArgumentException("The ONNX Runtime backbone takes float32 CPU tensors.", nameof(images));
        // A tensor's bytes are one span, so at most 2 GiB: 180 images of 1333 x 800 x 3.
        if (images.numel() > int.MaxValue / sizeof(float))
            throw new ArgumentException($"A batch of [{string.Join(", ", images.shape)}] is more than the ONNX Runtime backbone takes at once (2 GiB).", nameof(images));
        using var contiguous = images.contiguous();
        var bytes = contiguous.bytes;
        fixed (byte* data = bytes)
        {
            using var input = OrtValue.CreateTensorValueWithData(OrtMemoryInfo.DefaultInstance, TensorElementType.Float, contiguous.shape, (nint)data, bytes.Length);
            using var runOptions = new RunOptions();
            using var outputs = session.Run(runOptions, [Input], [input], Outputs);
            var levels = new Tensor[outputs.Count];
            for (int i = 0; i < levels.Length; i++)
            {
                levels[i] = empty(outputs[i].GetTensorTypeAndShape().Shape);
                outputs[i].GetTensorDataAsSpan<float>().CopyTo(MemoryMarshal.Cast<byte, float>(levels[i].bytes));
            }
            return levels;
        }
    }

    public void Dispose() => session.Dispose();
}
