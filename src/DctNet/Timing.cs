using System.Diagnostics;

namespace DctNet;

/// <summary>
/// The one timing protocol of DctNet's throughput figures (<c>dctnet bench</c>, the demo's report) and of
/// tools/baseline's PyTorch scripts: warm up, then the best of several runs.
/// </summary>
public static class Timing
{
    public const int WarmupRuns = 2;

    /// <summary>Runs <paramref name="step"/> <see cref="WarmupRuns"/> times untimed, then <paramref name="runs"/> times; the fastest run's seconds.</summary>
    public static double BestSeconds(Action step, int runs)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(runs);
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
}
