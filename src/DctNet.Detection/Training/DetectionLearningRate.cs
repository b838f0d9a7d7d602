namespace DctNet.Detection.Training;

/// <summary>
/// mmdetection v1's learning rate: steps (the rate divided by 10 after each decay epoch) with a linear warm-up over
/// the first iterations, from <c>ratio</c> x the rate - a pure function of the step, so that a resumed run needs
/// no scheduler state.
/// </summary>
public sealed class DetectionLearningRate(double baseRate, IReadOnlyList<int> decayEpochs, int warmupIterations, double warmupRatio)
{
    /// <param name="epoch">Zero-based.</param>
    /// <param name="iteration">The step's index in the whole run, zero-based.</param>
    public double At(int epoch, long iteration)
    {
        double rate = baseRate * Math.Pow(0.1, decayEpochs.Count(decay => epoch >= decay));
        if (iteration >= warmupIterations)
            return rate;
        return rate * (1 - (1 - warmupRatio) * (1 - (double)iteration / warmupIterations));
    }
}
