using System.Text.Json;

namespace DctNet.Detection.Tests;

/// <summary>The golden files under tests/fixtures/coco, made by the real pycocotools (tools/coco/make_fixtures.py).</summary>
internal static class Fixtures
{
    public static string Directory { get; } = FindFixtures();

    public static string PathOf(string name) => Path.Combine(Directory, name);

    /// <summary>A fixture JSON file's root, detached from its document.</summary>
    public static JsonElement Json(string name) => JsonAt(PathOf(name));

    /// <summary>A JSON file's root, detached from its document.</summary>
    public static JsonElement JsonAt(string path)
    {
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        return document.RootElement.Clone();
    }

    private static string FindFixtures()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            string candidate = Path.Combine(directory.FullName, "tests", "fixtures", "coco");
            if (System.IO.Directory.Exists(candidate))
                return candidate;
        }
        throw new InvalidOperationException($"No tests/fixtures/coco above {AppContext.BaseDirectory}.");
    }
}

/// <summary>A temporary folder, deleted with its contents on dispose.</summary>
internal sealed class TemporaryDirectory : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("dctnet-coco-").FullName;

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
