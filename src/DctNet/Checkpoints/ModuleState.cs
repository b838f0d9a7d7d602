using System.Text;
using TorchSharp;

namespace DctNet.Checkpoints;

/// <summary>A key whose tensor has one shape in the file and another in the model.</summary>
public sealed record ShapeMismatch(string Key, IReadOnlyList<long> FileShape, IReadOnlyList<long> ModelShape);

/// <summary>
/// A state dict that does not fit a model under strict matching. The message is the whole report: which
/// keys are missing, which unexpected, which shapes differ (at most <see cref="ListedPerSection"/> of each).
/// </summary>
public sealed class StateDictMismatchException : CheckpointException
{
    public const int ListedPerSection = 20;

    public StateDictMismatchException(string source, IReadOnlyList<string> missing, IReadOnlyList<string> unexpected, IReadOnlyList<ShapeMismatch> shapeMismatches)
        : base(Report(source, missing, unexpected, shapeMismatches))
    {
        Missing = missing;
        Unexpected = unexpected;
        ShapeMismatches = shapeMismatches;
    }

    /// <summary>In the model, not in the file.</summary>
    public IReadOnlyList<string> Missing { get; }

    /// <summary>In the file, not in the model.</summary>
    public IReadOnlyList<string> Unexpected { get; }

    public IReadOnlyList<ShapeMismatch> ShapeMismatches { get; }

    private static string Report(string source, IReadOnlyList<string> missing, IReadOnlyList<string> unexpected, IReadOnlyList<ShapeMismatch> shapeMismatches)
    {
        var report = new StringBuilder($"{source}: the weights do not match the model");
        void Section(string title, IReadOnlyList<string> lines)
        {
            if (lines.Count == 0)
                return;
            report.Append($"\n  {title} ({lines.Count}):");
            foreach (string line in lines.Take(ListedPerSection))
                report.Append("\n    ").Append(line);
            if (lines.Count > ListedPerSection)
                report.Append($"\n    ... and {lines.Count - ListedPerSection} more");
        }
        Section("missing from the file", missing);
        Section("unexpected in the file", unexpected);
        Section("shape mismatches, file vs model", shapeMismatches
            .Select(m => $"{m.Key}: {TensorData.FormatShape(m.FileShape)} vs {TensorData.FormatShape(m.ModelShape)}").ToList());
        return report.ToString();
    }
}

/// <summary>Moves weights and buffers between TorchSharp modules and <see cref="StateDict"/>s.</summary>
public static class ModuleState
{
    /// <summary>
    /// The module's parameters and persistent buffers (BatchNorm's running statistics and num_batches_tracked
    /// included), in PyTorch's state_dict order: each module's own parameters, then its buffers, then its children.
    /// </summary>
    public static StateDict Capture(torch.nn.Module module)
    {
        var live = module.state_dict();
        var result = new StateDict();
        foreach (string key in PyTorchOrder(module, live.Keys))
            result.Add(key, TensorData.FromTensor(live[key]));
        return result;
    }

    /// <summary>
    /// Copies every tensor of <paramref name="stateDict"/> into the module's parameter or buffer of the same
    /// name, after checking that the keys match exactly and every shape agrees; otherwise nothing is copied.
    /// Values are converted to the model's dtype, as PyTorch's load_state_dict does.
    /// </summary>
    /// <param name="source">Names the weights in the report (usually the file path).</param>
    /// <exception cref="StateDictMismatchException">Missing, unexpected or mis-shaped keys.</exception>
    public static void Load(torch.nn.Module module, StateDict stateDict, string source)
    {
        var live = module.state_dict();
        var order = PyTorchOrder(module, live.Keys);
        stateDict = WithBatchCountsOfOldFiles(stateDict, order);
        var missing = order.Where(key => !stateDict.ContainsKey(key)).ToList();
        var unexpected = stateDict.Keys.Where(key => !live.ContainsKey(key)).ToList();
        var shapeMismatches = order
            .Where(stateDict.ContainsKey)
            .Where(key => !stateDict[key].Shape.SequenceEqual(live[key].shape))
            .Select(key => new ShapeMismatch(key, stateDict[key].Shape, live[key].shape))
            .ToList();
        if (missing.Count + unexpected.Count + shapeMismatches.Count > 0)
            throw new StateDictMismatchException(source, missing, unexpected, shapeMismatches);

        using var noGrad = torch.no_grad();
        foreach (string key in order)
        {
            using var value = stateDict[key].ToTensor();
            live[key].copy_(value);
        }
    }

    /// <summary>
    /// BatchNorm's num_batches_tracked appeared in PyTorch 0.4.1; older files (the first torchvision ImageNet weights
    /// among them) lack it, and PyTorch's BatchNorm then loads 0. Do the same where the running statistics are present.
    /// </summary>
    private static StateDict WithBatchCountsOfOldFiles(StateDict stateDict, IReadOnlyList<string> modelKeys)
    {
        const string Counter = "num_batches_tracked";
        var absent = modelKeys
            .Where(key => key.EndsWith("." + Counter, StringComparison.Ordinal) && !stateDict.ContainsKey(key))
            .Where(key => stateDict.ContainsKey(key[..^Counter.Length] + "running_mean"))
            .ToList();
        if (absent.Count == 0)
            return stateDict;
        var completed = new StateDict(stateDict);
        foreach (string key in absent)
            completed.Add(key, new TensorData(TensorElementType.Int64, [], new byte[sizeof(long)]));
        return completed;
    }

    private static List<string> PyTorchOrder(torch.nn.Module module, IEnumerable<string> stateDictKeys)
    {
        var keys = new HashSet<string>(stateDictKeys, StringComparer.Ordinal);
        var ordered = new List<string>(keys.Count);
        void Visit(string prefix, torch.nn.Module current)
        {
            foreach (var (name, _) in current.named_parameters(recurse: false))
                ordered.Add(prefix + name);
            foreach (var (name, _) in current.named_buffers(recurse: false))
                ordered.Add(prefix + name);
            foreach (var (name, child) in current.named_children())
                Visit(prefix + name + ".", child);
        }
        Visit("", module);
        // Non-persistent buffers are walked but are not in the state dict.
        var result = ordered.Where(keys.Contains).ToList();
        if (result.Count != keys.Count)
            throw new InvalidOperationException($"The module's state dict has keys its parameters and buffers do not name: {string.Join(", ", keys.Except(result))}.");
        return result;
    }
}
