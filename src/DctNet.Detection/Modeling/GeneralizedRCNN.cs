using DctNet.Detection.Structures;
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

    public GeneralizedRCNN(string name, BackboneWithFpn backbone, long classes, bool masks, bool alignedRoIs = false) : base(name)
    {
        this.backbone = backbone;
        rpn = new RegionProposalNetwork(backbone.OutChannels, AnchorGenerator.ForFpn());
        roi_heads = new RoIHeads(backbone.OutChannels, classes, masks, alignedRoIs);
        RegisterComponents();
    }

    public GeneralizedRCNNTransform Transform { get; } = new();

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
}
