using DctNet.Frequency.Imaging;
using DctNet.Reporting;
using DctNet.Training;

namespace DctNet.Tests.Analysis;

public sealed class PlotTests : IDisposable
{
    private readonly string temp = Directory.CreateTempSubdirectory("dctnet-plots-").FullName;

    public void Dispose() => Directory.Delete(temp, recursive: true);

    [Fact]
    public void Selection_heat_map_is_a_png_of_the_expected_size_with_content()
    {
        // Low frequencies and Y selected most, as the paper reports.
        var frequencies = Enumerable.Range(0, 192)
            .Select(c => Math.Clamp(1.0 - (c % 64 / 8 + c % 8) / 10.0 - c / 64 * 0.3, 0, 1))
            .ToArray();
        string path = Path.Combine(temp, "heatmap.png");

        SelectionHeatmap.Render(frequencies, path);

        AssertPngWithContent(path, SelectionHeatmap.Width, SelectionHeatmap.Height);
        Assert.Equal([path], Directory.GetFiles(temp)); // written atomically: no temporary left behind
    }

    [Fact]
    public void Heat_map_draws_channel_k_at_column_u_and_row_v_of_its_component()
    {
        // Selected cells (component, u, v), channel 64 * component + 8v + u; every other channel 0 (dark viridis).
        // Y's DC and Cr's (7, 7) place the grid; the other three are asymmetric, so a transpose moves them.
        (int Component, int U, int V)[] selected = [(0, 0, 0), (0, 6, 1), (1, 1, 5), (2, 2, 6), (2, 7, 7)];
        var frequencies = new double[192];
        foreach (var (component, u, v) in selected)
            frequencies[64 * component + 8 * v + u] = 1;
        string path = Path.Combine(temp, "heatmap.png");

        SelectionHeatmap.Render(frequencies, path);

        // The yellow regions from left to right: the five cells, then the top of the colour bar right of the grids.
        var centres = YellowRegionCentres(new ImageDecoder().DecodeFile(path)).OrderBy(c => c.X).ToArray();
        Assert.True(selected.Length + 1 == centres.Length, "yellow regions at " + string.Join(" ", centres.Select(c => $"({c.X:0}, {c.Y:0})")));
        var (dc, last) = (centres[0], centres[^2]);
        // Grids 8 cells wide, 1.5 cells apart: Cr's u = 7 is 2 x 9.5 + 7 cells right of Y's u = 0; v = 7 is 7 cells
        // below v = 0 (DC at the top left).
        double cellWidth = (last.X - dc.X) / 26, cellHeight = (last.Y - dc.Y) / 7;
        Assert.True(cellWidth > 10 && cellHeight > 10, $"cells of {cellWidth:0.#} x {cellHeight:0.#} pixels: the DC cell is not at the top left");
        foreach (var ((component, u, v), centre) in selected.Zip(centres))
        {
            double expectedX = dc.X + (component * 9.5 + u) * cellWidth, expectedY = dc.Y + v * cellHeight;
            Assert.True(Math.Abs(centre.X - expectedX) < cellWidth / 4 && Math.Abs(centre.Y - expectedY) < cellHeight / 4,
                $"component {component} (u {u}, v {v}) expected at ({expectedX:0}, {expectedY:0}), drawn at ({centre.X:0}, {centre.Y:0})");
        }
    }

