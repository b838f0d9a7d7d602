using System.Diagnostics;
using System.Globalization;
using DctNet.Frequency.Imaging;
using DctNet.Frequency.IO;

namespace DctNet.Benchmarks;

/// <summary>
/// <c>agreement --reference DIR --images DIR [--limit N]</c>: decodes every JPEG of the image folder with each
/// candidate and compares the RGB pixels with OpenCV's, read from DIR/&lt;stem&gt;.npy as written by
/// tools/decoder_reference/opencv_pixels.py.
/// </summary>
internal static class AgreementReport
{
    public const string Usage = "usage: agreement --reference <folder of OpenCV .npy> [--images <folder>] [--limit N]";

    private sealed class Tally(string name)
    {
        public string Name { get; } = name;
        public int Images, ExactImages, ShapeMismatches, Failures;
        public long Values, ComparedValues, ExactValues, SumAbsDiff;
        public int MaxDiff;
        public long[] Histogram { get; } = new long[256];
        public string? WorstImage;
        public int WorstImageDiff;
        public TimeSpan Elapsed;
    }

    public static int Run(string[] args)
    {
        string? reference = null, images = null;
        int limit = int.MaxValue;
        for (int i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value. {Usage}");
            switch (args[i])
            {
                case "--reference": reference = Next(); break;
                case "--images": images = Next(); break;
                case "--limit": limit = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                default: throw new ArgumentException($"unknown argument {args[i]}. {Usage}");
            }
        }
        if (reference is null)
        {
            Console.Error.WriteLine(Usage);
            return 2;
        }
        images ??= SampleImages.FindFolder();
        if (images is null || !Directory.Exists(images))
        {
            Console.WriteLine(SampleImages.MissingMessage);
            return 0;
        }
        if (!Directory.Exists(reference))
        {
            Console.Error.WriteLine($"no reference folder {reference}: run tools/decoder_reference/opencv_pixels.py first");
            return 2;
        }

        var files = SampleImages.JpegFiles(images, limit);
        var tallies = Candidates.All.Select(c => new Tally(c.Name)).ToArray();
        int compared = 0, missingReference = 0, exifRotated = 0;
        foreach (var file in files)
        {
            string npy = Path.Combine(reference, Path.GetFileNameWithoutExtension(file) + ".npy");
            if (!File.Exists(npy))
            {
                missingReference++;
                continue;
            }
            var expected = Npy.ReadFile(npy);
            if (expected.Shape is not [int height, int width, 3])
                throw new InvalidDataException($"{npy}: expected H x W x 3, got [{string.Join(", ", expected.Shape)}]");
            var expectedPixels = expected.AsUInt8();
            var jpeg = File.ReadAllBytes(file);
            if (ExifOrientation.ReadFromJpeg(jpeg) is not (0 or 1))
                exifRotated++;
            compared++;

            for (int c = 0; c < Candidates.All.Length; c++)
            {
                var tally = tallies[c];
                tally.Images++;
                tally.Values += expectedPixels.Length;
                (int Width, int Height, byte[] Rgb) actual;
                var clock = Stopwatch.StartNew();
                try
                {
                    actual = Candidates.All[c].Decode(jpeg);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    tally.Failures++;
                    Console.Error.WriteLine($"{tally.Name}: {Path.GetFileName(file)}: {e.Message}");
                    continue;
                }
                tally.Elapsed += clock.Elapsed;
                if (actual.Width != width || actual.Height != height)
                {
                    tally.ShapeMismatches++;
                    continue;
                }
                int imageMax = Compare(expectedPixels, actual.Rgb, tally);
                if (imageMax == 0)
                    tally.ExactImages++;
                if (imageMax > tally.WorstImageDiff)
                    (tally.WorstImageDiff, tally.WorstImage) = (imageMax, Path.GetFileName(file));
            }
        }

        Console.WriteLine($"Images: {compared} compared with OpenCV (folder {images}, reference {reference})" +
            (missingReference > 0 ? $", {missingReference} skipped without a reference .npy" : "") +
            $"; {exifRotated} carry an EXIF orientation other than 1.");
        Console.WriteLine("Shape mismatches and failures count as non-identical images and all their values as differing;\n" +
            "max/mean abs diff and the off-by columns cover the images of the right shape.");
        Console.WriteLine();
        Console.WriteLine("| candidate | exact images | exact values | max abs diff | mean abs diff | values off by 1 | off by >1 | shape mismatch / failed | ms/image (1 pass, not a benchmark) |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
        foreach (var t in tallies)
        {
            long offByOne = t.Histogram[1], offByMore = t.Histogram.Skip(2).Sum();
            double decoded = t.Images - t.Failures;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {t.Name} | {Percent(t.ExactImages, t.Images)} ({t.ExactImages}/{t.Images}) | {Percent(t.ExactValues, t.Values)} | {t.MaxDiff} | {(double)t.SumAbsDiff / t.ComparedValues:0.0000} | {Percent(offByOne, t.ComparedValues)} | {Percent(offByMore, t.ComparedValues)} | {t.ShapeMismatches} / {t.Failures} | {(decoded > 0 ? t.Elapsed.TotalMilliseconds / decoded : double.NaN):0.00} |"));
        }
        Console.WriteLine();
        foreach (var t in tallies.Where(t => t.WorstImage is not null))
            Console.WriteLine($"{t.Name}: largest difference {t.WorstImageDiff} in {t.WorstImage}");
        return 0;
    }

    /// <summary>Adds one image's differences to the tally; returns its largest absolute difference.</summary>
    private static int Compare(byte[] expected, byte[] actual, Tally tally)
    {
        int max = 0;
        long sum = 0, exact = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            int diff = Math.Abs(expected[i] - actual[i]);
            tally.Histogram[diff]++;
            sum += diff;
            if (diff == 0)
                exact++;
            if (diff > max)
                max = diff;
        }
        tally.ComparedValues += expected.Length;
        tally.ExactValues += exact;
        tally.SumAbsDiff += sum;
        tally.MaxDiff = Math.Max(tally.MaxDiff, max);
        return max;
    }

    private static string Percent(long part, long whole) =>
        whole == 0 ? "n/a" : string.Create(CultureInfo.InvariantCulture, $"{100.0 * part / whole:0.00}%");
}
