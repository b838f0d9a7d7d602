using DctNet.Detection.Ops;
using DctNet.Detection.Structures;
using TorchSharp.Modules;
using TorchSharp;
using static TorchSharp.torch;

namespace DctNet.Detection.Modeling;

/// <summary>One image's detections in the coordinates of the image the boxes refer to.</summary>
/// <param name="Boxes">(n, 4) x1, y1, x2, y2.</param>
/// <param name="Scores">(n) by decreasing score.</param>
/// <param name="Labels">(n) int64 class indices, 1..classes-1 (0 is the background).</param>
/// <param name="Masks">(n, 1, h, w) probabilities: 28 x 28 per box out of the heads, pasted into the image by the
/// model's postprocessing; null for box-only models.</param>
public sealed record Detections(Tensor Boxes, Tensor Scores, Tensor Labels, Tensor? Masks);

/// <summary>torchvision's TwoMLPHead: flatten, <c>fc6</c> + ReLU, <c>fc7</c> + ReLU.</summary>
public sealed class TwoMlpHead : nn.Module<Tensor, Tensor>
{
    private readonly Linear fc6;
    private readonly Linear fc7;

    public TwoMlpHead(long inputs, long representation) : base(nameof(TwoMlpHead))
    {
        fc6 = nn.Linear(inputs, representation);
        fc7 = nn.Linear(representation, representation);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => fc7.call(fc6.call(x.flatten(1)).relu_()).relu_();
}

/// <summary>torchvision's FastRCNNPredictor: class logits (<c>cls_score</c>) and per-class box deltas (<c>bbox_pred</c>).</summary>
public sealed class FastRcnnPredictor : nn.Module<Tensor, (Tensor ClassLogits, Tensor BoxDeltas)>
{
    private readonly Linear cls_score;
    private readonly Linear bbox_pred;

    public FastRcnnPredictor(long inputs, long classes) : base(nameof(FastRcnnPredictor))
    {
        cls_score = nn.Linear(inputs, classes);
        bbox_pred = nn.Linear(inputs, classes * 4);
        RegisterComponents();
    }

    public override (Tensor ClassLogits, Tensor BoxDeltas) forward(Tensor x) => (cls_score.call(x), bbox_pred.call(x));
}

/// <summary>torchvision's MaskRCNNHeads: four 3x3 convs of 256 with ReLU (keys <c>i.0</c>).</summary>
public static class MaskRcnnHeads
{
    public static Sequential Create(long inputs, IReadOnlyList<long> layers)
    {
        var heads = nn.Sequential();
        long channels = inputs;
        using var noGrad = no_grad();
        foreach (long outputs in layers)
        {
            var conv = nn.Conv2d(channels, outputs, kernel_size: 3, padding: 1);
            nn.init.kaiming_normal_(conv.weight, mode: nn.init.FanInOut.FanOut, nonlinearity: nn.init.NonlinearityType.ReLU);
            nn.init.zeros_(conv.bias!);
            heads.append(nn.Sequential(conv, nn.ReLU(inplace: true)));
            channels = outputs;
        }
        return heads;
    }
}

/// <summary>torchvision's MaskRCNNPredictor: a 2x transposed conv (<c>conv5_mask</c>) + ReLU, then per-class mask logits (<c>mask_fcn_logits</c>).</summary>
public sealed class MaskRcnnPredictor : nn.Module<Tensor, Tensor>
{
    private readonly ConvTranspose2d conv5_mask;
    private readonly Conv2d mask_fcn_logits;

    public MaskRcnnPredictor(long inputs, long hidden, long classes) : base(nameof(MaskRcnnPredictor))
    {
        conv5_mask = nn.ConvTranspose2d(inputs, hidden, kernel_size: 2, stride: 2);
        mask_fcn_logits = nn.Conv2d(hidden, classes, kernel_size: 1);
        RegisterComponents();
        using var noGrad = no_grad();
        foreach (var weight in new[] { conv5_mask.weight!, mask_fcn_logits.weight! })
            nn.init.kaiming_normal_(weight, mode: nn.init.FanInOut.FanOut, nonlinearity: nn.init.NonlinearityType.ReLU);
        nn.init.zeros_(conv5_mask.bias!);
        nn.init.zeros_(mask_fcn_logits.bias!);
    }

