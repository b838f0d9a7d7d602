using static TorchSharp.torch;

namespace DctNet.Detection.Ops;

/// <summary>
/// torchvision's project_masks_on_boxes, the mask head's targets: each positive proposal's matched ground-truth mask
/// cut out under the proposal and pooled to M x M by roi_align (spatial scale 1, aligned false) in its adaptive
/// mode - ceil(RoI size / M) samples per bin along each axis, so that a large box averages over all its pixels. The
/// binary masks hold no gradient, so the kernel runs here over bytes, in the CPU kernel's float32 order.
/// </summary>
public static class MaskTargets
{
    /// <param name="masks">(ground truths, height, width) uint8 binary masks.</param>
    /// <param name="boxes">(proposals, 4) x1, y1, x2, y2 in the masks' coordinates.</param>
    /// <param name="matched">(proposals) int64: the ground truth of each proposal.</param>
    /// <returns>(proposals, size, size) float32 in [0, 1], on the boxes' device.</returns>
    public static Tensor Project(Tensor masks, Tensor boxes, Tensor matched, int size)
    {
        long count = boxes.shape[0];
        int height = (int)masks.shape[1], width = (int)masks.shape[2];
        if (count == 0)
            return zeros([0, size, size], ScalarType.Float32, device: boxes.device);
        byte[] pixels = masks.to(ScalarType.Byte).cpu().contiguous().data<byte>().ToArray();
        float[] corners = boxes.detach().to(ScalarType.Float32).cpu().contiguous().data<float>().ToArray();
        long[] truth = matched.to(ScalarType.Int64).cpu().data<long>().ToArray();
        var output = new float[count * size * size];
        long plane = (long)height * width;
        for (int roi = 0; roi < count; roi++)
        {
            var mask = pixels.AsSpan((int)(truth[roi] * plane), (int)plane);
            Pool(mask, height, width, corners.AsSpan(roi * 4, 4), size, output.AsSpan(roi * size * size, size * size));
        }
        return tensor(output, [count, size, size]).to(boxes.device);
    }

    private static void Pool(ReadOnlySpan<byte> mask, int height, int width, ReadOnlySpan<float> box, int size, Span<float> output)
    {
        float startX = box[0], startY = box[1];
        float roiWidth = Math.Max(box[2] - startX, 1f), roiHeight = Math.Max(box[3] - startY, 1f);
        float binWidth = roiWidth / size, binHeight = roiHeight / size;
        int gridWidth = (int)MathF.Ceiling(roiWidth / size), gridHeight = (int)MathF.Ceiling(roiHeight / size);
        float count = Math.Max(gridWidth * gridHeight, 1);
        for (int py = 0; py < size; py++)
        {
            for (int px = 0; px < size; px++)
            {
                float sum = 0f;
                for (int iy = 0; iy < gridHeight; iy++)
                {
                    float y = startY + py * binHeight + (iy + .5f) * binHeight / gridHeight;
                    for (int ix = 0; ix < gridWidth; ix++)
                    {
                        float x = startX + px * binWidth + (ix + .5f) * binWidth / gridWidth;
                        sum += Bilinear(mask, height, width, y, x);
                    }
                }
                output[py * size + px] = sum / count;
            }
        }
    }

    /// <summary>roi_align's bilinear_interpolate: zero beyond one pixel outside, clamped to the border within.</summary>
    private static float Bilinear(ReadOnlySpan<byte> mask, int height, int width, float y, float x)
    {
        if (y < -1.0 || y > height || x < -1.0 || x > width)
            return 0f;
        y = Math.Max(y, 0f);
        x = Math.Max(x, 0f);
        int yLow = (int)y, xLow = (int)x, yHigh, xHigh;
        if (yLow >= height - 1)
        {
            yHigh = yLow = height - 1;
            y = yLow;
        }
        else
        {
            yHigh = yLow + 1;
        }
        if (xLow >= width - 1)
        {
            xHigh = xLow = width - 1;
            x = xLow;
        }
        else
        {
            xHigh = xLow + 1;
        }
        float ly = y - yLow, lx = x - xLow, hy = 1f - ly, hx = 1f - lx;
        return hy * hx * mask[yLow * width + xLow] + hy * lx * mask[yLow * width + xHigh]
            + ly * hx * mask[yHigh * width + xLow] + ly * lx * mask[yHigh * width + xHigh];
    }
}
