using TorchSharp;
using static TorchSharp.torch;

namespace DctNet.Detection.Ops;

/// <summary>
/// torchvision's roi_align (Mask R-CNN): each RoI cut into output bins, each bin the mean of sampling_ratio x
/// sampling_ratio bilinear samples, with the CPU kernel's exact rules - sample coordinates in float32, samples beyond
/// one pixel outside the map contribute zero, those within are clamped to the border; without <c>aligned</c> RoIs are at
/// least 1 x 1 and pixel centres sit on integer coordinates, with it they sit at +0.5 (no minimum size).
/// The sample positions and bilinear weights (<see cref="RoIAlignPlan"/>) are computed per RoI on the CPU. float32
/// features on the CPU go through <see cref="RoIAlignKernel"/>, a SIMD loop over the channels with its own backward;
/// anything else through <see cref="Gather"/>, tensor ops that libtorch differentiates on any device and the kernel's
/// reference. Either way the result is differentiable with respect to the features.
/// </summary>
public static class RoIAlign
{
    // Bounds the gathered (RoI, sample row, sample column, channel) block of one chunk (64 MB of float32).
    private const long GatheredElementsPerChunk = 16L << 20;

    /// <param name="features">(N, C, H, W).</param>
    /// <param name="rois">(K, 5): image index, x1, y1, x2, y2 in image coordinates.</param>
    /// <param name="spatialScale">Feature map size / image size (e.g. 1/4).</param>
    /// <param name="samplingRatio">Samples per bin along each axis; torchvision's adaptive mode (0) is not supported.</param>
    /// <returns>(K, C, outputHeight, outputWidth).</returns>
    public static Tensor Apply(Tensor features, Tensor rois, int outputHeight, int outputWidth, float spatialScale, int samplingRatio, bool aligned)
        => Apply(features, RoIAlignPlan.For(features, rois, outputHeight, outputWidth, spatialScale, samplingRatio,
            aligned ? RoIAlignPlan.Boxes.TorchvisionAligned : RoIAlignPlan.Boxes.Torchvision));

    /// <summary>
    /// mmdetection v1's roi_align (the release's detectors): an RoI ends one pixel after its x2, y2 (the "+1" convention),
    /// and is not made at least 1 x 1.
    /// </summary>
    /// <inheritdoc cref="Apply(Tensor, Tensor, int, int, float, int, bool)"/>
    public static Tensor ApplyMmdetV1(Tensor features, Tensor rois, int outputSize, float spatialScale, int samplingRatio)
        => Apply(features, RoIAlignPlan.For(features, rois, outputSize, outputSize, spatialScale, samplingRatio, RoIAlignPlan.Boxes.MmdetV1));

    private static Tensor Apply(Tensor features, RoIAlignPlan plan)
    {
        if (plan.Count == 0)
            return zeros([0, features.shape[1], plan.OutputHeight, plan.OutputWidth], features.dtype, features.device);
        return features.device_type == DeviceType.CPU && features.dtype == ScalarType.Float32
            ? RoIAlignKernel.Apply(features, plan)
            : Gather(features, plan);
    }

    /// <summary>
    /// The tensor-op path: every sample's four neighbours gathered (channels last) in chunks of RoIs, weighted and summed.
    /// </summary>
    internal static Tensor Gather(Tensor features, RoIAlignPlan plan)
    {
        long channels = features.shape[1], height = features.shape[2], width = features.shape[3];
        int rowSamples = plan.RowSamples, columnSamples = plan.ColumnSamples, ratio = plan.SamplingRatio;
        long perRoi = rowSamples * (long)columnSamples * channels;
        int chunk = (int)Math.Max(1, GatheredElementsPerChunk / perRoi);

        using var scope = NewDisposeScope();
        // (N*H*W, C): one gathered row per sample corner holds every channel.
        var pixels = features.permute(0, 2, 3, 1).reshape(-1, channels);
        var outputs = new List<Tensor>();
        for (int start = 0; start < plan.Count; start += chunk)
        {
            int size = Math.Min(chunk, plan.Count - start);
            Tensor Indices(long[] values, int perItem) => tensor(values.AsSpan(start * perItem, size * perItem).ToArray(), device: features.device);
            Tensor Weights(float[] values, int perItem) => tensor(values.AsSpan(start * perItem, size * perItem).ToArray(), device: features.device);
            var rows = Indices(plan.RowIndex, rowSamples).view(size, rowSamples, 1).Times(width)
                .Plus(Indices(plan.Image, 1).Times(height).Times(width).view(size, 1, 1));
            var flatIndex = rows.Plus(Indices(plan.ColumnIndex, columnSamples).view(size, 1, columnSamples)).view(-1);
            var gathered = pixels.index_select(0, flatIndex)
                .view(size, plan.OutputHeight, ratio * 2, plan.OutputWidth, ratio * 2, channels);
            var wy = Weights(plan.RowWeight, rowSamples).to(features.dtype).view(size, plan.OutputHeight, ratio * 2, 1, 1, 1);
            var wx = Weights(plan.ColumnWeight, columnSamples).to(features.dtype).view(size, 1, 1, plan.OutputWidth, ratio * 2, 1);
            var pooled = (gathered * wx).sum(4) * wy.squeeze(-1);
            outputs.Add(pooled.sum(2).permute(0, 3, 1, 2));
        }
        var result = (outputs.Count == 1 ? outputs[0] : cat(outputs, 0)).Over((long)ratio * ratio);
        return result.contiguous().MoveToOuterDisposeScope();
    }
}

