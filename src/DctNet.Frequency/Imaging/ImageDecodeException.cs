namespace DctNet.Frequency.Imaging;

/// <summary>An image file that cannot be decoded; the message names the file and the problem.</summary>
public sealed class ImageDecodeException(string source, string problem, Exception? inner = null) : Exception($"{source}: {problem}", inner)
{
    /// <summary>The file path, or a description of the in-memory source.</summary>
    public new string Source { get; } = source;

    public string Problem { get; } = problem;
}
