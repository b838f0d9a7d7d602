using DctNet.Detection.Structures;
using DctNet.Frequency.Detection;
using static TorchSharp.torch;

namespace DctNet.Detection.Modeling;

/// <summary>
/// torchvision's GeneralizedRCNN (Faster R-CNN, or Mask R-CNN with mask heads), with its module names:
/// <c>backbone</c> (<c>body</c> + <c>fpn</c>), <c>rpn</c>, <c>roi_heads</c>; the transform holds no weights. The
/// stages are public so that they can be run and checked one by one; <see cref="Detect"/> runs them all, and
/// <see cref="Losses"/> (<see cref="LossesDct"/>) gives the training loss of a batch.
/// </summary>
public sealed class GeneralizedRCNN : nn.Module
{
    private readonly BackboneWithFpn backbone;
    private readonly RegionProposalNetwork rpn;
    private readonly RoIHeads roi_heads;

    /// <param name="dctInput">For a backbone on DCT coefficients: the transform that makes its input; null for RGB.</param>
    /// <param name="transform">RGB models: the resizing and normalization (torchvision's 800 / 1333 when null).</param>
    public GeneralizedRCNN(string name, BackboneWithFpn backbone, long classes, bool masks, bool alignedRoIs = false, DetectionDctTransform? dctInput = null,
        GeneralizedRCNNTransform? transform = null) : base(name)
    {
        DctInput = dctInput;
        Transform = transform ?? new GeneralizedRCNNTransform();
        this.backbone = backbone;
        rpn = new RegionProposalNetwork(backbone.OutChannels, AnchorGenerator.ForFpn());
        roi_heads = new RoIHeads(backbone.OutChannels, classes, masks, alignedRoIs);
        RegisterComponents();
    }

    public GeneralizedRCNNTransform Transform { get; }

    /// <summary>The DCT input of a frequency-domain backbone (<see cref="DetectDct"/>); null for RGB models (<see cref="Detect"/>).</summary>
    public DetectionDctTransform? DctInput { get; }

    /// <summary>
    /// The test-time algorithms <see cref="Inference.ImageDetector"/> runs: torchvision's, or mmdetection v1's "+1" ones
    /// for the release's checkpoints. Training is torchvision's either way.
    /// </summary>
    public BoxConvention Convention { get; set; } = BoxConvention.Torchvision;

    public BackboneWithFpn Backbone => backbone;

    public RegionProposalNetwork Rpn => rpn;

    public RoIHeads RoIHeads => roi_heads;

    /// <summary>
    /// Detections for each (3, H, W) RGB image with values in [0, 1], in the image's own coordinates, masks (if any)
    /// as probabilities pasted into the image (threshold them at 0.5). Call in eval mode, under no_grad.
    /// </summary>
    public Detections[] Detect(IReadOnlyList<Tensor> images)
    {
        using var scope = NewDisposeScope();
        var batch = Transform.Apply(images);
        var features = backbone.call(batch.Tensors);
        var proposals = rpn.Propose(batch.Tensors, batch.ImageSizes, features);
        var detections = roi_heads.Detect(features, proposals, batch.ImageSizes);
        var result = new Detections[images.Count];
        for (int i = 0; i < images.Count; i++)
        {
            result[i] = GeneralizedRCNNTransform.Postprocess(detections[i], batch.ImageSizes[i], (images[i].shape[1], images[i].shape[2]));
            foreach (var tensor in new[] { result[i].Boxes, result[i].Scores, result[i].Labels, result[i].Masks })
                tensor?.MoveToOuterDisposeScope();
        }
        return result;
    }

    /// <summary>
    /// Detections for one image given as its DCT input (<see cref="DctInput"/>), in the coordinates of the
    /// <paramref name="original"/> image: boxes divided by the rescale factor, as mmdetection maps them back; masks
    /// (if any) as probabilities pasted into the image. Call in eval mode, under no_grad.
    /// </summary>
    public Detections DetectDct(DetectionDctInput input, (long Height, long Width) original, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(input);
        using var scope = NewDisposeScope();
        var coefficients = tensor(input.Values, [1, input.Channels, input.BlockRows, input.BlockColumns], device: device);
        (long Height, long Width)[] sizes = [(input.ResizedHeight, input.ResizedWidth)];
        var features = backbone.call(coefficients);
        var proposals = rpn.Propose((input.PaddedHeight, input.PaddedWidth), sizes, features);
        var detections = roi_heads.Detect(features, proposals, sizes)[0];
        float ratio = (float)(1 / input.Scale);
        var result = GeneralizedRCNNTransform.Postprocess(detections, ratio, ratio, original);
        foreach (var tensor in new[] { result.Boxes, result.Scores, result.Labels, result.Masks })
            tensor?.MoveToOuterDisposeScope();
        return result;
    }

