using DctNet.Checkpoints;
using DctNet.Frequency.IO;

namespace DctNet.Data;

/// <summary>Human-readable names of a classifier's output indexes.</summary>
public sealed class ClassLabels
{
    private ClassLabels(IReadOnlyList<string> names) => Names = names;

    public IReadOnlyList<string> Names { get; }

    public int Count => Names.Count;

    public string this[int index] => index >= 0 && index < Names.Count ? Names[index] : $"class {index}";

    /// <summary>The 1000 ImageNet classes in the standard index order (sorted WordNet ids).</summary>
    public static ClassLabels ImageNet { get; } = LoadImageNet();

    /// <summary>
    /// The largest labels file read: <see cref="CheckpointLimits.MaxClasses"/> names of a few hundred bytes each. A
    /// mistaken path (a dataset archive) is refused without being read into memory.
    /// </summary>
    public const int MaxFileBytes = 16 << 20;

    /// <summary>One name per line; blank lines and lines starting with '#' are skipped; "id&lt;TAB&gt;name" keeps the name.</summary>
    /// <exception cref="FileRefusedException">Missing, not a regular file, or larger than <see cref="MaxFileBytes"/>.</exception>
    /// <exception cref="ArgumentException">No labels in the file; the message starts with the path.</exception>
    public static ClassLabels Load(string path)
    {
        var names = Parse(FileProbe.ReadAllText(path, MaxFileBytes).Split(["\r\n", "\n", "\r"], StringSplitOptions.None));
        if (names.Count == 0)
            throw new ArgumentException($"{path}: no labels (one class name per line expected).");
        return new ClassLabels(names);
    }

    /// <summary>The class folders of an ImageFolder root, sorted by name (the index order torchvision uses).</summary>
    public static ClassLabels FromImageFolder(string root)
        => new(Directory.GetDirectories(root).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList()!);

    private static List<string> Parse(IEnumerable<string> lines) => lines
        .Select(line => line.Trim())
        .Where(line => line.Length > 0 && !line.StartsWith('#'))
        .Select(line => line.Contains('\t') ? line[(line.IndexOf('\t') + 1)..] : line)
        .ToList();

    private static ClassLabels LoadImageNet()
    {
        var assembly = typeof(ClassLabels).Assembly;
        using var stream = assembly.GetManifestResourceStream("DctNet.Resources.imagenet_classes.tsv")
            ?? throw new InvalidOperationException("The ImageNet class list is missing from the assembly.");
        using var reader = new StreamReader(stream);
        var lines = new List<string>();
        while (reader.ReadLine() is { } line)
            lines.Add(line);
        return new ClassLabels(Parse(lines));
    }
}
