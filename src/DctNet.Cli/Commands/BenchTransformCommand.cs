using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using DctNet.Frequency;
using DctNet.Frequency.Channels;
using DctNet.Frequency.Imaging;
using DctNet.Frequency.IO;
using DctNet.Frequency.JpegDomain;
using DctNet.Platform;

namespace DctNet.Cli.Commands;

/// <summary>
/// <c>dctnet bench transform --data &lt;folder&gt;</c>: end-to-end images/s of read + decode + transform + .npy write,
/// single-threaded and with --threads workers.
/// </summary>
internal static class BenchTransformCommand
{
    public static Command Create(CliContext context)
    {
        var data = new Option<string>("--data")
        {
            Description = "Folder of images, walked recursively in ordinal path order (same file types as transform).",
            HelpName = "folder",
            Required = true,
        };
        var limit = PipelineOptions.PositiveInt("--limit", "Use the first N images of --data.", 200, int.MaxValue);
        var warmup = new Option<int>("--warmup")
        {
            Description = "Images transformed before measuring (JIT, caches); not counted.",
            HelpName = "N",
            DefaultValueFactory = _ => 5,
        }.InRange(0, OptionRanges.MaxRepetitions);
        var pipeline = new PipelineOptions();
        var followLinks = ImageInputs.FollowLinksOption();
        var jpegDecoder = new Option<JpegBackend?>("--jpeg-decoder")
        {
            Description = "Which libjpeg-turbo decodes JPEG files: TurboJpeg (the system's libturbojpeg) or Skia (SkiaSharp's own). "
                + "The default is what every command uses: TurboJPEG where libturbojpeg is installed, else Skia's.",
        };

        var command = new Command("transform", """
            End-to-end throughput of 'dctnet transform': each image is read from its file, decoded, transformed and
            written as .npy to a temporary folder (deleted afterwards). After a warm-up, measures a read+decode-only
            pass, then one thread, then --threads threads, and prints a table and the lines
              single-thread: <x> images/s (<y> ms/image)
              <n> threads: <x> images/s
            Normalization is the built-in ImageNet statistics of the pipeline. The header names the JPEG decoder and
            the host. With --pipeline jpeg the decode pass reads the files' coefficients instead; run both pipelines
            on the same folder to compare them.

            Examples:
              dctnet bench transform --data images/
              dctnet bench transform --data images/ --jpeg-decoder skia     # the decoder without a system package
              dctnet bench transform --data images/ --pipeline jpeg         # coefficients straight from the files
              dctnet bench transform --data images/ --limit 500 --threads 8 --channels 64 --geometry mobilenetv2
            """)
        {
            data, limit, pipeline.Pipeline, pipeline.Threads, pipeline.Channels, pipeline.Geometry, pipeline.Resize, pipeline.Crop, warmup, jpegDecoder, followLinks
        };

        command.SetAction(parse =>
        {
            string folder = parse.GetRequiredValue(data);
            var dctPipeline = pipeline.ResolvePipeline(parse);
            var geometry = pipeline.ResolveGeometry(parse);
            var channels = pipeline.ResolveChannels(parse);
            if (!Directory.Exists(folder))
                throw File.Exists(folder) ? new UsageException($"--data '{folder}' is not a folder.") : ImageInputs.Missing("--data", folder);
            var found = ImageInputs.Walk(context, folder, parse.GetValue(followLinks));
            var files = found.Relative.Take(parse.GetValue(limit)).Select(r => Path.Combine(folder, r)).ToArray();
            if (files.Length == 0)
            {
                context.ReportError(ImageInputs.NoImages(folder, found));
                return ExitCodes.Failure;
            }
            ImageDecoder decoder;
            try
            {
                decoder = new ImageDecoder(jpeg: parse.GetValue(jpegDecoder));
            }
            catch (DllNotFoundException e)
            {
                throw new UsageException($"--jpeg-decoder: {e.Message}");
            }
            var transform = new DctFileTransform(dctPipeline, geometry, channels, ChannelStatistics.ImageNetFor(dctPipeline), decoder);
            return Bench(context, transform, decoder, files, folder, parse.GetValue(pipeline.Threads), Math.Max(parse.GetValue(warmup), 0));
        });
        return command;
    }

