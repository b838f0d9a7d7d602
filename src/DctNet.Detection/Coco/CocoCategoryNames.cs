using System.Text.Json;

namespace DctNet.Detection.Coco;

/// <summary>
/// COCO's 80 categories as torchvision's detection models number them: a model's label is the COCO category id
/// (91 slots: 0 the background, 10 ids unused). From torchvision 0.14's weight metadata, embedded as
/// Resources/coco_categories.json.
/// </summary>
public static class CocoCategoryNames
{
    private static readonly Lazy<IReadOnlyDictionary<int, string>> Names = new(Load);

    public static IReadOnlyDictionary<int, string> ById => Names.Value;

    /// <summary>The category's name, or "class N" for a label COCO does not use (a model trained on other data).</summary>
    public static string NameOf(int categoryId) => ById.TryGetValue(categoryId, out string? name) ? name : $"class {categoryId}";

    private static Dictionary<int, string> Load()
    {
        const string resource = "DctNet.Detection.Resources.coco_categories.json";
        using var stream = typeof(CocoCategoryNames).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"The embedded resource {resource} is missing.");
        using var document = JsonDocument.Parse(stream);
        return document.RootElement.GetProperty("categories").EnumerateArray()
            .ToDictionary(c => c.GetProperty("id").GetInt32(), c => c.GetProperty("name").GetString()!);
    }
}
