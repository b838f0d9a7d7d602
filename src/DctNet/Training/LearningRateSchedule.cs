namespace DctNet.Training;

/// <summary>
/// The learning rate as a pure function of the position in training (epoch and batch), so that a resumed run needs
/// no scheduler state beyond the epoch it restarts at.
/// </summary>
public sealed class LearningRateSchedule(double baseRate, LearningRateScheduleKind kind, int epochs, int warmupEpochs)
{
    /// <summary>The rate for batch <paramref name="batch"/> of <paramref name="batchesPerEpoch"/> in zero-based <paramref name="epoch"/>.</summary>
    public double At(int epoch, int batch, int batchesPerEpoch)
    {
        double position = epoch + (double)batch / batchesPerEpoch;
        if (position < warmupEpochs)
            // Linear from base/steps to base over the warm-up's steps, never exactly 0 (a wasted step).
            return baseRate * (epoch * batchesPerEpoch + batch + 1) / (warmupEpochs * batchesPerEpoch);
        return kind switch
        {
            LearningRateScheduleKind.Step => baseRate * Math.Pow(0.1, StepsTaken(epoch)),
            LearningRateScheduleKind.Cosine => baseRate * 0.5 * (1 + Math.Cos(Math.PI * (position - warmupEpochs) / Math.Max(epochs - warmupEpochs, 1))),
            _ => throw new InvalidOperationException($"Unknown schedule {kind}."),
        };
    }

    private int StepsTaken(int epoch) => (epoch >= 2 * epochs / 3.0 ? 1 : 0) + (epoch >= epochs / 3.0 ? 1 : 0);
}
