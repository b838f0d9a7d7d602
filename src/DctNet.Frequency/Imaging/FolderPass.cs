using System.Runtime.ExceptionServices;
using DctNet.Frequency.IO;

namespace DctNet.Frequency.Imaging;

/// <summary>Thrown by a <see cref="FolderPass"/>'s work to fail its file with a reason of its own words (the pass adds the path).</summary>
public sealed class FileFailedException(string reason, Exception? inner = null) : Exception(reason, inner);

/// <summary>
/// One pass over files (usually <see cref="ImageFiles.Find"/>'s), the one loop of transform, stats, bench transform and
/// the demo: each file is mapped on one of a fixed number of dedicated threads, each with a state of its own (an output
/// buffer), and the results are folded in file order, so what the fold makes does not depend on the threads or timing.
/// A file whose work throws is collected with its reason and the others go on; only a full disk (no later write can
/// succeed) or exhausted memory stops the workers and is rethrown. Files are handed out one at a time, so a slow image
/// holds up no chunk, and only results waiting for an earlier file are kept: memory follows the threads, not the files.
/// </summary>
/// <param name="files">The paths, in the order of the fold; failures are named by them.</param>
/// <param name="threads">Worker threads; with one, the pass runs on the calling thread.</param>
public sealed class FolderPass(IReadOnlyList<string> files, int threads)
{
    private readonly List<(int Index, SkippedFile File)> failures = [];
    private int done;

    public IReadOnlyList<string> Files { get; } = files;

    /// <summary>Called on the worker thread as a file fails, before the pass goes on.</summary>
    public Action<SkippedFile>? Failed { get; init; }

    /// <summary>Called with <see cref="Done"/> as each file finishes, under the fold's lock (so the figures only grow).</summary>
    public Action<int>? Progress { get; init; }

    /// <summary>Files finished, failed ones included: a progress figure, readable from any thread while the pass runs.</summary>
    public int Done => Volatile.Read(ref done);

    /// <summary>Files whose work succeeded, once <see cref="Run"/> has returned or thrown.</summary>
    public int Succeeded => done - failures.Count;

    /// <summary>The files that failed, in file order, once <see cref="Run"/> has returned.</summary>
    public IReadOnlyList<SkippedFile> Failures => [.. failures.OrderBy(failure => failure.Index).Select(failure => failure.File)];

    /// <summary>
    /// Runs <paramref name="map"/>(state, index) for every file and folds each result in file order (failed files are
    /// left out). Returns early, with the files not started left undone, when <paramref name="cancellation"/> is set.
    /// </summary>
    /// <param name="fold">Called under a lock, in file order, on whichever worker completes the prefix.</param>
    public void Run<TState, TResult>(Func<TState> createState, Func<TState, int, TResult> map, Action<TResult>? fold = null, CancellationToken cancellation = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(threads);
        var pending = new Dictionary<int, (bool Ok, TResult? Result)>();
        var foldLock = new Lock();
        int nextToFold = 0, next = -1;
        Exception? fault = null;

        void Work()
        {
            try
            {
                var state = createState();
                int index;
                while (!cancellation.IsCancellationRequested && Volatile.Read(ref fault) is null && (index = Interlocked.Increment(ref next)) < Files.Count)
                {
                    (bool Ok, TResult? Result) outcome;
                    SkippedFile? failure = null;
                    try
                    {
                        outcome = (true, map(state, index));
                    }
                    catch (Exception e) when (e is not OutOfMemoryException && !IOFailure.IsDiskFull(e))
                    {
                        // A decoder defect on one odd file must not end a pass over a whole dataset.
                        failure = new SkippedFile(Files[index], Reason(e));
                        Failed?.Invoke(failure);
                        outcome = (false, default);
                    }
                    lock (foldLock)
                    {
                        if (failure is not null)
                            failures.Add((index, failure));
                        pending.Add(index, outcome);
                        for (; pending.Remove(nextToFold, out var ready); nextToFold++)
                        {
                            if (ready.Ok)
                                fold?.Invoke(ready.Result!);
                        }
                        Volatile.Write(ref done, done + 1);
                        Progress?.Invoke(done);
                    }
                }
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref fault, e, null);
            }
        }

        int workers = Math.Min(threads, Math.Max(Files.Count, 1));
        if (workers == 1)
        {
            Work();
        }
        else
        {
            var pool = Enumerable.Range(0, workers).Select(i => new Thread(Work) { Name = $"dctnet worker {i}", IsBackground = true }).ToList();
            pool.ForEach(t => t.Start());
            pool.ForEach(t => t.Join());
        }
        if (fault is not null)
            ExceptionDispatchInfo.Throw(fault);
    }

    /// <summary>Runs <paramref name="work"/>(state, index) for every file: a pass that makes files rather than results.</summary>
    public void Run<TState>(Func<TState> createState, Action<TState, int> work, CancellationToken cancellation = default)
        => Run(createState, (state, index) => { work(state, index); return true; }, fold: null, cancellation);

    /// <summary>What follows the path in a failure: the decoder's or the work's own words, else the exception's type and message.</summary>
    private static string Reason(Exception e) => e switch
    {
        ImageDecodeException decode => decode.Problem,
        FileFailedException own => own.Message,
        _ => $"{e.GetType().Name}: {e.Message}",
    };
}
