using TorchSharp;
using static TorchSharp.torch;

namespace DctNet;

/// <summary>Where models run: "cpu" (the default), or "cuda" / "cuda:N" where the libtorch in use was built with CUDA.</summary>
public static class ComputeDevice
{
    public const string Default = "cpu";

    /// <summary>The libtorch device for <paramref name="name"/>, checked against what this process can use.</summary>
    /// <exception cref="ArgumentException">Not a device name, or a CUDA device this libtorch cannot reach; the message says why.</exception>
    public static Device Parse(string name)
    {
        string normalized = name.Trim().ToLowerInvariant();
        if (normalized == "cpu")
            return CPU;
        if (normalized != "cuda" && !normalized.StartsWith("cuda:", StringComparison.Ordinal))
            throw new ArgumentException($"device '{name}' is not one of cpu, cuda, cuda:N.", nameof(name));
        if (!cuda.is_available())
            throw new ArgumentException($"device '{name}': CUDA is not available to this process (DctNet ships TorchSharp's CPU libtorch; "
                + "reference a libtorch-cuda package and run on a machine with an NVIDIA GPU), use cpu.", nameof(name));
        int index = normalized == "cuda" ? 0
            : int.TryParse(normalized.AsSpan(5), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int n) ? n
            : throw new ArgumentException($"device '{name}': the index after 'cuda:' must be a number.", nameof(name));
        if (index >= cuda.device_count())
            throw new ArgumentException($"device '{name}': this machine has {cuda.device_count()} CUDA device(s).", nameof(name));
        return device(DeviceType.CUDA, index);
    }
}
