using System.CommandLine;
using DctNet.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace DctNet.Cli.Commands;

/// <summary><c>dctnet bench model</c>: inference throughput of a model on random input.</summary>
internal static class BenchModelCommand
{
    public static Command Create(CliContext context) => ModelBenchmark.Create(context, "model", """
        Inference throughput of a model as predict and eval run it: random input of the model's shape, evaluation
        mode, BatchNorms folded into the convolutions, channels-last layout, no gradients,
        two warm-up passes, then the best of --batches timed passes, printed as '<number> images/s'.
        Compare with PyTorch on the same machine: /usr/bin/python3 tools/baseline/model_speed.py --model M.

        Examples:
          dctnet bench model --model resnet50-dct --channels 24 --batch-size 16 --threads 2
          dctnet bench model --model resnet50
        """,
        "Images per forward pass.", PipelineOptions.PositiveInt("--batches", "Timed forward passes; the best one is reported.", 5, OptionRanges.MaxRepetitions), "",
        bench =>
        {
            var model = bench.Model;
            using (no_grad())
            {
                model.to(bench.Device).eval();
                BatchNormFolding.Fold(model);
                ChannelsLast.Convert(model);
                using var input = randn(bench.InputShape, device: bench.Device);
                return Timing.BestSeconds(() =>
                {
                    using var laidOut = ChannelsLast.Of(input);
                    model.call(laidOut).Dispose();
                }, bench.Passes);
            }
        });
}
