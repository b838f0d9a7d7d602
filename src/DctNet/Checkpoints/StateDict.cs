using System.Collections;
using System.Diagnostics.CodeAnalysis;

namespace DctNet.Checkpoints;

/// <summary>A model's weights and buffers by name, in the order the file or the module lists them.</summary>
[SuppressMessage("Naming", "CA1710:Identifiers should have correct suffix", Justification = "PyTorch's name for it.")]
public sealed class StateDict : IReadOnlyDictionary<string, TensorData>
{
    private readonly OrderedDictionary<string, TensorData> entries = new(StringComparer.Ordinal);

    public StateDict()
    {
    }

    public StateDict(IEnumerable<KeyValuePair<string, TensorData>> entries)
    {
        foreach (var (key, tensor) in entries)
            Add(key, tensor);
    }

    public int Count => entries.Count;

    public IEnumerable<string> Keys => entries.Keys;

    public IEnumerable<TensorData> Values => entries.Values;

    public TensorData this[string key] => entries[key];

    public void Add(string key, TensorData tensor)
    {
        if (!entries.TryAdd(key, tensor))
            throw new ArgumentException($"The state dict already holds '{key}'.", nameof(key));
    }

    public bool ContainsKey(string key) => entries.ContainsKey(key);

    public bool TryGetValue(string key, [MaybeNullWhen(false)] out TensorData value) => entries.TryGetValue(key, out value);

    /// <summary>The same tensors with <paramref name="prefix"/> put before every key (e.g. DataParallel's "module.").</summary>
    public StateDict WithPrefix(string prefix) => new(entries.Select(entry => KeyValuePair.Create(prefix + entry.Key, entry.Value)));

    /// <summary>The tensors whose keys start with <paramref name="prefix"/>, with it taken off (the inverse of <see cref="WithPrefix"/>).</summary>
    public StateDict Under(string prefix)
        => new(entries.Where(entry => entry.Key.StartsWith(prefix, StringComparison.Ordinal)).Select(entry => KeyValuePair.Create(entry.Key[prefix.Length..], entry.Value)));

    public IEnumerator<KeyValuePair<string, TensorData>> GetEnumerator() => entries.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
