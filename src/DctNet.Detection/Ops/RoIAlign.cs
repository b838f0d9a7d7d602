using static TorchSharp.torch;

namespace DctNet.Detection.Ops;

/// <summary>
/// torchvision's roi_align (Mask R-CNN): each RoI cut into output bins, each bin the mean of sampling_ratio x
/// sampling_ratio bilinear samples, with the CPU kernel's exact rules - sample coordinates in float32, samples beyond
/// one pixel outside the map contribute zero, those within are clamped to the border; without <c>aligned</c> RoIs are at
/// least 1 x 1 and pixel centres sit on integer coordinates, with it they sit at +0.5 (no minimum size).
/// The sample positions and bilinear weights are computed per RoI on the CPU; the features are gathered and weighted
/// with tensor ops, so the result is differentiable with respect to the features.
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
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(samplingRatio);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(outputHeight);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(outputWidth);
        long batch = features.shape[0], channels = features.shape[1], height = features.shape[2], width = features.shape[3];
        long count = rois.shape[0];
        if (count == 0)
            return zeros([0, channels, outputHeight, outputWidth], features.dtype);

        float[] roiValues = rois.detach().to(ScalarType.Float32).cpu().contiguous().data<float>().ToArray();
        int rowSamples = outputHeight * samplingRatio * 2, columnSamples = outputWidth * samplingRatio * 2;
        long perRoi = rowSamples * (long)columnSamples * channels;
        long chunk = Math.Max(1, GatheredElementsPerChunk / perRoi);

        using var scope = NewDisposeScope();
        // (N*H*W, C): one gathered row per sample corner holds every channel.
        var pixels = features.permute(0, 2, 3, 1).reshape(-1, channels);
        var outputs = new List<Tensor>();
        for (long start = 0; start < count; start += chunk)
        {
            int size = (int)Math.Min(chunk, count - start);
            var rowIndex = new long[size * rowSamples];
            var rowWeight = new float[size * rowSamples];
            var columnIndex = new long[size * columnSamples];
            var columnWeight = new float[size * columnSamples];
            var imageOffset = new long[size];
            for (int r = 0; r < size; r++)
            {
                var roi = roiValues.AsSpan((int)(start + r) * 5, 5);
                long image = (long)roi[0];
                if (image < 0 || image >= batch)
                    throw new ArgumentException($"RoI {start + r} names image {roi[0]} of a batch of {batch}.", nameof(rois));
                imageOffset[r] = image * height * width;
                float offset = aligned ? 0.5f : 0f;
                float startX = roi[1] * spatialScale - offset, startY = roi[2] * spatialScale - offset;
                float endX = roi[3] * spatialScale - offset, endY = roi[4] * spatialScale - offset;
                float roiWidth = endX - startX, roiHeight = endY - startY;
                if (!aligned)
                {
                    roiWidth = Math.Max(roiWidth, 1f);
                    roiHeight = Math.Max(roiHeight, 1f);
                }
                Samples(startY, roiHeight / outputHeight, outputHeight, samplingRatio, height,
                    rowIndex.AsSpan(r * rowSamples, rowSamples), rowWeight.AsSpan(r * rowSamples, rowSamples));
                Samples(startX, roiWidth / outputWidth, outputWidth, samplingRatio, width,
                    columnIndex.AsSpan(r * columnSamples, columnSamples), columnWeight.AsSpan(r * columnSamples, columnSamples));
            }
            var rows = tensor(rowIndex).view(size, rowSamples, 1) * width + tensor(imageOffset).view(size, 1, 1);
            var flatIndex = (rows + tensor(columnIndex).view(size, 1, columnSamples)).view(-1);
            var gathered = pixels.index_select(0, flatIndex)
                .view(size, outputHeight, samplingRatio * 2, outputWidth, samplingRatio * 2, channels);
            var wy = tensor(rowWeight).to(features.dtype).view(size, outputHeight, samplingRatio * 2, 1, 1, 1);
            var wx = tensor(columnWeight).to(features.dtype).view(size, 1, 1, outputWidth, samplingRatio * 2, 1);
            var pooled = (gathered * wx).sum(4) * wy.squeeze(-1);
            outputs.Add(pooled.sum(2).permute(0, 3, 1, 2));
        }
        var result = (outputs.Count == 1 ? outputs[0] : cat(outputs, 0)) / (samplingRatio * samplingRatio);
        return result.contiguous().MoveToOuterDisposeScope();
    }

    /// <summary>
    /// One axis of the kernel's bilinear_interpolate: for each bin and sample, the two neighbouring pixel indices and
    /// their weights (low, high), both zero where the sample lies beyond one pixel outside the map.
    /// </summary>
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