    [Fact]
    public void Heat_map_needs_192_values()
    {
        var error = Assert.Throws<ArgumentException>(() => SelectionHeatmap.Render(new double[64], Path.Combine(temp, "x.png")));
        Assert.Contains("192", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Training_curves_are_drawn_from_metrics_jsonl()
    {
        string metrics = Path.Combine(temp, "metrics.jsonl");
        File.WriteAllLines(metrics,
        [
            """{"epoch": 1, "train_loss": 0.71, "val_loss": 0.69, "val_top1": 54.2, "val_top5": 100, "train_top1": 51.0, "lr": 0.1, "channels_on": 150.5}""",
            """{"epoch": 2, "train_loss": 0.62, "val_loss": 0.66, "val_top1": 58.8, "val_top5": 100, "train_top1": 63.5, "lr": 0.1, "channels_on": 90.25}""",
            "",
            """{"epoch": 3, "train_loss": 0.55, "val_loss": 0.64, "val_top1": 61.4, "val_top5": 100, "train_top1": 70.1, "lr": 0.01, "channels_on": 41}""",
        ]);
        string path = Path.Combine(temp, "curves.png");

        Curves.Render(metrics, path);

        var epochs = Curves.Read(metrics);
        Assert.Equal([1, 2, 3], epochs.Select(e => e.Epoch));
        Assert.Equal([0.71, 0.62, 0.55], epochs.Select(e => e.TrainLoss));
        Assert.Equal([54.2, 58.8, 61.4], epochs.Select(e => e.ValTop1));
        Assert.Equal([51.0, 63.5, 70.1], epochs.Select(e => e.TrainTop1!.Value));
        Assert.Equal([150.5, 90.25, 41], epochs.Select(e => e.ChannelsOn!.Value));
        AssertPngWithContent(path, Curves.GatedWidth, Curves.Height); // the third panel: channels on

    }

    [Fact]
    public void Curves_without_optional_fields_are_drawn()
    {
        string metrics = Path.Combine(temp, "metrics.jsonl");
        File.WriteAllText(metrics, """{"epoch": 1, "train_loss": 1.5, "val_loss": 1.2, "val_top1": 40, "val_top5": 80}""" + "\n");
        string path = Path.Combine(temp, "curves.png");

        Curves.Render(metrics, path);

        Assert.Null(Assert.Single(Curves.Read(metrics)).TrainTop1);
        AssertPngWithContent(path, Curves.Width, Curves.Height);
    }

    [Fact]
    public void A_validation_loss_that_overflowed_is_recorded_and_drawn()
    {
        // An untrained resnet101-dct-s2 on six images at crop 64 gave a NaN validation loss after its first epoch.
        string metrics = Path.Combine(temp, "metrics.jsonl");
        File.WriteAllLines(metrics,
        [
            new ClassificationEpochMetrics(1, 1.45, 33.3, double.NaN, 50, 100, 0.0006, 3.5, 109, 0, null).ToJsonLine(),
            new ClassificationEpochMetrics(2, 1.2, 66.7, double.PositiveInfinity, 50, 100, 0.00005, 6.9, 109, 0, null).ToJsonLine(),
        ]);
        string path = Path.Combine(temp, "curves.png");

        Curves.Render(metrics, path);

        Assert.Equal([double.NaN, double.PositiveInfinity], Curves.Read(metrics).Select(e => e.ValLoss));
        Assert.True(double.IsNaN(ClassificationEpochMetrics.TryParse(File.ReadLines(metrics).First())!.ValLoss));
        AssertPngWithContent(path, Curves.Width, Curves.Height);
    }

    [Fact]
    public void A_metrics_line_without_a_required_field_names_the_line()
    {
        string metrics = Path.Combine(temp, "metrics.jsonl");
        File.WriteAllLines(metrics,
        [
            """{"epoch": 1, "train_loss": 1.5, "val_loss": 1.2, "val_top1": 40, "val_top5": 80}""",
            """{"epoch": 2, "train_loss": 1.4}""",
        ]);

        var error = Assert.Throws<FormatException>(() => Curves.Render(metrics, Path.Combine(temp, "curves.png")));

        Assert.StartsWith($"{metrics}:2:", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(temp, "curves.png")));
    }

    /// <summary>
    /// The bounding-box centres of the 4-connected regions of viridis' top end (value 1: yellow) at least 10 pixels
    /// wide and high: not the insides of the "1.00" label's zeros.
    /// </summary>
    private static List<(double X, double Y)> YellowRegionCentres(RgbImage image)
    {
        bool Yellow(int i) => image.Pixels[3 * i] > 200 && image.Pixels[3 * i + 1] > 200 && image.Pixels[3 * i + 2] < 100;
        var seen = new bool[image.Width * image.Height];
        var centres = new List<(double X, double Y)>();
        for (int start = 0; start < seen.Length; start++)
        {
            if (seen[start] || !Yellow(start))
                continue;
            int left = int.MaxValue, right = -1, top = int.MaxValue, bottom = -1;
            var pending = new Stack<int>([start]);
            seen[start] = true;
            while (pending.TryPop(out int i))
            {
                int x = i % image.Width, y = i / image.Width;
                (left, right, top, bottom) = (Math.Min(left, x), Math.Max(right, x), Math.Min(top, y), Math.Max(bottom, y));
                foreach (int next in (int[])[x > 0 ? i - 1 : -1, x + 1 < image.Width ? i + 1 : -1, i - image.Width, i + image.Width])
                {
                    if (next >= 0 && next < seen.Length && !seen[next] && Yellow(next))
                    {
                        seen[next] = true;
                        pending.Push(next);
                    }
                }
            }
            if (right - left >= 10 && bottom - top >= 10)
                centres.Add(((left + right) / 2.0, (top + bottom) / 2.0));
        }
        return centres;
    }

    /// <summary>Decodes the PNG and checks its size and that it is not one flat colour (a blank or failed render).</summary>
    internal static void AssertPngWithContent(string path, int width, int height)
    {
        var image = new ImageDecoder().DecodeFile(path);
        Assert.Equal(width, image.Width);
        Assert.Equal(height, image.Height);
        double mean = image.Pixels.Average(p => (double)p);
        double variance = image.Pixels.Average(p => (p - mean) * (p - mean));
        Assert.True(variance > 100, $"{path}: pixel variance {variance:0.0}, the image looks blank.");
    }
}
