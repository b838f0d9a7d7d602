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
            --engine onnxruntime the model is exported to ONNX in memory and run by ONNX Runtime with --threads threads.
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
        if (bench.Device.type != DeviceType.CPU)
            throw new UsageException("--engine onnxruntime runs on the CPU (DctNet references ONNX Runtime's CPU build); use --engine torch for --device cuda.");
        bench.Model.eval();
        var contract = OnnxExport.ContractOf(bench.Definition.Name, bench.Input, bench.Classes, gate: false);
        byte[] graph = OnnxExport.Build(bench.Model, contract).ToByteArray();
        using var session = OnnxSession.FromBytes(graph, bench.Definition.Name, bench.Threads);
        return new BenchTime(Time(session, bench.InputShape, bench.Passes), OnnxSession.RuntimeDescription);
    }

    /// <summary>The best seconds of <paramref name="session"/>'s forward pass over random input of <paramref name="shape"/>.</summary>
    internal static double Time(OnnxSession session, long[] shape, int passes)
    {
        using var random = randn(shape, generator: new Generator(seed: 0));
        float[] input = random.data<float>().ToArray();
        int batch = (int)shape[0];
        return Timing.BestSeconds(() => session.Run(input, batch), passes);
    }
}
