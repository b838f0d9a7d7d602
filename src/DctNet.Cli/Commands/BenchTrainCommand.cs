using System.CommandLine;
using DctNet.Models;
using DctNet.Platform;
using TorchSharp;
using static TorchSharp.torch;

namespace DctNet.Cli.Commands;

/// <summary><c>dctnet bench train</c>: SGD training throughput of a model on random input.</summary>
internal static class BenchTrainCommand
{
    public static Command Create(CliContext context)
    {
        var options = new ModelOptions();
        var batchSize = PipelineOptions.BatchSize("Images per SGD step.", 16);
        var device = DeviceOption.Create();
        var threads = PipelineOptions.ThreadCount("Threads of libtorch's intra-op pool; the default is the number of cores.", Environment.ProcessorCount);
        var steps = PipelineOptions.PositiveInt("--steps", "Timed SGD steps; the best one is reported.", 5, OptionRanges.MaxRepetitions);
        var command = new Command("train", """
            SGD training throughput of a model in the layout and memory setting 'dctnet train' uses (channels-last,
            glibc keeping freed tensor memory): random input of the model's shape and random labels, training mode,
            cross-entropy, backward, a step of libtorch's SGD (momentum 0.9, weight decay 1e-4 on every parameter, as
            the PyTorch script does; 'dctnet train' spares BatchNorm and biases); two warm-up steps, then the best of
            --steps timed steps, printed as '<number> images/s'. Data loading is not included.
            Compare with PyTorch on the same machine: /usr/bin/python3 tools/baseline/train_speed.py --model M.

            Examples:
              dctnet bench train --model resnet50-dct-s2 --channels 24 --batch-size 16 --threads 2
              dctnet bench train --model resnet50
            """);
        foreach (var option in options.All)
            command.Options.Add(option);
        command.Options.Add(batchSize);
        command.Options.Add(threads);
        command.Options.Add(device);
        command.Options.Add(steps);
        command.SetAction(parse =>
        {
            var (definition, modelInput, model) = options.Create(parse);
            int batch = parse.GetValue(batchSize);
            int classes = parse.GetValue(options.Classes);
            set_num_threads(parse.GetValue(threads));
            manual_seed(0);
            var shape = modelInput.Shape;
            var on = ComputeDevice.Parse(parse.GetValue(device)!);
            using (model)
            {
                model.to(on).train();
                ChannelsLast.Convert(model);
                using var optimizer = optim.SGD(model.parameters(), learningRate: 0.01, momentum: 0.9, weight_decay: 1e-4);
                using var input = randn([batch, .. shape.Select(d => (long)d)], device: on);
                using var labels = randint(0, classes, [batch], dtype: ScalarType.Int64, device: on);
                void Step()
                {
                    using var scope = NewDisposeScope();
                    optimizer.zero_grad();
                    var loss = nn.functional.cross_entropy(model.call(ChannelsLast.Of(input)), labels);
                    loss.backward();
                    optimizer.step();
                }
                double best = Timing.BestSeconds(Step, parse.GetValue(steps));
                context.Out.WriteLine($"{definition.Name} {string.Join('x', shape)}: SGD, batch {batch}, {get_num_threads()} threads, {on.type.ToString().ToLowerInvariant()}, TorchSharp (libtorch {__version__})");
                context.Out.WriteLine($"host: {HostProcessor.ThisHost}");
                context.Out.WriteLine(Throughput.ImagesPerSecond(batch, best));
            }
            return ExitCodes.Success;
        });
        return command;
    }
}
