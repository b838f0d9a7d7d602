using DctNet.Frequency.Channels;
using DctNet.Platform;
using TorchSharp;
using static TorchSharp.torch;

namespace DctNet.Detection.Modeling;

/// <summary>
/// The kernel cases of the detectors (<see cref="KernelInventory"/>). Mask R-CNN runs one image at
/// <see cref="CheckScale"/> in float64 with the deterministic weights (which give a full set of detections, so the mask
/// head runs too): its FPN, RPN and RoI heads are every detector's, which differ only in the backbone's input (RGB,
/// or DCT with each channel count; Faster R-CNN has no mask head). Those backbones run on their own. Detectors run
/// channels-first, and every layer that trains also runs backward.
/// </summary>
public static class DetectionKernels
{
    /// <summary>
    /// Smaller than the recipes' 800 x 1333, so that the float64 reference stays seconds, not minutes: the same layers,
    /// kernels and channels on feature maps of 80 x 112 (P2) down to 5 x 7 (P6).
    /// </summary>
    public static InputScale CheckScale { get; } = new(320, 448);

    /// <summary>The detector whose whole forward pass runs: the one with every kind of head.</summary>
    private const string FullModel = "maskrcnn-r50-fpn";

    public static void AddTo(KernelInventory inventory)
    {
        ArgumentNullException.ThrowIfNull(inventory);
        var (height, width) = (CheckScale.ShortEdge, CheckScale.LongEdge);
        using (var full = DetectionModels.Create(FullModel, scale: CheckScale))
        {
            DetectionModels.LoadWeights(full, DeterministicDetectionWeights.For(full), "deterministic weights");
            full.to(ScalarType.Float64);
            var generator = new Generator(seed: 0);
            inventory.AddFromForward(FullModel, full, () => full.Detect([full.Input.Prepare(rand([3, height, width], dtype: float64, generator: generator))]),
                channelsLast: false, backward: true);
        }
        foreach (var definition in DetectionModels.All.Where(d => d.Name != FullModel))
        {
            foreach (int? count in definition.TakesDct ? ChannelSubset.BuiltInCounts.Select(c => (int?)c) : [null])
            {
                GeneralizedRCNN model;
                try
                {
                    // Fresh weights: an empty batch needs none in particular.
                    model = DetectionModels.Create(definition.Name, channels: count is { } c ? ChannelSubset.BuiltIn(c) : null, scale: CheckScale);
                }
                catch (ArgumentException) when (count != ChannelSubset.TotalChannels)
                {
                    continue; // the DCT backbone does not take this count; its builder says so
                }
                using (model)
                {
                    model.to(ScalarType.Float64);
                    // The input of a padded height x width image: RGB, or the DCT's C x height/4 x width/4 (REFERENCE.md section 4).
                    var empty = count is { } channels ? zeros([0, channels, height / 4, width / 4], dtype: float64) : zeros([0, 3, height, width], dtype: float64);
                    string name = definition.Name + (count is null ? "" : $" ({count})");
                    inventory.AddFromForward(name, model.Backbone, () => model.Backbone.call(empty), channelsLast: false, backward: true, batch: 1);
                }
            }
        }
    }
}
