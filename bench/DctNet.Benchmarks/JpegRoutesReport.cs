using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using DctNet.Frequency.Imaging;
using DctNet.Frequency.JpegDomain;

namespace DctNet.Benchmarks;

/// <summary>
/// <c>jpeg-routes [--images DIR] [--limit N]</c>: checks on every JPEG of the folder that BitMiracle.LibJpeg.NET's
/// <c>jpeg_read_coefficients</c> (b) gives exactly the quantized coefficients of the library's TurboJPEG reader (a),
/// then times (a), (b) and the full pixel decode (c) per image, one thread, best of three passes over the images
/// held in memory: a quick number that exists without BenchmarkDotNet (<see cref="JpegCoefficientRoutes"/> is the
/// careful one, on 50 images).
/// </summary>
internal static class JpegRoutesReport
{
    public const string Usage = "usage: jpeg-routes [--images <folder>] [--limit N]";

    private const int Passes = 3;

    /// <summary>How many disagreeing or failing images are named; the rest are only counted.</summary>
    private const int ImagesNamed = 10;

    /// <summary>Where the timed loops put a value from every result, so that no work can be dropped as unused.</summary>
    private static long s_sink;

    private sealed class Agreement
    {
        public int Identical, Different, FailedA, FailedB, WarnedB;
        public long Coefficients;
        public List<string> Notes { get; } = [];
        public List<byte[]> ReadByBoth { get; } = [];

        public void Note(string line)
        {
            if (Notes.Count < ImagesNamed)
                Notes.Add(line);
        }
    }

    public static int Run(string[] args)
    {
        string? images = null;
        int limit = int.MaxValue;
        for (int i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value. {Usage}");
            switch (args[i])
            {
                case "--images": images = Next(); break;
                case "--limit": limit = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                default: throw new ArgumentException($"unknown argument {args[i]}. {Usage}");
            }
        }
        images ??= SampleImages.FindFolder();
        if (images is null || !Directory.Exists(images))
        {
            Console.WriteLine(SampleImages.MissingMessage);
            return 0;
        }
        if (!TurboJpegNative.IsAvailable)
        {
            // (a) and (c) are TurboJPEG; without it there is no baseline to compare with.
            Console.WriteLine("skipped: libturbojpeg.so.0 (Debian: apt-get install libturbojpeg0) is not on this machine.");
            return 0;
        }

        var files = SampleImages.JpegFiles(images, limit);
        Console.WriteLine($"{files.Length} JPEGs of {images}; {RuntimeInformation.FrameworkDescription}, {Environment.ProcessorCount} logical CPUs; " +
            $"(c) decodes with {ImageDecoder.Describe(CoefficientRoutes.PixelDecoder.Jpeg)}.");
        var agreement = CheckAgreement(files);
        PrintAgreement(agreement, files.Length);
        PrintTimes(agreement.ReadByBoth);
        return 0;
    }

    /// <summary>Reads every file with (a) and (b) and compares the two results; keeps the bytes of the files both read, for the timing.</summary>
    private static Agreement CheckAgreement(string[] files)
    {
        var agreement = new Agreement();
        foreach (var file in files)
        {
            string name = Path.GetFileName(file);
            var jpeg = File.ReadAllBytes(file);
            JpegCoefficients expected;
            try
            {
                expected = CoefficientRoutes.ReadTurboJpeg(jpeg, name);
            }
            catch (ImageDecodeException e)
            {
                agreement.FailedA++;
                agreement.Note($"(a) failed: {e.Message}");
                continue;
            }
            CoefficientRoutes.BitMiracleComponent[] actual;
            try
            {
                actual = CoefficientRoutes.ReadBitMiracle(jpeg, out int warnings);
                if (warnings > 0)
                {
                    agreement.WarnedB++;
                    agreement.Note($"(b) warned {warnings} time(s): {name}");
                }
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                agreement.FailedB++;
                agreement.Note($"(b) failed: {name}: {e.Message}");
                continue;
            }
            agreement.ReadByBoth.Add(jpeg);
            agreement.Coefficients += expected.Components.Sum(c => (long)c.Blocks.Length);
            if (FirstDifference(expected, actual) is { } difference)
            {
                agreement.Different++;
                agreement.Note($"differ: {name}: {difference}");
            }
            else
            {
                agreement.Identical++;
            }
        }
        return agreement;
    }

