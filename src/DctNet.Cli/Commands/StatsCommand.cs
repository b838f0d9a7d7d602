using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using DctNet.Frequency;
using DctNet.Frequency.Channels;
using DctNet.Frequency.Geometry;
using DctNet.Frequency.Imaging;

namespace DctNet.Cli.Commands;

/// <summary><c>dctnet stats --data &lt;folder&gt; --out stats.json</c>: per-channel mean and std of the raw DCT input over a dataset.</summary>
internal static class StatsCommand
{
    public static Command Create(CliContext context)
    {
        var data = new Option<string>("--data")
        {
            Description = "Folder of images, walked recursively (same file types as transform; hidden files ignored, links to folders entered only with --follow-links).",
            HelpName = "folder",
            Required = true,
        };
        var output = new Option<string>("--out")
        {
            Description = "The statistics file to write: {\"mean\": [192], \"std\": [192], \"count\": images, \"source\": folder, "
                + "\"zero_variance_channels\": [...], \"failures\", \"failed_files\", \"channels\", \"resize\", \"crop\", \"values_per_channel\"}.",
            HelpName = "stats.json",
            Required = true,
        }.OutputFile();
        var pipeline = new PipelineOptions();
        // The file always holds all 192 channels, since --stats reads 192; the subset is checked and recorded only.
        pipeline.Channels.Description = "The channel subset the statistics are meant for (6, 24, 32, 48, 64, 192 or a subset file), recorded "
            + "in the file as \"channels\". All 192 channels are always measured and written: --stats takes 192 and picks the subset's.";
        pipeline.Channels.DefaultValueFactory = _ => "192";
        var followLinks = ImageInputs.FollowLinksOption();

        var command = new Command("stats", """
            Measures the per-channel mean and population standard deviation (ddof 0) of the raw DCT coefficients over a
            folder of images, for normalizing with --stats. Each image goes through the validation pipeline (resize,
            centre crop, quality-100 4:2:0 DCT; with --pipeline jpeg the file's own coefficients in the centred window,
            padding left out) of the chosen geometry without normalization; all 192 channels are
            measured in float64 with Welford/Chan updates, each image reduced on a worker thread and merged in file
            order, so the file is the same bit for bit whatever --threads. A channel that never varies (possible on a
            few images) is written with std 1 - its values all equal its mean and normalize to 0 - and listed in
            "zero_variance_channels".
            A file that fails is reported as 'error: <path>: <reason>' and skipped; the statistics of the others are
            still written, "failures" counts the skipped ones, and the exit code is 1. The file is written atomically.

            Examples:
              dctnet stats --data imagenet/train --out imagenet_stats.json
              dctnet stats --data images/ --geometry mobilenetv2 --threads 8 --out stats.json
              dctnet stats --data images/ --pipeline jpeg --out jpeg_stats.json   # for --pipeline jpeg
              dctnet transform images/ --out features/ --stats stats.json
            """)
        {
            data, output, pipeline.Pipeline, pipeline.Channels, pipeline.Geometry, pipeline.Resize, pipeline.Crop, pipeline.Threads, pipeline.MaxPixels, followLinks
        };

        command.SetAction(parse =>
        {
            string root = parse.GetRequiredValue(data);
            if (!Directory.Exists(root))
                throw File.Exists(root) ? new UsageException($"--data '{root}' is not a folder.") : ImageInputs.Missing("--data", root);
            var channels = pipeline.ResolveChannels(parse);
            var geometry = pipeline.ResolveGeometry(parse);
            var decoder = new ImageDecoder(parse.GetValue(pipeline.MaxPixels));
            return Measure(context, pipeline.ResolvePipeline(parse), geometry, decoder, root, parse.GetRequiredValue(output), channels, parse.GetValue(pipeline.Threads), parse.GetValue(followLinks));
        });
        return command;
    }

    private static int Measure(CliContext context, DctPipeline dctPipeline, CropGeometry geometry, ImageDecoder decoder, string root, string target, ChannelSubset channels, int threads, bool followLinks)
    {
        var found = ImageInputs.Walk(context, root, followLinks);
        var files = found.Relative.Select(relative => Path.Combine(root, relative)).ToList();
        if (files.Count == 0)
        {
            context.ReportError(ImageInputs.NoImages(root, found));
            return ExitCodes.Failure;
        }
        ImageInputs.RefuseOverwritingInput("--out", target, files);

        int total = files.Count + found.Skipped.Count; // the skipped entries count as images that failed
        int done = 0;
        DatasetStatistics? measured = null;
        var clock = Stopwatch.StartNew();
        try
        {
            ProgressDisplay.Run(context, "stats", files.Count, () => Volatile.Read(ref done), () =>
                measured = DatasetStatistics.Measure(files, dctPipeline, geometry, decoder, threads,
                    failure => context.ReportError($"{failure.Path}: {failure.Reason}"), count => Volatile.Write(ref done, count), context.Cancellation));
        }
        catch (OperationCanceledException) when (context.Cancellation.IsCancellationRequested)
        {
            context.ReportError($"interrupted after {done} of {files.Count} images; {target} was not written.");
            return ExitCodes.Interrupted;
        }
        clock.Stop();

        var (_, _, statistics, failed) = measured!;
        var failures = found.Skipped.Concat(failed).Select(failure => failure.Path).Order(StringComparer.Ordinal).ToList();
        if (statistics.Samples == 0)
        {
            context.ReportError($"none of the {total} images could be read; {target} was not written.");
            return ExitCodes.Failure;
        }

        measured!.Save(target, root, channels, failures);
        double seconds = clock.Elapsed.TotalSeconds;
        string read = dctPipeline == DctPipeline.Jpeg
            ? $"pipeline jpeg, {geometry.BlocksPerSide}x{geometry.BlocksPerSide}-block window"
            : string.Create(CultureInfo.InvariantCulture, $"resize {geometry.Resize}, crop {geometry.Crop}");
        context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"statistics of {statistics.Samples} of {total} images ({statistics.ValuesPerChannel} values per channel, {read}) in {seconds:0.0} s "
            + $"({statistics.Samples / Math.Max(seconds, 1e-9):0.0} images/s, {threads} threads) -> {target}"));
        if (statistics.ZeroVarianceChannels() is { Length: > 0 } constant)
            context.Error.WriteLine($"warning: {constant.Length} channels never varied over these images (std 0), written with std 1: {string.Join(' ', constant)}");
        if (failures.Count == 0)
            return ExitCodes.Success;
        context.Error.WriteLine($"error: {failures.Count} of {total} images could not be read; the statistics cover the other {statistics.Samples}:");
        foreach (string failure in failures)
            context.Error.WriteLine($"  {failure}");
        return ExitCodes.Failure;
    }
}
