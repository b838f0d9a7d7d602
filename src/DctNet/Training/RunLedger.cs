using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using DctNet.Checkpoints;
using DctNet.Data;
using DctNet.Frequency.IO;
using DctNet.Inference;
using static TorchSharp.torch;

namespace DctNet.Training;

/// <summary>What a run's options give its <see cref="RunLedger"/>; <see cref="TrainingOptions"/> and detection's options.</summary>
public interface IRunOptions
{
    int Epochs { get; }

    /// <summary>Recorded in the train state: a resume with another seed would not repeat the run.</summary>
    int Seed { get; }

    /// <summary>An unreadable image stops the run instead of being skipped and counted.</summary>
    bool Strict { get; }

    /// <summary>Holds the options to the bounds a command line is held to.</summary>
    /// <exception cref="ArgumentException">An option out of its bounds.</exception>
    void Validate();

    string ToJson();
}

/// <summary>How one kind of training names itself in its run directory.</summary>
/// <param name="Name">"training", "detection training": as the messages say it.</param>
/// <param name="StateKey">The train state's metadata entry.</param>
/// <param name="ScoreKey">The state record's name of the best epoch's score.</param>
public sealed record RunKind(string Name, string StateKey, string ScoreKey)
{
    /// <summary>snake_case, with the best score under the kind's own name.</summary>
    internal JsonSerializerOptions StateJson { get; } = new() { PropertyNamingPolicy = new StateNaming(ScoreKey) };

    private sealed class StateNaming(string scoreKey) : JsonNamingPolicy
    {
        public override string ConvertName(string name) => name == nameof(RunLedger.Best) ? scoreKey : SnakeCaseLower.ConvertName(name);
    }
}

/// <summary>
/// The run directory of a training - the classification <see cref="TrainingRun"/> and detection's run alike - written
/// so that a process killed at any moment leaves the last complete epoch:
/// <list type="bullet">
/// <item><c>options.json</c>: the run's options, written once at the start; a resume reads them back and holds them to the command line's bounds;</item>
/// <item><c>best.safetensors</c>, <c>last.safetensors</c> (<see cref="RunDirectory"/>): checkpoints of the best-scoring epoch so far and of the latest;</item>
/// <item><c>train_state.safetensors</c>: the commit point - the weights, the momentum buffers and, in its metadata, the
/// completed epochs, the best score, the seed and that epoch's metrics line; a resume starts from it alone;</item>
/// <item><c>metrics.jsonl</c>: one line per epoch, appended after the commit (<see cref="CommittedMetrics"/>);</item>
/// <item><c>curves.png</c>, <c>tensorboard/</c>: views that the run's <see cref="IEpochHook{TMetrics}"/>s refresh after each commit;</item>
/// <item><c>run.lock</c>: the <see cref="RunDirectoryLock"/> of the process that holds the directory, or held it last.</item>
/// </list>
/// Every file but metrics.jsonl is written to a temporary name and renamed; claiming the directory removes the
/// temporary files of a killed process. The training keeps what differs: its step, its validation and its metrics line.
/// </summary>
public sealed class RunLedger : IDisposable
{
    public const string OptionsFile = "options.json";
    public const string StateFile = "train_state.safetensors";
    public const string MetricsFile = "metrics.jsonl";
    public const string CurvesFile = "curves.png";
    public const string TensorBoardFolder = "tensorboard";
    private const string WeightsPrefix = "model.";
    private const string MomentumPrefix = "momentum.";

    private static readonly JsonSerializerOptions SnakeCase = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private readonly RunDirectoryLock claim;
    private readonly RunKind kind;
    private readonly IRunOptions options;

    /// <summary>What a resume found committed, until <see cref="Restore"/> loads it.</summary>
    private readonly (SafeTensorsContents Contents, StateRecord Record, string Json)? committed;

    private RunLedger(RunDirectoryLock claim, RunKind kind, IRunOptions options, (SafeTensorsContents, StateRecord, string)? committed = null)
    {
        this.claim = claim;
        this.kind = kind;
        this.options = options;
        this.committed = committed;
    }

    public string Directory => claim.Directory;

    public int Epochs => options.Epochs;

    /// <summary>Epochs completed and committed to the run directory.</summary>
    public int CompletedEpochs { get; private set; }

    /// <summary>The best epoch's score so far (higher is better); -1 before the first epoch.</summary>
    public double Best { get; private set; } = -1;

    public bool Finished => CompletedEpochs >= options.Epochs;

    /// <summary>A resumed run with a committed epoch to restore; false for a fresh run, and for one killed before its first commit, which starts again exactly as it first did.</summary>
    public bool HasCommit => committed is not null;

