using DctNet.Detection.Structures;
using DctNet.Frequency.Detection;
using static TorchSharp.torch;

namespace DctNet.Detection.Modeling;

/// <summary>
/// torchvision's GeneralizedRCNN (Faster R-CNN, or Mask R-CNN with mask heads) at inference, with its module names:
/// <c>backbone</c> (<c>body</c> + <c>fpn</c>), <c>rpn</c>, <c>roi_heads</c>; the transform holds no weights. The
/// stages are public so that they can be run and checked one by one; <see cref="Detect"/> runs them all.
/// </summary>
public sealed class GeneralizedRCNN : nn.Module
{
    private readonly BackboneWithFpn backbone;
    private readonly RegionProposalNetwork rpn;
    private readonly RoIHeads roi_heads;

    /// <param name="dctInput">For a backbone on DCT coefficients: the transform that makes its input; null for RGB.</param>
    public GeneralizedRCNN(string name, BackboneWithFpn backbone, long classes, bool masks, bool alignedRoIs = false, DetectionDctTransform? dctInput = null) : base(name)
    {
        DctInput = dctInput;
        this.backbone = backbone;
        rpn = new RegionProposalNetwork(backbone.OutChannels, AnchorGenerator.ForFpn());
        roi_heads = new RoIHeads(backbone.OutChannels, classes, masks, alignedRoIs);
        RegisterComponents();
    }

    public GeneralizedRCNNTransform Transform { get; } = new();

    /// <summary>The DCT input of a frequency-domain backbone (<see cref="DetectDct"/>); null for RGB models (<see cref="Detect"/>).</summary>
    public DetectionDctTransform? DctInput { get; }

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
}
