namespace DctNet.Detection.Coco;

/// <summary>A COCO annotation or results file that cannot be used; the message names the file and the problem.</summary>
public sealed class CocoFormatException : Exception
{
    public CocoFormatException(string path, string problem, Exception? inner = null)
        : base($"{path}: {problem}", inner)
    {
        FilePath = path;
        Problem = problem;
    }

    public string FilePath { get; }

    public string Problem { get; }
}
