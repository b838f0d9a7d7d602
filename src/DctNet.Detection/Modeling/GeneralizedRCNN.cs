using DctNet.Detection.Structures;
using static TorchSharp.torch;

namespace DctNet.Detection.Modeling;

/// <summary>
/// torchvision's GeneralizedRCNN (Faster R-CNN, or Mask R-CNN with mask heads), with its module names:
/// <c>backbone</c> (<c>body</c> + <c>fpn</c>), <c>rpn</c>, <c>roi_heads</c>; its <see cref="Input"/> (torchvision's
/// transform) holds no weights. The stages are public so that they can be run and checked one by one;
/// <see cref="Detect"/> runs them all, and <see cref="Losses"/> gives the training loss of a batch.
/// </summary>
public sealed class GeneralizedRCNN : nn.Module
{
    private readonly BackboneWithFpn backbone;
    private OnnxBackbone? onnxBackbone;
    private readonly RegionProposalNetwork rpn;
    private readonly RoIHeads roi_heads;

    /// <param name="input">What turns images into the backbone's batch: <see cref="GeneralizedRCNNTransform"/> for RGB,
    /// <see cref="DctGeneralizedRCNNTransform"/> for a backbone on DCT coefficients.</param>
    public GeneralizedRCNN(string name, BackboneWithFpn backbone, IDetectionInput input, long classes, bool masks, bool alignedRoIs = false) : base(name)
    {
        ArgumentNullException.ThrowIfNull(input);
        Input = input;
        this.backbone = backbone;
        rpn = new RegionProposalNetwork(backbone.OutChannels, AnchorGenerator.ForFpn());
        roi_heads = new RoIHeads(backbone.OutChannels, classes, masks, alignedRoIs);
        RegisterComponents();
    }

    /// <summary>The images' way into the backbone, and the detections' way back.</summary>
    public IDetectionInput Input { get; }

    /// <summary>
    /// The test-time algorithms <see cref="Inference.ImageDetector"/> runs: torchvision's (<see cref="Detect"/>), or
    /// <see cref="MmdetV1TestTime"/> for the release's checkpoints. Training is torchvision's either way.
    /// </summary>
    public ITestTimePolicy TestTime { get; set; } = TorchvisionTestTime.Instance;

    public BackboneWithFpn Backbone => backbone;

    public RegionProposalNetwork Rpn => rpn;

    public RoIHeads RoIHeads => roi_heads;

    /// <summary>
    /// Detections for each image <see cref="Input"/> prepared, in the image's own coordinates, masks (if any) as
    /// probabilities pasted into the image (threshold them at 0.5). Call in eval mode, under no_grad.
    /// </summary>
    /// <param name="device">Where the batch is made: the model's device (the CPU, or where the images' tensors are, when null).</param>
    public Detections[] Detect(IReadOnlyList<PreparedImage> images, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(images);
        using var scope = NewDisposeScope();
        var (batch, _) = Input.Batch(images, null, device);
        var features = onnxBackbone?.Run(batch.Tensors) ?? backbone.call(batch.Tensors);
        var proposals = rpn.Propose(batch.PaddedSize, batch.ImageSizes, features);
        var detections = roi_heads.Detect(features, proposals, batch.ImageSizes);
        var result = new Detections[images.Count];
        for (int i = 0; i < images.Count; i++)
        {
            result[i] = Input.Postprocess(detections[i], images[i], batch.ImageSizes[i]);
            foreach (var tensor in new[] { result[i].Boxes, result[i].Scores, result[i].Labels, result[i].Masks })
                tensor?.MoveToOuterDisposeScope();
        }
        return result;
    }

    /// <summary>
    /// Runs the backbone and FPN of <see cref="Detect"/> on ONNX Runtime (<see cref="OnnxBackbone"/>) from now on, with
    /// the current weights; the heads stay on libtorch, and training (<see cref="Losses"/>) always uses libtorch.
    /// Call in eval mode, after loading the weights; the model must be on the CPU.
    /// </summary>
    public void RunBackboneOnOnnxRuntime(int threads)
    {
        onnxBackbone?.Dispose();
        onnxBackbone = OnnxBackbone.Export(backbone, threads);
    }

    /// <summary>Whether <see cref="Detect"/> runs the backbone on ONNX Runtime.</summary>
    public bool BackboneOnOnnxRuntime => onnxBackbone is not null;

    protected override void Dispose(bool disposing)
    {
        if (disposing)
            onnxBackbone?.Dispose();
        base.Dispose(disposing);
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
    /// The loss terms for images <see cref="Input"/> prepared (flipped or not) and their targets in the original
    /// images' coordinates, unflipped. Call in training mode.
    /// </summary>
    /// <param name="permutation">The samplers' draw order (<see cref="BalancedPositiveNegativeSampler.Random"/> in training).</param>
    /// <param name="device">Where the batch is made, as for <see cref="Detect"/>.</param>
    /// <exception cref="ArgumentException">A target box without a positive width and height, or a Mask R-CNN target without masks.</exception>
    public DetectionLosses Losses(IReadOnlyList<PreparedImage> images, IReadOnlyList<DetectionTarget> targets, Permutation permutation, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(targets);
        using var scope = NewDisposeScope();
        var (batch, resized) = Input.Batch(images, targets, device);
        for (int image = 0; image < resized.Count; image++)
        {
            var boxes = resized[image].Boxes;
            if (boxes.shape[0] > 0 && boxes[TensorIndex.Colon, TensorIndex.Slice(2, null)].le(boxes[TensorIndex.Colon, TensorIndex.Slice(null, 2)]).any().item<bool>())
                throw new ArgumentException($"Target {image} has a box without a positive width and height.", nameof(targets));
        }
        var features = backbone.call(batch.Tensors);
        var (proposals, objectness, rpnBoxRegression) = rpn.ProposeWithLosses(batch.PaddedSize, batch.ImageSizes, features, resized, permutation);
        var (classifier, boxRegression, mask) = roi_heads.Losses(features, proposals, batch.ImageSizes, resized, permutation);
        return new DetectionLosses(objectness, rpnBoxRegression, classifier, boxRegression, mask).MoveToOuterDisposeScope();
    }
}
