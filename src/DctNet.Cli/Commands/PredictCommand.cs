using System.CommandLine;
using System.Globalization;
using DctNet.Data;
using DctNet.Frequency.Geometry;
using DctNet.Frequency.IO;
using DctNet.Inference;
using static TorchSharp.torch;

namespace DctNet.Cli.Commands;

/// <summary><c>dctnet predict</c>: the most probable classes of images or of a ready input tensor, and optionally the logits.</summary>
internal static class PredictCommand
{
    public static Command Create(CliContext context)
    {
        var weights = new WeightsOptions();
        var images = new Argument<string[]>("image")
        {
            Description = "Image files (JPEG, PNG, BMP, WebP), run through the model's own input pipeline.",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var inputTensor = new Option<string>("--input-tensor")
        {
            Description = "Instead of images: a float32 .npy of C x H x W or N x C x H x W, fed to the model as is (no pipeline), "
                + "e.g. written by 'dctnet transform' with the model's channels.",
            HelpName = "X.npy",
        };
        var logits = new Option<string>("--logits")
        {
            Description = "Also write the logits (before softmax) as float32 .npy, N x classes: one row per predicted input, "
                + "in order; unreadable images have no row.",
            HelpName = "OUT.npy",
        }.OutputFile();
        var topK = PipelineOptions.PositiveInt("--topk", "Classes printed per input, most probable first.", 5, OptionRanges.MaxClasses);
        var labels = new Option<string>("--labels")
        {
            Description = "Class names, one per line in class order ('id<TAB>name' keeps the name; blank and '#' lines are skipped). "
                + "[default: ImageNet's names for 1000-class models, else 'class N']",
            HelpName = "labels.txt",
        };
        var batchSize = PipelineOptions.BatchSize("Inputs per forward pass: images, or rows of --input-tensor.", 16);
        var threads = PipelineOptions.ThreadCount("Threads that decode and transform images, and the engine's threads for the model; the default is the number of cores.", Environment.ProcessorCount);

        var command = new Command("predict", """
            Classifies images with trained weights: prints the top-k classes of each input with their softmax probabilities.
            Images go through the model's own input pipeline (DCT models: the release's transform with the model's
            geometry, channels and normalization; RGB models: torchvision's resize 256, crop 224, ImageNet mean/std).
            An image that cannot be read is reported as 'error: <path>: <reason>', the others are still predicted,
            and the exit code is 1.

            Examples:
              dctnet predict --model resnet50-dct --channels 24 --weights model_best.pth.tar photo.jpg
              dctnet predict --model resnet50 --weights resnet50.pth photos/*.jpg --topk 3
              dctnet predict --model resnet50-dct --weights runs/dct24/ --input-tensor photo.npy --logits logits.npy
              dctnet predict --model mobilenetv2-dct --weights birds.safetensors bird.png --labels birds.txt
            """)
        {
            images, weights.Selection, inputTensor, logits, topK, labels, batchSize, threads, weights.Seed, weights.Device, weights.Engine
        };

        command.SetAction(parse =>
        {
            string? tensorPath = parse.GetValue(inputTensor);
            string[] imagePaths = parse.GetValue(images) ?? [];
            if (tensorPath is null && imagePaths.Length == 0)
                throw new UsageException("give image files or --input-tensor X.npy.");
            if (tensorPath is not null && imagePaths.Length > 0)
                throw new UsageException("give either image files or --input-tensor, not both.");
            // A folder or a FIFO there exists: Npy.ReadFile names it for what it is.
            if (tensorPath is not null && FileProbe.Stat(tensorPath, followLinks: true) is null)
                throw ImageInputs.Missing("--input-tensor", tensorPath);
            if (parse.GetValue(logits) is { } logitsOut)
                ImageInputs.RefuseOverwritingInput("--logits", logitsOut, tensorPath is null ? imagePaths : [tensorPath]);

            // The tensor is read before the weights: a file that is not a float32 .npy is reported without loading a model.
            (NpyArray Array, float[] Values)? tensor = null;
            if (tensorPath is not null)
            {
                tensor = ReadTensor(context, tensorPath);
                if (tensor is null)
                    return ExitCodes.Failure;
            }

            // So are the labels: a FIFO or a device given as --labels is refused before the model's weights are read.
            string? labelsPath = parse.GetValue(labels);
            var givenLabels = labelsPath is null ? null : LoadLabels(labelsPath);

            set_num_threads(parse.GetValue(threads));
            using var model = weights.Load(parse, foldBatchNorm: true, weights.ResolveEngine(parse), parse.GetValue(threads));
            var names = ResolveLabels(givenLabels, labelsPath, model.Classes);
            var printer = new Printer(context, names, parse.GetValue(topK), model.Classes);
            if (tensor is { } read)
            {
                if (PredictTensor(context, model, tensorPath!, read.Array.Shape, read.Values, parse.GetValue(batchSize), printer) is false)
                    return ExitCodes.Failure;
            }
            else
            {
                int? interrupted = PredictImages(context, model, imagePaths, parse.GetValue(batchSize), parse.GetValue(threads), printer);
                if (interrupted is { } code)
                    return code;
            }
            if (parse.GetValue(logits) is { } logitsPath)
            {
                if (Path.GetDirectoryName(Path.GetFullPath(logitsPath)) is { } directory)
                    Directory.CreateDirectory(directory);
                Npy.WriteFile<float>(logitsPath, printer.Logits.ToArray(), printer.Rows, model.Classes);
            }
            return printer.Failures == 0 ? ExitCodes.Success : ExitCodes.Failure;
        });
        return command;
    }

    /// <summary>
    /// The largest --input-tensor read: one input at the largest crop is 192 MiB of float32 in either form, RGB
    /// (3 x 4096 x 4096) or DCT-192 (192 x 512 x 512), and the tensor is held twice (as read, and as libtorch's copy)
    /// before the model's activations; a file declaring more is refused before anything of its size is allocated.
    /// </summary>
    private const long MaxTensorBytes = 256L << 20;

    /// <summary>The .npy and its float32 values; null (reported) when it is not a float32 .npy of 3 or 4 non-empty dimensions.</summary>
    private static (NpyArray Array, float[] Values)? ReadTensor(CliContext context, string path)
    {
        try
        {
            var array = Npy.ReadFile(path, MaxTensorBytes);
            float[] values = array.AsFloat32();
            // A zero-sized dimension (an empty .npy) has no rows to predict and no image for the model's convolutions.
            if (array.Shape.Length is not (3 or 4) || array.Shape.Contains(0))
                throw new InvalidDataException($"shape ({string.Join(", ", array.Shape)}) is not C x H x W or N x C x H x W, with no dimension 0.");
            if (array.Shape[^2] > CropGeometry.MaxCrop || array.Shape[^1] > CropGeometry.MaxCrop)
                throw new InvalidDataException($"shape ({string.Join(", ", array.Shape)}): H and W must be at most {CropGeometry.MaxCrop}, the largest crop DctNet takes.");
            return (array, values);
        }
        catch (InvalidDataException e)
        {
            context.ReportError(e.Message.StartsWith(path, StringComparison.Ordinal) ? e.Message : $"{path}: {e.Message}");
            return null;
        }
    }

    /// <summary>Feeds the tensor as is, <paramref name="batchSize"/> rows at a time; false (reported) when its shape is not one the model takes.</summary>
    private static bool PredictTensor(CliContext context, InferenceModel model, string path, int[] shape, float[] values, int batchSize, Printer printer)
    {
        long[] batchShape = shape.Length == 3 ? [1, shape[0], shape[1], shape[2]] : [.. shape.Select(d => (long)d)];
        int channels = model.Input.Shape[0];
        if (batchShape[1] != channels)
        {
            context.ReportError($"{path}: shape ({string.Join(", ", shape)}) is not {channels} x H x W or N x {channels} x H x W, the input of {model.Definition.Name} "
                + $"({model.Pipeline.Description}).");
            return false;
        }
        using var scope = NewDisposeScope();
        var inputs = tensor(values, batchShape);
        for (long start = 0; start < batchShape[0]; start += batchSize)
        {
            long count = Math.Min(batchSize, batchShape[0] - start);
            var logits = model.Logits(inputs.narrow(0, start, count));
            printer.Print([.. Enumerable.Range((int)start, (int)count).Select(i => string.Create(CultureInfo.InvariantCulture, $"{path}[{i}]"))], logits);
        }
        return true;
    }

    /// <returns>Null when every image was attempted; <see cref="ExitCodes.Interrupted"/> after Ctrl+C.</returns>
    private static int? PredictImages(CliContext context, InferenceModel model, string[] paths, int batchSize, int threads, Printer printer)
    {
        var loader = model.CreateLoader([.. paths.Select(path => (path, 0))], batchSize, threads);
        try
        {
            foreach (var batch in loader.Batches(cancellation: context.Cancellation))
            {
                using (batch)
                {
                    foreach (var failure in batch.Failures)
                    {
                        context.ReportError($"{failure.Path}: {failure.Reason}");
                        printer.Failures++;
                    }
                    if (batch.Count == 0)
                        continue;
                    using var logits = model.Logits(batch.Inputs);
                    printer.Print(batch.Paths, logits);
                }
            }
        }
        catch (OperationCanceledException) when (context.Cancellation.IsCancellationRequested)
        {
            context.ReportError($"interrupted after {printer.Rows} of {paths.Length} images.");
            return ExitCodes.Interrupted;
        }
        return null;
    }

    private static ClassLabels LoadLabels(string path)
    {
        try
        {
            return ClassLabels.Load(path);
        }
        catch (Exception e) when (e is ArgumentException or IOException)
        {
            throw new UsageException($"--labels: {e.Message}");
        }
    }

    /// <summary>The --labels file's names when they fit the model, ImageNet's for a 1000-class model without one, else none.</summary>
    private static ClassLabels? ResolveLabels(ClassLabels? given, string? path, int classes)
    {
        if (given is null)
            return classes == ClassLabels.ImageNet.Count ? ClassLabels.ImageNet : null;
        if (given.Count != classes)
            throw new UsageException($"--labels {path}: {given.Count} names for a model of {classes} classes.");
        return given;
    }

    /// <summary>Prints each input's top classes and keeps the logits rows for --logits.</summary>
    private sealed class Printer(CliContext context, ClassLabels? names, int k, int classes)
    {
        public List<float> Logits { get; } = [];

        public int Rows => Logits.Count / classes;

        public int Failures { get; set; }

        public void Print(IReadOnlyList<string> inputs, Tensor logits)
        {
            var top = Predictions.TopClasses(logits, k);
            Logits.AddRange(logits.data<float>().ToArray());
            for (int i = 0; i < inputs.Count; i++)
            {
                context.Out.WriteLine(inputs[i]);
                foreach (var score in top[i])
                {
                    string name = names is null ? $"class {score.Index}" : $"{names[score.Index]} (class {score.Index})";
                    context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {score.Probability:0.0000}  {name}"));
                }
            }
        }
    }
}
