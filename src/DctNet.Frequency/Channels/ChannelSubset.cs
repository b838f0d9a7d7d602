using System.Reflection;
using System.Text.Json;
using DctNet.Frequency.IO;

namespace DctNet.Frequency.Channels;

/// <summary>
/// Which of the 192 frequency channels a model sees, in output order: the listed Y channels, then Cb's, then Cr's.
/// Channel index c = 64 * component + k, with k = 8 * v + u the natural-order coefficient of the 8x8 block.
/// </summary>
public sealed class ChannelSubset
{
    public const int ChannelsPerComponent = 64;
    public const int TotalChannels = 3 * ChannelsPerComponent;

    /// <summary>The components in channel order.</summary>
    public static readonly IReadOnlyList<string> ComponentNames = ["Y", "Cb", "Cr"];

    /// <summary>The counts that have a built-in subset (REFERENCE.md 1.7); 192 means every channel.</summary>
    public static readonly IReadOnlyList<int> BuiltInCounts = [6, 24, 32, 48, 64, 192];

    /// <summary>"Cb 9" for channel 73 of the 192: the component and k = 8v + u.</summary>
    public static string ChannelName(int channel) => $"{ComponentNames[channel / ChannelsPerComponent]} {channel % ChannelsPerComponent}";

    private ChannelSubset(string name, int[] y, int[] cb, int[] cr)
    {
        foreach (var (list, component) in new[] { (y, "Y"), (cb, "Cb"), (cr, "Cr") })
        {
            if (list.Any(k => k is < 0 or >= ChannelsPerComponent))
                throw new ArgumentException($"Channel subset '{name}': {component} indexes must be in 0..63.");
            if (list.Distinct().Count() != list.Length)
                throw new ArgumentException($"Channel subset '{name}': {component} lists an index twice.");
        }
        if (y.Length + cb.Length + cr.Length == 0)
            throw new ArgumentException($"Channel subset '{name}' selects no channel.");
        Name = name;
        Y = y;
        Cb = cb;
        Cr = cr;
        Channels = [.. y, .. cb.Select(k => k + ChannelsPerComponent), .. cr.Select(k => k + 2 * ChannelsPerComponent)];
    }

    /// <summary>"24", "192" or the file the subset was read from.</summary>
    public string Name { get; }

    public IReadOnlyList<int> Y { get; }
    public IReadOnlyList<int> Cb { get; }
    public IReadOnlyList<int> Cr { get; }

    /// <summary>Indexes into the 192 channels, in output order.</summary>
    public int[] Channels { get; }

    public int Count => Channels.Length;

    public static ChannelSubset All { get; } = new("192", Enumerable.Range(0, 64).ToArray(), Enumerable.Range(0, 64).ToArray(), Enumerable.Range(0, 64).ToArray());

    public static ChannelSubset FromLists(string name, IEnumerable<int> y, IEnumerable<int> cb, IEnumerable<int> cr)
        => new(name, y.ToArray(), cb.ToArray(), cr.ToArray());

    /// <summary>The release's subset of <paramref name="count"/> channels (6, 24, 32, 48, 64; 192 or 0 for all).</summary>
    public static ChannelSubset BuiltIn(int count)
    {
        if (count is 192 or 0)
            return All;
        if (!BuiltInSubsets.Value.TryGetValue(count, out var subset))
            throw new ArgumentException($"No built-in subset of {count} channels; choose one of {string.Join(", ", BuiltInCounts)} or give a subset file.");
        return subset;
    }

    /// <summary>
    /// The largest subset file read: 192 channel numbers are under 1 KB as JSON, so 1 MiB allows any formatting and
    /// refuses a mistaken path without reading it.
    /// </summary>
    public const int MaxFileBytes = 1 << 20;

    /// <summary>
    /// Parses a channel subset: a built-in count, or a JSON file holding either
    /// <c>{"y": [...], "cb": [...], "cr": [...]}</c> or the release's form <c>[[y...], [cb...], [cr...]]</c>.
    /// </summary>
    public static ChannelSubset Parse(string value)
    {
        if (int.TryParse(value, out int count))
            return BuiltIn(count);
        if (!File.Exists(value))
            throw new ArgumentException($"{value}: neither a channel count ({string.Join("/", BuiltInCounts)}) nor an existing subset file.");
        try
        {
            using var document = JsonDocument.Parse(FileProbe.ReadAllText(value, MaxFileBytes));
            return FromJson(value, document.RootElement);
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"{value}: not valid JSON ({e.Message}).", e);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            throw new ArgumentException($"{value}: channel lists must be arrays of integers 0..63 ({e.Message}).", e);
        }
    }

    private static ChannelSubset FromJson(string name, JsonElement root)
    {
        int[] Read(JsonElement list) => list.EnumerateArray().Select(e => e.GetInt32()).ToArray();
        if (root.ValueKind == JsonValueKind.Array && root.GetArrayLength() == 3)
            return new ChannelSubset(name, Read(root[0]), Read(root[1]), Read(root[2]));
        if (root.ValueKind == JsonValueKind.Object)
        {
            int[] Component(string key) => root.TryGetProperty(key, out var list) ? Read(list) : [];
            return new ChannelSubset(name, Component("y"), Component("cb"), Component("cr"));
        }
        throw new ArgumentException($"{name}: expected {{\"y\": [...], \"cb\": [...], \"cr\": [...]}} or [[y...], [cb...], [cr...]].");
    }

    /// <summary>The JSON form written by <see cref="ToJson"/> and read by <see cref="Parse"/>.</summary>
    public string ToJson() => JsonSerializer.Serialize(new { y = Y, cb = Cb, cr = Cr }, IndentedJson);

    private static readonly JsonSerializerOptions IndentedJson = new() { WriteIndented = true };

    private static readonly Lazy<Dictionary<int, ChannelSubset>> BuiltInSubsets = new(() =>
    {
        using var document = JsonDocument.Parse(EmbeddedResource.Read("channel_subsets.json"));
        return document.RootElement.EnumerateObject()
            .ToDictionary(p => int.Parse(p.Name), p => FromJson(p.Name, p.Value));
    });
}

internal static class EmbeddedResource
{
    public static string Read(string fileName)
    {
        var assembly = typeof(EmbeddedResource).Assembly;
        using var stream = assembly.GetManifestResourceStream($"DctNet.Frequency.Resources.{fileName}")
            ?? throw new InvalidOperationException($"Embedded resource {fileName} is missing from {assembly.GetName().Name}.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
