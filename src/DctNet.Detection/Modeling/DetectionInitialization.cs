using DctNet.Checkpoints;

namespace DctNet.Detection.Modeling;

/// <summary>
/// Starting weights for detection training, from the files a user has: a detector's weights (torchvision's COCO
/// checkpoints, a DctNet detection checkpoint, the release's mmdetection v1 files), or an ImageNet classifier for the backbone - torchvision's ResNet-50
/// for RGB detectors, the release's (or DctNet's) resnet50-dct for -dct detectors, whose stages <c>model.0</c> ..
/// <c>model.3</c> are layer1 .. layer4. A detector's class-dependent layers stay fresh where the file has another
/// class count (fine-tuning COCO weights on other categories); everything else must fit key for key and shape for shape.
/// </summary>
public static class DetectionInitialization
{
    private static readonly string[] ClassDependent =
        ["roi_heads.box_predictor.cls_score.", "roi_heads.box_predictor.bbox_pred.", "roi_heads.mask_predictor.mask_fcn_logits."];

    private const string Body = "backbone.body.";

    /// <summary>Loads weights read from <paramref name="path"/> (<see cref="WeightsFile.Read"/>) into <paramref name="model"/>; returns what was taken, for the run's log.</summary>
    /// <exception cref="CheckpointException">Not a kind of weights listed above, or weights that do not fit.</exception>
    public static string Apply(GeneralizedRCNN model, StateDict file, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(file);
        string detector = "detector weights";
        if (MmdetV1Weights.Recognizes(file))
        {
            file = MmdetV1Weights.ToTorchvisionNames(file, dctBackbone: model.Input.Channels is not null);
            detector = "the mmdetection v1 detector";
        }
        var current = ModuleState.Capture(model);
        bool IsCounter(string key) => key.EndsWith(".num_batches_tracked", StringComparison.Ordinal) && !current.ContainsKey(key);

        if (file.Keys.Any(key => key.StartsWith(Body, StringComparison.Ordinal)))
        {
            var weights = new StateDict(file.Where(entry => !IsCounter(entry.Key)));
            var fresh = ClassDependent.Where(prefix => DiffersInShape(weights, current, prefix)).ToList();
            bool KeptFresh(string key) => fresh.Any(prefix => key.StartsWith(prefix, StringComparison.Ordinal));
            // Strict on everything else: keys the model lacks, or lacks in the file, are a different model.
            ModuleState.Load(model, new StateDict(weights.Where(entry => !KeptFresh(entry.Key)).Concat(current.Where(entry => KeptFresh(entry.Key)))), path);
            return fresh.Count == 0
                ? $"{detector} from {path}"
                : $"{detector} from {path}; {string.Join(", ", fresh.Select(p => p.TrimEnd('.')))} fresh (the file has another class count)";
        }

        bool rgbClassifier = file.ContainsKey("layer1.0.conv1.weight");
        if (!rgbClassifier && !file.ContainsKey("model.0.0.conv1.weight"))
            throw new CheckpointException($"{path}: neither detector weights (backbone.body.*), a torchvision ResNet-50 (layer1.*) "
                + "nor a resnet50-dct classifier (model.0.*).");
        bool rgbDetector = model.Input.Channels is null;
        if (rgbDetector != rgbClassifier)
            throw new CheckpointException(rgbDetector
                ? $"{path}: a resnet50-dct classifier does not fit an RGB detector's backbone; start {model.GetName()} from a torchvision ResNet-50."
                : $"{path}: a torchvision RGB ResNet-50 does not fit a DCT backbone (no stem; layer1 takes the DCT channels); start from a resnet50-dct classifier.");
        var body = new StateDict(file
            .Where(entry => !entry.Key.StartsWith("fc.", StringComparison.Ordinal) && !entry.Key.EndsWith(".num_batches_tracked", StringComparison.Ordinal))
            .Select(entry => KeyValuePair.Create(Body + BodyKey(entry.Key), entry.Value)));
        var backbone = new StateDict(current.Where(entry => !entry.Key.StartsWith(Body, StringComparison.Ordinal)).Concat(body));
        ModuleState.Load(model, backbone, path);
        return $"backbone from the {(rgbClassifier ? "torchvision ResNet-50" : "resnet50-dct classifier")} in {path}; FPN and heads fresh";
    }

    /// <summary>The release's DCT ResNet names its stages model.0 .. model.3; torchvision's are layer1 .. layer4.</summary>
    private static string BodyKey(string key)
    {
        if (!key.StartsWith("model.", StringComparison.Ordinal))
            return key;
        int dot = key.IndexOf('.', "model.".Length);
        return dot > 0 && int.TryParse(key.AsSpan("model.".Length, dot - "model.".Length), out int stage) ? $"layer{stage + 1}{key[dot..]}" : key;
    }

    private static bool DiffersInShape(StateDict file, StateDict model, string prefix)
        => model.Where(entry => entry.Key.StartsWith(prefix, StringComparison.Ordinal))
            .Any(entry => file.TryGetValue(entry.Key, out var stored) && !stored.Shape.SequenceEqual(entry.Value.Shape));
}
