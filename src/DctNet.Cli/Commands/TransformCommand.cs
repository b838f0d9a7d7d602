using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using DctNet.Frequency;
using DctNet.Frequency.Imaging;
using DctNet.Frequency.IO;

namespace DctNet.Cli.Commands;

/// <summary><c>dctnet transform &lt;image-or-folder&gt; --out &lt;file.npy | folder&gt;</c>: images to frequency-domain .npy tensors.</summary>
internal static class TransformCommand
{
    public static Command Create(CliContext context)
    {
        var input = new Argument<string>("image-or-folder")
        {
            Description = "An image file, or a folder walked recursively for .jpg .jpeg .png .bmp .webp .gif files (any case; other files and hidden files are ignored, "
                + "links to folders are entered only with --follow-links).",
        };
        var output = new Option<string>("--out")
        {
            Description = "For an image: the .npy file to write (or an existing folder to write <name>.npy into). "
                + "For a folder: the output folder; each image becomes <out>/<relative path>.npy, subfolders created.",
            HelpName = "file.npy|folder",
            Required = true,
        };
        var pipeline = new PipelineOptions();
        var followLinks = ImageInputs.FollowLinksOption();

        var command = new Command("transform", """
            Transforms images into DCTNet's frequency-domain input: float32 .npy files of C x crop/8 x crop/8.
            With --pipeline exact (the default), computed as the release's validation pipeline does: OpenCV-compatible
            decode, bilinear resize of the shorter side, centre crop, libjpeg quality-100 4:2:0 DCT coefficients,
            channel subset, normalization. With --pipeline jpeg, read from the JPEG file's own coefficients instead
            (dequantized; a centred window of crop/8 blocks per side on the file's block grid, no decode or resize),
            normalized with the JPEG pipeline's ImageNet statistics unless --stats says otherwise.
            A folder is processed in parallel; a file that fails is reported as 'error: <path>: <reason>', nothing
            is written for it, the others still run, and the exit code is 1. Entries named like images that are not
            regular files (FIFOs, devices, sockets, dangling links) are never opened: they fail the same way.

            Examples:
              dctnet transform photo.jpg --out photo.npy
              dctnet transform photo.jpg --out photo.npy --channels 64 --geometry mobilenetv2
              dctnet transform images/ --out features/ --threads 8
              dctnet transform photo.jpg --out raw.npy --channels 192 --raw
              dctnet transform images/ --out features/ --channels subset.json --stats my_stats.json
              dctnet transform photo.jpg --out photo.npy --pipeline jpeg
            """)
        {
            input, output, pipeline.Pipeline, pipeline.Channels, pipeline.Raw, pipeline.Stats, pipeline.Geometry, pipeline.Resize, pipeline.Crop, pipeline.Threads,
            pipeline.MaxPixels, followLinks
        };

        command.SetAction(parse =>
        {
            string source = parse.GetRequiredValue(input);
            string target = parse.GetRequiredValue(output);
            var transform = new DctFileTransform(pipeline.ResolvePipeline(parse), pipeline.ResolveGeometry(parse), pipeline.ResolveChannels(parse),
                pipeline.ResolveStatistics(parse), new ImageDecoder(parse.GetValue(pipeline.MaxPixels)));
            if (File.Exists(source))
                return TransformFile(context, transform, source, target);
            if (Directory.Exists(source))
                return TransformFolder(context, transform, source, target, parse.GetValue(pipeline.Threads), parse.GetValue(followLinks));
            throw ImageInputs.Missing("input", source);
        });
        return command;
    }

    public static string Describe(DctFileTransform transform)
        => $"{string.Join('x', transform.OutputShape)} float32 ({(transform.Statistics is null ? "raw" : "normalized")}, "
            + $"channels {transform.Channels.Name}, "
            + (transform.Pipeline == DctPipeline.Jpeg
                ? $"pipeline jpeg, {transform.Geometry.BlocksPerSide}x{transform.Geometry.BlocksPerSide}-block window)"
                : $"resize {transform.Geometry.Resize}, crop {transform.Geometry.Crop})");

    private static int TransformFile(CliContext context, DctFileTransform transform, string source, string target)
    {
        if (Directory.Exists(target) || target.EndsWith(Path.DirectorySeparatorChar) || target.EndsWith(Path.AltDirectorySeparatorChar))
            target = Path.Combine(target, Path.ChangeExtension(Path.GetFileName(source), ".npy"));
        ImageInputs.RefuseOverwritingInput("--out", target, [source]);
        var pass = Pass(context, [source], threads: 1);
        Write(context, pass, transform, _ => target);
        if (pass.Succeeded == 0)
            return ExitCodes.Failure;
        context.Out.WriteLine($"{source} -> {target}: {Describe(transform)}");
        return ExitCodes.Success;
    }

