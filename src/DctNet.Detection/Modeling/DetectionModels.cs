using DctNet.Checkpoints;
using DctNet.Frequency.Channels;
using DctNet.Frequency.Detection;
using DctNet.Models;
using DctNet.Platform;
using static TorchSharp.torch;

namespace DctNet.Detection.Modeling;

/// <summary>A registered detection model.</summary>
/// <param name="Masks">Mask R-CNN (true) or Faster R-CNN.</param>
/// <param name="TakesDct">The backbone takes DCT coefficients (REFERENCE.md section 4) instead of RGB.</param>
public sealed record DetectionModelDefinition(string Name, string Description, bool Masks, bool TakesDct = false) : IRegisteredModel;

/// <summary>The bounds an image is rescaled to fit, keeping its ratio (torchvision's min_size / max_size, mmdetection's img_scale).</summary>
public readonly record struct InputScale
{
    /// <summary>
    /// The longest edge an image is rescaled to: three times the COCO recipes' 1333. A scale comes from the command
    /// line or from a checkpoint's metadata, and decides how much every image costs.
    /// </summary>
    public const int MaxEdge = 4096;

    /// <exception cref="ArgumentException">Not 0 &lt; short edge &lt;= long edge &lt;= <see cref="MaxEdge"/>.</exception>
    public InputScale(int shortEdge, int longEdge)
    {
        if (shortEdge <= 0 || longEdge < shortEdge || longEdge > MaxEdge)
            throw new ArgumentException($"the scale needs 0 < short edge <= long edge <= {MaxEdge}, got {shortEdge} and {longEdge}.");
        ShortEdge = shortEdge;
        LongEdge = longEdge;
    }

    /// <summary>800 x 1333, the scale of the COCO recipes (REFERENCE.md section 4).</summary>
    public static InputScale Default { get; } = new(800, 1333);

    public int ShortEdge { get; }

    public int LongEdge { get; }

    public void Deconstruct(out int shortEdge, out int longEdge) => (shortEdge, longEdge) = (ShortEdge, LongEdge);
}

/// <summary>
/// The detection models by name, built with torchvision's module names so that its COCO state_dicts
/// (<c>maskrcnn_resnet50_fpn</c>, <c>fasterrcnn_resnet50_fpn</c>) load strictly by key and shape.
/// </summary>
public static class DetectionModels
{
    /// <summary>COCO's 80 classes plus the background and torchvision's 10 unused ids.</summary>
    public const int CocoClasses = 91;

    public static Registry<DetectionModelDefinition> All { get; } = new("detection model",
    [
        new("maskrcnn-r50-fpn", "torchvision's maskrcnn_resnet50_fpn: Mask R-CNN, ResNet-50-FPN on RGB input", Masks: true),
        new("fasterrcnn-r50-fpn", "torchvision's fasterrcnn_resnet50_fpn: Faster R-CNN, ResNet-50-FPN on RGB input", Masks: false),
        new("maskrcnn-r50-fpn-dct", "Mask R-CNN, ResNet-50-FPN fed DCT coefficients at layer1 (the paper's detector; torchvision's module names)", Masks: true, TakesDct: true),
        new("fasterrcnn-r50-fpn-dct", "Faster R-CNN, ResNet-50-FPN fed DCT coefficients at layer1 (torchvision's module names)", Masks: false, TakesDct: true),
    ]);

    /// <summary>The model with torchvision's initialization, in eval mode.</summary>
    /// <param name="alignedRoIs">RoIAlign with half-pixel alignment (torchvision's models use false).</param>
    /// <param name="channels">DCT models: the channel subset (DCT-<see cref="ModelRegistry.DefaultChannelCount"/> when null), normalized with the release's ImageNet
    /// statistics; RGB models refuse it.</param>
    /// <param name="scale">The bounds images are rescaled to fit, keeping their ratio: the shorter side at most
    /// <see cref="InputScale.ShortEdge"/>, the longer at most <see cref="InputScale.LongEdge"/> (800 and 1333 when null).</param>
    /// <exception cref="ArgumentException">An unknown name, channels for an RGB model, or a count the DCT backbone does not take.</exception>
    /// <param name="statistics">DCT models: the input's normalization (the release's ImageNet statistics when null).</param>
    public static GeneralizedRCNN Create(string name, int classes = CocoClasses, bool alignedRoIs = false, ChannelSubset? channels = null, InputScale? scale = null,
        ChannelStatistics? statistics = null)
    {
        var definition = All.Get(name);
        KernelProtection.QuietLibTorch();
        if (!definition.TakesDct && channels is not null)
            throw new ArgumentException($"{definition.Name} takes RGB images; channels are for {definition.Name}-dct.", nameof(channels));
        var subset = definition.TakesDct ? channels ?? ChannelSubset.BuiltIn(ModelRegistry.DefaultChannelCount) : null;
        var body = new ResNetBody(ResNetArchitecture.ResNet50, features => new FrozenBatchNorm2d(features), subset?.Count);
        var backbone = new BackboneWithFpn(body, body.OutputChannels);
        var (shortEdge, longEdge) = scale ?? InputScale.Default;
        IDetectionInput input = subset is null
            ? new GeneralizedRCNNTransform { MinSize = shortEdge, MaxSize = longEdge }
            : new DctGeneralizedRCNNTransform(new DetectionDctTransform(subset, statistics ?? ChannelStatistics.ImageNet, longEdge, shortEdge));
        var model = new GeneralizedRCNN(definition.Name, backbone, input, classes, definition.Masks, alignedRoIs);
        model.eval();
        return model;
    }

    /// <summary>
    /// Loads weights strictly into <paramref name="model"/>: torchvision's names, or mmdetection v1's
    /// (<see cref="MmdetV1Weights"/>, the release's checkpoints). As torchvision's FrozenBatchNorm2d does, the
    /// <c>num_batches_tracked</c> counters of files saved from an ordinary BatchNorm backbone are dropped.
    /// </summary>
    /// <exception cref="CheckpointException">Unreadable or unsafe file, or keys and shapes that do not match.</exception>
    public static void LoadWeights(GeneralizedRCNN model, string path) => LoadWeights(model, WeightsFile.Read(path).Weights, path);

    /// <inheritdoc cref="LoadWeights(GeneralizedRCNN, string)"/>
    public static void LoadWeights(GeneralizedRCNN model, StateDict weights, string source)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (MmdetV1Weights.Recognizes(weights))
            weights = MmdetV1Weights.ToTorchvisionNames(weights, dctBackbone: model.Input.Channels is not null);
        var modelKeys = model.state_dict().Keys.ToHashSet(StringComparer.Ordinal);
        var kept = weights.Where(entry => !(entry.Key.EndsWith(".num_batches_tracked", StringComparison.Ordinal) && !modelKeys.Contains(entry.Key)));
        ModuleState.Load(model, new StateDict(kept), source);
    }
}
