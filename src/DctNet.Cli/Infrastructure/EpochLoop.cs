using System.Globalization;
using DctNet.Data;
using DctNet.Training;

namespace DctNet.Cli;

/// <summary>
/// The epoch loop that <c>train</c> and <c>train-det</c> share: each epoch left under a progress bar (its images,
/// training then validation, with the running loss), Ctrl+C and failed epochs (a full disk included) as exit codes,
/// every skipped file warned about once, each epoch's line on stdout.
/// </summary>
internal static class EpochLoop
{
    /// <summary>Runs the epochs the run has left (saying so when it resumes), then prints the line <paramref name="best"/> makes; returns the exit code.</summary>
    /// <param name="command">The command that resumes the run ("train").</param>
    /// <param name="runEpoch">Runs the next epoch, telling its first argument the progress and its second each skipped file; returns the line that describes the epoch.</param>
    /// <param name="best">The line that ends a finished run: its best epoch's score.</param>
    public static int Run(CliContext context, string command, RunLedger ledger, int trainingImages, int validationImages,
        Func<Action<TrainingProgress>, Action<LoadFailure>, string> runEpoch, Func<string> best)
    {
        if (ledger.CompletedEpochs > 0)
            context.Out.WriteLine($"resuming after epoch {ledger.CompletedEpochs} of {ledger.Epochs}");
        var warned = new HashSet<string>(StringComparer.Ordinal);
        while (!ledger.Finished)
        {
            int epoch = ledger.CompletedEpochs + 1;
            var progress = new EpochProgress($"epoch {epoch}/{ledger.Epochs}", trainingImages);
            var failures = new List<LoadFailure>();
            string? summary = null;
            try
            {
                ProgressDisplay.Run(context, trainingImages + validationImages, progress.State, () => summary = runEpoch(progress.Update, failures.Add), keepWhenDone: false);
            }
            catch (OperationCanceledException)
            {
                context.ReportError($"interrupted in epoch {epoch}; {ledger.Directory} keeps {epoch - 1} complete epoch(s). Continue with: dctnet {command} --resume {ledger.Directory}");
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
                context.ReportError($"{e.Message} {ledger.Directory} keeps its last committed epoch; continue with: dctnet {command} --resume {ledger.Directory}");
                return ExitCodes.Failure;
            }
            foreach (var failure in failures.Where(f => warned.Add(f.Path)))
                context.Error.WriteLine($"warning: {failure.Path}: {failure.Reason} (skipped; counted in metrics.jsonl)");
            context.Out.WriteLine(summary);
        }
        context.Out.WriteLine(best());
        return ExitCodes.Success;
    }

    /// <summary>
    /// The latest progress of the epoch, written by the training thread and read by the display: the images of the
    /// epoch (training, then validation) and the phase's running loss in the description.
    /// </summary>
    private sealed class EpochProgress(string label, int trainingImages)
    {
        private TrainingProgress? latest;

        public void Update(TrainingProgress progress) => Volatile.Write(ref latest, progress);

        public ProgressState State()
        {
            if (Volatile.Read(ref latest) is not { } now)
                return new ProgressState(0, label);
            string loss = now.RunningLoss is { } running ? string.Create(CultureInfo.InvariantCulture, $" loss {running:0.000}") : "";
            return new ProgressState(now.Phase == "train" ? now.Processed : trainingImages + now.Processed, $"{label} {now.Phase}{loss}");
        }
    }
}
