namespace DctNet.Checkpoints;

/// <summary>A per-channel mean and std as the checkpoints' metadata JSON holds them: classification's normalization, detection's statistics.</summary>
public sealed record MeanStdJson(double[] Mean, double[] Std);
