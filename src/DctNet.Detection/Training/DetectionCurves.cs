using DctNet.Reporting;
using DctNet.Training;
using ScottPlot;

namespace DctNet.Detection.Training;

/// <summary>
/// The curves of a detection run: each loss term and their sum per epoch on the left (log scale: the terms differ by
/// orders of magnitude), the validation AP and AP50 per epoch beside them, for boxes and, where evaluated, masks;
/// redrawn from the run's metrics.jsonl after each committed epoch.
/// </summary>
public sealed class DetectionCurves(string directory, string title) : IEpochHook<DetectionEpochMetrics>
{
    public const int Width = 1400;
    public const int Height = 560;

    public void AfterEpoch(DetectionEpochMetrics metrics)
        => Render(DetectionTrainingRun.ReadMetrics(Path.Combine(directory, RunLedger.MetricsFile)), Path.Combine(directory, RunLedger.CurvesFile), title);

    /// <summary>Draws the curves of <paramref name="epochs"/> to a PNG, atomically.</summary>
    public static void Render(IReadOnlyList<DetectionEpochMetrics> epochs, string pngPath, string title)
    {
        ArgumentNullException.ThrowIfNull(epochs);
        double[] x = [.. epochs.Select(e => (double)e.Epoch)];
        PlotFonts.EnsureRegistered();
        var figure = new Multiplot();
        figure.AddPlots(2);
        figure.Layout = new ScottPlot.MultiplotLayouts.Columns();

        var losses = figure.GetPlot(0);
        EpochPlots.AddLine(losses, x, [.. epochs.Select(e => Math.Log10(e.Loss))], "total");
        foreach (string term in epochs.Count > 0 ? epochs[0].Losses.Keys : [])
            EpochPlots.AddLine(losses, x, [.. epochs.Select(e => Math.Log10(Math.Max(e.Losses.GetValueOrDefault(term), 1e-12)))], term);
        EpochPlots.Label(losses, $"{title}: training loss", "log10 of the epoch's mean", Alignment.UpperRight);

        var precision = figure.GetPlot(1);
        EpochPlots.AddLine(precision, x, [.. epochs.Select(e => 100 * Math.Max(e.Bbox[0], 0))], "box AP");
        EpochPlots.AddLine(precision, x, [.. epochs.Select(e => 100 * Math.Max(e.Bbox[1], 0))], "box AP50");
        if (epochs.Count > 0 && epochs.All(e => e.Segm is not null))
        {
            EpochPlots.AddLine(precision, x, [.. epochs.Select(e => 100 * Math.Max(e.Segm![0], 0))], "mask AP");
            EpochPlots.AddLine(precision, x, [.. epochs.Select(e => 100 * Math.Max(e.Segm![1], 0))], "mask AP50");
        }
        EpochPlots.Label(precision, $"{title}: validation", "COCO AP (%)", Alignment.LowerRight);
        precision.Axes.SetLimitsY(0, 104);

        PngFile.Save(figure, pngPath, Width, Height);
    }
}
