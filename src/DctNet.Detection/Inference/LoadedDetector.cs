using DctNet.Checkpoints;
using DctNet.Detection.Coco;
using DctNet.Detection.Modeling;
using DctNet.Frequency.Channels;
using DctNet.Inference;

namespace DctNet.Detection.Inference;

/// <summary>Which detector to run with which weights; what is left null follows the weights.</summary>
/// <param name="Weights">A DctNet detection checkpoint, a <c>train-det</c> run directory (<see cref="RunDirectory"/>), an
/// mmdetection v1 file of the release, or a PyTorch file with torchvision's names.</param>
public sealed record DetectorRequest(string Weights)
{
    /// <summary>The detection model; required for torchvision-style weights, which do not name theirs.</summary>
    public DetectionModelDefinition? Model { get; init; }

    /// <summary>-dct models: the channel subset; null for the weights' own, else DCT-<see cref="Models.ModelRegistry.DefaultChannelCount"/>.</summary>
    public ChannelSubset? Channels { get; init; }

    /// <summary>The test-time algorithms; null for the weights' (mmdetection v1's for the release's files, else torchvision's).</summary>
    public ITestTimePolicy? TestTime { get; init; }

    /// <summary>
    /// What computes the backbone and FPN in inference: libtorch, or ONNX Runtime on their export
    /// (<see cref="GeneralizedRCNN.RunBackboneOnOnnxRuntime"/>); the RPN and RoI heads run on libtorch either way.
    /// </summary>
    public InferenceEngine Engine { get; init; } = InferenceEngine.Torch;

}

/// <summary>
/// A detection model with weights loaded strictly from a file, in evaluation mode, and what the file says its labels
/// mean - the detection counterpart of <see cref="InferenceModel"/>.
/// </summary>
public sealed class LoadedDetector : IDisposable
{
    private LoadedDetector(GeneralizedRCNN model, string weightsPath, IReadOnlyList<CocoCategory>? categories)
    {
        Model = model;
        WeightsPath = weightsPath;
        Categories = categories;
    }

    /// <summary>The network; owned by this object.</summary>
    public GeneralizedRCNN Model { get; }

    /// <summary>The file the weights were read from (a run directory's checkpoint when a directory was given).</summary>
    public string WeightsPath { get; }

    /// <summary>The categories in label order (label k + 1 is category k); null for torchvision's 91-class COCO layout, where the label is the category id.</summary>
    public IReadOnlyList<CocoCategory>? Categories { get; }

    public string NameOf(int label) => Categories is null ? CocoCategoryNames.NameOf(label) : Categories[label - 1].Name;

    public int CategoryIdOf(int label) => Categories is null ? label : Categories[label - 1].Id;

    /// <summary>
    /// Builds the detector the weights describe and loads them: a DctNet detection checkpoint brings its model,
    /// categories, channels, scale and statistics; an mmdetection v1 file of the release its model, channels and COCO's
    /// 80 categories; torchvision-style weights need <see cref="DetectorRequest.Model"/>.
    /// </summary>
    /// <exception cref="ModelRequestException">The request contradicts the weights, or names no model for weights that do not name theirs.</exception>
    /// <exception cref="CheckpointException">The weights cannot be read, are unsafe, or do not fit the model (strict matching).</exception>
    /// <exception cref="ArgumentException">Channels the model does not take.</exception>
    public static LoadedDetector Load(DetectorRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        string path = RunDirectory.ResolveWeights(request.Weights);
        var contents = WeightsFile.Read(path);
        var trained = DetectionCheckpoint.MetadataOf(contents, path);
        bool release = trained is null && MmdetV1Weights.Recognizes(contents.Weights);
        var model = trained is not null ? FromCheckpoint(trained, request, path)
            : release ? FromRelease(contents.Weights, request, path)
            : DetectionModels.Create((request.Model ?? throw new ModelRequestException($"{path} holds torchvision-style weights without DctNet detection metadata; "
                + "the detection model must be named.")).Name, channels: request.Channels);
        try
        {
            DetectionModels.LoadWeights(model, contents.Weights, path);
            if (request.TestTime is { } testTime)
                model.TestTime = testTime;
            model.eval();
            if (request.Engine == InferenceEngine.OnnxRuntime)
                model.RunBackboneOnOnnxRuntime(threads: 0);
            return new LoadedDetector(model, path, trained?.Categories ?? (release ? MmdetV1Weights.CocoCategories : null));
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    public void Dispose() => Model.Dispose();

    private static GeneralizedRCNN FromCheckpoint(DetectionCheckpointMetadata trained, DetectorRequest request, string path)
    {
        RefuseContradictions(request, path, "the checkpoint", trained.Model,
            channels => trained.Channels is { } held && channels.Channels.SequenceEqual(held.Channels),
            $"the checkpoint was trained on {(trained.Channels is null ? "RGB images" : $"channels {trained.Channels.Name}")}", "checkpoint's");
        return DetectionModels.Create(trained.Model, trained.Classes, channels: trained.Channels, scale: trained.Scale, statistics: trained.Statistics);
    }

    private static GeneralizedRCNN FromRelease(StateDict weights, DetectorRequest request, string path)
    {
        var (held, dctChannels) = MmdetV1Weights.ModelOf(weights, path);
        RefuseContradictions(request, path, "the mmdetection v1 file", held, channels => channels.Count == dctChannels,
            $"the mmdetection v1 file's backbone takes {(dctChannels is { } c ? $"{c} DCT channels" : "RGB images")}", "file's");
        return MmdetV1Weights.CreateModel(weights, path);
    }

    /// <summary>Refuses a model or channels the request names that are not those of the weights (<paramref name="file"/>).</summary>
    private static void RefuseContradictions(DetectorRequest request, string path, string file, string heldModel,
        Func<ChannelSubset, bool> channelsFit, string heldInput, string own)
    {
        if (request.Model is { } model && !string.Equals(model.Name, heldModel, StringComparison.OrdinalIgnoreCase))
            throw new ModelRequestException($"{path}: {file} holds a {heldModel} model, but {model.Name} was asked for.");
        if (request.Channels is { } channels && !channelsFit(channels))
            throw new ModelRequestException($"{path}: {heldInput}, but channels {channels.Name} were asked for; leave the channels out to use the {own}.");
    }
}