    /// <summary>A pass over <paramref name="sources"/> whose failures are reported as they come.</summary>
    private static FolderPass Pass(CliContext context, IReadOnlyList<string> sources, int threads)
        => new(sources, threads) { Failed = failure => context.ReportError($"{failure.Path}: {failure.Reason}") };

    /// <summary>Decodes and transforms each file of the pass and writes it to its target, one buffer per worker.</summary>
    private static void Write(CliContext context, FolderPass pass, DctFileTransform transform, Func<int, string> target)
        => pass.Run(() => new float[transform.OutputLength], (buffer, index) =>
        {
            transform.Transform(pass.Files[index], buffer);
            WriteOutput(target(index), transform, buffer);
        }, context.Cancellation);

    /// <summary>
    /// Writes atomically, creating the folder; a refusal of the file system fails this image alone. A full disk is
    /// thrown as it is: it ends a folder run, where every later image would fail the same way.
    /// </summary>
    /// <exception cref="FileFailedException">The file system refused the write.</exception>
    private static void WriteOutput(string target, DctFileTransform transform, float[] buffer)
    {
        try
        {
            if (Path.GetDirectoryName(Path.GetFullPath(target)) is { } directory)
                Directory.CreateDirectory(directory);
            Npy.WriteFile<float>(target, buffer, transform.OutputShape);
        }
        catch (Exception e) when ((e is IOException or UnauthorizedAccessException) && !IOFailure.IsDiskFull(e))
        {
            throw new FileFailedException($"cannot write {target} ({e.Message})", e);
        }
    }

    private static int TransformFolder(CliContext context, DctFileTransform transform, string root, string outRoot, int threads, bool followLinks)
    {
        if (File.Exists(outRoot))
            throw new UsageException($"--out '{outRoot}' is a file; a folder input needs an output folder.");

        var found = ImageInputs.Walk(context, root, followLinks);
        var relatives = found.Relative;
        if (relatives.Count == 0)
        {
            context.ReportError(ImageInputs.NoImages(root, found));
            return ExitCodes.Failure;
        }

        // Two inputs with one output (a.jpg, a.png -> a.npy): the first in ordinal order wins, the others fail.
        // Decided up front so that the outcome does not depend on thread timing.
        var failures = found.Skipped.Select(skipped => skipped.Path).ToList();
        var owners = new Dictionary<string, string>(ImageFiles.PathComparer);
        var work = new List<string>(relatives.Count);
        foreach (string relative in relatives)
        {
            string outRelative = Path.ChangeExtension(relative, ".npy");
            if (owners.TryGetValue(outRelative, out string? owner))
            {
                string path = Path.Combine(root, relative);
                context.ReportError($"{path}: same output {Path.Combine(outRoot, outRelative)} as {Path.Combine(root, owner)}; not written (rename one of them).");
                failures.Add(path);
            }
            else
            {
                owners.Add(outRelative, relative);
                work.Add(relative);
            }
        }
        owners.Clear();

        var pass = Pass(context, [.. work.Select(relative => Path.Combine(root, relative))], threads);
        var clock = Stopwatch.StartNew();
        try
        {
            ProgressDisplay.Run(context, "transform", work.Count, () => pass.Done,
                () => Write(context, pass, transform, index => Path.Combine(outRoot, Path.ChangeExtension(work[index], ".npy"))));
        }
        catch (IOException e) when (IOFailure.IsDiskFull(e))
        {
            // The first full write stops the workers; the others' are not repeated.
            context.ReportError($"{e.Message} Stopped after writing {pass.Succeeded} of {work.Count} files, which are complete.");
            return ExitCodes.Failure;
        }
        clock.Stop();

        int written = pass.Succeeded;
        failures.AddRange(pass.Failures.Select(failure => failure.Path));
        int total = relatives.Count + found.Skipped.Count;
        double seconds = clock.Elapsed.TotalSeconds;
        context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"transformed {written} of {total} images in {seconds:0.0} s ({written / Math.Max(seconds, 1e-9):0.0} images/s, {threads} threads) -> {outRoot}: {Describe(transform)}"));
        if (context.Cancellation.IsCancellationRequested)
        {
            context.ReportError($"interrupted after {pass.Done} of {work.Count} images; the {written} written files are complete.");
            return ExitCodes.Interrupted;
        }
        if (failures.Count == 0)
            return ExitCodes.Success;
        failures.Sort(StringComparer.Ordinal);
        context.Error.WriteLine($"error: {failures.Count} of {total} images failed:");
        foreach (string failure in failures)
            context.Error.WriteLine($"  {failure}");
        return ExitCodes.Failure;
    }
}
