namespace DctNet.Frequency.Imaging;

/// <summary>An image file that cannot be decoded; the message names the file and the problem.</summary>
public sealed class ImageDecodeException : Exception
{
    public ImageDecodeException(string source, string problem, Exception? inner = null)
        : base($"{source}: {problem}", inner)
    {
        Source = source;
        Problem = problem;
    }

    /// <summary>The file path, or a description of the in-memory source.</summary>
    public new string Source { get; }

    public string Problem { get; }
}
