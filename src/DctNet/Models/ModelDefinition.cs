using DctNet.Checkpoints;
using DctNet.Frequency;
using DctNet.Frequency.Channels;
using DctNet.Frequency.Geometry;
using DctNet.Inference;
using DctNet.Platform;
using static TorchSharp.torch;

namespace DctNet.Models;

/// <summary>A named model of <see cref="ModelRegistry"/>: how to build it and what input it takes.</summary>
public sealed class ModelDefinition : IRegisteredModel
{
    /// <summary>Builds the model from (channels, classes, gate); channels and gate are 0 and false for RGB models.</summary>
    private readonly Func<int, int, bool, nn.Module<Tensor, Tensor>> build;

    internal ModelDefinition(string name, string description, CropGeometry? dctGeometry, Func<int, int, bool, nn.Module<Tensor, Tensor>> build)
    {
        Name = name;
        Description = description;
        DefaultInput = dctGeometry is null
            ? RgbInput.ImageNet
            : new DctInput(dctGeometry, ChannelSubset.BuiltIn(ModelRegistry.DefaultChannelCount), InputNormalization.From(ChannelStatistics.ImageNet));
        this.build = build;
    }

    public string Name { get; }
    public string Description { get; }

    /// <summary>
    /// The model's own input, what nothing else overrides: DCT-<see cref="ModelRegistry.DefaultChannelCount"/> at 56 x 56
    /// blocks for ResNets and 112 x 112 for MobileNetV2, normalized with the release's ImageNet statistics; torchvision's
    /// ImageNet recipe for RGB models.
    /// </summary>
    public ModelInput DefaultInput { get; }

    public bool TakesDct => DefaultInput is DctInput;

    /// <summary>
    /// The input the model is built and fed with, resolved once, as timm's resolve_data_config does: what was
    /// <paramref name="asked"/>, else what the <paramref name="weights"/> record, else <see cref="DefaultInput"/> (all 192
    /// channels for weights with an input gate).
    /// </summary>
    /// <param name="weights">A DctNet checkpoint's metadata; null for fresh weights or a file without it.</param>
    /// <param name="gate">The model has the input gate.</param>
    /// <param name="source">The weights' path, for the messages.</param>
    /// <exception cref="ArgumentException">Channels or statistics asked of an RGB model, or a geometry out of range.</exception>
    /// <exception cref="ModelRequestException">The request contradicts the weights' channels or normalization.</exception>
    /// <exception cref="CheckpointException">The weights record a normalization of the wrong size.</exception>
    public ModelInput ResolveInput(InputRequest asked, CheckpointMetadata? weights = null, bool gate = false, string? source = null)
    {
        ArgumentNullException.ThrowIfNull(asked);
        asked.Geometry?.Validate();
        var geometry = asked.Geometry ?? weights?.Geometry ?? DefaultInput.Geometry;
        if (DefaultInput is not DctInput own)
        {
            if (asked.Channels is not null)
                throw new ArgumentException($"{Name} takes RGB images; channel subsets are for the DCT models.", nameof(asked));
            if (asked.Statistics is not null)
                throw new ArgumentException($"{Name} takes RGB images; DCT channel statistics are for the DCT models.", nameof(asked));
            if (asked.Pipeline is not null)
                throw new ArgumentException($"{Name} takes RGB images; the DCT pipelines (exact, jpeg) are for the DCT models.", nameof(asked));
            return new RgbInput(geometry, weights is null ? DefaultInput.Normalization : Recorded(weights, null, source));
        }
        var saved = weights?.Channels;
        if (asked.Channels is not null && saved is not null && !asked.Channels.Channels.SequenceEqual(saved.Channels))
            throw new ModelRequestException($"{source}: the checkpoint was trained on channels {Describe(saved)}, but channels {Describe(asked.Channels)} were asked for; leave the channels out to use the checkpoint's.");
        var channels = asked.Channels ?? saved ?? (gate ? ChannelSubset.All : own.Channels);
        var pipeline = ResolvePipeline(asked.Pipeline, weights, source);
        var statistics = asked.Statistics is null ? null : InputNormalization.From(asked.Statistics);
        var ownNormalization = pipeline == DctPipeline.Jpeg ? InputNormalization.From(ChannelStatistics.ImageNetJpeg) : own.Normalization;
        return new DctInput(geometry, channels, weights is null ? statistics ?? ownNormalization : Recorded(weights, statistics, source), pipeline);
    }

