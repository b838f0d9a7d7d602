using System.Text;
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
    /// Appends the line of the epoch just committed. An append that fails (a full disk) is cut back off, so that the file
    /// holds whole lines only; <see cref="Reconcile"/> restores the line from the state.
    /// </summary>
    /// <exception cref="IOException">One line naming the file and the reason (<see cref="FileRefusedException"/> for a link or a file that is not a regular one).</exception>
    public static void Append(string path, string line, int epoch)
    {
        // A link or FIFO is refused as such: appending through a link would write into whatever file it names.
        var (file, length) = FileProbe.OpenOrCreateRegularFile(path);
        using (file)
        {
            try
            {
                try
                {
                    RandomAccess.Write(file, Encoding.UTF8.GetBytes(line + "\n"), length);
                }
                catch (IOException)
                {
                    RandomAccess.SetLength(file, length);
                    throw;
                }
            }
            catch (IOException e)
            {
                throw new IOException($"{path}: epoch {epoch}'s line not appended ({IOFailure.Reason(e)}); the epoch is committed, and resuming the run restores the line.", e);
            }
        }
    }

    /// <summary>
    /// Rewrites <paramref name="path"/> (atomically, and only if it changes) to the committed epochs' lines only, each
    /// once and in order; the last epoch's line comes back from the state when the file lost it.
    /// </summary>
    /// <exception cref="FileRefusedException"><paramref name="path"/> is a link, or not a regular file.</exception>
    /// <param name="epochOf">The epoch of a well-formed line, or null for one a killed process left half written.</param>
    public static void Reconcile(string path, int completedEpochs, string? lastCommittedLine, Func<string, int?> epochOf)
    {
        ArgumentNullException.ThrowIfNull(epochOf);
        var kept = new List<string>();
        string? existing = FileProbe.Stat(path, followLinks: false) switch
        {
            null => null,
            { Kind: FileKind.Regular } => File.ReadAllText(path),
            // Never read through (a FIFO would block the resume) nor appended to later: the run's own file is regular.
            { Kind: var kind } => throw new FileRefusedException(path, FileProbe.Describe(kind) + ", not a regular file"),
        };
        if (existing is not null)
        {
            foreach (string line in existing.ReplaceLineEndings("\n").Split('\n'))
            {
                if (epochOf(line) is { } epoch && epoch == kept.Count + 1 && epoch <= completedEpochs)
                    kept.Add(line);
            }
        }
        if (kept.Count == completedEpochs - 1 && lastCommittedLine is not null)
            kept.Add(lastCommittedLine);
        string reconciled = string.Concat(kept.Select(line => line + "\n"));
        // Unchanged after a clean stop, the usual case: a resume then writes nothing before its first epoch.
        if (reconciled != existing)
            AtomicFile.WriteAllText(path, reconciled);
    }
}
