using System.CommandLine;
using System.Globalization;
using DctNet.Data;
using DctNet.Training;

namespace DctNet.Cli.Commands;

/// <summary><c>dctnet train</c>: trains a registry model on an ImageFolder dataset into a run directory, or resumes one.</summary>
internal static class TrainCommand
{
    /// <summary>torchvision's ImageNet recipe: 0.1 for batches of 256, scaled linearly for other batch sizes (Goyal et al. 2017).</summary>
    private const double ReferenceLearningRate = 0.1;
    private const int ReferenceBatchSize = 256;

    public static Command Create(CliContext context)
    {
        var defaults = new TrainingOptions { Model = "", Data = "" };
        var model = new Option<string>("--model") { Description = "Model name (see 'dctnet models'), e.g. resnet18-dct-s2, resnet50-dct, resnet50.", HelpName = "name" };
        var channels = new Option<string>("--channels")
        {
            Description = "DCT models: the channels they take - 6, 24, 32, 48, 64, 192 or a subset file. [default: 24, 192 with --gate]",
            HelpName = "6|24|32|48|64|192|subset.json",
        };
        var data = new Option<string>("--data") { Description = "Dataset root: <root>/train and <root>/val are ImageFolders with the same class folders.", HelpName = "ROOT" };
        var crop = new Option<int?>("--crop")
        {
            Description = "Side of the training crop in pixels, a multiple of 8 (DCT models see crop/8 x crop/8 blocks); smaller crops train faster. "
                + "[default: the model's own - 448 for DCT ResNets, 896 for MobileNetV2-DCT, 224 for RGB models]",
            HelpName = "pixels",
        }.InRange(8, OptionRanges.MaxCrop);
        var resize = new Option<int?>("--resize")
        {
            Description = "Shorter side before the validation centre crop, in pixels. [default: crop x 8/7, as 512 for 448 and 256 for 224]",
            HelpName = "pixels",
        }.InRange(1, OptionRanges.MaxResize);
        var stats = new Option<string>("--stats")
        {
            Description = "DCT models: normalize with this statistics file ('dctnet stats --data <root>/train') instead of the release's ImageNet statistics; the checkpoints record it.",
            HelpName = "stats.json",
        };
        var pipeline = PipelineOptions.PipelineOption("DCT models; the checkpoints record it, and eval, predict and analyze then read "
            + "the same pipeline's input. Normalization defaults to that pipeline's ImageNet statistics.");
        var device = DeviceOption.Create();
        var (output, resume) = (RunCommandLine.Output(), RunCommandLine.Resume());
        var epochs = PipelineOptions.PositiveInt("--epochs", "Epochs to train.", defaults.Epochs, OptionRanges.MaxEpochs);
        var batchSize = PipelineOptions.BatchSize("Images per SGD step.", defaults.BatchSize);
        var learningRate = RunCommandLine.LearningRate(
            $"Base learning rate of SGD. [default: {ReferenceLearningRate} x batch size / {ReferenceBatchSize}, the linear scaling rule from torchvision's 0.1 at 256]");
        var momentum = RunCommandLine.Momentum(defaults.Momentum);
        var nesterov = new Option<bool>("--nesterov") { Description = "Nesterov momentum." };
        var weightDecay = PipelineOptions.Number("--weight-decay", "L2 weight decay of conv and linear weights (never of BatchNorm weights nor of biases).", defaults.WeightDecay).NonNegative();
        var labelSmoothing = PipelineOptions.Number("--label-smoothing", "Label smoothing of the cross-entropy, in [0, 1).", defaults.LabelSmoothing).Within(0, 1, maxExcluded: true);
        var schedule = new Option<string>("--schedule")
        {
            Description = "Learning rate after warm-up: cosine (down to 0 at the end) or step (divided by 10 at 1/3 and 2/3 of the epochs).",
            DefaultValueFactory = _ => "cosine",
        }.AcceptOnlyFromAmong("step", "cosine");
        var warmupEpochs = new Option<int>("--warmup-epochs") { Description = "Epochs of linear warm-up, batch by batch (at most --epochs).", HelpName = "N", DefaultValueFactory = _ => 0 }
            .InRange(0, OptionRanges.MaxEpochs);
        var init = new Option<string>("--init")
        {
            Description = "Starting weights: a torchvision RGB ResNet file for a DCT ResNet of the same depth (the release's initialization), "
                + "or a DctNet checkpoint or run directory of the same model.",
            HelpName = "WEIGHTS",
        };
        var seed = RunCommandLine.Seed("Seed of the initialization, the sample order, the augmentation and the gate's noise.");
        var threads = RunCommandLine.Threads();
        var noAugmentation = new Option<bool>("--no-augmentation")
        {
            Description = "Train on the validation transform (resize and centre crop) instead of random-resized crops and flips: for data whose classes a rescale changes (the demo's stripes, "
                + "defined by their frequency), or to check that a model memorizes a small set.",
        };
        var strict = new Option<bool>("--strict") { Description = "An unreadable image stops the run (by default it is skipped with a warning and counted)." };
        var gate = new Option<bool>("--gate") { Description = "Train the input gate in front of the model (dynamic channel selection; 192 channels); see GATE RECIPES below." };
        var gateOptions = new GateCommandLine();

        Option[] runOptions = [model, channels, data, crop, resize, stats, pipeline, device, output, epochs, batchSize, learningRate, momentum, nesterov, weightDecay, labelSmoothing,
            schedule, warmupEpochs, init, seed, threads, noAugmentation, strict, gate, .. gateOptions.All];
        var command = new Command("train", """
            Trains a model with SGD on <data>/train, validating on <data>/val after every epoch. The run directory gets
            options.json, last.safetensors and best.safetensors (DctNet checkpoints: 'dctnet eval --weights RUNDIR' takes the
            best), train_state.safetensors (what --resume needs) and metrics.jsonl (one JSON line per epoch: epoch,
            train_loss, train_top1, val_loss, val_top1, val_top5 in percent, lr, images_per_s, loader_images_per_s, skipped,
            and channels_on for gated runs). Every epoch is committed atomically: a run killed at any moment resumes from its
            last complete epoch and repeats, from the same seed, exactly what the uninterrupted run would have done.
            Ctrl+C abandons the current epoch and exits with 130; a NaN or infinite loss stops the run with exit code 1.
            Unreadable images are skipped with a warning and counted, or stop the run with --strict.

            Examples:
              dctnet train --model resnet18-dct-s2 --channels 24 --data hymenoptera --epochs 12 --batch-size 32 --seed 1 --out runs/ants
              dctnet train --model resnet50-dct --channels 24 --data imagenet --init resnet50-torchvision.pth --lr 0.01 --out runs/dct24
              dctnet train --model resnet18-dct-s2 --gate --gate-target 24 --data hymenoptera --out runs/gate
              dctnet train --model resnet18-dct-s2 --gate --gate-recipe release --gate-lambda 0.01 --data hymenoptera --out runs/gate-release
              dctnet train --resume runs/ants

            """ + GateCommandLine.Help)
        {
            runOptions, resume
        };

        command.SetAction(parse => RunCommandLine.Run(parse, resume, runOptions, TrainingRun.Resume, required =>
        {
            var options = new TrainingOptions
            {
                Model = required(model),
                Channels = parse.GetValue(channels),
                Data = required(data),
                Crop = parse.GetValue(crop),
                Resize = parse.GetValue(resize),
                Stats = parse.GetValue(stats),
                // Exact is recorded as no pipeline, so that its options.json stays what runs before the JPEG pipeline wrote.
                Pipeline = parse.GetValue(pipeline) is PipelineOptions.Jpeg ? PipelineOptions.Jpeg : null,
                Device = parse.GetValue(device) ?? ComputeDevice.Default,
                Epochs = parse.GetValue(epochs),
                BatchSize = parse.GetValue(batchSize),
                LearningRate = RunCommandLine.LearningRate(parse, learningRate, batchSize, ReferenceLearningRate, ReferenceBatchSize),
                Momentum = parse.GetValue(momentum),
                Nesterov = parse.GetValue(nesterov),
                WeightDecay = parse.GetValue(weightDecay),
                LabelSmoothing = parse.GetValue(labelSmoothing),
                Schedule = parse.GetValue(schedule) == "step" ? LearningRateScheduleKind.Step : LearningRateScheduleKind.Cosine,
                WarmupEpochs = parse.GetValue(warmupEpochs),
                Init = parse.GetValue(init),
                Seed = parse.GetValue(seed),
                Threads = parse.GetValue(threads),
                Augment = !parse.GetValue(noAugmentation),
                Strict = parse.GetValue(strict),
                Gate = parse.GetValue(gate),
            };
            options = gateOptions.Apply(parse, options);
            string directory = required(output);
            RefuseSingleClass(options.Data);
            return () => TrainingRun.Start(options, directory);
        }, run => Train(context, run)));
        return command;
    }

