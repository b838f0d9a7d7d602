using System.CommandLine;
using DctNet.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace DctNet.Cli.Commands;

/// <summary><c>dctnet bench train</c>: SGD training throughput of a model on random input.</summary>
internal static class BenchTrainCommand
{
    public static Command Create(CliContext context) => ModelBenchmark.Create(context, "train", """
        SGD training throughput of a model in the layout and memory setting 'dctnet train' uses (channels-last,
        glibc keeping freed tensor memory): random input of the model's shape and random labels, training mode,
        cross-entropy, backward, a step of libtorch's SGD (momentum 0.9, weight decay 1e-4 on every parameter, as
        the PyTorch script does; 'dctnet train' spares BatchNorm and biases); two warm-up steps, then the best of
        --steps timed steps, printed as '<number> images/s'. Data loading is not included.
        Compare with PyTorch on the same machine: /usr/bin/python3 tools/baseline/train_speed.py --model M.

        Examples:
          dctnet bench train --model resnet50-dct-s2 --channels 24 --batch-size 16 --threads 2
          dctnet bench train --model resnet50
        """,
        "Images per SGD step.", PipelineOptions.PositiveInt("--steps", "Timed SGD steps; the best one is reported.", 5, OptionRanges.MaxRepetitions), "SGD, ",
        bench =>
        {
            var (model, on) = (bench.Model, bench.Device);
            manual_seed(0);
            model.to(on).train();
            ChannelsLast.Convert(model);
            using var optimizer = optim.SGD(model.parameters(), learningRate: 0.01, momentum: 0.9, weight_decay: 1e-4);
            using var input = randn(bench.InputShape, device: on);
            using var labels = randint(0, bench.Classes, [bench.InputShape[0]], dtype: ScalarType.Int64, device: on);
            void Step()
            {
                using var scope = NewDisposeScope();
                optimizer.zero_grad();
                var loss = nn.functional.cross_entropy(model.call(ChannelsLast.Of(input)), labels);
                loss.backward();
                optimizer.step();
            }
            return new BenchTime(Timing.BestSeconds(Step, bench.Passes), ModelBenchmark.LibTorch);
        });
}