    /// <summary>
    /// What was asked, else what a DctNet checkpoint records (its absence means exact: every checkpoint before the JPEG
    /// pipeline, and the release's); a checkpoint is never fed the other pipeline's input, however it is asked.
    /// </summary>
    private static DctPipeline ResolvePipeline(DctPipeline? asked, CheckpointMetadata? weights, string? source)
    {
        if (weights is null)
            return asked ?? DctPipeline.Exact;
        var recorded = weights.Pipeline;
        if (asked is { } wanted && wanted != recorded)
            throw new ModelRequestException($"{source}: the checkpoint was trained on the {DctFileTransform.Name(recorded)} pipeline's input, but the "
                + $"{DctFileTransform.Name(wanted)} pipeline was asked for; leave the pipeline out to use the checkpoint's.");
        return recorded;
    }

    /// <summary>A checkpoint's normalization (null: it was trained on raw input), which a request may repeat but not change.</summary>
    private InputNormalization? Recorded(CheckpointMetadata weights, InputNormalization? asked, string? source)
    {
        if (asked is not null && (weights.Normalization is not { } recorded || !recorded.Mean.SequenceEqual(asked.Mean) || !recorded.Std.SequenceEqual(asked.Std)))
            throw new ModelRequestException($"{source}: the checkpoint records the normalization it was trained with, and other statistics were asked for; leave the statistics out to use the checkpoint's.");
        if (weights.Normalization is { } saved)
        {
            int expected = TakesDct ? ChannelSubset.TotalChannels : 3;
            if (saved.Mean.Count != expected || saved.Std.Count != expected || saved.Std.Any(s => !(s > 0) || double.IsInfinity(s)))
                throw new CheckpointException($"{source}: the metadata's normalization needs {expected} means and {expected} positive, finite standard deviations for {Name}.");
        }
        return weights.Normalization;
    }

    /// <summary>A freshly initialized model (torchvision's and the release's initialization).</summary>
    /// <param name="channels">DCT models: the channel subset, <see cref="DefaultInput"/>'s when null. RGB models: must be null.</param>
    /// <param name="classes">Outputs of the classifier.</param>
    /// <param name="gate">Put the input gate in front: DCT models with all 192 channels only. The model is then a
    /// <see cref="DctModel"/> whose <see cref="DctModel.ForwardWithGates"/> also returns the gates.</param>
    public nn.Module<Tensor, Tensor> Create(ChannelSubset? channels = null, int classes = 1000, bool gate = false)
    {
        KernelProtection.QuietLibTorch();
        if (DefaultInput is not DctInput own)
        {
            if (channels is not null)
                throw new ArgumentException($"{Name} takes RGB images; channel subsets are for the DCT models ({Name}-dct, ...).", nameof(channels));
            return gate
                ? throw new ArgumentException($"{Name} takes RGB images; the input gate is for DCT models with all 192 channels.", nameof(gate))
                : build(0, classes, false);
        }
        return build((channels ?? own.Channels).Count, classes, gate);
    }

    /// <summary>Parameters, MACs per image and input shape of the model built for <paramref name="input"/> (<see cref="DefaultInput"/> when null).</summary>
    public ModelInfo Info(ModelInput? input = null, int classes = 1000, bool gate = false)
    {
        input ??= DefaultInput;
        using var model = Create((input as DctInput)?.Channels, classes, gate);
        return ModelInfo.Measure(model, input.Shape);
    }

    internal static string Describe(ChannelSubset channels) => channels.Name == channels.Count.ToString(System.Globalization.CultureInfo.InvariantCulture)
        ? channels.Name
        : $"{channels.Name} ({channels.Count} channels)";
}
