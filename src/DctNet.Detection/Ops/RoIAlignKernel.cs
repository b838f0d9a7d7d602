using System.Numerics;
using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace DctNet.Detection.Ops;

/// <summary>
/// RoIAlign on float32 CPU features as torchvision's CPU kernel computes it, with its backward as a libtorch autograd
/// function. Written here because TorchSharp has no roi_align and the tensor-op path (<see cref="RoIAlign.Gather"/>)
/// materializes every sample's four neighbours: 1024 RoIs of 256 channels are 800 MB gathered (RoIAlignBenchmarks: 2.9x
/// this kernel's time forward on P2 of 800 x 1344, 2.1x forward and backward). Here the features are read in place
/// channels last, so that each sample is four weighted rows of channels - a <see cref="Vector{T}"/> loop - in
/// torchvision's order of operations (w1 v1 + w2 v2 + w3 v3 + w4 v4 per sample, summed, then divided by the sample
/// count; within 2e-6 of torchvision's outputs in OpsParityTests). The backward scatters each bin's gradient to the
/// same four rows with the same weights.
/// </summary>
internal static class RoIAlignKernel
{
    /// <param name="features">(N, C, H, W) float32 on the CPU.</param>
    /// <returns>(K, C, outputHeight, outputWidth).</returns>
    public static Tensor Apply(Tensor features, RoIAlignPlan plan) => RoIAlignFunction.apply(features, plan);

    private sealed class RoIAlignFunction : autograd.SingleTensorFunction<RoIAlignFunction>
    {
        public override string Name => nameof(RoIAlignKernel);

        public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
        {
            var features = (Tensor)vars[0];
            var plan = (RoIAlignPlan)vars[1];
            ctx.save_data("plan", plan);
            ctx.save_data("shape", features.shape);
            return Forward(features, plan);
        }

