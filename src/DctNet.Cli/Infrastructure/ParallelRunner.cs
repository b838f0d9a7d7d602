using System.Runtime.ExceptionServices;

namespace DctNet.Cli;

/// <summary>
/// Runs <c>body(state, index)</c> for index 0..count-1 on a fixed number of dedicated threads, each with its own state
/// (an output buffer), handing out indexes one at a time so that slow images do not hold up a whole chunk.
/// Nothing is kept per item: memory depends on the number of threads, not on the number of items.
/// </summary>
internal static class ParallelRunner
{
    /// <returns>The number of items started; less than <paramref name="count"/> if cancelled.</returns>
    public static int Run<TState>(int count, int threads, Func<TState> createState, Action<TState, int> body, CancellationToken cancellation)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(threads);
        int next = -1;
        Exception? fault = null;

        void Work()
        {
            try
            {
                var state = createState();
                while (!cancellation.IsCancellationRequested && Volatile.Read(ref fault) is null)
                {
                    int index = Interlocked.Increment(ref next);
                    if (index >= count)
                        return;
                    body(state, index);
                }
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref fault, e, null);
            }
        }

        int workers = Math.Min(threads, Math.Max(count, 1));
        if (workers == 1)
        {
            Work();
        }
        else
        {
            var pool = Enumerable.Range(0, workers)
                .Select(i => new Thread(Work) { Name = $"dctnet worker {i}", IsBackground = true })
                .ToList();
            pool.ForEach(t => t.Start());
            pool.ForEach(t => t.Join());
        }
        if (fault is not null)
            ExceptionDispatchInfo.Throw(fault);
        return Math.Min(Volatile.Read(ref next) + 1, count);
    }
}
