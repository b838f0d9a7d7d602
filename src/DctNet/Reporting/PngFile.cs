using DctNet.Frequency.IO;
using ScottPlot;

namespace DctNet.Reporting;

/// <summary>Saves plots as PNG atomically, so that a viewer or a report never picks up half an image.</summary>
public static class PngFile
{
    public static void Save(Plot plot, string path, int width, int height) => Save(plot.GetImageBytes(width, height, ImageFormat.Png), path);

    public static void Save(Multiplot figure, string path, int width, int height)
    {
        using var image = figure.Render(width, height);
        Save(image.GetImageBytes(ImageFormat.Png), path);
    }

    private static void Save(byte[] png, string path) => AtomicFile.WriteAllBytes(path, png);
}
