using System.Globalization;

namespace DctNet.Cli;

/// <summary>How the bench commands print a throughput measured with <see cref="Timing"/>.</summary>
internal static class Throughput
{
    /// <summary>The line the contract asks for: "&lt;number&gt; images/s".</summary>
    public static string ImagesPerSecond(int images, double seconds)
        => string.Create(CultureInfo.InvariantCulture, $"{images / seconds:0.00} images/s");
}
