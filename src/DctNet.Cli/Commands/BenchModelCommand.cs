using System.CommandLine;
using DctNet.Export;
using DctNet.Inference;
using DctNet.Models;
using DctNet.Onnx;
using Google.Protobuf;
using TorchSharp;
using static TorchSharp.torch;

namespace DctNet.Cli.Commands;

/// <summary><c>dctnet bench model</c>: inference throughput of a model on random input, on either engine.</summary>
internal static class BenchModelCommand
{
    public static Command Create(CliContext context)
    {
        var engine = EngineOption.Create();
        return ModelBenchmark.Create(context, "model", """
            Inference throughput of a model as predict and eval run it: random input of the model's shape, evaluation
            mode, BatchNorms folded into the convolutions, no gradients, two warm-up passes, then the best of --batches
            timed passes, printed as '<number> images/s'. On --engine torch the layout is channels-last; on
            --engine onnxruntime the model is exported to ONNX in memory and run by ONNX Runtime with --threads threads,
            on random uniform input, timed as 'dctnet bench onnx' times any ONNX file.
            Compare with PyTorch on the same machine: /usr/bin/python3 tools/baseline/model_speed.py --model M, and with
            ONNX Runtime on torch.onnx.export's graph: /usr/bin/python3 tools/baseline/onnx_speed.py.

            Examples:
              dctnet bench model --model resnet50-dct --channels 24 --batch-size 16 --threads 2
              dctnet bench model --model resnet50 --engine torch
            """,
            "Images per forward pass.", PipelineOptions.PositiveInt("--batches", "Timed forward passes; the best one is reported.", 5, OptionRanges.MaxRepetitions), "",
            bench => EngineOption.Resolve(bench.Parse, engine, bench.Device) == InferenceEngine.OnnxRuntime
                ? OnOnnxRuntime(bench)
                : OnLibTorch(bench),
            engine);
    }

    private static BenchTime OnLibTorch(BenchedModel bench)
    {
        var model = bench.Model;
        using var noGrad = no_grad();
        model.to(bench.Device).eval();
        BatchNormFolding.Fold(model);
        ChannelsLast.Convert(model);
        using var input = randn(bench.InputShape, device: bench.Device);
        double seconds = Timing.BestSeconds(() =>
        {
            using var laidOut = ChannelsLast.Of(input);
            model.call(laidOut).Dispose();
        }, bench.Passes);
        return new BenchTime(seconds, ModelBenchmark.LibTorch);
    }

    private static BenchTime OnOnnxRuntime(BenchedModel bench)
    {
        bench.Model.eval();
        var contract = OnnxExport.ContractOf(bench.Definition.Name, bench.Input, bench.Classes, gate: bench.Model is DctModel { Gate: not null });
        byte[] graph = OnnxExport.Build(bench.Model, contract).ToByteArray();
        var (seconds, _) = OnnxGraphTiming.BestSeconds(graph, bench.Definition.Name, (int)bench.InputShape[0], bench.Threads, bench.Passes);
        return new BenchTime(seconds, OnnxSession.RuntimeDescription);
    }
}