    /// <summary>The backbone stages that train, last first: torchvision's trainable_backbone_layers (mmdetection's frozen_stages = 4 - n).</summary>
    private static readonly string[] BackboneStages = ["layer4", "layer3", "layer2", "layer1", "conv1"];

    /// <summary>
    /// torchvision's trainable_backbone_layers: only the last <paramref name="layers"/> of conv1, layer1..layer4 keep
    /// their gradients (the FPN and the heads always train). 3, the COCO recipes' default, freezes the stem and layer1
    /// (mmdetection's frozen_stages 1); a DCT backbone has no stem, so 4 and 5 are the same for it.
    /// </summary>
    public void SetTrainableBackboneLayers(int layers)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(layers);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(layers, BackboneStages.Length);
        const string body = "backbone.body.";
        foreach (var (name, parameter) in named_parameters())
        {
            if (name.StartsWith(body, StringComparison.Ordinal))
                parameter.requires_grad = BackboneStages[..layers].Any(stage => name.AsSpan(body.Length).StartsWith(stage + ".", StringComparison.Ordinal));
        }
    }

    /// <summary>
    /// The loss terms for (3, H, W) RGB images with values in [0, 1] and their targets in the images' own coordinates.
    /// Call in training mode.
    /// </summary>
    /// <param name="permutation">The samplers' draw order (<see cref="BalancedPositiveNegativeSampler.Random"/> in training).</param>
    /// <exception cref="ArgumentException">A target box without a positive width and height, or a Mask R-CNN target without masks.</exception>
    public DetectionLosses Losses(IReadOnlyList<Tensor> images, IReadOnlyList<DetectionTarget> targets, Permutation permutation)
    {
        using var scope = NewDisposeScope();
        var (batch, resized) = Transform.Apply(images, targets);
        return LossesOn(batch.Tensors, (batch.Tensors.shape[2], batch.Tensors.shape[3]), batch.ImageSizes, resized, permutation).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The loss terms for images given as their DCT inputs (<see cref="DctInput"/>), zero-padded into one batch, and
    /// their targets in the coordinates of the rescaled images (<see cref="DetectionTarget.Resized"/> by the input's
    /// scale, flipped with the input where it was). Call in training mode.
    /// </summary>
    /// <inheritdoc cref="Losses" path="/param[@name='permutation']"/>
    /// <inheritdoc cref="Losses" path="/exception"/>
    public DetectionLosses LossesDct(IReadOnlyList<DetectionDctInput> inputs, IReadOnlyList<DetectionTarget> targets, Permutation permutation, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        if (inputs.Count == 0 || inputs.Count != targets.Count)
            throw new ArgumentException($"{targets.Count} targets for {inputs.Count} inputs; a batch needs at least one image.", nameof(targets));
        using var scope = NewDisposeScope();
        int rows = inputs.Max(i => i.BlockRows), columns = inputs.Max(i => i.BlockColumns);
        var batch = zeros([inputs.Count, inputs[0].Channels, rows, columns], device: device);
        for (int i = 0; i < inputs.Count; i++)
        {
            var input = inputs[i];
            batch[i, TensorIndex.Colon, TensorIndex.Slice(0, input.BlockRows), TensorIndex.Slice(0, input.BlockColumns)]
                .copy_(tensor(input.Values, [input.Channels, input.BlockRows, input.BlockColumns], device: device));
        }
        (long Height, long Width)[] sizes = [.. inputs.Select(i => ((long)i.ResizedHeight, (long)i.ResizedWidth))];
        var batchSize = ((long)rows * DetectionDctTransform.BlockStride, (long)columns * DetectionDctTransform.BlockStride);
        return LossesOn(batch, batchSize, sizes, targets, permutation).MoveToOuterDisposeScope();
    }

    private DetectionLosses LossesOn(Tensor input, (long Height, long Width) batchSize, IReadOnlyList<(long Height, long Width)> imageSizes,
        IReadOnlyList<DetectionTarget> targets, Permutation permutation)
    {
        for (int image = 0; image < targets.Count; image++)
        {
            var boxes = targets[image].Boxes;
            if (boxes.shape[0] > 0 && boxes[TensorIndex.Colon, TensorIndex.Slice(2, null)].le(boxes[TensorIndex.Colon, TensorIndex.Slice(null, 2)]).any().item<bool>())
                throw new ArgumentException($"Target {image} has a box without a positive width and height.", nameof(targets));
        }
        var features = backbone.call(input);
        var (proposals, objectness, rpnBoxRegression) = rpn.ProposeWithLosses(batchSize, imageSizes, features, targets, permutation);
        var (classifier, boxRegression, mask) = roi_heads.Losses(features, proposals, imageSizes, targets, permutation);
        return new DetectionLosses(objectness, rpnBoxRegression, classifier, boxRegression, mask);
    }
}
