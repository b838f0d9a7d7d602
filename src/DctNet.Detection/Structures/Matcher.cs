using TorchSharp;
using static TorchSharp.torch;

namespace DctNet.Detection.Structures;

/// <summary>
/// torchvision's Matcher: each prediction (anchor or proposal) gets the ground truth it overlaps most, or
/// <see cref="BelowLowThreshold"/> when that IoU is under the low threshold, or <see cref="BetweenThresholds"/> when it
/// lies in [low, high). With low-quality matches allowed (the RPN), every ground truth also keeps the predictions
/// it overlaps most, whatever the IoU, so that no object goes without a positive.
/// </summary>
public sealed class Matcher
{
    public const long BelowLowThreshold = -1;
    public const long BetweenThresholds = -2;

    // Held for the matcher's life rather than passed as temporaries (HeldScalars).
    private static readonly Scalar belowLowCode = BelowLowThreshold.ToScalar(), betweenCode = BetweenThresholds.ToScalar();
    private readonly Scalar low, high;

    /// <exception cref="ArgumentOutOfRangeException">The low threshold is above the high one.</exception>
    public Matcher(double highThreshold, double lowThreshold, bool allowLowQualityMatches)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(lowThreshold, highThreshold);
        (HighThreshold, LowThreshold, AllowLowQualityMatches) = (highThreshold, lowThreshold, allowLowQualityMatches);
        (high, low) = (highThreshold.ToScalar(), lowThreshold.ToScalar());
    }

    public double HighThreshold { get; }
    public double LowThreshold { get; }
    public bool AllowLowQualityMatches { get; }

    /// <summary>The predictions of a <see cref="Match"/> result that fell under the low threshold.</summary>
    public static Tensor BelowLow(Tensor matches) => matches.eq(belowLowCode);

    /// <summary>The predictions of a <see cref="Match"/> result that fell between the thresholds.</summary>
    public static Tensor Between(Tensor matches) => matches.eq(betweenCode);

    /// <param name="quality">(ground truths, predictions) IoU; at least one ground truth.</param>
    /// <returns>(predictions) int64: the matched ground truth's index, or one of the two negative codes.</returns>
    public Tensor Match(Tensor quality)
    {
        if (quality.shape[0] == 0)
            throw new ArgumentException("No ground-truth boxes to match; callers treat such images as all background.", nameof(quality));
        using var scope = NewDisposeScope();
        var (values, matches) = quality.max(0);
        var original = AllowLowQualityMatches ? matches.clone() : null;
        matches = matches.masked_fill(values.lt(low), belowLowCode);
        matches = matches.masked_fill(values.ge(low).logical_and(values.lt(high)), betweenCode);
        if (original is not null)
        {
            // Ties included: every prediction that reaches a ground truth's best IoU keeps its original match.
            var bestPerTruth = quality.max(1).values;
            var predictions = quality.eq(bestPerTruth.unsqueeze(1)).nonzero()[TensorIndex.Colon, 1];
            matches = matches.index_copy(0, predictions, original.index_select(0, predictions));
        }
        return matches.MoveToOuterDisposeScope();
    }
}