        public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput)
            => [Backward(gradOutput, (RoIAlignPlan)ctx.get_data("plan"), (long[])ctx.get_data("shape")), null!];
    }

    internal static Tensor Forward(Tensor features, RoIAlignPlan plan)
    {
        using var scope = NewDisposeScope();
        long height = features.shape[2], width = features.shape[3];
        int channels = (int)features.shape[1];
        var input = features.detach().permute(0, 2, 3, 1).contiguous();
        var output = empty([plan.Count, plan.OutputHeight, plan.OutputWidth, channels], ScalarType.Float32);
        var pixels = MemoryMarshal.Cast<byte, float>(input.bytes);
        var bins = MemoryMarshal.Cast<byte, float>(output.bytes);
        var sum = new float[channels];
        var sample = new float[channels];
        float count = plan.SamplingRatio * plan.SamplingRatio;
        foreach (var (roi, bin, corners) in Bins(plan))
        {
            Array.Clear(sum);
            foreach (var corner in corners)
            {
                // One sample: its four neighbours, weighted, summed in torchvision's order, then added to the bin.
                long imageOffset = plan.Image[roi] * height * width;
                Weighted(pixels.Slice((int)((imageOffset + corner.Y1 * width + corner.X1) * channels), channels), corner.W1, sample, add: false);
                Weighted(pixels.Slice((int)((imageOffset + corner.Y1 * width + corner.X2) * channels), channels), corner.W2, sample, add: true);
                Weighted(pixels.Slice((int)((imageOffset + corner.Y2 * width + corner.X1) * channels), channels), corner.W3, sample, add: true);
                Weighted(pixels.Slice((int)((imageOffset + corner.Y2 * width + corner.X2) * channels), channels), corner.W4, sample, add: true);
                Add(sample, sum);
            }
            var destination = bins.Slice(bin * channels, channels);
            for (int c = 0; c < channels; c++)
                destination[c] = sum[c] / count;
        }
        return output.permute(0, 3, 1, 2).contiguous().MoveToOuterDisposeScope();
    }

    internal static Tensor Backward(Tensor gradOutput, RoIAlignPlan plan, long[] shape)
    {
        using var scope = NewDisposeScope();
        long height = shape[2], width = shape[3];
        int channels = (int)shape[1];
        var grad = gradOutput.to(ScalarType.Float32).cpu().permute(0, 2, 3, 1).contiguous();
        var result = zeros([shape[0], height, width, channels], ScalarType.Float32);
        var bins = MemoryMarshal.Cast<byte, float>(grad.bytes);
        var pixels = MemoryMarshal.Cast<byte, float>(result.bytes);
        float count = plan.SamplingRatio * plan.SamplingRatio;
        foreach (var (roi, bin, corners) in Bins(plan))
        {
            var binGrad = bins.Slice(bin * channels, channels);
            long imageOffset = plan.Image[roi] * height * width;
            foreach (var corner in corners)
            {
                Scatter(binGrad, corner.W1, count, pixels.Slice((int)((imageOffset + corner.Y1 * width + corner.X1) * channels), channels));
                Scatter(binGrad, corner.W2, count, pixels.Slice((int)((imageOffset + corner.Y1 * width + corner.X2) * channels), channels));
                Scatter(binGrad, corner.W3, count, pixels.Slice((int)((imageOffset + corner.Y2 * width + corner.X1) * channels), channels));
                Scatter(binGrad, corner.W4, count, pixels.Slice((int)((imageOffset + corner.Y2 * width + corner.X2) * channels), channels));
            }
        }
        // Detached: libtorch's autograd engine takes the handle after this method has returned.
        return result.permute(0, 3, 1, 2).contiguous().to(gradOutput.device).DetachFromDisposeScope();
    }

    /// <summary>One sample's neighbours and torchvision's bilinear weights (w1 = hy hx, w2 = hy lx, w3 = ly hx, w4 = ly lx).</summary>
    private readonly record struct Corners(long Y1, long Y2, long X1, long X2, float W1, float W2, float W3, float W4);

    /// <summary>Every output bin (its flat index, channels last) with its RoI and the corners of its samples, rows outer.</summary>
    private static IEnumerable<(int Roi, int Bin, Corners[] Corners)> Bins(RoIAlignPlan plan)
    {
        int ratio = plan.SamplingRatio;
        var corners = new Corners[ratio * ratio];
        for (int roi = 0; roi < plan.Count; roi++)
        {
            for (int py = 0; py < plan.OutputHeight; py++)
            {
                for (int px = 0; px < plan.OutputWidth; px++)
                {
                    for (int iy = 0; iy < ratio; iy++)
                    {
                        int row = roi * plan.RowSamples + 2 * (py * ratio + iy);
                        for (int ix = 0; ix < ratio; ix++)
                        {
                            int column = roi * plan.ColumnSamples + 2 * (px * ratio + ix);
                            float hy = plan.RowWeight[row], ly = plan.RowWeight[row + 1];
                            float hx = plan.ColumnWeight[column], lx = plan.ColumnWeight[column + 1];
                            corners[iy * ratio + ix] = new Corners(plan.RowIndex[row], plan.RowIndex[row + 1], plan.ColumnIndex[column], plan.ColumnIndex[column + 1],
                                hy * hx, hy * lx, ly * hx, ly * lx);
                        }
                    }
                    yield return (roi, (roi * plan.OutputHeight + py) * plan.OutputWidth + px, corners);
                }
            }
        }
    }

    /// <summary>sample = weight x pixel (or sample += weight x pixel), channel by channel.</summary>
    private static void Weighted(ReadOnlySpan<float> pixel, float weight, Span<float> sample, bool add)
    {
        int c = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var w = new Vector<float>(weight);
            for (; c <= pixel.Length - Vector<float>.Count; c += Vector<float>.Count)
            {
                var product = w * new Vector<float>(pixel[c..]);
                (add ? new Vector<float>(sample[c..]) + product : product).CopyTo(sample[c..]);
            }
        }
        for (; c < pixel.Length; c++)
            sample[c] = add ? sample[c] + weight * pixel[c] : weight * pixel[c];
    }

    private static void Add(ReadOnlySpan<float> values, Span<float> sum)
    {
        int c = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; c <= values.Length - Vector<float>.Count; c += Vector<float>.Count)
                (new Vector<float>(sum[c..]) + new Vector<float>(values[c..])).CopyTo(sum[c..]);
        }
        for (; c < values.Length; c++)
            sum[c] += values[c];
    }

    /// <summary>pixel += gradient x weight / count (torchvision's order), channel by channel.</summary>
    private static void Scatter(ReadOnlySpan<float> gradient, float weight, float count, Span<float> pixel)
    {
        if (weight == 0f)
            return;
        int c = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var w = new Vector<float>(weight);
            var n = new Vector<float>(count);
            for (; c <= gradient.Length - Vector<float>.Count; c += Vector<float>.Count)
                (new Vector<float>(pixel[c..]) + new Vector<float>(gradient[c..]) * w / n).CopyTo(pixel[c..]);
        }
        for (; c < gradient.Length; c++)
            pixel[c] += gradient[c] * weight / count;
    }
}
