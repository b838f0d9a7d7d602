using System.CommandLine;
using System.Globalization;
using DctNet.Inference;
using DctNet.Detection.Coco;
using DctNet.Detection.Inference;
using DctNet.Detection.Modeling;
using DctNet.Frequency.Imaging;

namespace DctNet.Cli.Commands;

/// <summary><c>dctnet detect</c>: objects (and masks) in images, as COCO results and annotated pictures.</summary>
internal static class DetectCommand
{
    public const string ResultsFile = "detections.json";

    public static Command Create(CliContext context)
    {
        var model = DetectionOptions.Model(required: false, note: "[default: the one a DctNet detection checkpoint records; required for other weights]");
        var channels = DetectionOptions.Channels();
        var weights = new Option<string>("--weights")
        {
            Description = "The weights: a DctNet detection checkpoint or a 'dctnet train-det' run directory (its best epoch), which bring their model, "
                + "categories, channels and scale; the release's mmdetection v1 checkpoints (latest.pth: their model, channels and COCO's 80 categories follow "
                + "from the file); or a PyTorch file (torch.save zip or legacy; a bare state_dict or under 'state_dict'/'model') with torchvision's names, e.g. "
                + "torchvision's maskrcnn_resnet50_fpn COCO checkpoint (91 COCO classes). Loaded strictly: every key and shape.",
            HelpName = "file",
            Required = true,
        };
        var images = new Argument<string[]>("image")
        {
            Description = "Image files (JPEG, PNG, BMP, WebP).",
            Arity = ArgumentArity.OneOrMore,
        };
        var output = new Option<string>("--out")
        {
            Description = $"Output folder: {ResultsFile} (COCO results) and <image name>.png per image. Created if missing.",
            HelpName = "DIR",
            Required = true,
        }.OutputFolder();
        var score = new Option<double>("--score")
        {
            Description = "Keep detections with at least this score, in the results file and the pictures.",
            HelpName = "0..1",
            DefaultValueFactory = _ => 0.5,
        }.Within(0, 1);
        var annotations = new Option<string>("--annotations")
        {
            Description = "A COCO annotation file whose images[].file_name lists the images: their ids go into the results (for 'dctnet coco-eval'). "
                + "[default: ids 1, 2, ... in the order of the command line]",
            HelpName = "instances.json",
        };
        var convention = new Option<string>("--box-convention")
        {
            Description = "The test-time algorithms: torchvision's, or mmdetection v1's \"+1\" ones (anchors, box coding, NMS, RoIAlign, mask paste and COCO "
                + "widths count both end pixels), with which the release's checkpoints were evaluated. [default: mmdet-v1 for mmdetection v1 files, else torchvision]",
            HelpName = "torchvision|mmdet-v1",
        }.AcceptOnlyFromAmong("torchvision", "mmdet-v1");
        var device = DeviceOption.Create();
        var engine = EngineOption.Create();
        engine.Description = "What computes the backbone and FPN: onnxruntime (exported in memory, BatchNorms folded, on ONNX Runtime's CPU kernels; "
            + "1.3-1.8x faster per image at 800 x 1333 on the hosts measured) or torch (libtorch; the one for --device cuda). The RPN and RoI heads run on libtorch. "
            + $"[default: {EngineOption.Name(EngineOption.Default)} on the CPU, torch on a CUDA device]";
        var command = new Command("detect", """
            Detects objects in images with a detection model and trained weights (-dct models read the image as the
            paper's detectors do: rescaled to fit 1333 x 800, padded to 32, Y from the 2x and Cb/Cr from the 4x upscale,
            --channels of them, normalized with the release's ImageNet statistics). Writes DIR/detections.json in the COCO
            results format (image_id, category_id = the model's label in torchvision's 91-class COCO layout, bbox as
            [x, y, width, height], score, and for Mask R-CNN the mask as compressed RLE, thresholded at 0.5; the weights of a
            'dctnet train-det' run give their dataset's category ids and names) and, for
            every image, DIR/<image name>.png with the boxes, class names, scores and translucent masks drawn. Images that
            cannot be read are reported ('error: <path>: <reason>') and skipped; the others are still processed and the
            exit code is then 1.

            Examples:
              dctnet detect --model maskrcnn-r50-fpn --weights maskrcnn_resnet50_fpn_coco.pth photo.jpg --out out/
              dctnet detect --model fasterrcnn-r50-fpn --weights fasterrcnn.safetensors images/*.jpg --out out/ --score 0.3
              dctnet detect --model maskrcnn-r50-fpn-dct --channels 24 --weights maskrcnn_dct24.pth photo.jpg --out out/
              dctnet detect --model maskrcnn-r50-fpn --weights w.pth val2017/*.jpg --annotations instances_val2017.json --score 0.05 --out val/
              dctnet detect --weights runs/pets photo.jpg --out out/
              dctnet detect --weights work_dirs/mask_rcnn_r50_fpn_1x_dct_24_wofreeze/latest.pth val2017/*.jpg --annotations instances_val2017.json --score 0.05 --out val/
            """)
        {
            model, channels, weights, images, output, score, annotations, convention, device, engine
        };
        command.SetAction(parse =>
        {
            string[] paths = parse.GetRequiredValue(images);
            string folder = parse.GetRequiredValue(output);
            var pictures = PicturePaths(paths, folder);
            ImageInputs.RefuseOverwritingInputs("--out", pictures, paths);
            var imageIds = ImageIds(paths, parse.GetValue(annotations));
            double minimumScore = parse.GetValue(score);
            var on = ComputeDevice.Parse(parse.GetValue(device)!);

            string? channelsText = parse.GetValue(channels);
            var requested = parse.GetValue(model) is { } name ? DetectionOptions.ResolveModel(name) : null;
            var request = new DetectorRequest(parse.GetRequiredValue(weights))
            {
                Model = requested,
                Channels = DetectionOptions.ResolveChannels(requested, channelsText),
                TestTime = parse.GetValue(convention) switch { null => null, "mmdet-v1" => MmdetV1TestTime.Instance, _ => TorchvisionTestTime.Instance },
                Engine = EngineOption.Resolve(parse, engine, on),
            };
            using var loaded = DetectionOptions.Load(request, channelsText);
            var detector = loaded.Model;
            var runner = new ImageDetector(detector, on);
            Directory.CreateDirectory(folder);
            string input = detector.Input.Channels is { } dct ? $", DCT-{dct.Name} input" : "";
            context.Out.WriteLine($"{detector.GetName()} ({loaded.WeightsPath}{input}), score >= {minimumScore.ToString(CultureInfo.InvariantCulture)}, "
                + $"{paths.Length} image{(paths.Length == 1 ? "" : "s")} -> {folder}; engine {EngineOption.Name(request.Engine)}");

            var decoder = new ImageDecoder();
            var results = new List<CocoDetection>();
            int failures = 0, done = 0;
            ProgressDisplay.Run(context, "detect", paths.Length, () => Volatile.Read(ref done), () =>
            {
                for (int i = 0; i < paths.Length && !context.Cancellation.IsCancellationRequested; i++, Volatile.Write(ref done, i))
                {
                    if (imageIds[i] is not { } imageId)
                    {
                        context.ReportError($"{paths[i]}: not among the images of {parse.GetValue(annotations)}.");
                        failures++;
                        continue;
                    }
                    try
                    {
                        var image = decoder.DecodeFile(paths[i]);
                        var found = runner.Detect(image, minimumScore);
                        DetectionPainter.SavePng(image, found, loaded.NameOf, pictures[i]);
                        results.AddRange(found.Select(d => d.ToCoco(imageId, loaded.CategoryIdOf(d.Label))));
                        context.Out.WriteLine($"{paths[i]}: {Summary(found, loaded.NameOf)}");
                    }
                    catch (Exception e) when (e is ImageDecodeException or IOException or UnauthorizedAccessException)
                    {
                        context.ReportError(e is ImageDecodeException ? e.Message : $"{paths[i]}: {e.Message}");
                        failures++;
                    }
                }
            });
            if (context.Cancellation.IsCancellationRequested)
            {
                context.ReportError($"interrupted after {done} of {paths.Length} images; {ResultsFile} was not written.");
                return ExitCodes.Interrupted;
            }
            CocoResults.Write(Path.Combine(folder, ResultsFile), results);
            context.Out.WriteLine($"{results.Count} detections from {paths.Length - failures} images -> {Path.Combine(folder, ResultsFile)}");
            if (failures == 0)
                return ExitCodes.Success;
            context.ReportError($"{failures} of {paths.Length} images could not be processed.");
            return ExitCodes.Failure;
        });
        return command;
    }

