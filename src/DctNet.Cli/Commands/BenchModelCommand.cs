using System.CommandLine;
using DctNet.Models;
using DctNet.Platform;
using TorchSharp;
using static TorchSharp.torch;

namespace DctNet.Cli.Commands;

/// <summary><c>dctnet bench model</c>: inference throughput of a model on random input.</summary>
internal static class BenchModelCommand
{
    public static Command Create(CliContext context)
    {
        var options = new ModelOptions();
        var batchSize = PipelineOptions.BatchSize("Images per forward pass.", 16);
        var device = DeviceOption.Create();
        var threads = PipelineOptions.ThreadCount("Threads of libtorch's intra-op pool; the default is the number of cores.", Environment.ProcessorCount);
        var batches = PipelineOptions.PositiveInt("--batches", "Timed forward passes; the best one is reported.", 5, OptionRanges.MaxRepetitions);
        var command = new Command("model", """
            Inference throughput of a model as predict and eval run it: random input of the model's shape, evaluation
            mode, BatchNorms folded into the convolutions, channels-last layout, no gradients,
            two warm-up passes, then the best of --batches timed passes, printed as '<number> images/s'.
            Compare with PyTorch on the same machine: /usr/bin/python3 tools/baseline/model_speed.py --model M.

            Examples:
              dctnet bench model --model resnet50-dct --channels 24 --batch-size 16 --threads 2
              dctnet bench model --model resnet50
            """);
        foreach (var option in options.All)
            command.Options.Add(option);
        command.Options.Add(batchSize);
        command.Options.Add(threads);
        command.Options.Add(device);
        command.Options.Add(batches);
        command.SetAction(parse =>
        {
            var (definition, modelInput, model) = options.Create(parse);
            int batch = parse.GetValue(batchSize);
            set_num_threads(parse.GetValue(threads));
            var shape = modelInput.Shape;
            var on = ComputeDevice.Parse(parse.GetValue(device)!);
            using (model)
            using (no_grad())
            {
                model.to(on).eval();
                BatchNormFolding.Fold(model);
                ChannelsLast.Convert(model);
                using var input = randn([batch, .. shape.Select(d => (long)d)], device: on);
                double best = Timing.BestSeconds(() =>
                {
                    using var laidOut = ChannelsLast.Of(input);
                    model.call(laidOut).Dispose();
                }, parse.GetValue(batches));
                context.Out.WriteLine($"{definition.Name} {string.Join('x', shape)}: batch {batch}, {get_num_threads()} threads, {on.type.ToString().ToLowerInvariant()}, TorchSharp (libtorch {__version__})");
                context.Out.WriteLine($"host: {HostProcessor.ThisHost}");
                context.Out.WriteLine(Throughput.ImagesPerSecond(batch, best));
            }
            return ExitCodes.Success;
        });
        return command;
    }
}
