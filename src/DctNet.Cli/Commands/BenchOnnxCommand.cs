using System.CommandLine;
using DctNet.Inference;
using DctNet.Onnx;

namespace DctNet.Cli.Commands;

/// <summary><c>dctnet bench onnx</c>: ONNX Runtime's throughput on any ONNX file, as DctNet's engine runs its own exports.</summary>
internal static class BenchOnnxCommand
{
    public static Command Create(CliContext context)
    {
        var graph = new Argument<string>("model.onnx") { Description = "An ONNX file whose first input is float32 N x ..." };
        var batchSize = PipelineOptions.BatchSize("Images per forward pass: the input's free dimensions take this value.", 16);
        var threads = PipelineOptions.ThreadCount("ONNX Runtime's intra-op threads; the default is the number of cores.", Environment.ProcessorCount);
        var passes = PipelineOptions.PositiveInt("--batches", "Timed forward passes; the best one is reported.", 5, OptionRanges.MaxRepetitions);
        var command = new Command("onnx", """
            Inference throughput of any ONNX file on ONNX Runtime, with the session settings and timing of
            'dctnet bench model --engine onnxruntime': random input of the file's first input shape, two warm-up passes,
            then the best of --batches timed passes, printed as '<number> images/s'. It measures graphs that other tools
            wrote, e.g. torch.onnx.export's in tools/baseline/onnx_speed.py, side by side with DctNet's own exports.

            Examples:
              dctnet bench onnx resnet50-dct.onnx --batch-size 16 --threads 2
              dctnet bench onnx /tmp/dctnet-onnx-baseline/torch-resnet50.onnx
            """)
        {
            graph, batchSize, threads, passes
        };
        command.SetAction(parse =>
        {
            string path = parse.GetRequiredValue(graph);
            int batch = parse.GetValue(batchSize);
            var (seconds, shape) = OnnxGraphTiming.BestSeconds(path, batch, parse.GetValue(threads), parse.GetValue(passes));
            ModelBenchmark.Report(context, $"{path} {string.Join('x', shape.Skip(1))}", $"batch {batch}, {parse.GetValue(threads)} threads, cpu",
                new BenchTime(seconds, OnnxSession.RuntimeDescription), batch);
            return ExitCodes.Success;
        });
        return command;
    }
}
