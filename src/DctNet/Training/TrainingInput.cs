using DctNet.Frequency;
using DctNet.Frequency.Imaging;
using DctNet.Models;

namespace DctNet.Training;

/// <summary>What a model is trained on: the sample shape, the augmented training transform and the validation transform.</summary>
public sealed class TrainingInput(int[] shape, TrainingInput.AugmentedTransform train, Action<string, Span<float>> validate, InputNormalization normalization)
{
    /// <summary>Fills one sample from an image file with the sample's own random stream.</summary>
    public delegate void AugmentedTransform(string path, Random random, Span<float> destination);

    /// <summary>C x H x W of one sample.</summary>
    public int[] Shape { get; } = shape;

    public AugmentedTransform Train { get; } = train;

    public Action<string, Span<float>> Validate { get; } = validate;

    /// <summary>The normalization the checkpoints record.</summary>
    public InputNormalization Normalization { get; } = normalization;

    /// <summary>
    /// DCT input, exact pipeline (REFERENCE.md section 1): random-resized crop and flip, then the DCT steps; JPEG pipeline:
    /// a window at a random block position and a flip, on the file's coefficients. RGB input: torchvision's
    /// RandomResizedCrop and RandomHorizontalFlip. Validation takes the centred crop or window.
    /// </summary>
    /// <exception cref="ArgumentException">An input without normalization, or RGB input normalized otherwise than with ImageNet's mean and std.</exception>
    public static TrainingInput For(ModelInput input, ImageDecoder? decoder = null)
    {
        var normalization = input.Normalization ?? throw new ArgumentException("Training needs a normalized input.", nameof(input));
        decoder ??= new ImageDecoder();
        if (input is DctInput dct)
        {
            var transform = new DctFileTransform(dct.Pipeline, dct.Geometry, dct.Channels, dct.Statistics, decoder);
            return new TrainingInput(transform.OutputShape, transform.TransformForTraining, transform.Transform, normalization);
        }
        // RgbTransform normalizes with ImageNet's mean and std, the only RGB normalization a fresh model resolves to.
        if (!normalization.Mean.SequenceEqual(InputNormalization.RgbImageNet.Mean) || !normalization.Std.SequenceEqual(InputNormalization.RgbImageNet.Std))
            throw new ArgumentException("RGB models train with ImageNet's mean and std.", nameof(input));
        var rgb = new RgbTransform(input.Geometry.Resize, input.Geometry.Crop);
        return new TrainingInput(rgb.OutputShape, (path, random, destination) => rgb.TransformForTraining(decoder.DecodeFile(path), random, destination),
            (path, destination) => rgb.Transform(decoder.DecodeFile(path), destination), normalization);
    }
}
