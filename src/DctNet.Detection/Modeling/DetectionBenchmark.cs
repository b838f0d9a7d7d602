using System.Diagnostics;
using DctNet.Frequency.Imaging;
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
    /// uniformly random <paramref name="height"/> x <paramref name="width"/> image, under no_grad, on <paramref name="threads"/> threads.
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
        Func<Detections> pass;
        if (model.DctInput is { } dct)
        {
            // A DCT model's pipeline starts from 8-bit pixels: the same random image, quantized, and its DCT input is timed too.
            var pixels = new RgbImage(width, height, image.permute(1, 2, 0).mul(255).to(ScalarType.Byte).contiguous().data<byte>().ToArray());
            pass = () => model.DetectDct(dct.Transform(pixels), (height, width));
        }
        else
        {
            pass = () => model.Detect([image])[0];
        }
        pass();
        var best = TimeSpan.MaxValue;
        int detections = 0;
        for (int run = 0; run < runs; run++)
        {
            using var passScope = NewDisposeScope();
            var watch = Stopwatch.StartNew();
            var result = pass();
            best = watch.Elapsed < best ? watch.Elapsed : best;
            detections = (int)result.Scores.shape[0];
        }
        return new DetectionTiming(best, detections);
    }
}
