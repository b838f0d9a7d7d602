using DctNet.Checkpoints;
using static TorchSharp.torch;

namespace DctNet.Models;

/// <summary>
/// Starts a DCT ResNet from torchvision's ImageNet RGB ResNet weights, as the release starts its training: the stem
/// (conv1, bn1) is dropped, layer1..layer4 become model.0..model.3, the classifier is kept when the class count
/// matches and left freshly initialized otherwise. The input-adapted convs of layer1's first block take the first C
/// input channels of the RGB weights for C &lt; 64, the weights as they are for C = 64, and keep their fresh Kaiming
/// initialization for C = 192 (the release's choice); convs the RGB network lacks (the shortcut a BasicBlock DCT
/// ResNet adds) and the input gate stay freshly initialized.
/// </summary>
public static class RgbPretrainedInitialization
{
    private static readonly string[] AdaptedConvs = ["model.0.0.conv1.weight", "model.0.0.downsample.0.weight"];

    /// <param name="rgbWeights">A torchvision ResNet state dict of the same depth (e.g. read with <see cref="WeightsFile.Read"/>).</param>
    /// <param name="source">Names the weights in error messages.</param>
    /// <exception cref="CheckpointException">The RGB weights do not fit: one report of the keys and shapes.</exception>
    public static void Initialize(ResNetDct model, StateDict rgbWeights, string source)
    {
        var current = ModuleState.Capture(model);
        var merged = new StateDict();
        var missing = new List<string>();
        var mismatched = new List<ShapeMismatch>();
        foreach (var (key, fresh) in current)
        {
            merged.Add(key, Choose(key, fresh));
        }
        if (missing.Count > 0 || mismatched.Count > 0)
            throw new StateDictMismatchException(source, missing, [], mismatched);
        ModuleState.Load(model, merged, source);

        TensorData Choose(string key, TensorData fresh)
        {
            if (key.StartsWith("inp_GM.", StringComparison.Ordinal))
                return fresh;
            if (key.StartsWith("fc.", StringComparison.Ordinal))
                return rgbWeights.TryGetValue(key, out var classifier) && classifier.Shape.SequenceEqual(fresh.Shape) ? classifier : fresh;

            string rgbKey = RgbKey(key);
            if (!rgbWeights.TryGetValue(rgbKey, out var rgb))
            {
                // The BasicBlock rule adds a shortcut to layer1's first block that torchvision's network does not have.
                if (key.StartsWith("model.0.0.downsample.", StringComparison.Ordinal))
                    return fresh;
                missing.Add(rgbKey);
                return fresh;
            }
            if (AdaptedConvs.Contains(key))
                return AdaptInputChannels(key, rgb, fresh, model.Channels, mismatched);
            if (!rgb.Shape.SequenceEqual(fresh.Shape))
                mismatched.Add(new ShapeMismatch(rgbKey, rgb.Shape, fresh.Shape));
            return rgb;
        }
    }

    /// <summary>model.N.rest -> layer(N+1).rest.</summary>
    private static string RgbKey(string key)
    {
        if (!key.StartsWith("model.", StringComparison.Ordinal))
            return key;
        int dot = key.IndexOf('.', "model.".Length);
        int layer = int.Parse(key["model.".Length..dot], System.Globalization.CultureInfo.InvariantCulture) + 1;
        return $"layer{layer}{key[dot..]}";
    }

    private static TensorData AdaptInputChannels(string key, TensorData rgb, TensorData fresh, int channels, List<ShapeMismatch> mismatched)
    {
        if (channels == InputGate.Channels)
            return fresh;
        if (rgb.Shape.Count != 4 || rgb.Shape[0] != fresh.Shape[0] || rgb.Shape[1] < channels || !rgb.Shape.Skip(2).SequenceEqual(fresh.Shape.Skip(2)))
        {
            mismatched.Add(new ShapeMismatch(RgbKey(key), rgb.Shape, fresh.Shape));
            return fresh;
        }
        using var weight = rgb.ToTensor();
        using var firstChannels = weight[.., ..channels].contiguous();
        return TensorData.FromTensor(firstChannels);
    }
}
