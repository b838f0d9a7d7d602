using DctNet.Detection.Structures;
using TorchSharp.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace DctNet.Detection.Modeling;

/// <summary>torchvision's RPNHead: a shared 3x3 conv + ReLU (<c>conv.0.0</c>), then per anchor an objectness logit and four box deltas.</summary>
public sealed class RpnHead : nn.Module<Tensor[], (Tensor[] Objectness, Tensor[] Deltas)>
{
    private readonly Sequential conv;
    private readonly Conv2d cls_logits;
    private readonly Conv2d bbox_pred;

    public RpnHead(long channels, long anchorsPerLocation) : base(nameof(RpnHead))
    {
        conv = nn.Sequential(nn.Sequential(nn.Conv2d(channels, channels, kernel_size: 3, padding: 1), nn.ReLU(inplace: true)));
        cls_logits = nn.Conv2d(channels, anchorsPerLocation, kernel_size: 1);
        bbox_pred = nn.Conv2d(channels, anchorsPerLocation * 4, kernel_size: 1);
        RegisterComponents();
        ConvInitialization.Apply(this, weight => nn.init.normal_(weight, std: 0.01));
    }

    public override (Tensor[] Objectness, Tensor[] Deltas) forward(Tensor[] features)
    {
        var objectness = new Tensor[features.Length];
        var deltas = new Tensor[features.Length];
        for (int level = 0; level < features.Length; level++)
        {
            using var scope = NewDisposeScope();
            var shared = conv.call(features[level]);
            objectness[level] = cls_logits.call(shared).MoveToOuterDisposeScope();
            deltas[level] = bbox_pred.call(shared).MoveToOuterDisposeScope();
        }
        return (objectness, deltas);
    }
}

/// <summary>
/// torchvision's RegionProposalNetwork: anchors decoded by the head's deltas, the top <see cref="PreNmsTopN"/> per
/// level by objectness, clipped to the image, tiny boxes dropped, NMS at <see cref="NmsThreshold"/> within each level,
/// and the best <see cref="PostNmsTopN"/> kept per image (2000 and 2000 in training mode, 1000 and 1000 otherwise).
/// In training it also scores the head: anchors matched to the ground truth (positive at IoU 0.7, negative below 0.3,
/// each object's best anchors positive), 256 sampled per image, half of them positive at most.
/// </summary>
public sealed class RegionProposalNetwork : nn.Module
{
    private const double MinSize = 1e-3;
    private const double ScoreThreshold = 0.0;
    private const double SmoothL1Beta = 1.0 / 9;

    private readonly RpnHead head;
    private readonly AnchorGenerator anchorGenerator;
    private readonly BoxCoder boxCoder = new(1, 1, 1, 1);
    private readonly Matcher matcher = new(0.7, 0.3, allowLowQualityMatches: true);
    private readonly BalancedPositiveNegativeSampler sampler = new(256, 0.5);

    public RegionProposalNetwork(long channels, AnchorGenerator anchorGenerator) : base(nameof(RegionProposalNetwork))
    {
        this.anchorGenerator = anchorGenerator;
        head = new RpnHead(channels, anchorGenerator.AnchorsPerLocation.Distinct().Single());
        RegisterComponents();
    }

    /// <summary>Proposals kept per level before NMS in evaluation mode (1000).</summary>
    public int PreNmsTopN { get; init; } = 1000;

    /// <summary>Proposals kept per image after NMS in evaluation mode (1000).</summary>
    public int PostNmsTopN { get; init; } = 1000;

    /// <summary>Proposals kept per level before NMS in training mode (2000).</summary>
    public int TrainingPreNmsTopN { get; init; } = 2000;

    /// <summary>Proposals kept per image after NMS in training mode (2000).</summary>
    public int TrainingPostNmsTopN { get; init; } = 2000;

    public double NmsThreshold { get; init; } = 0.7;

    internal RpnHead Head => head;

    /// <summary>Per image, the proposals (n, 4) in the resized image's coordinates, by decreasing objectness.</summary>
    /// <param name="batch">The padded batch (its size sets the anchors' strides).</param>
    public Tensor[] Propose(Tensor batch, IReadOnlyList<(long Height, long Width)> imageSizes, IReadOnlyList<Tensor> features)
        => Propose((batch.shape[2], batch.shape[3]), imageSizes, features);

