using DctNet.Data;
using DctNet.Training;

namespace DctNet.Cli;

/// <summary>
/// The epoch loop that <c>train</c> and <c>train-det</c> share: one epoch under a progress bar, Ctrl+C and failed
/// epochs (a full disk included) as exit codes, every skipped file warned about once, the epoch's line on stdout.
/// </summary>
internal sealed class EpochLoop(CliContext context, string command)
{
    private readonly HashSet<string> warned = new(StringComparer.Ordinal);

    /// <summary>Runs epoch <paramref name="epoch"/>; null when it was committed, else the exit code to stop with.</summary>
    /// <param name="completed">The epochs the run directory keeps if this one is abandoned.</param>
    /// <param name="runEpoch">Runs the epoch, reporting each skipped file to its argument; returns the line that describes it.</param>
    public int? Run(int epoch, int completed, string directory, int total, Func<ProgressState> state, Func<Action<LoadFailure>, string> runEpoch)
    {
        var failures = new List<LoadFailure>();
        string? summary = null;
        try
        {
            ProgressDisplay.Run(context, total, state, () => summary = runEpoch(failures.Add), keepWhenDone: false);
        }
        catch (OperationCanceledException)
        {
            context.ReportError($"interrupted in epoch {epoch}; {directory} keeps {completed} complete epoch(s). Continue with: dctnet {command} --resume {directory}");
            return ExitCodes.Interrupted;
        }
        catch (Exception e) when (e is TrainingDivergedException or TrainingDataException)
        {
            context.ReportError(e.Message);
            return ExitCodes.Failure;
        }
        catch (IOException e)
        {
            // A full disk, say: every file of an epoch is written whole or not at all, so the run is intact up to its commit.
            context.ReportError($"{e.Message} {directory} keeps its last committed epoch; continue with: dctnet {command} --resume {directory}");
            return ExitCodes.Failure;
        }
        foreach (var failure in failures.Where(f => warned.Add(f.Path)))
            context.Error.WriteLine($"warning: {failure.Path}: {failure.Reason} (skipped; counted in metrics.jsonl)");
        context.Out.WriteLine(summary);
        return null;
    }
}
