using System.CommandLine;
using System.Text.RegularExpressions;
using DctNet.Analysis;
using DctNet.Cli.Commands;
using DctNet.Cli.Demo;
using DctNet.Demo;
using DctNet.Training;

namespace DctNet.Cli.Tests.Commands;

/// <summary>dctnet demo end to end on a tiny plan (32-pixel images, a few per class, one epoch), and its refusals.</summary>
public sealed class DemoCommandTests
{
    private static readonly DemoPlan Tiny = new()
    {
        Dataset = new SyntheticDatasetSize(TrainPerClass: 4, ValPerClass: 2, ImageSide: 32),
        Epochs = 1,
        GatedEpochs = 2,
        BatchSize = 8,
        WarmupEpochs = 0,
        SubsetChannels = 6,
        GateRecipe = new GateRecipe { PenaltyWarmupEpochs = 0, PruningEpochs = 1, FinalSharpness = 2 },
    };

    private static CliResult RunTiny(string output, CancellationToken cancellation = default)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var context = new CliContext(stdout, stderr, interactive: false, cancellation);
        int exitCode = DemoCommand.Create(context, Tiny).Parse(["--out", output, "--threads", "2", "--seed", "5"]).Invoke();
        return new CliResult(exitCode, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public void A_demo_writes_the_report_with_its_table_and_figures_and_runs_again_over_itself()
    {
        using var harness = new CliHarness();
        string output = harness.PathIn("demo");

        var result = RunTiny(output);

        Assert.True(result.ExitCode == 0, result.ToString());
        string report = Path.Combine(output, DemoRun.ReportFile);
        Assert.Matches($@"report: {Regex.Escape(report)} \(\d+\.\d minutes\)\s*$", result.Out);
        string markdown = File.ReadAllText(report);
        foreach (var (name, model, channels) in new[] { ("rgb", "resnet18", "RGB"), ("dct24", "resnet18-dct-s2", "DCT-24"), ("gated", "resnet18-dct-s2", "192, gated"), ("dct24-jpeg", "resnet18-dct-s2", "DCT-24, jpeg pipeline") })
        {
            // model | network | input | channels | MMAC | parameters | top-1 | train images/s | inference images/s
            var row = new Regex($@"^\| {name} \| `{Regex.Escape(model)}` \| [^|]+ \| {Regex.Escape(channels)} \| (\d+\.\d) \| ([\d,]+) \| (\d+\.\d)% \| (\d+\.\d) \| (\d+\.\d) \|$", RegexOptions.Multiline)
                .Match(markdown);
            Assert.True(row.Success, $"no table row for {name} in:\n{markdown}");
            Assert.True(double.Parse(row.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) > 0);
            Assert.InRange(double.Parse(row.Groups[3].Value, System.Globalization.CultureInfo.InvariantCulture), 0, 100);
            Assert.True(double.Parse(row.Groups[5].Value, System.Globalization.CultureInfo.InvariantCulture) > 0);
            AssertPng(Path.Combine(output, DemoRun.RunsFolder, name, "curves.png"));
            Assert.Contains($"]({DemoRun.RunsFolder}/{name}/curves.png)", markdown);
        }
        AssertPng(Path.Combine(output, DemoRun.AnalysisFolder, GateSelection.HeatmapFile));
        Assert.Contains($"]({DemoRun.AnalysisFolder}/{GateSelection.HeatmapFile})", markdown);
        Assert.True(File.Exists(Path.Combine(output, DemoRun.AnalysisFolder, GateSelection.SubsetFile)));
        Assert.Matches(@"keeps \*\*\d+\.\d of 192\*\* channels on", markdown);
        foreach (string model in DemoRun.SensitivityModels)
        {
            string folder = $"{DemoRun.AnalysisFolder}/{DemoRun.SensitivityFolder(model)}";
            AssertPng(Path.Combine(output, folder, SpectralSensitivity.HeatmapFile));
            Assert.True(File.Exists(Path.Combine(output, folder, SpectralSensitivity.SensitivityFile)));
            Assert.Contains($"]({folder}/{SpectralSensitivity.HeatmapFile})", markdown);
            Assert.Contains($"dctnet analyze runs/{model} --sensitivity --out {folder} --seed 5", markdown);
        }
        // One row per defining channel (2 + 2 + 4), and the count of each of the three maps.
        Assert.Equal(8, Regex.Count(markdown, @"^\| (horizontal-stripes|vertical-stripes|colour-stripes) \| (Y|Cb|Cr) \d+ \(u \d, v \d\) \| \d+ \| \d+ \| \d+ \|$", RegexOptions.Multiline));
        Assert.Matches(@"in the top quarter \(rank 48 or better\)\*\* \| \| \*\*\d+ of 8\*\* \| \*\*\d+ of 8\*\* \| \*\*\d+ of 8\*\* \|", markdown);
        Assert.Contains("--gate --gate-lambda 0.1 --gate-target 24", markdown);
        Assert.Contains("--gate-pruning-epochs 1 --gate-sharpness 2", markdown);
        Assert.Contains("sharpened 2x", markdown);
        Assert.Contains($"dctnet train --model resnet18-dct-s2 --channels 24 --data {Path.Combine(output, DemoRun.DataFolder)} --crop 32 --resize 32 --stats stats.json", markdown);
        Assert.Contains("dctnet analyze runs/gated --out analysis --export-subset 6 --seed 5", markdown);
        // The gated model trains for its own epochs, and every model on the whole images, as the report's commands say.
        string runs = Path.Combine(output, DemoRun.RunsFolder);
        Assert.Equal(2, File.ReadAllLines(Path.Combine(runs, "gated", "metrics.jsonl")).Length);
        Assert.Single(File.ReadAllLines(Path.Combine(runs, "dct24", "metrics.jsonl")));
        Assert.Equal(4, Directory.GetDirectories(runs).Length);
        Assert.All(Directory.GetDirectories(runs), run => Assert.Contains("\"augment\": false", File.ReadAllText(Path.Combine(run, "options.json"))));
        Assert.Matches(@"dctnet train --model resnet18-dct-s2 --channels 192 --gate .* --epochs 2 .* --no-augmentation --out runs/gated", markdown);
        Assert.Equal(4, Regex.Count(markdown, @"^dctnet train .* --no-augmentation --out runs/", RegexOptions.Multiline));
        Assert.Matches(@"\| jpeg \(the files' own coefficients\) \| \d+\.\d% \| \d+ \| \d+\.\d \|", markdown);
        Assert.Contains($"--crop 32 --resize 32 --stats jpeg_stats.json --pipeline jpeg", markdown);
        Assert.Contains($"dctnet stats --data {Path.Combine(output, DemoRun.DataFolder, "train")} --pipeline jpeg --crop 32 --out jpeg_stats.json", markdown);

        string stray = Path.Combine(output, "notes.txt");
        File.WriteAllText(stray, "mine");
        File.WriteAllText(Path.Combine(output, DemoRun.RunsFolder, "rgb", "leftover.txt"), "from the previous demo");

        var again = RunTiny(output);

        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.False(File.Exists(Path.Combine(output, DemoRun.RunsFolder, "rgb", "leftover.txt")));
        Assert.Equal("mine", File.ReadAllText(stray));
    }

    [Fact]
    public void A_folder_of_something_else_is_refused_untouched()
    {
        using var harness = new CliHarness();
        string output = harness.PathIn("photos");
        string photo = harness.CopyImage("jpeg_420.jpg", "photos/holiday.jpg");

        var result = CliHarness.Run("demo", "--out", output);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"error: --out: {output} holds files that are not a demo's (no demo.json)", result.Error);
        Assert.Equal(["holiday.jpg"], CliHarness.FilesBelow(output));
        Assert.Equal(File.ReadAllBytes(CliHarness.PathOfImage("jpeg_420.jpg")), File.ReadAllBytes(photo));
    }

