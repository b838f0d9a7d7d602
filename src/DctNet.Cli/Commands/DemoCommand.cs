using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using DctNet.Cli.Demo;
using DctNet.Demo;
using DctNet.Training;
using DctNet.Platform;

namespace DctNet.Cli.Commands;

/// <summary><c>dctnet demo</c>: the project's main job end to end on a dataset it draws itself (<see cref="DemoRun"/>).</summary>
internal static class DemoCommand
{
    public const string DefaultOutput = "out/demo";

    public static Command Create(CliContext context) => Create(context, new DemoPlan());

    /// <param name="plan">The sizes and training settings; the command line sets only its seed and threads (tests shrink the rest).</param>
    internal static Command Create(CliContext context, DemoPlan plan)
    {
        var output = new Option<string>("--out")
        {
            Description = $"The demo folder: created, or a previous demo's, which is replaced (nothing else is touched).",
            HelpName = "DIR",
            DefaultValueFactory = _ => DefaultOutput,
        }.OutputFolder();
        var threads = PipelineOptions.ThreadCount("Image workers and libtorch's threads; the default is the number of cores.", Environment.ProcessorCount);
        var seed = new Option<int>("--seed") { Description = "Seed of the dataset, the initializations, the sample orders, the augmentation and the gates' noise.", HelpName = "N", DefaultValueFactory = _ => 0 };

        var size = plan.Dataset;
        int classes = SyntheticImages.Classes.Count;
        var command = new Command("demo", string.Create(CultureInfo.InvariantCulture, $"""
            Runs the paper's experiment in miniature on this machine, in about 5 minutes on 2 cores (4.7 measured on an AMD EPYC VM), and writes DIR/{DemoRun.ReportFile}.
            It draws a {classes}-class image dataset whose classes differ only in frequency content
            ({size.TrainPerClass * classes} training and {size.ValPerClass * classes} validation JPEGs of {size.ImageSide}x{size.ImageSide}: soft blobs, colour-only stripes,
            horizontal and vertical luma stripes, all with random colours) into DIR/{DemoRun.DataFolder}; trains ({plan.Epochs} epochs each, {(plan.Augment ? "random-resized crops and flips" : "no augmentation")})
            ResNet-18 on RGB at {plan.RgbCrop}x{plan.RgbCrop}, ResNet-18-DCT on DCT-24 of the whole image (the same MACs: the same feature maps from layer1 on)
            the same DCT network on all 192 channels behind the learned input gate ({plan.GatedEpochs} epochs), and DCT-24 again on the JPEG pipeline (the files' own
            coefficients), into DIR/{DemoRun.RunsFolder}; measures how often the gate keeps each frequency channel (DIR/{DemoRun.AnalysisFolder}: heat
            map, selection, the {plan.SubsetChannels} most selected channels as a subset file) and the top-1 that DCT-24 and the gated model lose
            when each channel is replaced by its mean (DIR/{DemoRun.AnalysisFolder}/sensitivity-*); and reports accuracy, MACs, parameters and
            training and inference throughput per model, the two DCT pipelines side by side, the training curves, the heat maps with
            the rank of each channel that defines a class, and the 'dctnet stats/train/analyze' commands that redo each part.
            Ctrl+C stops it (exit code 130); running it again starts over.

            Examples:
              dctnet demo
              dctnet demo --out /tmp/demo --threads 2 --seed 1
            """))
        {
            output, threads, seed
        };
        command.SetAction(parse =>
        {
            // Before anything loads libtorch: the demo must keep its time on a machine whose cores are shared.
            OpenMpWaiting.PreferPassive();
            var demo = UsageException.Guard("--out: ", () => DemoRun.Prepare(parse.GetValue(output)!, plan with { Seed = parse.GetValue(seed), Threads = parse.GetValue(threads) }));
            return Run(context, demo);
        });
        return command;
    }

    private static int Run(CliContext context, DemoRun demo)
    {
        var clock = Stopwatch.StartNew();
        for (int index = 0; index < demo.Steps.Count; index++)
        {
            var step = demo.Steps[index];
            string label = $"[{index + 1}/{demo.Steps.Count}] {step.Name}";
            DemoProgress? latest = null;
            string summary = "";
            try
            {
                ProgressDisplay.Run(context, step.Total,
                    () => Volatile.Read(ref latest) is { } now ? new ProgressState(now.Processed, $"{label}: {now.Detail}") : new ProgressState(0, label),
                    () => summary = step.Run(progress => Volatile.Write(ref latest, progress), context.Cancellation),
                    keepWhenDone: false);
            }
            catch (OperationCanceledException) when (context.Cancellation.IsCancellationRequested)
            {
                context.ReportError($"interrupted in step {index + 1} of {demo.Steps.Count} ({step.Name}); {demo.Output} holds an unfinished demo, which the next 'dctnet demo' replaces.");
                return ExitCodes.Interrupted;
            }
            catch (Exception e) when (e is TrainingDivergedException or TrainingDataException)
            {
                context.ReportError($"{step.Name}: {e.Message}");
                return ExitCodes.Failure;
            }
            context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{label} ({clock.Elapsed.TotalSeconds:0} s): {summary}"));
        }
        context.Out.WriteLine();
        int nameWidth = demo.Results.Max(r => r.Name.Length), channelsWidth = demo.Results.Max(r => r.Channels.Length);
        foreach (var result in demo.Results)
        {
            context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{result.Name.PadRight(nameWidth)} {result.Model,-16} {result.Channels.PadRight(channelsWidth)} {result.MacsPerImage / 1e6,6:0.0} MMAC  "
                + $"val top-1 {result.BestValTop1,5:0.0}%  train {result.TrainImagesPerSecond,6:0.0} images/s  inference {result.InferenceImagesPerSecond,6:0.0} images/s"));
        }
        context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"report: {demo.ReportPath} ({clock.Elapsed.TotalMinutes:0.0} minutes)"));
        return ExitCodes.Success;
    }
}
