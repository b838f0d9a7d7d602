using System.Diagnostics;
using static TorchSharp.torch;

namespace DctNet.Detection.Modeling;

/// <summary>Inference time per image, with the protocol of tools/baseline/detection_speed.py.</summary>
public static class DetectionBenchmark
{
    /// <summary>
    /// The best of <paramref name="runs"/> timed passes (after one warm-up) of <see cref="GeneralizedRCNN.Detect"/> on one
    /// uniformly random <paramref name="height"/> x <paramref name="width"/> image, under no_grad, on <paramref name="threads"/> threads.
    /// </summary>
    public static TimeSpan TimePerImage(GeneralizedRCNN model, int height = 800, int width = 1333, int threads = 2, int runs = 3)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(runs);
        set_num_threads(threads);
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var image = rand(3, height, width);
        model.Detect([image]);
        var best = TimeSpan.MaxValue;
        for (int run = 0; run < runs; run++)
        {
            using var passScope = NewDisposeScope();
            var watch = Stopwatch.StartNew();
            model.Detect([image]);
            best = watch.Elapsed < best ? watch.Elapsed : best;
        }
        return best;
    }
}
