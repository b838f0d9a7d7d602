using System.Globalization;
using DctNet.Frequency.Channels;
using ScottPlot;

namespace DctNet.Reporting;

/// <summary>
/// The paper's gate selection figure: three 8x8 grids side by side (Y, Cb, Cr), u across and v down with the DC
/// coefficient at the top left, one colour scale from 0 to 1 for all three, and each cell's value written in it.
/// </summary>
public static class SelectionHeatmap
{
    public const int Width = 1500;
    public const int Height = 560;

    private static readonly string[] ComponentNames = ["Y", "Cb", "Cr"];
    private const int BlockSize = 8;

    /// <summary>The space between two grids, in cells.</summary>
    private const double Gap = 1.5;

    /// <summary>Draws <paramref name="frequencies"/> (192 values in [0, 1], Y then Cb then Cr, k = 8v + u) to a PNG, atomically.</summary>
    public static void Render(IReadOnlyList<double> frequencies, string pngPath, string title = "Input gate: selection frequency per channel")
    {
        if (frequencies.Count != ChannelSubset.TotalChannels)
            throw new ArgumentException($"Expected {ChannelSubset.TotalChannels} frequencies (Y, Cb, Cr), got {frequencies.Count}.", nameof(frequencies));

        PlotFonts.EnsureRegistered();
        var plot = new Plot();
        var colormap = new ScottPlot.Colormaps.Viridis();
        var horizontalTicks = new ScottPlot.TickGenerators.NumericManual();
        ScottPlot.Plottables.Heatmap? last = null;
        for (int component = 0; component < ComponentNames.Length; component++)
        {
            double left = component * (BlockSize + Gap);
            var cells = new double[BlockSize, BlockSize];
            for (int v = 0; v < BlockSize; v++)
            {
                for (int u = 0; u < BlockSize; u++)
                    cells[v, u] = frequencies[component * ChannelSubset.ChannelsPerComponent + BlockSize * v + u];
            }
            // Row 0 of the array is drawn at the top of its rectangle: v = 0 on top, as in the paper's figure.
            var heatmap = plot.Add.Heatmap(cells);
            heatmap.Colormap = colormap;
            heatmap.ManualRange = new ScottPlot.Range(0, 1);
            heatmap.Rectangle = new CoordinateRect(left, left + BlockSize, 0, BlockSize);
            last = heatmap;

            var name = plot.Add.Text(ComponentNames[component], left + BlockSize / 2.0, BlockSize + 0.15);
            name.LabelFontSize = 22;
            name.LabelBold = true;
            name.LabelAlignment = Alignment.LowerCenter;

            for (int u = 0; u < BlockSize; u++)
                horizontalTicks.AddMajor(left + u + 0.5, u.ToString(CultureInfo.InvariantCulture));
            for (int v = 0; v < BlockSize; v++)
            {
                for (int u = 0; u < BlockSize; u++)
                    AddCellLabel(plot, cells[v, u], left + u + 0.5, BlockSize - v - 0.5);
            }
        }

        var verticalTicks = new ScottPlot.TickGenerators.NumericManual();
        for (int v = 0; v < BlockSize; v++)
            verticalTicks.AddMajor(BlockSize - v - 0.5, v.ToString(CultureInfo.InvariantCulture));
        plot.Axes.Bottom.TickGenerator = horizontalTicks;
        plot.Axes.Left.TickGenerator = verticalTicks;
        plot.Axes.SetLimits(-0.2, 3 * BlockSize + 2 * Gap + 0.2, -0.2, BlockSize + 1.1);
        plot.HideGrid();
        plot.Axes.Frame(false);
        plot.Title(title, size: 20);
        plot.XLabel("u (horizontal frequency)");
        plot.YLabel("v (vertical frequency)");

        var colorBar = plot.Add.ColorBar(last!);
        colorBar.Label = "selection frequency";
        var scaleTicks = new ScottPlot.TickGenerators.NumericManual();
        foreach (double tick in (double[])[0, 0.25, 0.5, 0.75, 1])
            scaleTicks.AddMajor(tick, tick.ToString("0.00", CultureInfo.InvariantCulture));
        colorBar.Axis.TickGenerator = scaleTicks;
        PngFile.Save(plot, pngPath, Width, Height);
    }

    /// <summary>Two decimals fit a cell at this size; the colour is picked against viridis (dark below about 0.6).</summary>
    private static void AddCellLabel(Plot plot, double value, double x, double y)
    {
        var label = plot.Add.Text(value.ToString("0.00", CultureInfo.InvariantCulture), x, y);
        label.LabelFontSize = 11;
        label.LabelAlignment = Alignment.MiddleCenter;
        label.LabelFontColor = value < 0.6 ? Colors.White : Colors.Black;
    }
}
