using DctNet.Checkpoints;

namespace DctNet.Inference;

/// <summary>The file formats weights can be written in.</summary>
public enum WeightsExportFormat
{
    /// <summary>A DctNet checkpoint: safetensors with the model's metadata (<see cref="DctNetCheckpoint"/>).</summary>
    DctNetCheckpoint,

    /// <summary>A torch.save zip file of the state dict, under PyTorch's names (torchvision's for RGB models, the release's for DCT models).</summary>
    PyTorch,
}

/// <summary>Writes a loaded model's weights for DctNet or for PyTorch.</summary>
public static class WeightsExport
{
    /// <summary>The extensions of PyTorch files: torch.save's usual ".pth" and ".pt", and the release's ".pth.tar".</summary>
    public static IReadOnlyList<string> PyTorchExtensions { get; } = [".pth", ".pt", ".tar"];

    public const string DctNetExtension = ".safetensors";

    /// <summary>The format a path's extension asks for.</summary>
    /// <exception cref="ArgumentException">Neither .safetensors nor a PyTorch extension.</exception>
    public static WeightsExportFormat FormatOf(string path)
    {
        string extension = Path.GetExtension(path);
        if (extension.Equals(DctNetExtension, StringComparison.OrdinalIgnoreCase))
            return WeightsExportFormat.DctNetCheckpoint;
        if (PyTorchExtensions.Contains(extension, StringComparer.OrdinalIgnoreCase))
            return WeightsExportFormat.PyTorch;
        throw new ArgumentException($"'{path}': the extension chooses the format: {DctNetExtension} for a DctNet checkpoint, "
            + $"{string.Join(", ", PyTorchExtensions)} for PyTorch.", nameof(path));
    }

    /// <summary>
    /// Writes the model's weights (as loaded: float32, in PyTorch's state_dict order) atomically, in the format of the
    /// extension. <paramref name="releaseLayout"/> (PyTorch only) writes what the release's training script saves:
    /// DataParallel's "module." before every key, nested as {"epoch", "arch", "state_dict", "best_prec1"} - with
    /// epoch 0 and best_prec1 0, as a converted file has no training history.
    /// </summary>
    /// <exception cref="ArgumentException">An unknown extension, or <paramref name="releaseLayout"/> for a DctNet checkpoint.</exception>
    public static WeightsExportFormat Save(InferenceModel model, string path, bool releaseLayout = false)
    {
        var format = FormatOf(path);
        if (releaseLayout && format != WeightsExportFormat.PyTorch)
            throw new ArgumentException("The release's layout is a PyTorch file's; write a .pth (or .pth.tar) file to use it.", nameof(releaseLayout));
        if (model.BatchNormFolded)
            throw new InvalidOperationException("A model with folded BatchNorms is for inference only; load the weights without folding to export them.");
        var weights = ModuleState.Capture(model.Module);
        if (format == WeightsExportFormat.DctNetCheckpoint)
        {
            new DctNetCheckpoint(model.Metadata, weights).Save(path);
        }
        else
        {
            PyTorchCheckpoint.Write(path, weights, releaseLayout
                ? new PyTorchExportOptions { DataParallelPrefix = true, ReleaseLayout = new ReleaseCheckpointFields(0, model.Definition.Name, 0) }
                : null);
        }
        return format;
    }
}
