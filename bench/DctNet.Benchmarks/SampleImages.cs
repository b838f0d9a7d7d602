namespace DctNet.Benchmarks;

/// <summary>
/// Finds the real ImageNet samples that live beside the project (<c>../shared/data/imagenet-samples</c> from the
/// repository root). BenchmarkDotNet runs each benchmark in a child process from a generated folder deep under
/// bin/, so the folder is searched for in every ancestor of the working directory and of the assembly;
/// <c>DCTNET_DATA</c> (the folder holding <c>imagenet-samples</c>) overrides the search.
/// </summary>
internal static class SampleImages
{
    public const string SubFolder = "imagenet-samples";

    public static string? FindFolder()
    {
        var overridden = Environment.GetEnvironmentVariable("DCTNET_DATA");
        if (!string.IsNullOrEmpty(overridden))
        {
            var candidate = Path.Combine(overridden, SubFolder);
            return Directory.Exists(candidate) ? candidate : null;
        }
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "shared", "data", SubFolder);
                if (Directory.Exists(candidate))
                    return candidate;
            }
        }
        return null;
    }

    public static string MissingMessage =>
        $"skipped: the ImageNet samples (../shared/data/{SubFolder} from the repository root, or $DCTNET_DATA/{SubFolder}) are not on this machine.";

    public static string RequireFolder() => FindFolder() ?? throw new InvalidOperationException(MissingMessage);

    /// <summary>The JPEG files of the folder in ordinal name order, optionally only the first <paramref name="count"/>.</summary>
    public static string[] JpegFiles(string folder, int count = int.MaxValue) =>
        Directory.EnumerateFiles(folder)
            .Where(p => Path.GetExtension(p).ToUpperInvariant() is ".JPG" or ".JPEG")
            .Order(StringComparer.Ordinal)
            .Take(count)
            .ToArray();
}
