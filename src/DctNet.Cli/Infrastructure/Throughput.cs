using System.Diagnostics;
using System.Globalization;

namespace DctNet.Cli;

/// <summary>The timing protocol of the bench commands (and of tools/baseline's PyTorch scripts): warm up, then the best of several runs.</summary>
internal static class Throughput
{
    public const int WarmupRuns = 2;

    /// <summary>Runs <paramref name="step"/> <see cref="WarmupRuns"/> times untimed, then <paramref name="runs"/> times; the fastest run's seconds.</summary>
    public static double BestSeconds(Action step, int runs)
    {
        for (int i = 0; i < WarmupRuns; i++)
            step();
        double best = double.MaxValue;
        for (int i = 0; i < runs; i++)
        {
            var clock = Stopwatch.StartNew();
            step();
            best = Math.Min(best, clock.Elapsed.TotalSeconds);
        }
        return best;
    }

    /// <summary>The line the contract asks for: "&lt;number&gt; images/s".</summary>
    public static string ImagesPerSecond(int images, double seconds)
        => string.Create(CultureInfo.InvariantCulture, $"{images / seconds:0.00} images/s");
}
