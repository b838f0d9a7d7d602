using System.CommandLine;

namespace DctNet.Cli.Commands;

/// <summary><c>dctnet bench</c>: the group of throughput measurements.</summary>
internal static class BenchCommand
{
    public static Command Create(CliContext context)
    {
        var command = new Command("bench", """
            Measures throughput: the transform on real files, a model's inference or its SGD training, a detector's time per image, any ONNX file on ONNX Runtime (Stopwatch, after a warm-up).

            Examples:
              dctnet bench transform --data images/ --limit 200 --threads 8
              dctnet bench model --model resnet50-dct --channels 24 --batch-size 16
              dctnet bench train --model resnet50-dct-s2 --channels 24 --batch-size 16
              dctnet bench detect --model maskrcnn-r50-fpn --threads 2
              dctnet bench onnx resnet50-dct.onnx --batch-size 16
            """)
        {
            BenchTransformCommand.Create(context), BenchModelCommand.Create(context), BenchTrainCommand.Create(context),
            BenchDetectCommand.Create(context), BenchOnnxCommand.Create(context)
        };
        return command;
    }
}
