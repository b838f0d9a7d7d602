using System.CommandLine;
using System.Globalization;
using DctNet.Analysis;
using DctNet.Checkpoints;
using DctNet.Data;
using DctNet.Frequency;
using DctNet.Frequency.Channels;
using DctNet.Frequency.IO;
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
            Description = $"A DctNet training run directory (its {RunDirectory.BestCheckpoint}, else its {RunDirectory.LastCheckpoint}) or a weights file: "
                + "of a gated model (keys inp_GM.*) for the gate's selection, of any DCT model for --sensitivity.",
        };
        var data = new Option<string>("--data")
        {
            Description = $"The ImageFolder to measure on (<root>/<class>/.../<image>). [default: the validation data the run records in its {RecordedRun.OptionsFile}, <data>/val]",
            HelpName = "folder",
        };
        var output = new Option<string>("--out")
        {
            Description = $"The folder to write {GateSelection.SelectionFile} (192 frequencies in [0, 1]: Y, then Cb, then Cr, each in the natural order k = 8v + u), "
                + $"{GateSelection.KeepProbabilityFile}, {GateSelection.HeatmapFile} and, with --export-subset, {GateSelection.SubsetFile}; created if missing.",
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
            Description = "Seed of the gate's Gumbel noise: the release samples the gates in evaluation too, so the results of a gated model depend on it.",
            HelpName = "N",
            DefaultValueFactory = _ => 0,
        };
        var pipeline = PipelineOptions.PipelineOption("[default: the checkpoint's own]", exactByDefault: false);
        var sensitivity = new Option<bool>("--sensitivity")
        {
            Description = $"Measure the spectral sensitivity of any DCT model, gated or not, instead of the gate's selection: the top-1 lost "
                + $"when each input channel (or band) is ablated -> DIR/{SpectralSensitivity.SensitivityFile} and DIR/{SpectralSensitivity.HeatmapFile}.",
        };
        var ablation = new Option<string>("--ablation")
        {
            Description = "With --sensitivity: replace a channel by its mean (the model's input statistics; 0 after normalization) or by a coefficient of zero.",
            DefaultValueFactory = _ => "mean",
        }.AcceptOnlyFromAmong("mean", "zero");
        var unit = new Option<string>("--by")
        {
            Description = $"With --sensitivity: ablate each channel (one pass per channel), or each band of each component - the channels with "
                + $"u + v = b, b = 0..{SpectralSensitivity.BandsPerComponent - 1} (at most {3 * SpectralSensitivity.BandsPerComponent} passes).",
            DefaultValueFactory = _ => "channel",
        }.AcceptOnlyFromAmong("channel", "band");
        var engine = EngineOption.Create();
        var channels = new Option<string>("--channels")
        {
            Description = "DCT models: the channels the weights take - 6, 24, 32, 48, 64, 192 or a subset file - for weights that do not record them "
                + "(the release's files). [default: the checkpoint's own, else the model's]",
            HelpName = "6|24|32|48|64|192|subset.json",
        };

        var command = new Command("analyze", $"""
            Which frequencies a trained DCT model relies on, as heat maps of three 8x8 grids (Y, Cb, Cr; u across, v down,
            DC at the top left) and JSON. Unreadable images are reported, skipped and not counted (exit code 1).

            Gate selection (the default; gated models): how often the input gate keeps each of the 192 channels over a
            dataset (the paper's dynamic channel selection): DIR/{GateSelection.SelectionFile} and DIR/{GateSelection.HeatmapFile}, on one 0-1
            scale. The gate samples, so DIR/{GateSelection.KeepProbabilityFile} adds each channel's mean probability of being
            kept, σ(on − off) of its logits: the same rates without the sampling noise, which also order the channels that
            were never (or always) on. --export-subset K turns the K most selected channels into a static subset.

            Spectral sensitivity (--sensitivity; any DCT model): the top-1 accuracy lost when each channel of the input, or
            each frequency band with --by band, is replaced by its mean (or by 0 with --ablation zero), the paper's
            evidence that networks lean on low frequencies and on Y. It needs no gate, so it also reads the release's
            static models. Each batch is read once and run once as it is and once per ablation (with a gated model's
            noise the same for all), so it costs (channels + 1) evaluations: a DCT-24 model 25, a 192-channel one 193;
            --by band needs at most 46. DIR/{SpectralSensitivity.SensitivityFile} holds the baseline, each ablation's top-1 and loss, and
            per channel its drop and rank (by top-1 drop, then by loss increase); DIR/{SpectralSensitivity.HeatmapFile} shows the drops (grey:
            channels the model does not take). --export-subset K writes the K most sensitive channels.

            Examples:
              dctnet analyze runs/gated/ --out runs/gated/analysis
              dctnet analyze runs/gated/ --data hymenoptera/val --out analysis --export-subset 24
              dctnet analyze runs/dct24/ --sensitivity --out runs/dct24/sensitivity
              dctnet analyze model_best.pth.tar --model resnet50-dct --channels 24 --data imagenet/val --sensitivity --by band --out bands
            """)
        {
            weights, data, output, exportSubset, model, channels, batchSize, threads, seed, pipeline, sensitivity, ablation, unit, engine
        };

        command.SetAction(parse =>
        {
            string weightsPath = parse.GetRequiredValue(weights);
            bool measureSensitivity = parse.GetValue(sensitivity);
            if (!measureSensitivity && new Option[] { ablation, unit, engine }.FirstOrDefault(o => parse.GetResult(o) is { Implicit: false }) is { } stray)
                throw new UsageException($"{stray.Name} belongs to --sensitivity.");
            int? subsetSize = parse.GetValue(exportSubset);
            if (subsetSize is not null && measureSensitivity && parse.GetValue(unit) == "band")
                throw new UsageException("--export-subset needs each channel measured on its own (--by channel), not bands.");
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
            int threadCount = parse.GetValue(threads);
            set_num_threads(threadCount);
            var request = new ModelRequest(parse.GetValue(model) ?? run.Model, weightsPath, parse.GetValue(channels), parse.GetValue(seed), parse.GetValue(pipeline),
                measureSensitivity ? EngineOption.Resolve(parse, engine, CPU) : InferenceEngine.Torch, threadCount);
            using var loaded = Load(request);
            var job = new Job(context, dataset, parse.GetRequiredValue(output), subsetSize, parse.GetValue(batchSize), threadCount);
            return measureSensitivity
                ? MeasureSensitivity(job, loaded, parse.GetValue(ablation) == "zero" ? Ablation.Zero : Ablation.Mean,
                    parse.GetValue(unit) == "band" ? AblationUnit.Band : AblationUnit.Channel, parse.GetValue(seed))
                : MeasureSelection(job, loaded);
        });
        return command;
    }

    /// <summary>What both analyses share: where they print, what they read and where they write.</summary>
    private sealed record Job(CliContext Context, ImageFolder Dataset, string OutputFolder, int? SubsetSize, int BatchSize, int Threads)
    {
        /// <summary>Runs <paramref name="measure"/> under a progress bar of <paramref name="total"/> units; null when interrupted (reported).</summary>
        public T? Run<T>(long total, string unitName, Func<Action<long, IReadOnlyList<LoadFailure>>, T> measure) where T : class
        {
            int processed = 0;
            T? measured = null;
            try
            {
                ProgressDisplay.Run(Context, "analyze", checked((int)total), () => Volatile.Read(ref processed), () =>
                    measured = measure((done, failures) =>
                    {
                        foreach (var failure in failures)
                            Context.ReportError($"{failure.Path}: {failure.Reason}");
                        Volatile.Write(ref processed, (int)done);
                    }));
            }
            catch (OperationCanceledException) when (Context.Cancellation.IsCancellationRequested)
            {
                Context.ReportError($"interrupted after {Volatile.Read(ref processed)} of {total} {unitName}; nothing written.");
                return null;
            }
            return measured;
        }

        public int Finish(IReadOnlyList<LoadFailure> failures)
        {
            if (failures.Count == 0)
                return ExitCodes.Success;
            Context.ReportError($"{failures.Count} of {Dataset.Samples.Count} images could not be read; they are not counted.");
            return ExitCodes.Failure;
        }

        public void Wrote(string file) => Context.Out.WriteLine($"wrote {Path.Combine(OutputFolder, file)}");

        public void WroteSubset(ChannelSubset subset, string file)
            => Context.Out.WriteLine($"wrote {Path.Combine(OutputFolder, file)}: {subset.Count} channels (Y {subset.Y.Count}, Cb {subset.Cb.Count}, Cr {subset.Cr.Count})");
    }

    private static int MeasureSelection(Job job, InferenceModel loaded)
    {
        if (!loaded.HasInputGate)
            throw new ModelRequestException($"{loaded.WeightsPath}: the weights have no input gate ({WeightsLayout.InputGatePrefix}*); "
                + "the gate's selection needs a model trained with --channels 192 --gate (--sensitivity measures any DCT model).");
        var (context, dataset, outputFolder) = (job.Context, job.Dataset, job.OutputFolder);
        context.Out.WriteLine($"{loaded.Definition.Name} ({loaded.WeightsPath}, input gate over {InputGate.Channels} channels); "
            + $"{dataset.Samples.Count} images ({dataset.Root})");
        var selection = job.Run(dataset.Samples.Count, "images", report => GateSelection.Measure(loaded, dataset.Samples, job.BatchSize, job.Threads,
            step => report(step.Processed, step.NewFailures), context.Cancellation));
        if (selection is null)
            return ExitCodes.Interrupted;
        var subset = selection.SaveAnalysis(outputFolder, $"Input gate: selection frequency per channel ({loaded.Definition.Name}, {selection.Samples} images)", job.SubsetSize);
        context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{selection.Samples} images: {selection.Frequencies.Sum():0.0} of {InputGate.Channels} channels on per image on average"));
        job.Wrote(GateSelection.SelectionFile);
        job.Wrote(GateSelection.KeepProbabilityFile);
        job.Wrote(GateSelection.HeatmapFile);
        if (subset is not null)
            job.WroteSubset(subset, GateSelection.SubsetFile);
        return job.Finish(selection.Failures);
    }

    private static int MeasureSensitivity(Job job, InferenceModel loaded, Ablation ablation, AblationUnit unit, ulong seed)
    {
        var (context, dataset, outputFolder) = (job.Context, job.Dataset, job.OutputFolder);
        var channels = loaded.Channels ?? throw new ModelRequestException($"{loaded.WeightsPath}: {loaded.Definition.Name} takes RGB images; --sensitivity needs a DCT model.");
        if (job.SubsetSize > channels.Count)
            throw new UsageException($"--export-subset: the model takes {channels.Count} channels, so at most {channels.Count} can be exported, got {job.SubsetSize}.");
        int passes = SpectralSensitivity.AblationCount(channels, unit) + 1;
        context.Out.WriteLine($"{loaded.Definition.Name} ({loaded.WeightsPath}, {channels.Count} DCT channels{(loaded.HasInputGate ? ", input gate" : "")}); "
            + $"{dataset.Samples.Count} images ({dataset.Root}); {passes} passes (1 + one per {(unit == AblationUnit.Band ? "band" : "channel")}), engine {EngineOption.Name(loaded.Engine)}");
        var measured = job.Run((long)dataset.Samples.Count * passes, "image passes", report => SpectralSensitivity.Measure(loaded, dataset, ablation, unit,
            job.BatchSize, job.Threads, seed, step => report(step.Processed, step.NewFailures), context.Cancellation));
        if (measured is null)
            return ExitCodes.Interrupted;
        string ablated = ablation == Ablation.Zero ? "set to 0" : "replaced by its mean";
        measured.Save(outputFolder, $"Top-1 lost with each {(unit == AblationUnit.Band ? "band" : "channel")} {ablated} ({loaded.Definition.Name}, {measured.Samples} images)",
            loaded.Definition.Name, loaded.WeightsPath, dataset.Root);
        var (low, high) = measured.LowAndHighBands();
        context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{measured.Samples} images: top-1 {measured.BaselineTop1:0.00}% as it is; largest drop {measured.Results.Max(r => measured.BaselineTop1 - r.Top1):0.00} points "
            + $"({measured.Results.MaxBy(r => measured.BaselineTop1 - r.Top1)!.Name}); mean drop per channel: bands 0-3 {low:0.00}, bands 4-14 {high:0.00}"));
        job.Wrote(SpectralSensitivity.SensitivityFile);
        job.Wrote(SpectralSensitivity.HeatmapFile);
        if (job.SubsetSize is { } count)
        {
            var subset = measured.MostSensitive(count);
            AtomicFile.WriteAllText(Path.Combine(outputFolder, GateSelection.SubsetFile), subset.ToJson() + "\n");
            job.WroteSubset(subset, GateSelection.SubsetFile);
        }
        return job.Finish(measured.Failures);
    }

    private static ImageFolder OpenData(string root)
    {
        return UsageException.Guard("--data: ", () => ImageFolder.Open(root));
    }

    private sealed record ModelRequest(string? Model, string Weights, string? Channels, ulong Seed, string? Pipeline, InferenceEngine Engine, int Threads);

    /// <summary>The model comes from --model, else the checkpoint's metadata, else the run's options.</summary>
    private static InferenceModel Load(ModelRequest request)
    {
        string? name = request.Model;
        if (name is null)
        {
            string path = RunDirectory.ResolveWeights(request.Weights);
            name = WeightsFile.Read(path).Metadata?.Model
                ?? throw new UsageException($"--model is required: {path} does not name its model (only DctNet checkpoints and run directories do).");
        }
        var channels = request.Channels is null ? null : UsageException.Guard("--channels: ", () => ChannelSubset.Parse(request.Channels));
        // BatchNorms stay unfolded: a gate decision is a comparison, and folding's rounding could flip a close one.
        return UsageException.Guard("--model: ", () => InferenceModel.Load(new InferenceRequest(ModelRegistry.Get(name), request.Weights)
        {
            Channels = channels,
            GateSeed = request.Seed,
            Pipeline = request.Pipeline is null ? null : DctFileTransform.Parse(request.Pipeline),
            Engine = request.Engine,
            Threads = request.Threads,
        }));
    }
}
