using System.CommandLine;
using System.Globalization;
using DctNet.Models;
using DctNet.Platform;
using static TorchSharp.torch;

namespace DctNet.Cli;

/// <summary>A model on its device, ready to be timed on random input: what <see cref="ModelBenchmark"/> hands its measurement.</summary>
/// <param name="InputShape">The shape of a batch of the model's input.</param>
/// <param name="Classes">The outputs of the model's classifier (--classes).</param>
/// <param name="Passes">The timed passes the command's repetition option asks for; the best one is reported.</param>
/// <param name="Threads">--threads: libtorch's, already set, and ONNX Runtime's where it runs.</param>
/// <param name="Parse">The command line, for the options a command adds.</param>
internal sealed record BenchedModel(ModelDefinition Definition, ModelInput Input, nn.Module<Tensor, Tensor> Model, long[] InputShape, Device Device,
    int Classes, int Passes, int Threads, ParseResult Parse);

/// <summary>A measurement: the best seconds of a pass over a batch, and what computed it ("TorchSharp (libtorch 2.10.0)").</summary>
internal sealed record BenchTime(double Seconds, string Engine);

/// <summary>
/// What <c>bench model</c> and <c>bench train</c> share: a freshly initialized registry model with --batch-size,
/// --threads and --device, and the report of its best timed pass over a batch as images/s.
/// </summary>
internal static class ModelBenchmark
{
    /// <summary>The command: the model's options, then --batch-size, --threads, --device and <paramref name="passes"/>.</summary>
    /// <param name="mode">What the header says of the measurement before the batch size ("SGD, " or nothing).</param>
    /// <param name="measure">Returns the best seconds of a pass over a batch of random input.</param>
    /// <param name="options">Options of the command's own, after the shared ones.</param>
    public static Command Create(CliContext context, string name, string description, string batchSizeDescription, Option<int> passes, string mode,
        Func<BenchedModel, BenchTime> measure, params Option[] options)
    {
        var model = new ModelOptions();
        var batchSize = PipelineOptions.BatchSize(batchSizeDescription, 16);
        var threads = PipelineOptions.ThreadCount("Threads of a forward pass (libtorch's intra-op pool, or ONNX Runtime's); the default is the number of cores.", Environment.ProcessorCount);
        var device = DeviceOption.Create();
        var command = new Command(name, description) { model.All, batchSize, threads, device, passes, options };
        command.SetAction(parse =>
        {
            var (definition, input, created) = model.Create(parse);
            int batch = parse.GetValue(batchSize);
            set_num_threads(parse.GetValue(threads));
            var on = ComputeDevice.Parse(parse.GetValue(device)!);
            using (created)
            {
                var time = measure(new BenchedModel(definition, input, created, [batch, .. input.Shape.Select(d => (long)d)], on, parse.GetValue(model.Classes),
                    parse.GetValue(passes), parse.GetValue(threads), parse));
                Report(context, $"{definition.Name} {string.Join('x', input.Shape)}", $"{mode}batch {batch}, {parse.GetValue(threads)} threads, {on.type.ToString().ToLowerInvariant()}", time, batch);
            }
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>What was measured, on which host, then '&lt;number&gt; images/s' on a line of its own (scripts read it).</summary>
    public static void Report(CliContext context, string subject, string setting, BenchTime time, int batch)
    {
        context.Out.WriteLine($"{subject}: {setting}, {time.Engine}");
        context.Out.WriteLine($"host: {HostProcessor.ThisHost}");
        context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{batch / time.Seconds:0.00} images/s"));
    }

    /// <summary>libtorch as the header names it.</summary>
    public static string LibTorch => $"TorchSharp (libtorch {__version__})";
}
