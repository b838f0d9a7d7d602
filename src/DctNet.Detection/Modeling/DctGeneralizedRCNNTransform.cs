using DctNet.Frequency.Channels;
using DctNet.Frequency.Detection;
using DctNet.Frequency.Imaging;
using static TorchSharp.torch;

namespace DctNet.Detection.Modeling;

/// <summary>
/// The input of a backbone on DCT coefficients, <see cref="GeneralizedRCNNTransform"/>'s counterpart: each image's
/// <see cref="DetectionDctTransform"/> input (the release's mmdetection v1 pipeline), zero-padded into one batch on the
/// block grid, 1/4 of the padded images; training targets rescaled by the input's factor, then flipped with their
/// image; detections divided by the factor, as mmdetection maps them back.
/// </summary>
public sealed class DctGeneralizedRCNNTransform : IDetectionInput
{
    public DctGeneralizedRCNNTransform(DetectionDctTransform transform)
    {
        ArgumentNullException.ThrowIfNull(transform);
        Transform = transform;
    }

    /// <summary>The coefficients of one image, and the geometry that maps detections back.</summary>
    public DetectionDctTransform Transform { get; }

    public ChannelSubset Channels => Transform.Channels;

    public ChannelStatistics? Statistics => Transform.Statistics;

    /// <summary>The image's coefficients (<see cref="DetectionDctTransform.Transform"/>).</summary>
    public PreparedImage Prepare(RgbImage image, bool flip = false)
    {
        ArgumentNullException.ThrowIfNull(image);
        return new Coefficients((image.Height, image.Width), flip, Transform.Transform(image, flip));
    }

    /// <inheritdoc/>
    public PreparedImage Prepare(Tensor image)
    {
        ArgumentNullException.ThrowIfNull(image);
        using var scope = NewDisposeScope();
        var bytes = image.permute(1, 2, 0).mul(HeldScalars.ByteMax).to(ScalarType.Byte).contiguous().data<byte>().ToArray();
        return Prepare(new RgbImage((int)image.shape[2], (int)image.shape[1], bytes));
    }

    /// <inheritdoc/>
    public (ImageBatch Batch, IReadOnlyList<DetectionTarget> Targets) Batch(IReadOnlyList<PreparedImage> images, IReadOnlyList<DetectionTarget>? targets, Device? device)
    {
        ArgumentNullException.ThrowIfNull(images);
        var inputs = images.Select(image => ((Coefficients)image).Input).ToList();
        if (inputs.Count == 0 || (targets is not null && inputs.Count != targets.Count))
            throw new ArgumentException($"{targets?.Count ?? 0} targets for {inputs.Count} inputs; a batch needs at least one image.", nameof(targets));
        int rows = inputs.Max(i => i.BlockRows), columns = inputs.Max(i => i.BlockColumns);
        var batch = zeros([inputs.Count, inputs[0].Channels, rows, columns], device: device);
        for (int i = 0; i < inputs.Count; i++)
        {
            var input = inputs[i];
            batch[i, TensorIndex.Colon, TensorIndex.Slice(0, input.BlockRows), TensorIndex.Slice(0, input.BlockColumns)]
                .copy_(tensor(input.Values, [input.Channels, input.BlockRows, input.BlockColumns], device: device));
        }
        var resized = targets?.Select((target, i) =>
        {
            var input = inputs[i];
            var scaled = target.Resized((float)input.Scale, (float)input.Scale, (input.ResizedHeight, input.ResizedWidth));
            return images[i].Flipped ? scaled.FlippedHorizontally(input.ResizedWidth) : scaled;
        }).ToList();
        return (new ImageBatch(batch, [.. inputs.Select(i => ((long)i.ResizedHeight, (long)i.ResizedWidth))], DetectionDctTransform.BlockStride), resized ?? []);
    }

    /// <summary>Boxes divided by the input's rescale factor (multiplied by its float32 reciprocal); masks pasted into the original image.</summary>
    public Detections Postprocess(Detections detections, PreparedImage image, (long Height, long Width) resized)
    {
        float ratio = (float)(1 / ((Coefficients)image).Input.Scale);
        return GeneralizedRCNNTransform.Postprocess(detections, ratio, ratio, image.Size);
    }

    /// <summary>The coefficients as a batch of one: the DCT input is mmdetection v1's pipeline already.</summary>
    public (Tensor Input, (long Height, long Width) Resized, double Scale) MmdetV1Input(RgbImage image, Device device)
    {
        var input = Transform.Transform(image);
        return (tensor(input.Values, [1, input.Channels, input.BlockRows, input.BlockColumns], device: device), (input.ResizedHeight, input.ResizedWidth), input.Scale);
    }

    private sealed record Coefficients((long Height, long Width) Size, bool Flipped, DetectionDctInput Input) : PreparedImage(Size, Flipped);
}