    public override Tensor forward(Tensor x) => mask_fcn_logits.call(conv5_mask.call(x).relu_());
}

/// <summary>
/// torchvision's RoIHeads. At inference: proposals pooled 7x7 (<see cref="MultiScaleRoIAlign"/>), box head and predictor,
/// per-class boxes decoded with weights (10, 10, 5, 5), softmax scores; per image the background dropped, scores above
/// <see cref="ScoreThreshold"/>, boxes at least 0.01 px, class-wise NMS at <see cref="NmsThreshold"/>, the best
/// <see cref="DetectionsPerImage"/>. Mask R-CNN then pools the detections 14x14 through the mask head and keeps the
/// sigmoid of each detection's own class. In training (<see cref="Losses"/>): the ground-truth boxes join the proposals,
/// each proposal is matched to the ground truth (positive from IoU 0.5), 512 are sampled per image with at most a
/// quarter positive, and the box and mask heads are scored on them.
/// </summary>
public sealed class RoIHeads : nn.Module
{
    private readonly MultiScaleRoIAlign boxPooler;
    private readonly MultiScaleRoIAlign maskPooler;
    private readonly TwoMlpHead box_head;
    private readonly FastRcnnPredictor box_predictor;
    private readonly Sequential? mask_head;
    private readonly MaskRcnnPredictor? mask_predictor;
    private readonly BoxCoder boxCoder = new(10, 10, 5, 5);
    private readonly Matcher matcher = new(0.5, 0.5, allowLowQualityMatches: false);
    private const double SmoothL1Beta = 1.0 / 9;

    public RoIHeads(long channels, long classes, bool masks, bool alignedRoIs = false) : base(nameof(RoIHeads))
    {
        boxPooler = new MultiScaleRoIAlign(7, 2, alignedRoIs);
        maskPooler = new MultiScaleRoIAlign(14, 2, alignedRoIs);
        box_head = new TwoMlpHead(channels * 7 * 7, 1024);
        box_predictor = new FastRcnnPredictor(1024, classes);
        if (masks)
        {
            mask_head = MaskRcnnHeads.Create(channels, [256, 256, 256, 256]);
            mask_predictor = new MaskRcnnPredictor(256, 256, classes);
        }
        RegisterComponents();
    }

    public double ScoreThreshold { get; init; } = 0.05;

    public double NmsThreshold { get; init; } = 0.5;

    public int DetectionsPerImage { get; init; } = 100;

    public bool HasMasks => mask_head is not null;

    internal TwoMlpHead BoxHead => box_head;
    internal FastRcnnPredictor BoxPredictor => box_predictor;
    internal Sequential? MaskHead => mask_head;
    internal MaskRcnnPredictor? MaskPredictor => mask_predictor;

    /// <summary>
    /// Proposals sampled per image in training, at most a quarter of them positive: torchvision's
    /// box_batch_size_per_image, 512 as in the COCO recipes; the heads' training cost grows with it.
    /// </summary>
    public int SampledRoIsPerImage { get; set; } = 512;

    /// <param name="features">FPN levels; the first four are pooled.</param>
    /// <param name="proposals">Per image, (n, 4) in the resized image's coordinates.</param>
    public Detections[] Detect(IReadOnlyList<Tensor> features, IReadOnlyList<Tensor> proposals, IReadOnlyList<(long Height, long Width)> imageSizes)
    {
        using var scope = NewDisposeScope();
        var pooledLevels = features.Take(4).ToList();
        var (classLogits, boxDeltas) = box_predictor.call(box_head.call(boxPooler.Apply(pooledLevels, proposals, imageSizes)));
        var detections = Postprocess(classLogits, boxDeltas, proposals, imageSizes);
        if (mask_head is not null && mask_predictor is not null)
        {
            var maskLogits = mask_predictor.call(mask_head.call(maskPooler.Apply(pooledLevels, [.. detections.Select(d => d.Boxes)], imageSizes)));
            var labels = cat(detections.Select(d => d.Labels).ToList(), 0);
            var probabilities = maskLogits.sigmoid()[arange(labels.shape[0]), labels].unsqueeze(1);
            long start = 0;
            for (int image = 0; image < detections.Length; image++)
            {
                long count = detections[image].Labels.shape[0];
                detections[image] = detections[image] with { Masks = probabilities.narrow(0, start, count) };
                start += count;
            }
        }
        foreach (var detection in detections)
        {
            foreach (var tensor in new[] { detection.Boxes, detection.Scores, detection.Labels, detection.Masks })
                tensor?.MoveToOuterDisposeScope();
        }
        return detections;
    }

