using DctNet.Frequency.IO;
using DctNet.Frequency.Imaging;

namespace DctNet.Data;

/// <summary>
/// A torchvision-style ImageFolder: <c>root/&lt;class&gt;/.../&lt;image&gt;</c>, classes indexed in ordinal order of
/// their folder names, images in ordinal order of their paths within each class.
/// </summary>
public sealed class ImageFolder
{
    private ImageFolder(string root, ClassLabels classes, IReadOnlyList<(string Path, int Label)> samples, IReadOnlyList<SkippedFile> skipped)
    {
        (Root, Classes, Samples, Skipped) = (root, classes, samples, skipped);
    }

    public string Root { get; }
    public ClassLabels Classes { get; }
    public IReadOnlyList<(string Path, int Label)> Samples { get; }

    /// <summary>Image-named entries of the class folders that are not samples: FIFOs, devices, dangling links, undecodable names.</summary>
    public IReadOnlyList<SkippedFile> Skipped { get; }

    /// <param name="followLinks">Enter links to folders below the class folders (each folder once); the class folders themselves are always followed.</param>
    public static ImageFolder Open(string root, bool followLinks = false)
    {
        if (!Directory.Exists(root))
            throw new ArgumentException($"{root}: {(File.Exists(root) ? "not a folder" : FileProbe.MissingReason(root))}.");
        var classes = ClassLabels.FromImageFolder(root);
        if (classes.Count == 0)
            throw new ArgumentException($"{root}: no class folders (expected {root}/<class>/<image>).");
        var samples = new List<(string, int)>();
        var skipped = new List<SkippedFile>();
        for (int label = 0; label < classes.Count; label++)
        {
            string classRoot = Path.Combine(root, classes.Names[label]);
            var found = ImageFiles.Find(classRoot, followLinks);
            samples.AddRange(found.Relative.Select(relative => (Path.Combine(classRoot, relative), label)));
            skipped.AddRange(found.Skipped);
        }
        if (samples.Count == 0)
            throw new ArgumentException($"{root}: the class folders hold no images ({string.Join(' ', ImageFiles.Extensions)}).");
        return new ImageFolder(root, classes, samples, skipped);
    }
}