    /// <summary>DIR/&lt;name without extension&gt;.png for each image; two images that would share a picture are a usage error.</summary>
    private static string[] PicturePaths(string[] images, string folder)
    {
        var pictures = images.Select(path => Path.Combine(folder, Path.GetFileNameWithoutExtension(path) + ".png")).ToArray();
        var clash = pictures.Select((picture, i) => (picture, i)).GroupBy(p => p.picture, ImageFiles.PathComparer).FirstOrDefault(g => g.Count() > 1);
        if (clash is not null)
            throw new UsageException($"{string.Join(" and ", clash.Select(p => images[p.i]))} would both be drawn to {clash.Key}; give images with different names.");
        return pictures;
    }

    /// <summary>The image ids: positions 1..N, or the annotation file's ids by file name (null where the file is not listed).</summary>
    private static long?[] ImageIds(string[] images, string? annotationsPath)
    {
        if (annotationsPath is null)
            return [.. images.Select((_, i) => (long?)(i + 1))];
        var dataset = CocoDataset.Load(annotationsPath);
        var byName = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var image in dataset.Images)
        {
            if (image.FileName is { } name)
                byName[Path.GetFileName(name)] = image.Id;
        }
        return [.. images.Select(path => byName.TryGetValue(Path.GetFileName(path), out long id) ? id : (long?)null)];
    }

    /// <summary>"3 detections: person 0.98, dog 0.91, ..." (the five best).</summary>
    private static string Summary(IReadOnlyList<DetectedObject> found, Func<int, string> nameOf)
    {
        string head = $"{found.Count} detection{(found.Count == 1 ? "" : "s")}";
        if (found.Count == 0)
            return head;
        string best = string.Join(", ", found.Take(5).Select(d => string.Create(CultureInfo.InvariantCulture, $"{nameOf(d.Label)} {d.Score:0.00}")));
        return $"{head}: {best}{(found.Count > 5 ? ", ..." : "")}";
    }
}
