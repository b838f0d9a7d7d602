using ScottPlot;

namespace DctNet.Reporting;

/// <summary>The look of a per-epoch panel, shared by the training curves of classification and detection runs.</summary>
public static class EpochPlots
{
    /// <summary>One curve with its markers and legend entry.</summary>
    public static void AddLine(Plot plot, double[] x, double[] y, string name)
    {
        var line = plot.Add.Scatter(x, y);
        line.LegendText = name;
        line.LineWidth = 2;
        line.MarkerSize = 6;
    }

    /// <param name="legend">Where the curves usually are not: loss falls, accuracy rises.</param>
    public static void Label(Plot plot, string title, string yLabel, Alignment legend)
    {
        plot.Title(title, size: 18);
        plot.XLabel("epoch");
        plot.YLabel(yLabel);
        // Whole epochs only: the default generator would put ticks at 0.5 on short runs.
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericAutomatic { IntegerTicksOnly = true };
        plot.ShowLegend(legend);
    }
}