    private static int Bench(CliContext context, DctFileTransform transform, ImageDecoder decoder, string[] files, string folder, int threads, int warmup)
    {
        var scratch = Directory.CreateTempSubdirectory("dctnet-bench-");
        var failed = new HashSet<string>(StringComparer.Ordinal);
        // Every pass reads a failing file again: it is reported the first time only.
        void ReportOnce(SkippedFile failure)
        {
            lock (failed)
            {
                if (failed.Add(failure.Path))
                    context.ReportError($"{failure.Path}: {failure.Reason}");
            }
        }
        try
        {
            Pass Measure<TState>(int count, int workers, Func<TState> createState, Action<TState, int> work)
            {
                GC.Collect();
                GC.WaitForPendingFinalizers();
                var pass = new FolderPass(files[..count], workers) { Failed = ReportOnce };
                var clock = Stopwatch.StartNew();
                pass.Run(createState, work, context.Cancellation);
                clock.Stop();
                return new Pass(pass.Succeeded, clock.Elapsed.TotalSeconds);
            }

            // End to end, as 'transform' does it: read + decode (or read the coefficients) + transform + atomic .npy
            // write, one reused buffer per thread.
            Pass EndToEnd(int count, int workers) => Measure(count, workers, () => new float[transform.OutputLength], (buffer, i) =>
            {
                transform.Transform(files[i], buffer);
                Npy.WriteFile<float>(Path.Combine(scratch.FullName, $"{i:D6}.npy"), buffer, transform.OutputShape);
            });

            EndToEnd(Math.Min(warmup, files.Length), 1);
            var readOnly = Measure(files.Length, 1, () => 0, (_, i) => decoder.ReadFile(files[i]));
            bool jpeg = transform.Pipeline == DctPipeline.Jpeg;
            // The coefficients are read into memory reused from file to file, as the pipeline reads them.
            var decodeOnly = Measure(files.Length, 1, () => new CoefficientBuffers(), (buffers, i) =>
            {
                var bytes = decoder.ReadFile(files[i]);
                if (jpeg)
                    JpegCoefficientReader.Read(bytes, files[i], decoder.MaxPixels, buffers);
                else
                    decoder.Decode(bytes, files[i]);
            });
            var single = EndToEnd(files.Length, 1);
            var parallel = EndToEnd(files.Length, threads);
            if (context.Cancellation.IsCancellationRequested)
            {
                context.ReportError("interrupted; no result.");
                return ExitCodes.Interrupted;
            }

            var o = context.Out;
            o.WriteLine($"bench transform: {files.Length} images from {folder}, {TransformCommand.Describe(transform)}, warm-up {Math.Min(warmup, files.Length)} images, {Environment.ProcessorCount} cores");
            o.WriteLine(jpeg
                ? $"JPEG coefficients: {JpegCoefficientReader.Describe}"
                : $"JPEG decoder: {ImageDecoder.Describe(decoder.Jpeg)}");
            o.WriteLine($"host: {HostProcessor.Describe().Summary}");
            o.WriteLine();
            o.WriteLine("pass                 threads  images  seconds  images/s  ms/image  speed-up");
            o.WriteLine(Row("read only", 1, readOnly, "-"));
            o.WriteLine(Row(jpeg ? "read + coefficients" : "read + decode only", 1, decodeOnly, "-"));
            o.WriteLine(Row("end to end", 1, single, "1.00x"));
            o.WriteLine(Row("end to end", threads, parallel, Format($"{single.Seconds / parallel.Seconds:0.00}x")));
            o.WriteLine();
            o.WriteLine(Format($"single-thread: {single.ImagesPerSecond:0.0} images/s ({single.MillisecondsPerImage:0.00} ms/image)"));
            o.WriteLine(Format($"{threads} threads: {parallel.ImagesPerSecond:0.0} images/s"));
            o.WriteLine(Format($"speed-up: {single.Seconds / parallel.Seconds:0.00}x with {threads} threads"));
            if (failed.Count == 0)
                return ExitCodes.Success;
            context.Error.WriteLine($"error: {failed.Count} of {files.Length} images failed and are not counted:");
            foreach (string path in failed.Order(StringComparer.Ordinal))
                context.Error.WriteLine($"  {path}");
            return ExitCodes.Failure;
        }
        finally
        {
            scratch.Delete(recursive: true);
        }
    }

    /// <summary>One timed pass: wall time and the images that succeeded.</summary>
    private readonly record struct Pass(int Images, double Seconds)
    {
        public double ImagesPerSecond => Images / Math.Max(Seconds, 1e-9);
        public double MillisecondsPerImage => 1000 * Seconds / Math.Max(Images, 1);
    }

    private static string Row(string pass, int threads, Pass result, string speedUp)
        => Format($"{pass,-20} {threads,7} {result.Images,7} {result.Seconds,8:0.000} {result.ImagesPerSecond,9:0.0} {result.MillisecondsPerImage,9:0.00} {speedUp,9}");

    private static string Format(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
