using System.Text.RegularExpressions;
using DctNet.Checkpoints;
using DctNet.Detection.Coco;
using DctNet.Frequency.Channels;

namespace DctNet.Detection.Modeling;

/// <summary>
/// The release's detection checkpoints are mmdetection v1 files (REFERENCE.md section 4): the same Faster/Mask R-CNN
/// under other names - <c>backbone.layer1.0.conv1</c>, <c>neck.lateral_convs.0.conv</c>, <c>rpn_head.rpn_cls</c>,
/// <c>bbox_head.shared_fcs.0</c>, <c>mask_head.convs.0.conv</c>, .... This maps them onto torchvision's names, tensor
/// for tensor (the layouts agree: three anchors per position ratio-major, class-major box deltas, class 0 the
/// background). The release's DCT backbone (ResNetUpscaledStatic) keeps a stem that its forward never runs; its
/// <c>backbone.conv1</c> and <c>backbone.bn1</c> are dropped for a DCT model. Such files have 81 classes: mmdetection v1
/// labels COCO's 80 categories 1..80 in id order (<see cref="CocoCategories"/>).
/// </summary>
public static class MmdetV1Weights
{
    /// <summary>mmdetection v1's key prefixes and torchvision's, "#" standing for a layer index: one table, read both ways.</summary>
    private static readonly (string Mmdet, string Torchvision)[] Prefixes =
    [
        ("backbone.conv1.", "backbone.body.conv1."),
        ("backbone.bn1.", "backbone.body.bn1."),
        ("backbone.layer#.", "backbone.body.layer#."),
        ("neck.lateral_convs.#.conv.", "backbone.fpn.inner_blocks.#.0."),
        ("neck.fpn_convs.#.conv.", "backbone.fpn.layer_blocks.#.0."),
        ("rpn_head.rpn_conv.", "rpn.head.conv.0.0."),
        ("rpn_head.rpn_cls.", "rpn.head.cls_logits."),
        ("rpn_head.rpn_reg.", "rpn.head.bbox_pred."),
        ("bbox_head.shared_fcs.0.", "roi_heads.box_head.fc6."),
        ("bbox_head.shared_fcs.1.", "roi_heads.box_head.fc7."),
        ("bbox_head.fc_cls.", "roi_heads.box_predictor.cls_score."),
        ("bbox_head.fc_reg.", "roi_heads.box_predictor.bbox_pred."),
        ("mask_head.convs.#.conv.", "roi_heads.mask_head.#.0."),
        ("mask_head.upsample.", "roi_heads.mask_predictor.conv5_mask."),
        ("mask_head.conv_logits.", "roi_heads.mask_predictor.mask_fcn_logits."),
    ];

    private static readonly (Regex Pattern, string Replacement)[] ToTorchvision = [.. Prefixes.Select(p => Rule(p.Mmdet, p.Torchvision))];
    private static readonly (Regex Pattern, string Replacement)[] ToMmdet = [.. Prefixes.Select(p => Rule(p.Torchvision, p.Mmdet))];

    /// <summary>The release's COCO train2017 statistics of the upscaled DCT input (its configs/mean_std.py), which its detectors normalize with.</summary>
    public static ChannelStatistics CocoStatistics { get; } = LoadStatistics();

    /// <summary>mmdetection v1's label k is COCO's k-th category in id order; 0 is the background.</summary>
    public static IReadOnlyList<CocoCategory> CocoCategories { get; } =
        [.. CocoCategoryNames.ById.OrderBy(c => c.Key).Select(c => new CocoCategory(c.Key, c.Value))];

    /// <summary>Whether the weights are laid out as mmdetection v1 saves a two-stage detector with an FPN.</summary>
    public static bool Recognizes(StateDict weights) => weights.ContainsKey("neck.lateral_convs.0.conv.weight");

    /// <summary>The classifier's outputs (background included), from <c>bbox_head.fc_cls</c>.</summary>
    /// <exception cref="CheckpointException">The file has no box classifier.</exception>
    public static int Classes(StateDict weights, string source)
    {
        if (!weights.TryGetValue("bbox_head.fc_cls.weight", out var classifier))
            throw new CheckpointException($"{source}: an mmdetection v1 file without bbox_head.fc_cls.weight; not a Faster or Mask R-CNN.");
        if (classifier.Shape.Count != 2 || classifier.Shape[0] is < 2 or > CheckpointLimits.MaxClasses)
            throw new CheckpointException($"{source}: bbox_head.fc_cls.weight is {classifier.ShapeText}; a box classifier has 2 to {CheckpointLimits.MaxClasses} outputs.");
        return (int)classifier.Shape[0];
    }

    public static bool HasMasks(StateDict weights) => weights.ContainsKey("mask_head.conv_logits.weight");

