using System.CommandLine;
using System.Globalization;
using DctNet.Detection.Training;

namespace DctNet.Cli.Commands;

/// <summary><c>dctnet train-det</c>: trains a detection model on a COCO-format dataset into a run directory, or resumes one.</summary>
internal static class TrainDetCommand
{
    public static Command Create(CliContext context)
    {
        var defaults = new DetectionTrainingOptions { Model = "", Data = "", Annotations = "", ValData = "", ValAnnotations = "" };
        var model = new Option<string>("--model") { Description = $"Detection model: {string.Join(", ", Detection.Modeling.DetectionModels.All.Select(d => d.Name))}.", HelpName = "name" };
        var channels = DetectionOptions.Channels();
        var data = new Option<string>("--data") { Description = "The training images' folder (the annotation file's file_name values are relative to it).", HelpName = "DIR" };
        var annotations = new Option<string>("--annotations") { Description = "The training set's COCO annotation file.", HelpName = "instances.json" };
        var valData = new Option<string>("--val-data") { Description = "The validation images' folder.", HelpName = "DIR" };
        var valAnnotations = new Option<string>("--val-annotations") { Description = "The validation set's COCO annotation file: COCO box (and mask) AP after every epoch.", HelpName = "instances.json" };
        var (output, resume) = (RunCommandLine.Output(), RunCommandLine.Resume());
        var epochs = PipelineOptions.PositiveInt("--epochs", "Epochs to train (the 1x schedule is 12).", defaults.Epochs, OptionRanges.MaxEpochs);
        var batchSize = PipelineOptions.BatchSize("Images per SGD step (mmdetection: 2 per GPU).", defaults.BatchSize);
        var learningRate = RunCommandLine.LearningRate(
            $"Learning rate. [default: {DetectionTrainingOptions.ReferenceLearningRate} x batch size / {DetectionTrainingOptions.ReferenceBatchSize}, the 1x recipe's rate scaled linearly]");
        var momentum = RunCommandLine.Momentum(defaults.Momentum);
        var weightDecay = PipelineOptions.Number("--weight-decay", "L2 weight decay of every parameter, as the detection recipes apply it.", defaults.WeightDecay).NonNegative();
        var clip = PipelineOptions.Number("--clip-grad", "Largest L2 norm of all gradients together (0: no clipping).", defaults.ClipGradientNorm).NonNegative();
        var warmup = new Option<int>("--warmup-iterations")
        {
            Description = "Steps of linear warm-up from a third of the rate.",
            HelpName = "N",
            DefaultValueFactory = _ => defaults.WarmupIterations,
        }.InRange(0, int.MaxValue);
        var decay = new Option<string>("--decay-epochs")
        {
            Description = "Epochs after which the rate is divided by 10, comma-separated. [default: 2/3 and 11/12 of --epochs: 8,11 for 12]",
            HelpName = "E1,E2",
        };
        var shortEdge = PipelineOptions.PositiveInt("--short-edge", "Bound of the images' shorter side: they are rescaled to fit both bounds, keeping their ratio.", defaults.ShortEdge, OptionRanges.MaxDetectionSide);
        var longEdge = PipelineOptions.PositiveInt("--long-edge", "Bound of the images' longer side (smaller bounds train much faster on a CPU).", defaults.LongEdge, OptionRanges.MaxDetectionSide);
        var rois = new Option<int>("--rois-per-image")
        {
            Description = "Proposals sampled per image to train the box and mask heads, at most a quarter positive (4 to 4096; the recipes take 512).",
            HelpName = "N",
            DefaultValueFactory = _ => defaults.RoIsPerImage,
        }.InRange(4, 4096);
        var trainable = new Option<int>("--trainable-layers")
        {
            Description = "Backbone stages that train, last first (torchvision's trainable_backbone_layers): 3 freezes the stem and layer1.",
            HelpName = "0..5",
            DefaultValueFactory = _ => defaults.TrainableBackboneLayers,
        }.InRange(0, 5);
        var init = new Option<string>("--init")
        {
            Description = "Starting weights: detector weights (a torchvision COCO checkpoint, a DctNet detection checkpoint or run directory; the "
                + "classifier layers stay fresh for another class count), or an ImageNet backbone - torchvision's ResNet-50 for RGB models, "
                + "a resnet50-dct classifier (the release's model_best.pth.tar or a DctNet checkpoint) for -dct models.",
            HelpName = "WEIGHTS",
        };
        var stats = new Option<string>("--stats")
        {
            Description = "-dct models: normalize with this statistics file ('dctnet stats --data ...') instead of the statistics the --init weights "
                + "were trained with (a DctNet checkpoint's; the release's COCO statistics for its mmdetection v1 files; the release's ImageNet ones otherwise).",
            HelpName = "stats.json",
        };
        var seed = RunCommandLine.Seed("Seed of the fresh layers, the batch order, the flips and the samplers.");
        var threads = RunCommandLine.Threads();
        var device = DeviceOption.Create();
        var noFlip = new Option<bool>("--no-flip") { Description = "No random horizontal flips of the training images." };
        var strict = new Option<bool>("--strict") { Description = "An absent or unreadable image stops the run (by default it is left out or skipped, and counted)." };

        Option[] runOptions = [model, channels, data, annotations, valData, valAnnotations, output, epochs, batchSize, learningRate, momentum, weightDecay, clip, warmup, decay,
            shortEdge, longEdge, rois, trainable, init, stats, seed, threads, device, noFlip, strict];
        var command = new Command("train-det", """
            Trains a detection model with SGD on a COCO-format dataset, evaluating COCO box (and mask) AP on the validation
            set after every epoch - the release's mmdetection v1 1x recipe by default: momentum 0.9, weight decay 1e-4,
            gradients clipped at norm 35, 500 warm-up steps from a third of the rate, the rate divided by 10 after
            epochs 8 and 11, images rescaled to fit 1333 x 800 and flipped at random, the stem and layer1 frozen; -dct
            models read the paper's DCT input. The run directory gets options.json, last.safetensors and best.safetensors
            (detection checkpoints of the last epoch and of the best box AP: 'dctnet detect --weights RUNDIR' takes the best),
            train_state.safetensors (what --resume needs), metrics.jsonl (one JSON line per epoch: the mean of every loss
            term, lr, images_per_s, skipped, and the 12 COCO numbers under "bbox" and "segm") and curves.png. Every epoch is
            committed atomically: a run killed at any moment resumes from its last complete epoch and repeats, from the same
            seed, what the uninterrupted run would have done. Crowd regions, zero-area boxes, boxes outside their image
            and, for Mask R-CNN, objects without a segmentation are not trained on; boxes are clipped to their image;
            images without objects are left out of training; absent images are left out: all of it counted at the start.
            Ctrl+C abandons the current epoch and exits with 130; a NaN or infinite loss stops the run with exit code 1.

            Examples:
              dctnet train-det --model maskrcnn-r50-fpn --init resnet50-0676ba61.pth --data coco/train2017 --annotations coco/annotations/instances_train2017.json --val-data coco/val2017 --val-annotations coco/annotations/instances_val2017.json --out runs/mask-rgb
              dctnet train-det --model maskrcnn-r50-fpn-dct --init work_dirs/mask_rcnn_r50_fpn_1x_dct_24_wofreeze/latest.pth --data coco/train2017 --annotations coco/annotations/instances_train2017.json --val-data coco/val2017 --val-annotations coco/annotations/instances_val2017.json --epochs 2 --out runs/finetune
              dctnet train-det --model maskrcnn-r50-fpn-dct --channels 24 --init model_best.pth.tar --data coco/train2017 --annotations coco/annotations/instances_train2017.json --val-data coco/val2017 --val-annotations coco/annotations/instances_val2017.json --out runs/mask-dct24
              dctnet train-det --model fasterrcnn-r50-fpn --init maskrcnn_coco.pth --data pets/images --annotations pets/train.json --val-data pets/images --val-annotations pets/val.json --epochs 6 --short-edge 512 --long-edge 853 --out runs/pets
              dctnet train-det --resume runs/mask-rgb
            """)
        {
            runOptions, resume
        };

        command.SetAction(parse => RunCommandLine.Run(parse, resume, runOptions, DetectionTrainingRun.Resume, required =>
        {
            var definition = DetectionOptions.ResolveModel(required(model));
            if (parse.GetValue(channels) is not null && !definition.TakesDct)
                throw new UsageException($"--channels: {definition.Name} takes RGB images; channels are for {definition.Name}-dct.");
            var options = new DetectionTrainingOptions
            {
                Model = definition.Name,
                Channels = parse.GetValue(channels),
                Data = required(data),
                Annotations = required(annotations),
                ValData = required(valData),
                ValAnnotations = required(valAnnotations),
                Device = parse.GetValue(device) ?? ComputeDevice.Default,
                Epochs = parse.GetValue(epochs),
                BatchSize = parse.GetValue(batchSize),
                LearningRate = RunCommandLine.LearningRate(parse, learningRate, batchSize, DetectionTrainingOptions.ReferenceLearningRate, DetectionTrainingOptions.ReferenceBatchSize),
                Momentum = parse.GetValue(momentum),
                WeightDecay = parse.GetValue(weightDecay),
                ClipGradientNorm = parse.GetValue(clip),
                WarmupIterations = parse.GetValue(warmup),
                DecayEpochs = parse.GetValue(decay) is { } text ? Epochs(text) : null,
                ShortEdge = parse.GetValue(shortEdge),
                LongEdge = parse.GetValue(longEdge),
                RoIsPerImage = parse.GetValue(rois),
                TrainableBackboneLayers = parse.GetValue(trainable),
                Init = parse.GetValue(init),
                Stats = parse.GetValue(stats),
                Seed = parse.GetValue(seed),
                Threads = parse.GetValue(threads),
                Flip = !parse.GetValue(noFlip),
                Strict = parse.GetValue(strict),
            };
            string directory = required(output);
            return () => DetectionTrainingRun.Start(options, directory);
        }, run => Train(context, run)));
        return command;
    }

