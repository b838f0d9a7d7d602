using DctNet.Frequency.IO;

namespace DctNet.Training;

/// <summary>
/// The metrics.jsonl of a run directory against its commit point: the file is appended after each epoch's state is
/// committed, so a killed process may leave a line half written, lines of an epoch that was never committed, or lose
/// the line of the epoch it just committed.
/// </summary>
public static class CommittedMetrics
{
    /// <summary>
    /// Rewrites <paramref name="path"/> (atomically) to the committed epochs' lines only, each once and in order; the
    /// last epoch's line comes back from the state when the file lost it.
    /// </summary>
    /// <param name="epochOf">The epoch of a well-formed line, or null for one a killed process left half written.</param>
    public static void Reconcile(string path, int completedEpochs, string? lastCommittedLine, Func<string, int?> epochOf)
    {
        ArgumentNullException.ThrowIfNull(epochOf);
        var kept = new List<string>();
        if (File.Exists(path))
        {
            foreach (string line in File.ReadAllLines(path))
            {
                if (epochOf(line) is { } epoch && epoch == kept.Count + 1 && epoch <= completedEpochs)
                    kept.Add(line);
            }
        }
        if (kept.Count == completedEpochs - 1 && lastCommittedLine is not null)
            kept.Add(lastCommittedLine);
        AtomicFile.WriteAllText(path, string.Concat(kept.Select(line => line + "\n")));
    }
}
