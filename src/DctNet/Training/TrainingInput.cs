using DctNet.Frequency;
using DctNet.Frequency.Imaging;
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

    /// <summary>
    /// DCT input (REFERENCE.md section 1): random-resized crop and flip, then the DCT steps; RGB input: torchvision's
    /// RandomResizedCrop and RandomHorizontalFlip. Validation resizes and centre-crops both.
    /// </summary>
    /// <exception cref="ArgumentException">An input without normalization, or RGB input normalized otherwise than with ImageNet's mean and std.</exception>
    public static TrainingInput For(ModelInput input)
    {
        var normalization = input.Normalization ?? throw new ArgumentException("Training needs a normalized input.", nameof(input));
        if (input is DctInput dct)
        {
            var transform = new DctTransform(dct.Geometry, dct.Channels, dct.Statistics);
            return new TrainingInput(transform.OutputShape, transform.TransformForTraining, transform.Transform, normalization);
        }
        // RgbTransform normalizes with ImageNet's mean and std, the only RGB normalization a fresh model resolves to.
        if (!normalization.Mean.SequenceEqual(InputNormalization.RgbImageNet.Mean) || !normalization.Std.SequenceEqual(InputNormalization.RgbImageNet.Std))
            throw new ArgumentException("RGB models train with ImageNet's mean and std.", nameof(input));
        var rgb = new RgbTransform(input.Geometry.Resize, input.Geometry.Crop);
        return new TrainingInput(rgb.OutputShape, rgb.TransformForTraining, rgb.Transform, normalization);
    }
}