    /// <summary>
    /// The registry model a file holds: Mask R-CNN when it has a mask head, and a DCT backbone with C channels when its
    /// stem does not take 3 (the release's DCT backbone keeps an unused C-channel stem; layer1 takes the C channels).
    /// </summary>
    /// <exception cref="CheckpointException">Not a ResNet-50-FPN detector.</exception>
    public static (string Model, int? DctChannels) ModelOf(StateDict weights, string source)
    {
        ArgumentNullException.ThrowIfNull(weights);
        if (!weights.TryGetValue("backbone.layer1.0.conv1.weight", out var first))
            throw new CheckpointException($"{source}: an mmdetection v1 file without backbone.layer1.0.conv1.weight; not a ResNet backbone.");
        bool dct = !weights.TryGetValue("backbone.conv1.weight", out var stem) || stem.Shape[1] != 3;
        string model = (HasMasks(weights) ? "maskrcnn" : "fasterrcnn") + "-r50-fpn" + (dct ? "-dct" : "");
        return (model, dct ? (int)first.Shape[1] : null);
    }

    /// <summary>
    /// The model for an mmdetection v1 file, with the release's test time (<see cref="MmdetV1TestTime"/>) and, for
    /// DCT backbones, its built-in subset of that many channels normalized with <see cref="CocoStatistics"/>; the weights
    /// are not loaded.
    /// </summary>
    /// <exception cref="CheckpointException">Not a ResNet-50-FPN detector of COCO's 81 classes, or a channel count with no built-in subset.</exception>
    public static GeneralizedRCNN CreateModel(StateDict weights, string source)
    {
        int classes = Classes(weights, source);
        if (classes != CocoCategories.Count + 1)
            throw new CheckpointException($"{source}: an mmdetection v1 file with {classes} classes; only COCO's {CocoCategories.Count + 1} "
                + "(its categories and the background) map to category ids.");
        var (model, channels) = ModelOf(weights, source);
        ChannelSubset? subset;
        try
        {
            subset = channels is { } count ? ChannelSubset.BuiltIn(count) : null;
        }
        catch (ArgumentException e)
        {
            throw new CheckpointException($"{source}: a DCT backbone of {channels} channels: {e.Message}");
        }
        var detector = DetectionModels.Create(model, classes, channels: subset, statistics: subset is null ? null : CocoStatistics);
        detector.TestTime = MmdetV1TestTime.Instance;
        return detector;
    }

    /// <summary>The weights under torchvision's names; keys no rule knows keep theirs, so that a strict load names them.</summary>
    /// <param name="dctBackbone">Drop the stem the release's DCT backbone stores but never runs.</param>
    public static StateDict ToTorchvisionNames(StateDict weights, bool dctBackbone)
    {
        ArgumentNullException.ThrowIfNull(weights);
        var result = new StateDict();
        foreach (var (key, value) in weights)
        {
            if (key.EndsWith(".num_batches_tracked", StringComparison.Ordinal))
                continue;
            if (dctBackbone && (key.StartsWith("backbone.conv1.", StringComparison.Ordinal) || key.StartsWith("backbone.bn1.", StringComparison.Ordinal)))
                continue;
            result.Add(Rename(key, ToTorchvision), value);
        }
        return result;
    }

    /// <summary>
    /// The inverse of <see cref="ToTorchvisionNames"/>: a model's weights laid out as the release's files are, for tests
    /// that need such a file (with the num_batches_tracked counters and, for a DCT model, the zero stem it stores).
    /// </summary>
    internal static StateDict ToMmdetV1Names(StateDict weights, int? dctChannels)
    {
        var result = new StateDict();
        foreach (var (key, value) in weights)
        {
            string renamed = Rename(key, ToMmdet);
            result.Add(renamed, value);
            if (key.EndsWith(".running_var", StringComparison.Ordinal))
                result.Add(renamed[..^"running_var".Length] + "num_batches_tracked", new TensorData(TensorElementType.Int64, [], new byte[sizeof(long)]));
        }
        if (dctChannels is { } channels)
        {
            result.Add("backbone.conv1.weight", new TensorData(TensorElementType.Float32, [64, channels, 7, 7], new byte[64 * channels * 49 * sizeof(float)]));
            foreach (string name in new[] { "weight", "bias", "running_mean", "running_var" })
                result.Add($"backbone.bn1.{name}", new TensorData(TensorElementType.Float32, [64], new byte[64 * sizeof(float)]));
        }
        return result;
    }

    /// <summary>The key under the first rule whose prefix it starts with; unchanged when none does.</summary>
    private static string Rename(string key, (Regex Pattern, string Replacement)[] rules)
    {
        foreach (var (pattern, replacement) in rules)
        {
            if (pattern.IsMatch(key))
                return pattern.Replace(key, replacement, 1);
        }
        return key;
    }

    private static (Regex Pattern, string Replacement) Rule(string from, string to)
        => (new Regex("^" + Regex.Escape(from).Replace(@"\#", @"(\d+)", StringComparison.Ordinal), RegexOptions.Compiled), to.Replace("#", "$1", StringComparison.Ordinal));

    private static ChannelStatistics LoadStatistics()
    {
        const string resource = "DctNet.Detection.Resources.coco_upscaled_static_stats.json";
        using var stream = typeof(MmdetV1Weights).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"The embedded resource {resource} is missing.");
        using var reader = new StreamReader(stream);
        return ChannelStatistics.FromJson(resource, reader.ReadToEnd());
    }
}
