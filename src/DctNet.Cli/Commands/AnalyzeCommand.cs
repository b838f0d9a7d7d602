using System.CommandLine;
using System.Globalization;
using DctNet.Analysis;
using DctNet.Checkpoints;
using DctNet.Data;
using DctNet.Frequency;
using DctNet.Inference;
using DctNet.Models;
using static TorchSharp.torch;

namespace DctNet.Cli.Commands;

/// <summary><c>dctnet analyze</c>: how often the input gate of a gated model keeps each frequency channel over a dataset.</summary>
internal static class AnalyzeCommand
{
    public static Command Create(CliContext context)
    {
        var weights = new Argument<string>("run-dir-or-weights")
        {
            Description = $"A DctNet training run directory (its {RunDirectory.BestCheckpoint}, else its {RunDirectory.LastCheckpoint}) or a weights file "
                + "of a gated model (--channels 192 --gate; keys inp_GM.*).",
        };
        var data = new Option<string>("--data")
        {
            Description = $"The ImageFolder to measure on (<root>/<class>/.../<image>). [default: the validation data the run records in its {RecordedRun.OptionsFile}, <data>/val]",
            HelpName = "folder",
        };
        var output = new Option<string>("--out")
        {
            Description = $"The folder to write {GateSelection.SelectionFile} (192 frequencies in [0, 1]: Y, then Cb, then Cr, each in the natural order k = 8v + u), "
                + $"{GateSelection.HeatmapFile} and, with --export-subset, {GateSelection.SubsetFile}; created if missing.",
            HelpName = "DIR",
            Required = true,
        }.OutputFolder();
        var exportSubset = new Option<int?>("--export-subset")
        {
            Description = $"Also write the K most selected channels as DIR/{GateSelection.SubsetFile} ({{\"y\": [...], \"cb\": [...], \"cr\": [...]}}, ties to the lower channel index), "
                + "which --channels accepts everywhere.",
            HelpName = "K",
        }.InRange(1, 192);
        var model = new Option<string>("--model")
        {
            Description = "The model the weights are for (see 'dctnet models'). [default: the one a DctNet checkpoint or the run's options name]",
            HelpName = "name",
        };
        var batchSize = PipelineOptions.BatchSize("Images per forward pass.", 16);
        var threads = PipelineOptions.ThreadCount("Threads that decode and transform images, and libtorch's threads for the model; "
            + "the default is the number of cores.", Environment.ProcessorCount);
        var seed = new Option<ulong>("--seed")
        {
            Description = "Seed of the gate's Gumbel noise: the release samples the gates in evaluation too, so the frequencies depend on it.",
            HelpName = "N",
            DefaultValueFactory = _ => 0,
        };
        var pipeline = PipelineOptions.PipelineOption("[default: the checkpoint's own]", exactByDefault: false);

        var command = new Command("analyze", $"""
            Measures how often the input gate of a gated model keeps each of the 192 frequency channels over a dataset (the
            paper's dynamic channel selection): DIR/{GateSelection.SelectionFile}, and DIR/{GateSelection.HeatmapFile} with three 8x8 grids (Y, Cb, Cr; u
            across, v down) on one 0-1 colour scale. --export-subset K turns the K most selected channels into a static
            subset. Unreadable images are reported, skipped and not counted (exit code 1).

            Examples:
              dctnet analyze runs/gated/ --out runs/gated/analysis
              dctnet analyze runs/gated/ --data hymenoptera/val --out analysis --export-subset 24
              dctnet analyze gated.safetensors --data imagenet/val --out analysis --threads 8
            """)
        {
            weights, data, output, exportSubset, model, batchSize, threads, seed, pipeline
        };

        command.SetAction(parse =>
        {
            string weightsPath = parse.GetRequiredValue(weights);
            int? subsetSize = parse.GetValue(exportSubset);
            if (subsetSize > InputGate.Channels)
                throw new UsageException($"--export-subset: at most {InputGate.Channels} channels, got {subsetSize}.");
            RecordedRun run;
            try
            {
                run = RecordedRun.Read(weightsPath);
            }
            catch (InvalidDataException e)
            {
                context.ReportError(e.Message);
                return ExitCodes.Failure;
            }
            var dataset = OpenData(parse.GetValue(data) ?? run.ValidationData
                ?? throw new UsageException($"--data is required: {weightsPath} does not record its data (no {RecordedRun.OptionsFile} with \"data\")."));
            string outputFolder = parse.GetRequiredValue(output);
            int threadCount = parse.GetValue(threads);
            set_num_threads(threadCount);

            using var loaded = Load(parse.GetValue(model) ?? run.Model, weightsPath, parse.GetValue(seed), parse.GetValue(pipeline));
            if (!loaded.HasInputGate)
                throw new ModelRequestException($"{loaded.WeightsPath}: the weights have no input gate ({WeightsLayout.InputGatePrefix}*); "
                    + "analyze needs a model trained with --channels 192 --gate.");
            context.Out.WriteLine($"{loaded.Definition.Name} ({loaded.WeightsPath}, input gate over {InputGate.Channels} channels); "
                + $"{dataset.Samples.Count} images ({dataset.Root})");

            int processed = 0;
            GateSelection? measured = null;
            try
            {
                ProgressDisplay.Run(context, "analyze", dataset.Samples.Count, () => Volatile.Read(ref processed), () =>
                    measured = GateSelection.Measure(loaded, dataset.Samples, parse.GetValue(batchSize), threadCount, step =>
                    {
                        foreach (var failure in step.NewFailures)
                            context.ReportError($"{failure.Path}: {failure.Reason}");
                        Volatile.Write(ref processed, step.Processed);
                    }, context.Cancellation));
            }
            catch (OperationCanceledException) when (context.Cancellation.IsCancellationRequested)
            {
                context.ReportError($"interrupted after {Volatile.Read(ref processed)} of {dataset.Samples.Count} images; nothing written.");
                return ExitCodes.Interrupted;
            }

            var selection = measured!;
            var subset = selection.SaveAnalysis(outputFolder, $"Input gate: selection frequency per channel ({loaded.Definition.Name}, {selection.Samples} images)", subsetSize);
            context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{selection.Samples} images: {selection.Frequencies.Sum():0.0} of {InputGate.Channels} channels on per image on average"));
            context.Out.WriteLine($"wrote {Path.Combine(outputFolder, GateSelection.SelectionFile)}");
            context.Out.WriteLine($"wrote {Path.Combine(outputFolder, GateSelection.HeatmapFile)}");
            if (subset is not null)
            {
                context.Out.WriteLine($"wrote {Path.Combine(outputFolder, GateSelection.SubsetFile)}: {subset.Count} channels "
                    + $"(Y {subset.Y.Count}, Cb {subset.Cb.Count}, Cr {subset.Cr.Count})");
            }
            if (selection.Failures.Count == 0)
                return ExitCodes.Success;
            context.ReportError($"{selection.Failures.Count} of {dataset.Samples.Count} images could not be read; they are not counted.");
            return ExitCodes.Failure;
        });
        return command;
    }

    private static ImageFolder OpenData(string root)
    {
        return UsageException.Guard("--data: ", () => ImageFolder.Open(root));
    }

    /// <summary>The model comes from --model, else the checkpoint's metadata, else the run's options.</summary>
    private static InferenceModel Load(string? requestedModel, string weights, ulong seed, string? pipeline)
    {
        string? name = requestedModel;
        if (name is null)
        {
            string path = RunDirectory.ResolveWeights(weights);
            name = WeightsFile.Read(path).Metadata?.Model
                ?? throw new UsageException($"--model is required: {path} does not name its model (only DctNet checkpoints and run directories do).");
        }
        // BatchNorms stay unfolded: a gate decision is a comparison, and folding's rounding could flip a close one.
        return UsageException.Guard("--model: ", () => InferenceModel.Load(new InferenceRequest(ModelRegistry.Get(name), weights)
        {
            GateSeed = seed,
            Pipeline = pipeline is null ? null : DctFileTransform.Parse(pipeline),
        }));
    }
}
