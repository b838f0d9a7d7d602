using TorchSharp;
using static TorchSharp.torch;

namespace DctNet.Detection.Structures;

/// <summary>The order in which a sampler draws <paramref name="count"/> candidates: an int64 permutation of 0..count-1.</summary>
public delegate Tensor Permutation(long count);

/// <summary>
/// torchvision's BalancedPositiveNegativeSampler: per image, up to <see cref="PositiveFraction"/> of
/// <see cref="BatchSizePerImage"/> positives (label &gt;= 1) drawn at random, the rest filled with negatives
/// (label 0); labels of -1 are never drawn. The draw order is a <see cref="Permutation"/>: torch.randperm in training,
/// the identity where a test follows an oracle whose randperm was replaced the same way.
/// </summary>
public sealed class BalancedPositiveNegativeSampler(int batchSizePerImage, double positiveFraction)
{
    public int BatchSizePerImage { get; } = batchSizePerImage;
    public double PositiveFraction { get; } = positiveFraction;

    /// <summary>A random permutation from <paramref name="generator"/> (torch.randperm).</summary>
    public static Permutation Random(Generator? generator) => count => randperm(count, generator: generator);

    /// <summary>The candidates in index order: what torchvision samples when torch.randperm is replaced by torch.arange.</summary>
    public static Permutation InOrder { get; } = count => arange(count, ScalarType.Int64);

    /// <param name="labels">Per image, (candidates) labels: &gt;= 1 positive, 0 negative, -1 ignored.</param>
    /// <returns>Per image, the sampled positives' and negatives' indices (int64), in index order.</returns>
    public (Tensor Positive, Tensor Negative)[] Sample(IReadOnlyList<Tensor> labels, Permutation permutation)
    {
        var result = new (Tensor, Tensor)[labels.Count];
        for (int image = 0; image < labels.Count; image++)
        {
            using var scope = NewDisposeScope();
            var positive = labels[image].ge(HeldScalars.One).nonzero().view(-1);
            var negative = labels[image].eq(HeldScalars.Zero).nonzero().view(-1);
            long positives = Math.Min(positive.shape[0], (long)(BatchSizePerImage * PositiveFraction));
            long negatives = Math.Min(negative.shape[0], BatchSizePerImage - positives);
            var drawnPositive = positive.index_select(0, permutation(positive.shape[0]).narrow(0, 0, positives).to(positive.device));
            var drawnNegative = negative.index_select(0, permutation(negative.shape[0]).narrow(0, 0, negatives).to(negative.device));
            result[image] = (drawnPositive.sort().Values.MoveToOuterDisposeScope(), drawnNegative.sort().Values.MoveToOuterDisposeScope());
        }
        return result;
    }
}
