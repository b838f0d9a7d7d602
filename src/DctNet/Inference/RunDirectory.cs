using DctNet.Checkpoints;

namespace DctNet.Inference;

/// <summary>
/// Where a DctNet training run keeps its weights: a directory holding <see cref="BestCheckpoint"/> (the checkpoint
/// with the best validation accuracy so far) and <see cref="LastCheckpoint"/> (the latest epoch), both DctNet
/// checkpoints. Anything that takes weights accepts such a directory and uses its best checkpoint.
/// </summary>
public static class RunDirectory
{
    public const string BestCheckpoint = "best.safetensors";
    public const string LastCheckpoint = "last.safetensors";

    /// <summary>
    /// The weights file that <paramref name="path"/> stands for: the path itself when it is a file; for a run
    /// directory its <see cref="BestCheckpoint"/>, or <see cref="LastCheckpoint"/> when a run has not written a best one yet.
    /// </summary>
    /// <exception cref="CheckpointException">Neither a file nor a directory holding one of the two checkpoints.</exception>
    public static string ResolveWeights(string path)
    {
        if (File.Exists(path))
            return path;
        if (!Directory.Exists(path))
            throw new CheckpointException($"{path}: no such file or directory.");
        foreach (string name in new[] { BestCheckpoint, LastCheckpoint })
        {
            string candidate = Path.Combine(path, name);
            if (File.Exists(candidate))
                return candidate;
        }
        throw new CheckpointException($"{path}: a directory without {BestCheckpoint} or {LastCheckpoint}; give a weights file or a DctNet training run directory.");
    }
}
