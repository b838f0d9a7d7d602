namespace DctNet.Fuzz;

/// <summary>Where a corpus is written, and the folders its cases own.</summary>
public sealed class FuzzCorpus(string root)
{
    public string Root { get; } = Path.GetFullPath(root);

    /// <summary>Files several cases read and none writes (e.g. a valid image beside the hostile ones).</summary>
    public string Shared => System.IO.Directory.CreateDirectory(Path.Combine(Root, "shared")).FullName;

    /// <summary>A new, empty folder for one case.</summary>
    public string CaseDirectory(string caseClass, string name) => System.IO.Directory.CreateDirectory(Path.Combine(Root, caseClass, name)).FullName;

    /// <summary>Writes <paramref name="content"/> as <paramref name="fileName"/> in <paramref name="directory"/>; returns its full path.</summary>
    public static string WriteFile(string directory, string fileName, ReadOnlySpan<byte> content)
    {
        string path = Path.Combine(directory, fileName);
        File.WriteAllBytes(path, content.ToArray());
        return path;
    }

    /// <summary>
    /// Every class's cases, written below <see cref="Root"/>. Each class lives in its own file (CheckpointCases.cs, ...)
    /// and is listed here once.
    /// </summary>
    public IReadOnlyList<FuzzCase> WriteAll()
    {
        var writers = new Func<FuzzCorpus, IEnumerable<FuzzCase>>[]
        {
            NpyCases.Write,
            CocoCases.Write,
            CliCases.Write,
        };
        var cases = writers.SelectMany(write => write(this)).ToList();
        var duplicate = cases.GroupBy(c => c.ToString()).FirstOrDefault(group => group.Count() > 1);
        if (duplicate is not null)
            throw new InvalidOperationException($"Two fuzz cases are named {duplicate.Key}.");
        return cases;
    }
}
