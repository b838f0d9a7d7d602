using System.Globalization;
using System.Text.Json;
using ScottPlot;

namespace DctNet.Reporting;

/// <summary>One epoch of a classification run's <c>metrics.jsonl</c> as the curves draw it; accuracies in percent.</summary>
public sealed record PlottedEpoch(int Epoch, double TrainLoss, double ValLoss, double ValTop1, double ValTop5, double? TrainTop1, double? ChannelsOn);

/// <summary>
/// The training curves of a run: loss per epoch (train and validation) on the left, accuracy per epoch (validation
/// top-1 and top-5, training top-1 when logged) beside it, and for gated runs the mean number of channels on per sample.
/// </summary>
public static class Curves
{
    public const int Width = 1400;
    public const int Height = 560;

    /// <summary>Width of the figure with the third (channels on) panel.</summary>
    public const int GatedWidth = 2100;

    /// <summary>Reads <paramref name="metricsJsonlPath"/> (one JSON object per line) and draws its curves to a PNG, atomically.</summary>
    /// <exception cref="FormatException">A line is not a JSON object with epoch, train_loss, val_loss, val_top1 and val_top5.</exception>
    public static void Render(string metricsJsonlPath, string pngPath, string title = "Training curves")
        => Render(Read(metricsJsonlPath), pngPath, title);

    /// <summary>Draws the curves of <paramref name="epochs"/> to a PNG, atomically.</summary>
    public static void Render(IReadOnlyList<PlottedEpoch> epochs, string pngPath, string title = "Training curves")
    {
        double[] x = [.. epochs.Select(e => (double)e.Epoch)];
        bool gated = epochs.Count > 0 && epochs.All(e => e.ChannelsOn is not null);
        PlotFonts.EnsureRegistered();
        var figure = new Multiplot();
        figure.AddPlots(gated ? 3 : 2);
        figure.Layout = new ScottPlot.MultiplotLayouts.Columns();

        var loss = figure.GetPlot(0);
        EpochPlots.AddLine(loss, x, [.. epochs.Select(e => e.TrainLoss)], "train");
        EpochPlots.AddLine(loss, x, [.. epochs.Select(e => e.ValLoss)], "validation");
        EpochPlots.Label(loss, $"{title}: loss", "loss", Alignment.UpperRight);

        var accuracy = figure.GetPlot(1);
        EpochPlots.AddLine(accuracy, x, [.. epochs.Select(e => e.ValTop1)], "validation top-1");
        EpochPlots.AddLine(accuracy, x, [.. epochs.Select(e => e.ValTop5)], "validation top-5");
        if (epochs.Count > 0 && epochs.All(e => e.TrainTop1 is not null))
            EpochPlots.AddLine(accuracy, x, [.. epochs.Select(e => e.TrainTop1!.Value)], "train top-1");
        EpochPlots.Label(accuracy, $"{title}: accuracy", "accuracy (%)", Alignment.LowerRight);
        // A fixed 0-100 scale: runs and epochs compare at a glance, and 100% stays clear of the frame.
        accuracy.Axes.SetLimitsY(0, 104);

        if (gated)
        {
            var channels = figure.GetPlot(2);
            EpochPlots.AddLine(channels, x, [.. epochs.Select(e => e.ChannelsOn!.Value)], "channels on (mean per image)");
            EpochPlots.Label(channels, $"{title}: input gate", "channels on (of 192)", Alignment.UpperRight);
            channels.Axes.SetLimitsY(0, 200);
        }

        PngFile.Save(figure, pngPath, gated ? GatedWidth : Width, Height);
    }

    /// <summary>The epochs of a <c>metrics.jsonl</c>, blank lines skipped.</summary>
    public static IReadOnlyList<PlottedEpoch> Read(string metricsJsonlPath)
    {
        var epochs = new List<PlottedEpoch>();
        int lineNumber = 0;
        foreach (string line in File.ReadLines(metricsJsonlPath))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
                continue;
            try
            {
                using var document = JsonDocument.Parse(line);
                var root = document.RootElement;
                double? Optional(string name) => root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetDouble() : null;
                epochs.Add(new PlottedEpoch(root.GetProperty("epoch").GetInt32(), Number(root.GetProperty("train_loss")), Number(root.GetProperty("val_loss")),
                    Number(root.GetProperty("val_top1")), Number(root.GetProperty("val_top5")), Optional("train_top1"), Optional("channels_on")));
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
            {
                throw new FormatException($"{metricsJsonlPath}:{lineNumber}: expected a JSON object with epoch, train_loss, val_loss, val_top1 and val_top5 ({e.Message}).", e);
            }
        }
        return epochs;
    }

    /// <summary>A number, or the "NaN" / "Infinity" / "-Infinity" that a run records for a loss that overflowed.</summary>
    private static double Number(JsonElement value)
        => value.ValueKind == JsonValueKind.String && double.TryParse(value.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out double named)
            && !double.IsFinite(named)
            ? named
            : value.GetDouble();
}
