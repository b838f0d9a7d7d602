using System.CommandLine;
using DctNet.Inference;

namespace DctNet.Cli;

/// <summary>--engine, shared by the commands that run a model for inference: predict, eval and bench model.</summary>
internal static class EngineOption
{
    /// <summary>The engine of CPU inference when none is named: see <see cref="InferenceEngine.OnnxRuntime"/> and the README's figures.</summary>
    public const InferenceEngine Default = InferenceEngine.OnnxRuntime;

    public static Option<InferenceEngine> Create()
    {
        var option = new Option<InferenceEngine>("--engine")
        {
            Description = "What computes the model: onnxruntime (the model exported to ONNX in memory, BatchNorms folded, on ONNX Runtime's "
                + "CPU kernels; as exact as torch and faster on CPU) or torch (libtorch with oneDNN; the one for --device cuda). "
                + $"[default: {Name(Default)} on the CPU, torch on a CUDA device]",
            HelpName = "torch|onnxruntime",
            CustomParser = result => result.Tokens[0].Value.ToLowerInvariant() switch
            {
                "torch" => InferenceEngine.Torch,
                "onnxruntime" => InferenceEngine.OnnxRuntime,
                var other => Fail(result, other),
            },
        };
        return option;
    }

    /// <summary>--engine as given, else <see cref="Default"/> on the CPU and torch on other devices.</summary>
    /// <exception cref="UsageException">--engine onnxruntime with a device other than the CPU.</exception>
    public static InferenceEngine Resolve(ParseResult parse, Option<InferenceEngine> option, TorchSharp.torch.Device device)
    {
        bool onCpu = device.type == TorchSharp.DeviceType.CPU;
        if (parse.GetResult(option) is not { Implicit: false })
            return onCpu ? Default : InferenceEngine.Torch;
        var engine = parse.GetValue(option);
        return engine == InferenceEngine.OnnxRuntime && !onCpu
            ? throw new UsageException("--engine onnxruntime runs on the CPU (DctNet references ONNX Runtime's CPU build); use --engine torch with --device cuda.")
            : engine;
    }

    public static string Name(InferenceEngine engine) => engine == InferenceEngine.OnnxRuntime ? "onnxruntime" : "torch";

    private static InferenceEngine Fail(System.CommandLine.Parsing.ArgumentResult result, string value)
    {
        result.AddError($"--engine: '{value}' is not an engine; use torch or onnxruntime.");
        return default;
    }
}