    /// <summary>
    /// Refused rather than warned about: with one class the softmax cross-entropy is 0 whatever the weights, so no
    /// gradient reaches them, and top-1 reads 100% from the first batch; a run would be hours of nothing.
    /// </summary>
    private static void RefuseSingleClass(string data)
    {
        string train = Path.Combine(data, "train");
        if (Directory.Exists(train) && ClassLabels.FromImageFolder(train) is { Count: 1 } classes)
            throw new UsageException($"{train}: one class folder ({classes.Names[0]}); a classifier learns nothing from one class "
                + "(its loss is 0 and its top-1 100% whatever the weights), so training needs at least two.");
    }

    private static int Train(CliContext context, TrainingRun run)
    {
        var options = run.Options;
        context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{run.Metadata.Model}{(run.Metadata.Channels is { } c ? $" DCT-{c.Name}" : "")}{(options.Gate ? " gated" : "")}, {run.Metadata.Classes} classes: "
            + $"{run.TrainingSamples} training and {run.ValidationSamples} validation images ({options.Data}) -> {run.Directory}"));
        if (options.Strict && run.SkippedFiles.Count > 0)
        {
            context.ReportError($"{run.SkippedFiles[0].Path}: {run.SkippedFiles[0].Reason} (--strict stops on a dataset entry that cannot be read)");
            return ExitCodes.Failure;
        }
        foreach (var skipped in run.SkippedFiles)
            context.Error.WriteLine($"warning: {skipped.Path}: {skipped.Reason} (not in the dataset)");
        return EpochLoop.Run(context, "train", run.Ledger, run.TrainingSamples, run.ValidationSamples,
            (progress, skipped) => Describe(run.RunEpoch(progress, skipped, context.Cancellation), options.Epochs),
            () => string.Create(CultureInfo.InvariantCulture, $"best val top-1: {run.Ledger.Best:0.00}% ({run.Directory})"));
    }

    private static string Describe(ClassificationEpochMetrics m, int epochs)
    {
        string skipped = m.Skipped > 0 ? $" | skipped {m.Skipped}" : "";
        string channelsOn = m.ChannelsOn is { } on ? string.Create(CultureInfo.InvariantCulture, $" | channels on {on:0.0}") : "";
        return string.Create(CultureInfo.InvariantCulture,
            $"epoch {m.Epoch}/{epochs}: train loss {m.TrainLoss:0.0000} top-1 {m.TrainTop1:0.00}% | val loss {m.ValLoss:0.0000} top-1 {m.ValTop1:0.00}% top-5 {m.ValTop5:0.00}% | lr {m.LearningRate:G4} | {m.ImagesPerSecond:0.0} images/s (loader alone {m.LoaderImagesPerSecond:0.0}){skipped}{channelsOn}");
    }
}