    /// <summary>
    /// Starts a run in a new (or empty) directory: <paramref name="open"/> builds it and calls its argument to claim the
    /// directory once it is ready to write (so that a refused command leaves no directory behind); the run owns the
    /// ledger once open returns (a failed open releases it here, as a failed resume does). options.json is written once the run is open.
    /// </summary>
    /// <exception cref="IOException">Another process holds the directory (<see cref="RunDirectoryLock"/>), or it cannot be written.</exception>
    public static TRun Start<TRun>(string directory, RunKind kind, IRunOptions options, Func<Func<RunLedger>, TRun> open) where TRun : IDisposable
    {
        RunLedger? claimed = null;
        TRun run;
        try
        {
            run = open(() => claimed = new RunLedger(RunDirectoryLock.AcquireForNewRun(directory, OptionsFile), kind, options));
        }
        catch
        {
            claimed?.Dispose();
            throw;
        }
        try
        {
            AtomicFile.WriteAllText(Path.Combine(directory, OptionsFile), options.ToJson() + "\n");
            return run;
        }
        catch
        {
            run.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Continues the run in <paramref name="directory"/>: claims it, reads its options with <paramref name="fromJson"/>,
    /// and hands them with the claimed ledger (<see cref="HasCommit"/>) to <paramref name="open"/>; then
    /// <paramref name="restore"/> loads the committed epoch into the open run (<see cref="Restore"/>).
    /// </summary>
    /// <exception cref="CheckpointException">The run directory's files are missing, hold options no run can use, or do not fit the model.</exception>
    /// <exception cref="IOException">Another process holds the directory (<see cref="RunDirectoryLock"/>), or it cannot be written.</exception>
    public static TRun Resume<TOptions, TRun>(string directory, RunKind kind, Func<string, TOptions> fromJson, Func<TOptions, RunLedger, TRun> open, Action<TRun> restore)
        where TOptions : IRunOptions where TRun : IDisposable
    {
        string optionsPath = Path.Combine(directory, OptionsFile);
        if (!File.Exists(optionsPath))
            throw new CheckpointException($"{directory}: not a {kind.Name} run directory (no {OptionsFile}).");
        // Claimed before anything is read: a live owner is named at once, and its files do not change under the resume.
        var claim = RunDirectoryLock.Acquire(directory);
        try
        {
            TOptions options;
            try
            {
                options = fromJson(File.ReadAllText(optionsPath));
                // Held to the bounds a command line is: the file may have been edited, or received from someone else.
                options.Validate();
            }
            catch (Exception e) when (e is InvalidDataException or ArgumentException)
            {
                throw new CheckpointException($"{optionsPath}: {e.Message}");
            }
            string statePath = Path.Combine(directory, StateFile);
            var run = open(options, new RunLedger(claim, kind, options, File.Exists(statePath) ? ReadState(statePath, kind) : null));
            try
            {
                restore(run);
                return run;
            }
            catch
            {
                run.Dispose();
                throw;
            }
        }
        catch
        {
            claim.Dispose();
            throw;
        }
    }

    private static (SafeTensorsContents, StateRecord, string) ReadState(string path, RunKind kind)
    {
        var contents = SafeTensorsFile.ReadFile(path);
        if (!contents.Metadata.TryGetValue(kind.StateKey, out string? json) || JsonSerializer.Deserialize<StateRecord>(json, kind.StateJson) is not { } record)
            throw new CheckpointException($"{path}: no '{kind.StateKey}' entry in its metadata; not a DctNet {kind.Name} state.");
        return (contents, record, json);
    }

    /// <summary>What the training added to the committed state record (<see cref="Commit"/>'s extra), read as <typeparamref name="T"/>; null without a commit.</summary>
    public T? Committed<T>() where T : class => committed is { } state ? JsonSerializer.Deserialize<T>(state.Json, SnakeCase) : null;

    /// <summary>
    /// A resumed run: loads the committed weights and momentum into <paramref name="model"/> and <paramref name="optimizer"/>,
    /// then cuts metrics.jsonl back to the committed epochs (<see cref="CommittedMetrics"/>).
    /// </summary>
    /// <param name="epochOf">The epoch of a well-formed metrics line, or null for one a killed process left half written.</param>
    /// <exception cref="CheckpointException">A state saved with another seed than options.json's, or that does not fit the model.</exception>
    public void Restore(nn.Module model, MomentumSgd optimizer, Func<string, int?> epochOf)
    {
        string? lastCommittedLine = null;
        if (committed is (var contents, var record, _))
        {
            string path = Path.Combine(Directory, StateFile);
            if (record.Seed != options.Seed)
                throw new CheckpointException($"{path}: saved with seed {record.Seed}, but {OptionsFile} says {options.Seed}.");
            ModuleState.Load(model, contents.Tensors.Under(WeightsPrefix), path);
            optimizer.LoadState(contents.Tensors.Under(MomentumPrefix), path);
            CompletedEpochs = record.CompletedEpochs;
            Best = record.Best;
            lastCommittedLine = record.MetricsLine;
        }
        CommittedMetrics.Reconcile(Path.Combine(Directory, MetricsFile), CompletedEpochs, lastCommittedLine, epochOf);
    }

    /// <summary>The next epoch's handler of unreadable images.</summary>
    /// <param name="skipped">Told of each unreadable image (unless the run is strict, which throws instead).</param>
    /// <exception cref="InvalidOperationException">The run has completed its epochs.</exception>
    public SkippedImages BeginEpoch(Action<LoadFailure>? skipped)
    {
        if (Finished)
            throw new InvalidOperationException($"The run has completed its {options.Epochs} epochs.");
        return new SkippedImages(options.Strict, skipped);
    }

    /// <summary>
    /// Commits the epoch after the completed ones: the best checkpoint if <paramref name="score"/> beats the best so far,
    /// then the last one, then the state (the commit), then the metrics line.
    /// </summary>
    /// <param name="saveCheckpoint">Writes the model's checkpoint (of <paramref name="weights"/>, with its metadata) to the path it is given.</param>
    /// <param name="extra">What the training adds to the state record (snake_case), read back by <see cref="Committed{T}"/>.</param>
    public void Commit(StateDict weights, MomentumSgd optimizer, Action<string> saveCheckpoint, double score, string metricsLine, object? extra = null)
    {
        int epoch = CompletedEpochs + 1;
        double best = Math.Max(Best, score);
        if (score > Best)
            saveCheckpoint(Path.Combine(Directory, RunDirectory.BestCheckpoint));
        saveCheckpoint(Path.Combine(Directory, RunDirectory.LastCheckpoint));

        var state = new StateDict(weights.WithPrefix(WeightsPrefix).Concat(optimizer.CaptureState().WithPrefix(MomentumPrefix)));
        var record = new StateRecord(epoch, best, options.Seed, metricsLine) 
        {
            Extra = extra is null ? null : JsonSerializer.SerializeToElement(extra, SnakeCase).EnumerateObject().ToDictionary(field => field.Name, field => field.Value),
        };
        SafeTensorsFile.WriteFile(Path.Combine(Directory, StateFile), state, new Dictionary<string, string>
        {
            [kind.StateKey] = JsonSerializer.Serialize(record, kind.StateJson),
        });
        CompletedEpochs = epoch;
        Best = best;
        CommittedMetrics.Append(Path.Combine(Directory, MetricsFile), metricsLine, epoch);
    }

    /// <summary>A NaN or infinite loss in the current epoch, at <paramref name="where"/> ("batch 3 of 10").</summary>
    /// <param name="remedy">What to try instead ("try a lower learning rate or a warm-up").</param>
    public TrainingDivergedException Diverged(float loss, string where, double learningRate, string remedy) => new(string.Create(CultureInfo.InvariantCulture,
        $"the loss became {loss} in epoch {CompletedEpochs + 1}, {where} (learning rate {learningRate:G4}); the run stopped. {Directory} keeps the last complete epoch ({CompletedEpochs}); {remedy}."));

    /// <summary>Releases the run directory to other processes.</summary>
    public void Dispose() => claim.Dispose();

    /// <summary>train_state.safetensors' metadata record; the score under <see cref="RunKind.ScoreKey"/>.</summary>
    private sealed record StateRecord(int CompletedEpochs, double Best, int Seed, string MetricsLine)
    {
        /// <summary>The training's own fields, after the ledger's.</summary>
        [JsonExtensionData]
        public Dictionary<string, JsonElement>? Extra { get; init; }
    }
}

/// <summary>An epoch's unreadable images: a strict run stops on the first; any other counts each and reports it.</summary>
public sealed class SkippedImages(bool strict, Action<LoadFailure>? report)
{
    public int Count { get; private set; }

    /// <exception cref="TrainingDataException">A strict run.</exception>
    public void Skip(LoadFailure failure)
    {
        if (strict)
            throw new TrainingDataException($"{failure.Path}: {failure.Reason} (a strict run stops at unreadable images)");
        Count++;
        report?.Invoke(failure);
    }
}
