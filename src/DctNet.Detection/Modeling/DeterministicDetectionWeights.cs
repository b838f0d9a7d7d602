using System.Text;
using DctNet.Checkpoints;

namespace DctNet.Detection.Modeling;

/// <summary>
/// The "random" detection weights that tools/detection/detection_weights.py gives torchvision: every value a function
/// of its key and index (splitmix64 over FNV-1a of the key), so that both sides hold bit-identical float32 weights
/// without a 44M-parameter fixture. Keep the two in step; the rules and their tuning are documented there. Unlike
/// torchvision's initialization they give real detections (boxes, masks), so the parity tests, the CLI tests and the
/// speed comparison with tools/baseline/detection_speed.py run the whole pipeline, RoI heads and mask paste included.
/// </summary>
public static class DeterministicDetectionWeights
{
    private const ulong Golden = 0x9E3779B97F4A7C15;

    private static readonly Dictionary<string, double> Tuning = new(StringComparer.Ordinal)
    {
        ["roi_heads.box_predictor.bbox_pred.weight"] = 0.5,
        ["rpn.head.bbox_pred.weight"] = 0.25,
        ["roi_heads.mask_predictor.mask_fcn_logits.weight"] = 4.0,
    };

    /// <summary>The weights for every key and shape of <paramref name="model"/>'s state_dict.</summary>
    public static StateDict For(TorchSharp.torch.nn.Module model)
        => For(ModuleState.Capture(model).Select(entry => (entry.Key, entry.Value.Shape.ToArray())));

    /// <summary>A float32 tensor for every key and shape.</summary>
    public static StateDict For(IEnumerable<(string Key, long[] Shape)> keys)
    {
        var result = new StateDict();
        foreach (var (key, shape) in keys)
        {
            float[] values = Values(key, shape);
            byte[] bytes = new byte[values.Length * sizeof(float)];
            Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
            result.Add(key, new TensorData(TensorElementType.Float32, shape, bytes));
        }
        return result;
    }

    public static float[] Values(string key, long[] shape)
    {
        var (scale, offset) = Rule(key, shape);
        ulong seed = Fnv1a64(key);
        var values = new float[shape.Aggregate(1L, (a, b) => a * b)];
        for (long i = 0; i < values.LongLength; i++)
        {
            ulong z = seed + (ulong)(i + 1) * Golden;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
            z ^= z >> 31;
            double uniform = (z >> 40) / (double)(1 << 24) * 2.0 - 1.0;
            values[i] = (float)(uniform * scale + offset);
        }
        return values;
    }

    private static (double Scale, double Offset) Rule(string key, long[] shape)
    {
        string name = key[(key.LastIndexOf('.') + 1)..];
        if (name == "running_mean")
            return (0.1, 0.0);
        if (name == "running_var")
            return (0.25, 1.25);
        if (key.Contains(".bn", StringComparison.Ordinal) || key.Contains(".downsample.1.", StringComparison.Ordinal))
        {
            bool closesBranch = key.Contains(".bn3.", StringComparison.Ordinal) || key.Contains(".downsample.1.", StringComparison.Ordinal);
            if (name == "weight")
                return closesBranch ? (0.05, 0.25) : (0.1, 1.0);
            return (0.1, 0.0);
        }
        if (name == "bias")
            return (0.01, 0.0);
        long fanIn = shape.Skip(1).Aggregate(1L, (a, b) => a * b);
        return (Math.Sqrt(3.0) * Math.Sqrt(2.0) / Math.Sqrt(fanIn) * Tuning.GetValueOrDefault(key, 1.0), 0.0);
    }

    private static ulong Fnv1a64(string text)
    {
        ulong hash = 0xCBF29CE484222325;
        foreach (byte b in Encoding.UTF8.GetBytes(text))
        {
            hash ^= b;
            hash *= 0x100000001B3;
        }
        return hash;
    }
}
