using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using DctNet.Data;
using DctNet.Frequency.IO;
using DctNet.Inference;
using static TorchSharp.torch;

namespace DctNet.Cli.Commands;

/// <summary><c>dctnet eval</c>: top-1 and top-5 accuracy of trained weights over an ImageFolder.</summary>
internal static class EvalCommand
{
    public static Command Create(CliContext context)
    {
        var weights = new WeightsOptions();
        var data = new Option<string>("--data")
        {
            Description = "An ImageFolder: <root>/<class>/.../<image>, classes indexed in the sorted order of their folder names "
                + "(as torchvision's ImageFolder), as many as the model has outputs.",
            HelpName = "folder",
            Required = true,
        };
        var batchSize = PipelineOptions.BatchSize("Images per forward pass.", 16);
        var threads = PipelineOptions.ThreadCount("Threads that decode and transform images (while the model runs on the previous batch), "
            + "and the engine's threads for the model; the default is the number of cores.", Environment.ProcessorCount);
        var followLinks = ImageInputs.FollowLinksOption();
        var json = new Option<string>("--json")
        {
            Description = "Also write the result as JSON: {\"top1\": percent, \"top5\": percent, \"count\": images counted, \"failures\": images skipped, "
                + "\"failed_files\": [...], \"model\", \"channels\", \"classes\", \"weights\", \"data\", \"seconds\", \"images_per_second\"}.",
            HelpName = "OUT.json",
        }.OutputFile();

        var command = new Command("eval", """
            Evaluates trained weights on an ImageFolder: top-1 and top-5 accuracy in percent. They are computed as the
            release's validation does, each image through the model's own input pipeline (as 'dctnet predict' does).
            Images that cannot be read are reported ('error: <path>: <reason>'), skipped and not counted: the accuracy
            is over the images read, 'count' says how many; the exit code is then 1. With fewer than 5 classes,
            top-5 counts all of them (100%).

            Examples:
              dctnet eval --model resnet50-dct --channels 24 --weights model_best.pth.tar --data imagenet/val
              dctnet eval --model resnet18-dct-s2 --weights runs/ants/ --data hymenoptera/val --batch-size 16 --threads 2
              dctnet eval --model resnet50 --weights resnet50.pth --data imagenet/val --json resnet50.json
            """)
        {
            weights.Selection, data, batchSize, threads, json, followLinks, weights.Seed, weights.Device, weights.Engine
        };

        command.SetAction(parse =>
        {
            string root = parse.GetRequiredValue(data);
            var dataset = UsageException.Guard("--data: ", () => ImageFolder.Open(root, parse.GetValue(followLinks)));
            foreach (var skipped in dataset.Skipped)
                context.ReportError($"{skipped.Path}: {skipped.Reason}; skipped.");
            int threadCount = parse.GetValue(threads);
            int batch = parse.GetValue(batchSize);
            set_num_threads(threadCount);
            using var model = weights.Load(parse, foldBatchNorm: true, weights.ResolveEngine(parse), threadCount);
            context.Out.WriteLine($"{model.Definition.Name} ({model.WeightsPath}, {model.Classes} classes{(model.HasInputGate ? ", input gate" : "")}), "
                + $"input {model.Pipeline.Description}; {dataset.Samples.Count} images in {dataset.Classes.Count} classes ({root}); engine {EngineOption.Name(model.Engine)}");

            int processed = 0;
            EvaluationResult? result = null;
            ProgressDisplay.Run(context, "eval", dataset.Samples.Count, () => Volatile.Read(ref processed), () =>
                result = Evaluation.Run(model, dataset, batch, threadCount, step =>
                {
                    foreach (var failure in step.NewFailures)
                        context.ReportError($"{failure.Path}: {failure.Reason}");
                    Volatile.Write(ref processed, step.Processed);
                }, context.Cancellation));

            var outcome = result!;
            context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"top-1: {outcome.Top1Percent:0.000}%  top-5: {outcome.TopKPercent:0.000}%  ({outcome.Count} images)"));
            context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{outcome.Count} images in {outcome.Elapsed.TotalSeconds:0.0} s ({outcome.ImagesPerSecond:0.0} images/s; batch {batch}, {threadCount} threads)"));
            if (!outcome.Completed)
            {
                context.ReportError($"interrupted after {outcome.Count + outcome.Failures.Count} of {dataset.Samples.Count} images; the accuracy above covers those.");
                return ExitCodes.Interrupted;
            }
            if (parse.GetValue(json) is { } jsonPath)
                WriteJson(jsonPath, outcome, model, root);
            int failed = outcome.Failures.Count + dataset.Skipped.Count;
            if (failed == 0)
                return ExitCodes.Success;
            context.ReportError($"{failed} of {dataset.Samples.Count + dataset.Skipped.Count} images could not be read; they are not counted.");
            return ExitCodes.Failure;
        });
        return command;
    }

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>Writes atomically, so that a script never reads half a result.</summary>
    private static void WriteJson(string path, EvaluationResult result, InferenceModel model, string root)
    {
        var document = new Dictionary<string, object?>
        {
            ["top1"] = result.Top1Percent,
            ["top5"] = result.TopKPercent,
            ["count"] = result.Count,
            ["failures"] = result.Failures.Count,
            ["failed_files"] = result.Failures.Select(f => f.Path).ToArray(),
            ["model"] = model.Definition.Name,
            ["channels"] = model.Channels?.Name,
            ["classes"] = model.Classes,
            ["weights"] = model.WeightsPath,
            ["engine"] = EngineOption.Name(model.Engine),
            ["data"] = root,
            ["seconds"] = result.Elapsed.TotalSeconds,
            ["images_per_second"] = result.ImagesPerSecond,
        };
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(document, Indented) + "\n");
    }
}
