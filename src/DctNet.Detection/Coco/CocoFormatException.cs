namespace DctNet.Detection.Coco;

/// <summary>A COCO annotation or results file that cannot be used; the message names the file and the problem.</summary>
public sealed class CocoFormatException(string path, string problem, Exception? inner = null) : Exception($"{path}: {problem}", inner)
{
    public string FilePath { get; } = path;

    public string Problem { get; } = problem;
}