    /// <inheritdoc cref="Propose(Tensor, IReadOnlyList{ValueTuple{long, long}}, IReadOnlyList{Tensor})"/>
    /// <param name="batchSize">The padded batch's size in pixels: a DCT input is smaller than the image it encodes.</param>
    public Tensor[] Propose((long Height, long Width) batchSize, IReadOnlyList<(long Height, long Width)> imageSizes, IReadOnlyList<Tensor> features)
    {
        using var scope = NewDisposeScope();
        var output = Run(batchSize, imageSizes, features);
        foreach (var boxes in output.Proposals)
            boxes.MoveToOuterDisposeScope();
        return output.Proposals;
    }

    /// <summary>
    /// The proposals (as <see cref="Propose(ValueTuple{long, long}, IReadOnlyList{ValueTuple{long, long}}, IReadOnlyList{Tensor})"/>,
    /// without gradient) and the RPN's two loss terms for <paramref name="targets"/>, whose boxes are in the resized images' coordinates.
    /// </summary>
    /// <param name="permutation">The sampler's draw order.</param>
    public (Tensor[] Proposals, Tensor Objectness, Tensor BoxRegression) ProposeWithLosses(
        (long Height, long Width) batchSize, IReadOnlyList<(long Height, long Width)> imageSizes, IReadOnlyList<Tensor> features,
        IReadOnlyList<DetectionTarget> targets, Permutation permutation)
    {
        using var scope = NewDisposeScope();
        var output = Run(batchSize, imageSizes, features);
        long anchorCount = output.Anchors.shape[0];
        var labels = new Tensor[targets.Count];
        var regressionTargets = new Tensor[targets.Count];
        for (int image = 0; image < targets.Count; image++)
            (labels[image], regressionTargets[image]) = AnchorTargets(output.Anchors, targets[image].Boxes);

        var sampled = sampler.Sample(labels, permutation);
        var positives = new List<Tensor>();
        var negatives = new List<Tensor>();
        for (int image = 0; image < sampled.Length; image++)
        {
            // Held until libtorch returns (HeldScalars).
            using Scalar offset = image * anchorCount;
            positives.Add(sampled[image].Positive.add(offset, HeldScalars.One));
            negatives.Add(sampled[image].Negative.add(offset, HeldScalars.One));
        }
        var positive = cat(positives, 0);
        var negative = cat(negatives, 0);
        var chosen = cat([positive, negative], 0);
        using Scalar chosenCount = chosen.shape[0];
        var boxLoss = nn.functional.smooth_l1_loss(output.Deltas.index_select(0, positive), cat(regressionTargets, 0).index_select(0, positive),
            reduction: nn.Reduction.Sum, beta: SmoothL1Beta).div(chosenCount);
        var objectnessLoss = nn.functional.binary_cross_entropy_with_logits(
            output.Objectness.flatten().index_select(0, chosen), cat(labels, 0).index_select(0, chosen));
        foreach (var boxes in output.Proposals)
            boxes.MoveToOuterDisposeScope();
        return (output.Proposals, objectnessLoss.MoveToOuterDisposeScope(), boxLoss.MoveToOuterDisposeScope());
    }

    /// <summary>assign_targets_to_anchors and the encoded deltas: labels 1 (object), 0 (background), -1 (ignored).</summary>
    private (Tensor Labels, Tensor Deltas) AnchorTargets(Tensor anchors, Tensor truth)
    {
        if (truth.shape[0] == 0)
            return (zeros(anchors.shape[0], anchors.dtype, anchors.device), zeros_like(anchors));
        var matches = matcher.Match(BoxOps.Iou(truth, anchors));
        var labels = matches.ge(HeldScalars.Zero).to(anchors.dtype)
            .masked_fill(Matcher.BelowLow(matches), HeldScalars.Zero)
            .masked_fill(Matcher.Between(matches), HeldScalars.MinusOne);
        var matchedBoxes = truth.to(anchors.dtype).index_select(0, matches.clamp_min(HeldScalars.Zero));
        return (labels, boxCoder.Encode(matchedBoxes, anchors));
    }

