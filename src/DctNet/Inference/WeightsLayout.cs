using DctNet.Checkpoints;

namespace DctNet.Inference;

/// <summary>What a state dict says about the model it belongs to, read from the names and shapes of its tensors.</summary>
public static class WeightsLayout
{
    /// <summary>The prefix of the input gate's keys (the release's <c>inp_GM</c> attribute).</summary>
    public const string InputGatePrefix = "inp_GM.";

    /// <summary>
    /// The classifier's weight in each model family: <c>fc</c> in the ResNets (torchvision's and the release's),
    /// <c>classifier.1</c> after the dropout in torchvision's MobileNetV2, <c>classifier</c> in the release's MobileNetV2.
    /// </summary>
    public static IReadOnlyList<string> ClassifierWeightKeys { get; } = ["fc.weight", "classifier.1.weight", "classifier.weight"];

    /// <summary>The classifier's weight key and its rows (the number of classes); null when no known classifier key holds a matrix.</summary>
    public static (string Key, TensorData Weight)? Classifier(StateDict weights)
    {
        foreach (string key in ClassifierWeightKeys)
        {
            if (weights.TryGetValue(key, out var weight) && weight.Shape.Count == 2)
                return (key, weight);
        }
        return null;
    }

    /// <summary>Whether the weights include the input gate (GateModule192), so the model must be built with it.</summary>
    public static bool HasInputGate(StateDict weights) => weights.Keys.Any(key => key.StartsWith(InputGatePrefix, StringComparison.Ordinal));
}
