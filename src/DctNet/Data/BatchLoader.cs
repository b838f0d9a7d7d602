using System.Collections.Concurrent;
using DctNet.Frequency.Imaging;
using TorchSharp;
using static TorchSharp.torch;

namespace DctNet.Data;

/// <summary>A sample that could not be read: its file and the reason, reported instead of silently replaced.</summary>
public sealed record LoadFailure(string Path, string Reason);

/// <summary>One batch: inputs N x sample shape (float32), labels N (int64), and the files behind them, in order.</summary>
public sealed class Batch : IDisposable
{
    internal Batch(Tensor inputs, Tensor labels, IReadOnlyList<string> paths, IReadOnlyList<LoadFailure> failures)
    {
        (Inputs, Labels, Paths, Failures) = (inputs, labels, paths, failures);
    }

    public Tensor Inputs { get; }
    public Tensor Labels { get; }
    public IReadOnlyList<string> Paths { get; }

    /// <summary>Samples of this batch's range that were skipped; the batch is that much smaller.</summary>
    public IReadOnlyList<LoadFailure> Failures { get; }

    public int Count => Paths.Count;

    public void Dispose()
    {
        Inputs.Dispose();
        Labels.Dispose();
    }
}

/// <summary>
/// Reads and transforms samples on worker threads straight into a batch buffer, a bounded number of batches
/// ahead of the consumer, and hands batches out in sample order. An unreadable file is skipped and reported
/// with the batch (never replaced by another sample).
/// </summary>
public sealed class BatchLoader
{
    /// <summary>
    /// Fills <c>destination</c> (one sample) from an image file, reading it as its pipeline does (a decode, or a read of
    /// its JPEG coefficients); the int is the sample's index in the dataset.
    /// </summary>
    /// <exception cref="ImageDecodeException">The file cannot be read; the sample is skipped and reported.</exception>
    public delegate void SampleTransform(string path, int sampleIndex, Span<float> destination);

    private readonly IReadOnlyList<(string Path, int Label)> _samples;
    private readonly long[] _sampleShape;
    private readonly int _sampleLength;
    private readonly SampleTransform _transform;

    public BatchLoader(IReadOnlyList<(string Path, int Label)> samples, int[] sampleShape, SampleTransform transform,
        int batchSize, int threads, int prefetchBatches = 2)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(threads);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(prefetchBatches);
        _samples = samples;
        _sampleShape = sampleShape.Select(d => (long)d).ToArray();
        _sampleLength = sampleShape.Aggregate(1, (a, b) => a * b);
        _transform = transform;
        (BatchSize, Threads, PrefetchBatches) = (batchSize, threads, prefetchBatches);
    }

    public int BatchSize { get; }
    public int Threads { get; }
    public int PrefetchBatches { get; }

    public int BatchCount => (_samples.Count + BatchSize - 1) / BatchSize;

    /// <summary>Batches over <paramref name="order"/> (indexes into the samples; all of them in order when null).</summary>
    public IEnumerable<Batch> Batches(IReadOnlyList<int>? order = null, CancellationToken cancellation = default)
    {
        order ??= Enumerable.Range(0, _samples.Count).ToArray();
        using var ready = new BlockingCollection<PreparedBatch>(PrefetchBatches);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        var producer = Task.Run(() => Produce(order, ready, stop.Token), stop.Token);
        try
        {
            foreach (var prepared in ready.GetConsumingEnumerable(stop.Token))
                yield return prepared.ToBatch(_sampleShape, _sampleLength);
        }
        finally
        {
            stop.Cancel();
            try
            {
                producer.Wait(CancellationToken.None);
            }
            catch (AggregateException e) when (e.InnerExceptions.All(inner => inner is OperationCanceledException))
            {
            }
        }
    }

    private void Produce(IReadOnlyList<int> order, BlockingCollection<PreparedBatch> ready, CancellationToken cancellation)
    {
        try
        {
            var options = new ParallelOptions { MaxDegreeOfParallelism = Threads, CancellationToken = cancellation };
            for (int start = 0; start < order.Count; start += BatchSize)
            {
                int count = Math.Min(BatchSize, order.Count - start);
                var prepared = new PreparedBatch(count, _sampleLength);
                Parallel.For(0, count, options, i => Load(order[start + i], i, prepared));
                ready.Add(prepared, cancellation);
            }
        }
        finally
        {
            ready.CompleteAdding();
        }
    }

    private void Load(int sampleIndex, int slot, PreparedBatch batch)
    {
        var (path, label) = _samples[sampleIndex];
        try
        {
            _transform(path, sampleIndex, batch.Slot(slot));
            batch.Succeeded[slot] = true;
        }
        catch (ImageDecodeException e)
        {
            batch.Failures[slot] = new LoadFailure(path, e.Problem);
        }
        batch.Paths[slot] = path;
        batch.Labels[slot] = label;
    }

    /// <summary>A batch being filled by the workers: one flat buffer, one slot per sample.</summary>
    private sealed class PreparedBatch(int count, int sampleLength)
    {
        public readonly float[] Buffer = new float[count * sampleLength];
        public readonly bool[] Succeeded = new bool[count];
        public readonly LoadFailure?[] Failures = new LoadFailure?[count];
        public readonly string[] Paths = new string[count];
        public readonly long[] Labels = new long[count];

        public Span<float> Slot(int slot) => Buffer.AsSpan(slot * sampleLength, sampleLength);

        public Batch ToBatch(long[] sampleShape, int length)
        {
            var kept = Enumerable.Range(0, Succeeded.Length).Where(i => Succeeded[i]).ToArray();
            float[] data = Buffer;
            if (kept.Length != Succeeded.Length)
            {
                // Compact around the failed slots (rare); the common case hands the buffer over as is.
                data = new float[kept.Length * length];
                for (int i = 0; i < kept.Length; i++)
                    Buffer.AsSpan(kept[i] * length, length).CopyTo(data.AsSpan(i * length));
            }
            var inputs = tensor(data, [kept.Length, .. sampleShape]);
            var labels = tensor(kept.Select(i => Labels[i]).ToArray(), [kept.Length]);
            return new Batch(inputs, labels, kept.Select(i => Paths[i]).ToArray(), Failures.OfType<LoadFailure>().ToArray());
        }
    }
}
