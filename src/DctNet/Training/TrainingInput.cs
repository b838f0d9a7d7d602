using DctNet.Checkpoints;
using DctNet.Frequency;
using DctNet.Frequency.Channels;
using DctNet.Frequency.Imaging;
using DctNet.Inference;
using DctNet.Models;

namespace DctNet.Training;

/// <summary>What a model is trained on: the sample shape, the augmented training transform and the validation transform.</summary>
public sealed class TrainingInput(int[] shape, TrainingInput.AugmentedTransform train, Action<RgbImage, Span<float>> validate, InputNormalization normalization)
{
    /// <summary>Fills one sample from a decoded image with the sample's own random stream.</summary>
    public delegate void AugmentedTransform(RgbImage image, Random random, Span<float> destination);

    /// <summary>C x H x W of one sample.</summary>
    public int[] Shape { get; } = shape;

    public AugmentedTransform Train { get; } = train;

    public Action<RgbImage, Span<float>> Validate { get; } = validate;

    /// <summary>The normalization the checkpoints record.</summary>
    public InputNormalization Normalization { get; } = normalization;

    /// <summary>DCT input (REFERENCE.md section 1): random-resized crop and flip, then the DCT steps, normalized with <paramref name="statistics"/>.</summary>
    public static TrainingInput ForDct(DctInput input, ChannelStatistics statistics)
    {
        var transform = new DctTransform(input.Geometry, input.Channels, statistics);
        return new TrainingInput(transform.OutputShape, transform.TransformForTraining, transform.Transform, InputNormalization.From(statistics));
    }

    /// <summary>torchvision's RGB recipe: RandomResizedCrop and RandomHorizontalFlip for training, resize and centre crop for validation, ImageNet mean and std.</summary>
    public static TrainingInput ForRgb(RgbInput input)
    {
        var transform = new RgbTransform(input.Resize, input.Crop);
        return new TrainingInput(transform.OutputShape, transform.TransformForTraining, transform.Transform, InferenceModel.RgbImageNetNormalization);
    }

    /// <param name="statistics">DCT input: the normalization, the release's ImageNet statistics when null. RGB input: must be null.</param>
    public static TrainingInput For(ModelInput input, ChannelStatistics? statistics = null) => input switch
    {
        DctInput dct => ForDct(dct, statistics ?? ChannelStatistics.ImageNet),
        RgbInput rgb when statistics is null => ForRgb(rgb),
        RgbInput => throw new ArgumentException("DCT channel statistics are for DCT models; RGB models use ImageNet's mean and std.", nameof(statistics)),
        _ => throw new ArgumentException($"No training input for {input}.", nameof(input)),
    };
}