    /// <summary>Null when (b) read the same components, block counts and coefficients as (a); else the first difference, in words.</summary>
    private static string? FirstDifference(JpegCoefficients expected, CoefficientRoutes.BitMiracleComponent[] actual)
    {
        if (actual.Length != expected.Components.Count)
            return $"(b) has {actual.Length} components, (a) {expected.Components.Count}";
        for (int c = 0; c < actual.Length; c++)
        {
            var a = expected.Components[c];
            var b = actual[c];
            if ((b.Id, b.HorizontalSampling, b.VerticalSampling) != (a.Id, a.HorizontalSampling, a.VerticalSampling))
                return $"component {c}: (b) id {b.Id} sampling {b.HorizontalSampling}x{b.VerticalSampling}, (a) id {a.Id} sampling {a.HorizontalSampling}x{a.VerticalSampling}";
            if (b.WidthInBlocks != a.WidthInBlocks || b.HeightInBlocks != a.HeightInBlocks)
                return $"component {c}: (b) has {b.WidthInBlocks}x{b.HeightInBlocks} blocks, (a) {a.WidthInBlocks}x{a.HeightInBlocks}";
            ReadOnlySpan<short> expectedBlocks = a.Blocks;
            int same = expectedBlocks.CommonPrefixLength(b.Blocks);
            if (same < expectedBlocks.Length)
            {
                int block = same / ComponentCoefficients.CoefficientsPerBlock, index = same % ComponentCoefficients.CoefficientsPerBlock;
                int differing = CountDifferences(expectedBlocks, b.Blocks);
                return $"component {c}: {differing} coefficients differ, the first in block ({block % a.WidthInBlocks}, {block / a.WidthInBlocks}) " +
                    $"at index {index}: (b) {b.Blocks[same]}, (a) {expectedBlocks[same]}";
            }
        }
        return null;
    }

    private static int CountDifferences(ReadOnlySpan<short> a, ReadOnlySpan<short> b)
    {
        int count = 0;
        for (int i = 0; i < a.Length; i++)
        {
            if (a[i] != b[i])
                count++;
        }
        return count;
    }

    private static void PrintAgreement(Agreement agreement, int images)
    {
        Console.WriteLine();
        Console.WriteLine($"Agreement of (b) BitMiracle.LibJpeg.NET with (a) TurboJPEG: {agreement.Identical}/{images} images identical " +
            $"(component count, ids and sampling, block counts, every coefficient: {agreement.Coefficients:N0} coefficients compared); " +
            $"{agreement.Different} differ; {agreement.FailedA} failed in (a), {agreement.FailedB} in (b); (b) warned on {agreement.WarnedB}.");
        foreach (var note in agreement.Notes)
            Console.WriteLine($"  {note}");
    }

    /// <summary>Each route over every image both (a) and (b) read, one thread, best of <see cref="Passes"/> passes (the first also warms up the JIT).</summary>
    private static void PrintTimes(List<byte[]> jpegs)
    {
        if (jpegs.Count == 0)
            return;
        (string Name, Func<byte[], long> Route)[] routes =
        [
            ("(a) TurboJPEG tjTransform, custom filter (JpegCoefficientReader)", jpeg => CoefficientRoutes.ReadTurboJpeg(jpeg).Luma.Blocks[0]),
            ("(b) BitMiracle.LibJpeg.NET 1.5.324 jpeg_read_coefficients + copy", jpeg => CoefficientRoutes.ReadBitMiracle(jpeg, out _)[0].Blocks[0]),
            ("(c) full pixel decode, ImageDecoder (TurboJPEG tjDecompress2)", jpeg => CoefficientRoutes.DecodePixels(jpeg).Pixels[0]),
        ];
        var times = routes.Select(r => BestMillisecondsPerImage(jpegs, r.Route)).ToArray();
        Console.WriteLine();
        Console.WriteLine($"Wall clock over {jpegs.Count} images held in memory, one thread, best of {Passes} passes (quick numbers, not a benchmark):");
        Console.WriteLine();
        Console.WriteLine("| route | ms/image | vs (a) |");
        Console.WriteLine("|---|---|---|");
        for (int r = 0; r < routes.Length; r++)
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {routes[r].Name} | {times[r]:0.000} | {times[r] / times[0]:0.00}x |"));
    }

    private static double BestMillisecondsPerImage(List<byte[]> jpegs, Func<byte[], long> route)
    {
        double best = double.PositiveInfinity;
        for (int pass = 0; pass < Passes; pass++)
        {
            // Each pass starts from a collected heap, so no route pays for the garbage of the one before.
            GC.Collect();
            GC.WaitForPendingFinalizers();
            long sum = 0;
            var clock = Stopwatch.StartNew();
            foreach (var jpeg in jpegs)
                sum += route(jpeg);
            best = Math.Min(best, clock.Elapsed.TotalMilliseconds / jpegs.Count);
            s_sink += sum;
        }
        return best;
    }
}
