using static TorchSharp.torch;

namespace DctNet.Inference;

/// <summary>A class index and the probability the model gives it.</summary>
public readonly record struct ClassScore(int Index, float Probability);

/// <summary>Reading classifier outputs: the most probable classes, and top-k accuracy as the release's <c>accuracy()</c> counts it.</summary>
public static class Predictions
{
    /// <summary>For each row of <paramref name="logits"/> (N x classes), the <paramref name="k"/> most probable classes under softmax, most probable first.</summary>
    /// <param name="k">At most the number of classes; more gives every class.</param>
    public static ClassScore[][] TopClasses(Tensor logits, int k)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        using var scope = NewDisposeScope();
        var (probabilities, indexes) = nn.functional.softmax(logits.to(ScalarType.Float32), 1).topk(Math.Min(k, (int)logits.shape[1]), dim: 1);
        float[] values = probabilities.data<float>().ToArray();
        long[] classes = indexes.data<long>().ToArray();
        int columns = (int)probabilities.shape[1];
        return [.. Enumerable.Range(0, (int)logits.shape[0]).Select(row =>
            Enumerable.Range(row * columns, columns).Select(i => new ClassScore((int)classes[i], values[i])).ToArray())];
    }

    /// <summary>
    /// How many rows have their label as the most likely class, and how many among the <paramref name="k"/> most likely
    /// (k capped at the number of classes); ties are broken by <c>topk</c>, as in the release's evaluation.
    /// </summary>
    public static (int Top1, int TopK) CountCorrect(Tensor logits, Tensor labels, int k)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        using var scope = NewDisposeScope();
        var (_, predicted) = logits.topk(Math.Min(k, (int)logits.shape[1]), dim: 1);
        var hits = predicted.eq(labels.to(ScalarType.Int64).unsqueeze(1));
        return ((int)hits.select(1, 0).sum().item<long>(), (int)hits.any(1).sum().item<long>());
    }
}
