using System.Diagnostics;
using DctNet.Data;

namespace DctNet.Inference;

/// <summary>Where an evaluation stands after a batch; <see cref="NewFailures"/> are the files of that batch that could not be read.</summary>
public sealed record EvaluationProgress(int Processed, int Total, IReadOnlyList<LoadFailure> NewFailures);

/// <summary>Top-1 and top-k accuracy over the images that could be read; unreadable ones are listed in <see cref="Failures"/> and not counted.</summary>
/// <param name="K">The k of top-k: <see cref="Evaluation.TopK"/>, or the number of classes when there are fewer.</param>
/// <param name="Completed">False when cancelled; the counts then cover the batches done.</param>
public sealed record EvaluationResult(int Count, int Top1Correct, int TopKCorrect, int K, IReadOnlyList<LoadFailure> Failures, TimeSpan Elapsed, bool Completed)
{
    public double Top1Percent => Percent(Top1Correct);
    public double TopKPercent => Percent(TopKCorrect);

    /// <summary>Images evaluated per second, decode and transform included.</summary>
    public double ImagesPerSecond => Count / Math.Max(Elapsed.TotalSeconds, 1e-9);

    private double Percent(int correct) => Count == 0 ? 0 : 100.0 * correct / Count;
}

/// <summary>Classification accuracy of a model over an ImageFolder, as the release's validation computes it.</summary>
public static class Evaluation
{
    /// <summary>The k of the reported top-k accuracy.</summary>
    public const int TopK = 5;

    /// <summary>
    /// Runs the model over every image of <paramref name="data"/> in order: <paramref name="threads"/> workers decode and
    /// transform the next batches while the model runs (libtorch's own thread count is the caller's choice).
    /// </summary>
    /// <param name="progress">Called after every batch, on the calling thread.</param>
    /// <exception cref="ModelRequestException">The dataset has another number of classes than the model.</exception>
    public static EvaluationResult Run(InferenceModel model, ImageFolder data, int batchSize, int threads,
        Action<EvaluationProgress>? progress = null, CancellationToken cancellation = default)
    {
        if (data.Classes.Count != model.Classes)
            throw new ModelRequestException($"{data.Root}: {data.Classes.Count} classes (class folders), but the model has {model.Classes} outputs; "
                + "evaluate it on a dataset with its own classes.");
        int k = Math.Min(TopK, model.Classes);
        int count = 0, top1 = 0, topK = 0, processed = 0;
        var failures = new List<LoadFailure>();
        var clock = Stopwatch.StartNew();
        bool completed = true;
        try
        {
            foreach (var batch in model.CreateLoader(data.Samples, batchSize, threads).Batches(cancellation: cancellation))
            {
                using (batch)
                {
                    if (batch.Count > 0)
                    {
                        using var logits = model.Logits(batch.Inputs);
                        var (batchTop1, batchTopK) = Predictions.CountCorrect(logits, batch.Labels, k);
                        count += batch.Count;
                        top1 += batchTop1;
                        topK += batchTopK;
                    }
                    failures.AddRange(batch.Failures);
                    processed += batch.Count + batch.Failures.Count;
                    progress?.Invoke(new EvaluationProgress(processed, data.Samples.Count, batch.Failures));
                }
            }
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            completed = false;
        }
        return new EvaluationResult(count, top1, topK, k, failures, clock.Elapsed, completed);
    }
}
