using TorchSharp;
using static TorchSharp.torch;

namespace DctNet.Detection.Ops;

/// <summary>
/// torchvision's MultiScaleRoIAlign: each box pooled by <see cref="RoIAlign"/> from the FPN level that
/// <see cref="LevelMapper"/> gives it, with the levels' scales inferred from the feature and image sizes.
/// </summary>
public sealed class MultiScaleRoIAlign(int outputSize, int samplingRatio, bool aligned = false)
{
    public int OutputSize { get; } = outputSize;

    /// <param name="features">The pooled levels, finest first (FPN's P2..P5).</param>
    /// <param name="boxes">Per image, (n_i, 4) boxes in the coordinates of the resized image.</param>
    /// <param name="imageSizes">The resized (unpadded) image sizes.</param>
    /// <returns>(sum n_i, C, size, size), boxes in image order.</returns>
    public Tensor Apply(IReadOnlyList<Tensor> features, IReadOnlyList<Tensor> boxes, IReadOnlyList<(long Height, long Width)> imageSizes)
    {
        using var scope = NewDisposeScope();
        long maxHeight = imageSizes.Max(s => s.Height), maxWidth = imageSizes.Max(s => s.Width);
        float[] scales = [.. features.Select(f => InferScale(f.shape[2], maxHeight))];
        var mapper = new LevelMapper((int)-MathF.Log2(scales[0]), (int)-MathF.Log2(scales[^1]));

        var rois = cat(boxes.Select((b, i) => cat([full(b.shape[0], 1, i, b.dtype), b], 1)).ToList(), 0);
        var allBoxes = cat(boxes.ToList(), 0);
        long channels = features[0].shape[1];
        var result = zeros([rois.shape[0], channels, OutputSize, OutputSize], features[0].dtype);
        if (features.Count == 1)
            return RoIAlign.Apply(features[0], rois, OutputSize, OutputSize, scales[0], samplingRatio, aligned).MoveToOuterDisposeScope();
        var levels = mapper.Map(allBoxes);
        for (int level = 0; level < features.Count; level++)
        {
            using Scalar levelIndex = level;
            var inLevel = levels.eq(levelIndex).nonzero().view(-1);
            if (inLevel.shape[0] == 0)
                continue;
            var pooled = RoIAlign.Apply(features[level], rois.index_select(0, inLevel), OutputSize, OutputSize, scales[level], samplingRatio, aligned);
            result = result.index_copy(0, inLevel, pooled);
        }
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>_infer_scale: 2^round(log2(feature size / image size)), in float32 as torchvision rounds it.</summary>
    private static float InferScale(long featureSize, long imageSize)
        => MathF.Pow(2, MathF.Round(MathF.Log2((float)((double)featureSize / imageSize)), MidpointRounding.ToEven));
}
