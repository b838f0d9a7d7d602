using DctNet.Frequency.Channels;
using DctNet.Frequency.Geometry;
using DctNet.Platform;
using static TorchSharp.torch;

namespace DctNet.Models;

/// <summary>A named model of <see cref="ModelRegistry"/>: how to build it and what input it takes.</summary>
public sealed class ModelDefinition
{
    /// <summary>Builds the model from (channels, classes, gate); channels and gate are 0 and false for RGB models.</summary>
    private readonly Func<int, int, bool, nn.Module<Tensor, Tensor>> build;

    internal ModelDefinition(string name, string description, CropGeometry? dctGeometry, Func<int, int, bool, nn.Module<Tensor, Tensor>> build)
    {
        Name = name;
        Description = description;
        DctGeometry = dctGeometry;
        this.build = build;
    }

    public string Name { get; }
    public string Description { get; }

    /// <summary>The crop geometry of the model's DCT input (56 x 56 blocks for ResNets, 112 x 112 for MobileNetV2); null for RGB models.</summary>
    public CropGeometry? DctGeometry { get; }

    public bool TakesDct => DctGeometry is not null;

    /// <summary>The model's input for one image.</summary>
    /// <param name="channels">DCT models: the channel subset, DCT-<see cref="ModelRegistry.DefaultChannelCount"/> when null. RGB models: must be null.</param>
    /// <param name="geometry">Resize and crop in pixels, for inputs smaller or larger than ImageNet's (the networks
    /// are fully convolutional up to their global pooling); null for the model's own (<see cref="DctGeometry"/>, or 256/224 for RGB).</param>
    public ModelInput Input(ChannelSubset? channels = null, CropGeometry? geometry = null)
    {
        geometry?.Validate();
        if (DctGeometry is null)
        {
            if (channels is not null)
                throw new ArgumentException($"{Name} takes RGB images; channel subsets are for the DCT models ({Name}-dct, ...).", nameof(channels));
            return geometry is null ? RgbInput.ImageNet : new RgbInput(geometry.Resize, geometry.Crop);
        }
        return new DctInput(geometry ?? DctGeometry, channels ?? ChannelSubset.BuiltIn(ModelRegistry.DefaultChannelCount));
    }

    /// <summary>A freshly initialized model (torchvision's and the release's initialization).</summary>
    /// <param name="channels">DCT models: the channel subset, DCT-<see cref="ModelRegistry.DefaultChannelCount"/> when null. RGB models: must be null.</param>
    /// <param name="classes">Outputs of the classifier.</param>
    /// <param name="gate">Put the input gate in front: DCT models with all 192 channels only. The model is then a
    /// <see cref="DctModel"/> whose <see cref="DctModel.ForwardWithGates"/> also returns the gates.</param>
    public nn.Module<Tensor, Tensor> Create(ChannelSubset? channels = null, int classes = 1000, bool gate = false)
    {
        KernelProtection.QuietLibTorch();
        var input = Input(channels);
        if (gate && input is not DctInput)
            throw new ArgumentException($"{Name} takes RGB images; the input gate is for DCT models with all 192 channels.", nameof(gate));
        return build(input is DctInput dct ? dct.Channels.Count : 0, classes, gate);
    }

    /// <summary>Parameters, MACs per image and input shape of the model built with these arguments.</summary>
    public ModelInfo Info(ChannelSubset? channels = null, int classes = 1000, bool gate = false, CropGeometry? geometry = null)
    {
        using var model = Create(channels, classes, gate);
        return ModelInfo.Measure(model, Input(channels, geometry).Shape);
    }
}