    /// <summary>
    /// The box head's two loss terms and, for Mask R-CNN, the mask term, on proposals sampled against <paramref name="targets"/>
    /// (boxes in the resized images' coordinates, masks at the resized images' size).
    /// </summary>
    /// <param name="proposals">Per image, (n, 4) without gradient, as the RPN gives them.</param>
    /// <param name="permutation">The sampler's draw order.</param>
    public (Tensor Classifier, Tensor BoxRegression, Tensor? Mask) Losses(IReadOnlyList<Tensor> features, IReadOnlyList<Tensor> proposals,
        IReadOnlyList<(long Height, long Width)> imageSizes, IReadOnlyList<DetectionTarget> targets, Permutation permutation)
    {
        using var scope = NewDisposeScope();
        var samples = SelectTrainingSamples(proposals, targets, permutation);
        var pooledLevels = features.Take(4).ToList();
        var (classLogits, boxDeltas) = box_predictor.call(box_head.call(boxPooler.Apply(pooledLevels, [.. samples.Select(s => s.Proposals)], imageSizes)));

        var labels = cat(samples.Select(s => s.Labels).ToList(), 0);
        var regressionTargets = cat(samples.Select(s => s.RegressionTargets).ToList(), 0);
        var classifierLoss = nn.functional.cross_entropy(classLogits, labels);
        var positive = labels.gt(HeldScalars.Zero).nonzero().view(-1);
        var positiveDeltas = boxDeltas.reshape(labels.shape[0], -1, 4)[positive, labels.index_select(0, positive)];
        // Held until libtorch returns (HeldScalars).
        using Scalar sampleCount = labels.shape[0];
        var boxLoss = nn.functional.smooth_l1_loss(positiveDeltas, regressionTargets.index_select(0, positive),
            reduction: nn.Reduction.Sum, beta: SmoothL1Beta).div(sampleCount);

        Tensor? maskLoss = null;
        if (mask_head is not null && mask_predictor is not null)
        {
            var positives = samples.Select(s => s.Labels.gt(HeldScalars.Zero).nonzero().view(-1)).ToList();
            var maskProposals = samples.Select((s, image) => s.Proposals.index_select(0, positives[image])).ToList();
            var maskLogits = mask_predictor.call(mask_head.call(maskPooler.Apply(pooledLevels, maskProposals, imageSizes)));
            var maskTargets = new List<Tensor>();
            var maskLabels = new List<Tensor>();
            for (int image = 0; image < samples.Length; image++)
            {
                var matched = samples[image].MatchedTruth.index_select(0, positives[image]);
                var masks = targets[image].Masks ?? throw new ArgumentException($"Target {image} has no masks; Mask R-CNN trains on masks.", nameof(targets));
                maskTargets.Add(MaskTargets.Project(masks, maskProposals[image], matched, (int)maskLogits.shape[^1]));
                maskLabels.Add(targets[image].Labels.index_select(0, matched));
            }
            var maskTarget = cat(maskTargets, 0);
            var maskLabel = cat(maskLabels, 0);
            maskLoss = maskTarget.numel() == 0
                ? maskLogits.sum().mul(HeldScalars.Zero)
                : nn.functional.binary_cross_entropy_with_logits(maskLogits[arange(maskLabel.shape[0], device: maskLabel.device), maskLabel], maskTarget);
        }
        return (classifierLoss.MoveToOuterDisposeScope(), boxLoss.MoveToOuterDisposeScope(), maskLoss?.MoveToOuterDisposeScope());
    }

