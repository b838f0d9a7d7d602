using System.CommandLine;
using System.Globalization;
using DctNet.Detection.Modeling;
using DctNet.Platform;
using static TorchSharp.torch;

namespace DctNet.Cli.Commands;

/// <summary><c>dctnet bench detect</c>: inference time per image of a detection model.</summary>
internal static class BenchDetectCommand
{
    public static Command Create(CliContext context)
    {
        var model = DetectionOptions.Model();
        var channels = DetectionOptions.Channels();
        var threads = PipelineOptions.ThreadCount("Threads of libtorch's intra-op pool, and of ONNX Runtime's with --onnxruntime-backbone.", 2);
        var runs = PipelineOptions.PositiveInt("--runs", "Timed passes after one warm-up; the best one is reported.", 3, OptionRanges.MaxRepetitions);
        var height = PipelineOptions.PositiveInt("--height", "Height of the random input image.", 800, OptionRanges.MaxDetectionSide);
        var width = PipelineOptions.PositiveInt("--width", "Width of the random input image.", 1333, OptionRanges.MaxDetectionSide);
        var backboneEngine = new Option<bool>("--onnxruntime-backbone")
        {
            Description = "Run the backbone and FPN on ONNX Runtime (exported with BatchNorms folded; the RPN and RoI heads stay on libtorch).",
        };
        var command = new Command("detect", """
            Inference time per image of a detection model, the whole pipeline (transform, backbone, RPN, RoI heads, mask
            paste; for -dct models the DCT input from the image's 8-bit pixels too) on one uniformly random image
            (torch.rand, seed 0), eval mode, no gradients: one warm-up pass, then
            the best of --runs passes, printed as '<seconds> s/image'. The weights are not trained ones: they are the
            deterministic weights of the parity tests (tools/detection/detection_weights.py), which, unlike a fresh
            initialization, give real detections, so that the RoI and mask heads do their usual work.
            Compare with torchvision on the same machine (the same weights, image and protocol):
            /usr/bin/python3 tools/baseline/detection_speed.py --model M --threads 2.

            Examples:
              dctnet bench detect --model maskrcnn-r50-fpn --threads 2
              dctnet bench detect --model fasterrcnn-r50-fpn --runs 5 --height 480 --width 640
              dctnet bench detect --model maskrcnn-r50-fpn-dct --channels 24
            """)
        {
            model, channels, threads, runs, height, width, backboneEngine
        };
        command.SetAction(parse =>
        {
            var definition = DetectionOptions.ResolveModel(parse.GetRequiredValue(model));
            string name = definition.Name;
            using var detector = DetectionOptions.Create(definition, parse.GetValue(channels));
            DetectionModels.LoadWeights(detector, DeterministicDetectionWeights.For(detector), "the deterministic weights");
            detector.eval();
            if (parse.GetValue(backboneEngine))
                detector.RunBackboneOnOnnxRuntime(parse.GetValue(threads));
            var timing = DetectionBenchmark.TimePerImage(detector, parse.GetValue(height), parse.GetValue(width), parse.GetValue(threads), parse.GetValue(runs));
            string input = detector.Input.Channels is { } dct ? $"DCT-{dct.Name} input, " : "";
            context.Out.WriteLine($"{name}: {parse.GetValue(height)} x {parse.GetValue(width)} image, {input}{get_num_threads()} threads, cpu, "
                + $"deterministic untrained weights, TorchSharp (libtorch {__version__}){(detector.BackboneOnOnnxRuntime ? $", backbone and FPN on {DctNet.Onnx.OnnxSession.RuntimeDescription}" : "")}");
            context.Out.WriteLine($"host: {HostProcessor.ThisHost}");
            context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{timing.BestPass.TotalSeconds:0.000} s/image ({timing.Detections} detections)"));
            return ExitCodes.Success;
        });
        return command;
    }
}
