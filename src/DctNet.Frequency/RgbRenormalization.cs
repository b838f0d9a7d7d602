namespace DctNet.Frequency;

/// <summary>
/// Another mean and std for <see cref="RgbTransform"/>'s output, which is normalized with ImageNet's: each channel becomes
/// x * scale + shift, which is (pixel - mean) / std again. Raw [0, 1] pixels are mean 0 and std 1.
/// Used by both of DctNet's RGB pipelines: the models' (libtorch) and the exported files' (ONNX Runtime).
/// </summary>
public sealed class RgbRenormalization
{
    private readonly float[] scale;
    private readonly float[] shift;

    private RgbRenormalization(float[] mean, float[] std)
    {
        scale = [.. Enumerable.Range(0, 3).Select(c => RgbTransform.ImageNetStd[c] / std[c])];
        shift = [.. Enumerable.Range(0, 3).Select(c => (RgbTransform.ImageNetMean[c] - mean[c]) / std[c])];
    }

    /// <summary>What turns <see cref="RgbTransform"/>'s output into (pixel - mean) / std; null when that is ImageNet's already.</summary>
    /// <param name="mean">3 values; (0, 0, 0) with a std of (1, 1, 1) for raw pixels.</param>
    /// <exception cref="ArgumentException">Not 3 means and 3 standard deviations.</exception>
    public static RgbRenormalization? For(IReadOnlyList<double> mean, IReadOnlyList<double> std)
    {
        float[] m = [.. mean.Select(v => (float)v)];
        float[] s = [.. std.Select(v => (float)v)];
        if (m.Length != 3 || s.Length != 3)
            throw new ArgumentException($"RGB normalization needs 3 means and 3 standard deviations, got {m.Length} and {s.Length}.");
        return m.SequenceEqual(RgbTransform.ImageNetMean) && s.SequenceEqual(RgbTransform.ImageNetStd) ? null : new RgbRenormalization(m, s);
    }

    /// <summary>Renormalizes a 3 x H x W output of <see cref="RgbTransform"/> in place.</summary>
    public void Apply(Span<float> image)
    {
        int plane = image.Length / 3;
        for (int c = 0; c < 3; c++)
        {
            var channel = image.Slice(c * plane, plane);
            for (int i = 0; i < channel.Length; i++)
                channel[i] = channel[i] * scale[c] + shift[c];
        }
    }
}