    [Fact]
    public void Ctrl_C_exits_130_and_says_the_next_demo_starts_over()
    {
        using var harness = new CliHarness();
        using var interrupt = new CancellationTokenSource();
        interrupt.Cancel();

        var result = RunTiny(harness.PathIn("demo"), interrupt.Token);

        Assert.Equal(130, result.ExitCode);
        Assert.Contains("interrupted in step 1 of 9 (dataset)", result.Error);
        Assert.Contains("which the next 'dctnet demo' replaces", result.Error);
    }

    [Fact]
    public void Help_says_what_the_demo_makes()
    {
        var result = CliHarness.Run("demo", "--help");

        Assert.Equal(0, result.ExitCode);
        Assert.Contains("report.md", result.Out);
        Assert.Contains("--out", result.Out);
        Assert.Contains("[default: out/demo]", result.Out);
        Assert.Contains("ResNet-18-DCT on DCT-24", result.Out);
    }

    private static void AssertPng(string path)
    {
        var bytes = File.ReadAllBytes(path);
        Assert.Equal<byte>([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A], bytes[..8]);
        Assert.Equal("IHDR", System.Text.Encoding.ASCII.GetString(bytes, 12, 4));
        int width = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(16));
        int height = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(20));
        Assert.True(width > 100 && height > 100, $"{path}: {width} x {height}");
        Assert.True(bytes.Length > 10_000, $"{path}: {bytes.Length} bytes");
    }
}
