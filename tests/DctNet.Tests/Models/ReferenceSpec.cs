using System.Text.Json;

namespace DctNet.Tests.Models;

/// <summary>
/// ../shared/spec/state_dict_keys.json beside the repository: every state_dict key and shape of the reference models,
/// taken from the release's PyTorch modules.
/// </summary>
internal static class ReferenceSpec
{
    public static string StateDictKeysPath { get; } = Path.GetFullPath(Path.Combine(TestPaths.RepositoryRoot, "..", "shared", "spec", "state_dict_keys.json"));

    public static bool Exists => File.Exists(StateDictKeysPath);

    /// <summary>Entry name -> (key -> shape), in the file's order.</summary>
    public static IReadOnlyDictionary<string, IReadOnlyDictionary<string, long[]>> StateDicts => Parsed.Value;

    public static TheoryData<string> EntryNames()
    {
        var data = new TheoryData<string>();
        // Without the file, one placeholder row keeps xunit from failing on empty data; the attribute skips it.
        foreach (string name in Exists ? Parsed.Value.Keys : ["(spec file absent)"])
            data.Add(name);
        return data;
    }

    private static readonly Lazy<IReadOnlyDictionary<string, IReadOnlyDictionary<string, long[]>>> Parsed = new(() =>
    {
        using var document = JsonDocument.Parse(File.ReadAllText(StateDictKeysPath));
        return document.RootElement.EnumerateObject().ToDictionary(
            entry => entry.Name,
            entry => (IReadOnlyDictionary<string, long[]>)entry.Value.EnumerateObject().ToDictionary(
                key => key.Name,
                key => key.Value.EnumerateArray().Select(d => d.GetInt64()).ToArray()));
    });
}

/// <summary>A theory over the entries of state_dict_keys.json; skipped with a clear message where the file is absent.</summary>
public sealed class ReferenceSpecTheoryAttribute : TheoryAttribute
{
    public ReferenceSpecTheoryAttribute()
    {
        if (!ReferenceSpec.Exists)
            Skip = $"Reference state_dict keys not found at {ReferenceSpec.StateDictKeysPath} (../shared/spec beside the repository).";
    }
}