    /// <summary>select_training_samples: per image the sampled proposals (ground truth added), their labels (0 background), matched ground truths and box targets.</summary>
    private (Tensor Proposals, Tensor Labels, Tensor MatchedTruth, Tensor RegressionTargets)[] SelectTrainingSamples(
        IReadOnlyList<Tensor> proposals, IReadOnlyList<DetectionTarget> targets, Permutation permutation)
    {
        var candidates = new Tensor[proposals.Count];
        var labels = new Tensor[proposals.Count];
        var matched = new Tensor[proposals.Count];
        var truths = new Tensor[proposals.Count];
        for (int image = 0; image < proposals.Count; image++)
        {
            var truth = truths[image] = targets[image].Boxes.to(proposals[image].dtype);
            candidates[image] = cat([proposals[image], truth], 0);
            if (truth.shape[0] == 0)
            {
                matched[image] = zeros(candidates[image].shape[0], ScalarType.Int64, candidates[image].device);
                labels[image] = zeros(candidates[image].shape[0], ScalarType.Int64, candidates[image].device);
                continue;
            }
            var matches = matcher.Match(BoxOps.Iou(truth, candidates[image]));
            matched[image] = matches.clamp_min(HeldScalars.Zero);
            labels[image] = targets[image].Labels.to(ScalarType.Int64).index_select(0, matched[image])
                .masked_fill(Matcher.BelowLow(matches), HeldScalars.Zero)
                .masked_fill(Matcher.Between(matches), HeldScalars.MinusOne);
        }
        var sampled = new BalancedPositiveNegativeSampler(SampledRoIsPerImage, 0.25).Sample(labels, permutation);
        var result = new (Tensor, Tensor, Tensor, Tensor)[proposals.Count];
        for (int image = 0; image < proposals.Count; image++)
        {
            var chosen = cat([sampled[image].Positive, sampled[image].Negative], 0).sort().Values;
            var chosenProposals = candidates[image].index_select(0, chosen);
            var chosenMatches = matched[image].index_select(0, chosen);
            // An image without objects has only background samples; their (unused) targets come from a zero box, as torchvision's.
            var truthBoxes = truths[image].shape[0] == 0 ? zeros([1, 4], chosenProposals.dtype, chosenProposals.device) : truths[image];
            result[image] = (chosenProposals, labels[image].index_select(0, chosen), chosenMatches,
                boxCoder.Encode(truthBoxes.index_select(0, chosenMatches), chosenProposals));
        }
        return result;
    }

    /// <summary>postprocess_detections.</summary>
    private Detections[] Postprocess(Tensor classLogits, Tensor boxDeltas, IReadOnlyList<Tensor> proposals, IReadOnlyList<(long Height, long Width)> imageSizes)
    {
        long classes = classLogits.shape[^1];
        var boxes = boxCoder.Decode(boxDeltas, cat(proposals.ToList(), 0));
        var scores = nn.functional.softmax(classLogits, -1);
        var result = new Detections[proposals.Count];
        long start = 0;
        for (int image = 0; image < proposals.Count; image++)
        {
            long count = proposals[image].shape[0];
            var imageBoxes = BoxOps.ClipToImage(boxes.narrow(0, start, count), imageSizes[image].Height, imageSizes[image].Width);
            var imageScores = scores.narrow(0, start, count);
            start += count;
            var labels = arange(classes).view(1, -1).expand_as(imageScores);
            // Drop the background column, then one candidate per (proposal, class).
            var candidateBoxes = imageBoxes[TensorIndex.Colon, TensorIndex.Slice(1, null)].reshape(-1, 4);
            var candidateScores = imageScores[TensorIndex.Colon, TensorIndex.Slice(1, null)].reshape(-1);
            var candidateLabels = labels[TensorIndex.Colon, TensorIndex.Slice(1, null)].reshape(-1);
            using Scalar threshold = ScoreThreshold;
            var keep = candidateScores.gt(threshold).nonzero().view(-1);
            (candidateBoxes, candidateScores, candidateLabels) = (candidateBoxes.index_select(0, keep), candidateScores.index_select(0, keep), candidateLabels.index_select(0, keep));
            keep = BoxOps.RemoveSmall(candidateBoxes, 1e-2);
            (candidateBoxes, candidateScores, candidateLabels) = (candidateBoxes.index_select(0, keep), candidateScores.index_select(0, keep), candidateLabels.index_select(0, keep));
            keep = Nms.Batched(candidateBoxes, candidateScores, candidateLabels, NmsThreshold);
            keep = keep.narrow(0, 0, Math.Min(DetectionsPerImage, keep.shape[0]));
            result[image] = new Detections(candidateBoxes.index_select(0, keep), candidateScores.index_select(0, keep), candidateLabels.index_select(0, keep), null);
        }
        return result;
    }
}
