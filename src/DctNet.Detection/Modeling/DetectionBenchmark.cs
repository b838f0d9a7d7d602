using System.Diagnostics;
using static TorchSharp.torch;

namespace DctNet.Detection.Modeling;

/// <summary>What <see cref="DetectionBenchmark.TimePerImage"/> measured.</summary>
/// <param name="BestPass">The fastest timed pass over one image.</param>
/// <param name="Detections">Detections in the last pass: the RoI and mask heads' work grows with them, so a comparison must see similar counts.</param>
public sealed record DetectionTiming(TimeSpan BestPass, int Detections);

/// <summary>Inference time per image, with the protocol of tools/baseline/detection_speed.py.</summary>
public static class DetectionBenchmark
{
    /// <summary>The seed of the random image, torch.rand's as the Python baseline draws it.</summary>
    public const int ImageSeed = 0;

    /// <summary>
    /// The best of <paramref name="runs"/> timed passes (after one warm-up) of <see cref="GeneralizedRCNN.Detect"/> on one
    /// uniformly random <paramref name="height"/> x <paramref name="width"/> image, under no_grad, on <paramref name="threads"/> threads;
    /// the model's input prepares the image in each pass (a DCT input quantizes it to 8-bit pixels, whose transform is timed too).
    /// </summary>
    public static DetectionTiming TimePerImage(GeneralizedRCNN model, int height = 800, int width = 1333, int threads = 2, int runs = 3)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(runs);
        set_num_threads(threads);
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        using var generator = new Generator(ImageSeed);
        var image = rand([3, height, width], generator: generator);
        Detections Pass() => model.Detect([model.Input.Prepare(image)])[0];
        Pass();
        var best = TimeSpan.MaxValue;
        int detections = 0;
        for (int run = 0; run < runs; run++)
        {
            using var passScope = NewDisposeScope();
            var watch = Stopwatch.StartNew();
            var result = Pass();
            best = watch.Elapsed < best ? watch.Elapsed : best;
            detections = (int)result.Scores.shape[0];
        }
        return new DetectionTiming(best, detections);
    }
}
