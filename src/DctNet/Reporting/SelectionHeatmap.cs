using System.Globalization;
using DctNet.Frequency.Channels;
using ScottPlot;

namespace DctNet.Reporting;

/// <summary>The colour scale of a <see cref="SelectionHeatmap"/>: its range, its label and how cells print their values.</summary>
/// <param name="CellFormat">.NET format of the value written in each cell.</param>
public sealed record HeatmapScale(double Min, double Max, string Label, string CellFormat)
{
    /// <summary>The gate's selection frequency, 0 to 1.</summary>
    public static HeatmapScale SelectionFrequency { get; } = new(0, 1, "selection frequency", "0.00");

    /// <summary>
    /// Top-1 points lost: from 0 (or the largest gain, where an ablation helped) to the largest drop, at least 1 point so
    /// that a model insensitive everywhere is not drawn as if it were sensitive.
    /// </summary>
    public static HeatmapScale AccuracyDrop(IEnumerable<double> drops)
    {
        var measured = drops.Where(double.IsFinite).DefaultIfEmpty(0).ToList();
        return new HeatmapScale(Math.Min(0, measured.Min()), Math.Max(1, measured.Max()), "top-1 points lost", "0.0");
    }

    /// <summary>Where <paramref name="value"/> falls between <see cref="Min"/> (0) and <see cref="Max"/> (1).</summary>
    public double Fraction(double value) => (value - Min) / (Max - Min);
}

/// <summary>
/// The paper's gate selection figure: three 8x8 grids side by side (Y, Cb, Cr), u across and v down with the DC
/// coefficient at the top left, one colour scale for all three (<see cref="HeatmapScale"/>), and each cell's value
/// written in it; cells without a value (NaN) are grey and blank.
/// </summary>
public static class SelectionHeatmap
{
    public const int Width = 1500;
    public const int Height = 560;

    private const int BlockSize = 8;

    /// <summary>The space between two grids, in cells.</summary>
    private const double Gap = 1.5;

    /// <summary>Draws <paramref name="frequencies"/> (192 values in [0, 1], Y then Cb then Cr, k = 8v + u) to a PNG, atomically.</summary>
    public static void Render(IReadOnlyList<double> frequencies, string pngPath, string title = "Input gate: selection frequency per channel")
        => Render(frequencies, pngPath, title, HeatmapScale.SelectionFrequency);

    /// <summary>Draws <paramref name="values"/> (192, Y then Cb then Cr, k = 8v + u; NaN for none) on <paramref name="scale"/> to a PNG, atomically.</summary>
    public static void Render(IReadOnlyList<double> values, string pngPath, string title, HeatmapScale scale)
    {
        if (values.Count != ChannelSubset.TotalChannels)
            throw new ArgumentException($"Expected {ChannelSubset.TotalChannels} values (Y, Cb, Cr), got {values.Count}.", nameof(values));

        PlotFonts.EnsureRegistered();
        var plot = new Plot();
        var colormap = new ScottPlot.Colormaps.Viridis();
        var horizontalTicks = new ScottPlot.TickGenerators.NumericManual();
        ScottPlot.Plottables.Heatmap? last = null;
        for (int component = 0; component < ChannelSubset.ComponentNames.Count; component++)
        {
            double left = component * (BlockSize + Gap);
            var cells = new double[BlockSize, BlockSize];
            for (int v = 0; v < BlockSize; v++)
            {
                for (int u = 0; u < BlockSize; u++)
                    cells[v, u] = values[component * ChannelSubset.ChannelsPerComponent + BlockSize * v + u];
            }
            // Row 0 of the array is drawn at the top of its rectangle: v = 0 on top, as in the paper's figure.
            var heatmap = plot.Add.Heatmap(cells);
            heatmap.Colormap = colormap;
            heatmap.ManualRange = new ScottPlot.Range(scale.Min, scale.Max);
            heatmap.NaNCellColor = Colors.LightGray;
            heatmap.Rectangle = new CoordinateRect(left, left + BlockSize, 0, BlockSize);
            last = heatmap;

            var name = plot.Add.Text(ChannelSubset.ComponentNames[component], left + BlockSize / 2.0, BlockSize + 0.15);
            name.LabelFontSize = 22;
            name.LabelBold = true;
            name.LabelAlignment = Alignment.LowerCenter;

            for (int u = 0; u < BlockSize; u++)
                horizontalTicks.AddMajor(left + u + 0.5, u.ToString(CultureInfo.InvariantCulture));
            for (int v = 0; v < BlockSize; v++)
            {
                for (int u = 0; u < BlockSize; u++)
                    AddCellLabel(plot, cells[v, u], scale, left + u + 0.5, BlockSize - v - 0.5);
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
        colorBar.Label = scale.Label;
        var scaleTicks = new ScottPlot.TickGenerators.NumericManual();
        foreach (double fraction in (double[])[0, 0.25, 0.5, 0.75, 1])
        {
            double tick = scale.Min + fraction * (scale.Max - scale.Min);
            scaleTicks.AddMajor(tick, tick.ToString(scale.CellFormat, CultureInfo.InvariantCulture));
        }
        colorBar.Axis.TickGenerator = scaleTicks;
        PngFile.Save(plot, pngPath, Width, Height);
    }

    /// <summary>Four characters fit a cell at this size; the colour is picked against viridis (dark below about 0.6 of the scale).</summary>
    private static void AddCellLabel(Plot plot, double value, HeatmapScale scale, double x, double y)
    {
        if (double.IsNaN(value))
            return;
        var label = plot.Add.Text(value.ToString(scale.CellFormat, CultureInfo.InvariantCulture), x, y);
        label.LabelFontSize = 11;
        label.LabelAlignment = Alignment.MiddleCenter;
        label.LabelFontColor = scale.Fraction(value) < 0.6 ? Colors.White : Colors.Black;
    }
}