    /// <summary>The head's outputs over all anchors (objectness (images, anchors), deltas (images x anchors, 4)), the anchors and the proposals.</summary>
    private (Tensor Objectness, Tensor Deltas, Tensor Anchors, Tensor[] Proposals) Run(
        (long Height, long Width) batchSize, IReadOnlyList<(long Height, long Width)> imageSizes, IReadOnlyList<Tensor> features)
    {
        long images = features[0].shape[0];
        var (objectnessMaps, deltaMaps) = head.call([.. features]);
        var anchors = anchorGenerator.Anchors(batchSize.Height, batchSize.Width, [.. features.Select(f => (f.shape[2], f.shape[3]))]);
        long[] anchorsPerLevel = [.. objectnessMaps.Select(o => o.shape[1] * o.shape[2] * o.shape[3])];

        var objectness = cat(objectnessMaps.Select(o => PermuteAndFlatten(o, 1)).ToList(), 1).reshape(images, -1);
        var deltas = cat(deltaMaps.Select(d => PermuteAndFlatten(d, 4)).ToList(), 1).reshape(-1, 4);
        var proposals = boxCoder.Decode(deltas.detach(), cat(Enumerable.Repeat(anchors, (int)images).ToList(), 0)).view(images, -1, 4);
        return (objectness, deltas, anchors, FilterProposals(proposals, objectness.detach(), imageSizes, anchorsPerLevel));
    }

    /// <summary>permute_and_flatten: (N, A*C, H, W) to (N, H*W*A, C), location-major as the anchors.</summary>
    private static Tensor PermuteAndFlatten(Tensor map, long valuesPerAnchor)
    {
        long n = map.shape[0], h = map.shape[2], w = map.shape[3];
        return map.view(n, -1, valuesPerAnchor, h, w).permute(0, 3, 4, 1, 2).reshape(n, -1, valuesPerAnchor);
    }

    private Tensor[] FilterProposals(Tensor proposals, Tensor objectness, IReadOnlyList<(long Height, long Width)> imageSizes, long[] anchorsPerLevel)
    {
        int preNmsTopN = training ? TrainingPreNmsTopN : PreNmsTopN;
        int postNmsTopN = training ? TrainingPostNmsTopN : PostNmsTopN;
        var topIndices = new List<Tensor>();
        var levels = new List<Tensor>();
        long offset = 0;
        for (int level = 0; level < anchorsPerLevel.Length; level++)
        {
            var levelScores = objectness.narrow(1, offset, anchorsPerLevel[level]);
            var (_, indices) = levelScores.topk((int)Math.Min(preNmsTopN, anchorsPerLevel[level]), dim: 1);
            using Scalar levelOffset = offset, levelIndex = level;
            topIndices.Add(indices.add(levelOffset, HeldScalars.One));
            levels.Add(full(indices.shape[1], levelIndex, ScalarType.Int64, device: objectness.device));
            offset += anchorsPerLevel[level];
        }
        var top = cat(topIndices, 1);
        var topLevels = cat(levels, 0);
        var result = new Tensor[proposals.shape[0]];
        for (int image = 0; image < result.Length; image++)
        {
            var boxes = proposals[image].index_select(0, top[image]);
            var scores = objectness[image].index_select(0, top[image]).sigmoid();
            var level = topLevels;
            boxes = BoxOps.ClipToImage(boxes, imageSizes[image].Height, imageSizes[image].Width);
            var keep = BoxOps.RemoveSmall(boxes, MinSize);
            (boxes, scores, level) = (boxes.index_select(0, keep), scores.index_select(0, keep), level.index_select(0, keep));
            using Scalar threshold = ScoreThreshold;
            keep = scores.ge(threshold).nonzero().view(-1);
            (boxes, scores, level) = (boxes.index_select(0, keep), scores.index_select(0, keep), level.index_select(0, keep));
            keep = Nms.Batched(boxes, scores, level, NmsThreshold);
            keep = keep.narrow(0, 0, Math.Min(postNmsTopN, keep.shape[0]));
            result[image] = boxes.index_select(0, keep);
        }
        return result;
    }
}