/// <summary>
/// Where each RoI samples its feature map: per RoI its image and, along each axis, for every bin and sample, the two
/// neighbouring pixels (low, high) and their bilinear weights, both zero where the sample lies beyond one pixel outside
/// the map - the CPU kernel's bilinear_interpolate, in float32.
/// </summary>
internal sealed class RoIAlignPlan
{
    /// <summary>Where an RoI's bins lie: torchvision's aligned false / true, or mmdetection v1's "+1" ends.</summary>
    public enum Boxes
    {
        /// <summary>From x1 x scale to x2 x scale, at least 1 x 1.</summary>
        Torchvision,

        /// <summary>Both ends half a pixel earlier, no minimum size.</summary>
        TorchvisionAligned,

        /// <summary>From x1 x scale to (x2 + 1) x scale, no minimum size.</summary>
        MmdetV1,
    }

    private RoIAlignPlan(int count, int outputHeight, int outputWidth, int samplingRatio)
    {
        (Count, OutputHeight, OutputWidth, SamplingRatio) = (count, outputHeight, outputWidth, samplingRatio);
        Image = new long[count];
        RowIndex = new long[count * RowSamples];
        RowWeight = new float[count * RowSamples];
        ColumnIndex = new long[count * ColumnSamples];
        ColumnWeight = new float[count * ColumnSamples];
    }

    public int Count { get; }
    public int OutputHeight { get; }
    public int OutputWidth { get; }
    public int SamplingRatio { get; }

    /// <summary>Entries per RoI along y: (low, high) for each of OutputHeight x SamplingRatio samples.</summary>
    public int RowSamples => OutputHeight * SamplingRatio * 2;
    public int ColumnSamples => OutputWidth * SamplingRatio * 2;

    public long[] Image { get; }
    public long[] RowIndex { get; }
    public float[] RowWeight { get; }
    public long[] ColumnIndex { get; }
    public float[] ColumnWeight { get; }

    /// <exception cref="ArgumentException">An RoI names an image beyond the batch.</exception>
    public static RoIAlignPlan For(Tensor features, Tensor rois, int outputHeight, int outputWidth, float spatialScale, int samplingRatio, Boxes boxes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(samplingRatio);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(outputHeight);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(outputWidth);
        long batch = features.shape[0], height = features.shape[2], width = features.shape[3];
        var plan = new RoIAlignPlan((int)rois.shape[0], outputHeight, outputWidth, samplingRatio);
        if (plan.Count == 0)
            return plan;
        float[] roiValues = rois.detach().to(ScalarType.Float32).cpu().contiguous().data<float>().ToArray();
        float offset = boxes == Boxes.TorchvisionAligned ? 0.5f : 0f;
        float endPixel = boxes == Boxes.MmdetV1 ? 1f : 0f;
        for (int r = 0; r < plan.Count; r++)
        {
            var roi = roiValues.AsSpan(r * 5, 5);
            long image = (long)roi[0];
            if (image < 0 || image >= batch)
                throw new ArgumentException($"RoI {r} names image {roi[0]} of a batch of {batch}.", nameof(rois));
            plan.Image[r] = image;
            float startX = roi[1] * spatialScale - offset, startY = roi[2] * spatialScale - offset;
            float endX = (roi[3] + endPixel) * spatialScale - offset, endY = (roi[4] + endPixel) * spatialScale - offset;
            float roiWidth = endX - startX, roiHeight = endY - startY;
            float minimum = boxes == Boxes.Torchvision ? 1f : boxes == Boxes.MmdetV1 ? 0f : float.NegativeInfinity;
            roiWidth = Math.Max(roiWidth, minimum);
            roiHeight = Math.Max(roiHeight, minimum);
            Samples(startY, roiHeight / outputHeight, outputHeight, samplingRatio, height,
                plan.RowIndex.AsSpan(r * plan.RowSamples, plan.RowSamples), plan.RowWeight.AsSpan(r * plan.RowSamples, plan.RowSamples));
            Samples(startX, roiWidth / outputWidth, outputWidth, samplingRatio, width,
                plan.ColumnIndex.AsSpan(r * plan.ColumnSamples, plan.ColumnSamples), plan.ColumnWeight.AsSpan(r * plan.ColumnSamples, plan.ColumnSamples));
        }
        return plan;
    }

    private static void Samples(float start, float binSize, int bins, int grid, long size, Span<long> index, Span<float> weight)
    {
        int slot = 0;
        for (int bin = 0; bin < bins; bin++)
        {
            for (int sample = 0; sample < grid; sample++)
            {
                float position = start + bin * binSize + (sample + .5f) * binSize / grid;
                if (position < -1.0 || position > size)
                {
                    index[slot] = index[slot + 1] = 0;
                    weight[slot] = weight[slot + 1] = 0f;
                    slot += 2;
                    continue;
                }
                if (position <= 0)
                    position = 0;
                long low = (long)position, high;
                if (low >= size - 1)
                {
                    high = low = size - 1;
                    position = low;
                }
                else
                {
                    high = low + 1;
                }
                float fraction = position - low;
                index[slot] = low;
                weight[slot] = (float)(1.0 - fraction);
                index[slot + 1] = high;
                weight[slot + 1] = fraction;
                slot += 2;
            }
        }
    }
}