    private static int[] Epochs(string text)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        var epochs = new int[parts.Length];
        for (int i = 0; i < parts.Length; i++)
        {
            if (!int.TryParse(parts[i], NumberStyles.None, CultureInfo.InvariantCulture, out epochs[i]))
                throw new UsageException($"--decay-epochs {text}: '{parts[i]}' is not an epoch number.");
        }
        return epochs;
    }

    private static int Train(CliContext context, DetectionTrainingRun run)
    {
        var options = run.Options;
        var metadata = run.Metadata;
        context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{metadata.Model}{(metadata.Channels is { } c ? $" DCT-{c.Name}" : "")}, {metadata.Categories.Count} categories, "
            + $"images to fit {options.LongEdge} x {options.ShortEdge}, {run.BatchesPerEpoch} steps of {options.BatchSize} per epoch -> {run.Directory}"));
        context.Out.WriteLine($"train: {run.TrainingSummary} ({options.Annotations})");
        context.Out.WriteLine($"val: {run.ValidationSummary} ({options.ValAnnotations})");
        if (run.Initialization is { } initialization)
            context.Out.WriteLine($"init: {initialization}");
        else if (run.Ledger.CompletedEpochs == 0)
            context.Error.WriteLine("warning: no --init: the backbone starts from random weights behind frozen identity norms; detectors train from an ImageNet backbone (see --init).");
        return EpochLoop.Run(context, "train-det", run.Ledger, run.TrainingImages, run.ValidationImages,
            (progress, skipped) => Describe(run.RunEpoch(progress, skipped, context.Cancellation), options.Epochs),
            () => string.Create(CultureInfo.InvariantCulture, $"best val box AP: {100 * run.Ledger.Best:0.0} ({run.Directory})"));
    }

    private static string Describe(DetectionEpochMetrics m, int epochs)
    {
        string terms = string.Join(", ", m.Losses.Select(t => string.Create(CultureInfo.InvariantCulture, $"{t.Key["loss_".Length..]} {t.Value:0.0000}")));
        string Ap(string name, IReadOnlyList<double>? stats) => stats is null ? ""
            : string.Create(CultureInfo.InvariantCulture, $" | val {name} AP {100 * stats[0]:0.0} AP50 {100 * stats[1]:0.0}");
        string skipped = m.Skipped > 0 ? $" | skipped {m.Skipped}" : "";
        return string.Create(CultureInfo.InvariantCulture,
            $"epoch {m.Epoch}/{epochs}: loss {m.Loss:0.0000} ({terms}){Ap("box", m.Bbox)}{Ap("mask", m.Segm)} | lr {m.LearningRate:G4} | {m.ImagesPerSecond:0.00} images/s{skipped}");
    }
}
