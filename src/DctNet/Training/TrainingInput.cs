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

    /// <summary>DCT input (REFERENCE.md section 1): random-resized crop and flip, then the DCT steps, normalized with the release's ImageNet statistics.</summary>
    public static TrainingInput ForDct(DctInput input)
    {
        var transform = new DctTransform(input.Geometry, input.Channels, ChannelStatistics.ImageNet);
        return new TrainingInput(transform.OutputShape, transform.TransformForTraining, transform.Transform, InputNormalization.From(ChannelStatistics.ImageNet));
    }

    /// <summary>
    /// torchvision's RGB recipe. Augmentation here is the horizontal flip alone (of the validation crop): the
    /// Frequency library has no RGB random-resized crop yet.
    /// </summary>
    public static TrainingInput ForRgb(RgbInput input)
    {
        var pipeline = ImagePipeline.ForRgb(input);
        int crop = input.Crop;
        return new TrainingInput(pipeline.Shape, (image, random, destination) =>
        {
            pipeline.Transform(image, destination);
            if (random.NextDouble() < 0.5)
                FlipHorizontally(destination, crop);
        }, pipeline.Transform, InferenceModel.RgbImageNetNormalization);
    }

    public static TrainingInput For(ModelInput input) => input switch
    {
        DctInput dct => ForDct(dct),
        RgbInput rgb => ForRgb(rgb),
        _ => throw new ArgumentException($"No training input for {input}.", nameof(input)),
    };

    private static void FlipHorizontally(Span<float> planes, int side)
    {
        for (int row = 0; row < planes.Length / side; row++)
            planes.Slice(row * side, side).Reverse();
    }
}
