using System.Buffers.Binary;
using System.Text.Json;
using DctNet.Frequency.Imaging;
using DctNet.Frequency.JpegDomain;

namespace DctNet.Frequency.Tests.JpegDomain;

/// <summary>
/// tests/fixtures/jpeg-domain: JPEGs written by libjpeg in every encoding the pipeline reads, each with what libjpeg's
/// jpeg_read_coefficients reads from it (tools/golden/make_jpeg_domain_goldens.py), and the digests of the same for the
/// 1000 ImageNet samples.
/// </summary>
internal static class JpegDomainFixtures
{
    public static string Directory { get; } = Path.Combine(Fixtures.Directory, "jpeg-domain");

    private static readonly Lazy<JsonElement[]> AllCases = new(() =>
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(Directory, "manifest.json")));
        return document.RootElement.GetProperty("cases").EnumerateArray().Select(c => c.Clone()).ToArray();
    });

    /// <summary>The cases DctNet reads (libjpeg's coefficients, and no refusal of TurboJPEG's transformer), by name.</summary>
    public static TheoryData<string> Readable()
    {
        var data = new TheoryData<string>();
        foreach (var c in AllCases.Value.Where(c => c.TryGetProperty("coefficients", out _)
            && !(c.TryGetProperty("tjtransform_refuses", out var refuses) && refuses.GetBoolean())))
        {
            data.Add(c.GetProperty("name").GetString()!);
        }
        return data;
    }

    /// <summary>
    /// The cases with libjpeg's coefficients that the LibJpegNet route reads, by name: TurboJPEG's refusal included, but
    /// not the arithmetic-coded files or the progressive file with restart markers, which it refuses.
    /// </summary>
    public static TheoryData<string> ReadableWithoutTurboJpeg()
    {
        var data = new TheoryData<string>();
        foreach (var c in AllCases.Value.Where(c => c.TryGetProperty("coefficients", out _)))
        {
            string name = c.GetProperty("name").GetString()!;
            if (!UnreadableWithoutTurboJpeg.Contains(name))
                data.Add(name);
        }
        return data;
    }

    public static readonly string[] UnreadableWithoutTurboJpeg = ["arithmetic_420", "arithmetic_progressive_444", "restart_progressive_420"];

    /// <summary>
    /// The coefficient routes this host runs: both where libturbojpeg is installed (as in CI), else the fallback alone,
    /// so that the TurboJPEG route is checked wherever it can be.
    /// </summary>
    public static TheoryData<JpegCoefficientRoute> Routes()
        => TurboJpegNative.IsAvailable ? [JpegCoefficientRoute.TurboJpeg, JpegCoefficientRoute.LibJpegNet] : [JpegCoefficientRoute.LibJpegNet];

    /// <summary>Every JPEG under tests/fixtures, by its first bytes.</summary>
    public static string[] FixtureJpegs() => System.IO.Directory.GetFiles(Fixtures.Directory, "*", SearchOption.AllDirectories)
        .Where(f => ImageFormatSniffer.Detect(File.ReadAllBytes(f)) == ImageFormat.Jpeg)
        .Order(StringComparer.Ordinal)
        .ToArray();

    public static string Jpeg(string name) => Path.Combine(Directory, name + ".jpg");

    public static byte[] Jcof(string name) => File.ReadAllBytes(Path.Combine(Directory, name + ".jcof"));

    /// <summary>File name -> SHA-256 (hex) of its JCOF, for every JPEG of the ImageNet samples.</summary>
    public static IReadOnlyDictionary<string, string> ImageNetDigests()
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(Directory, "imagenet-coefficients.json")));
        return document.RootElement.GetProperty("files").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
    }

    /// <summary>The JCOF layout of tools/golden/README.md (what jpeg_coefficients.c writes), from DctNet's reading.</summary>
    public static byte[] ToJcof(JpegCoefficients coefficients)
    {
        using var stream = new MemoryStream();
        var word = new byte[4];
        void U32(int value)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(word, (uint)value);
            stream.Write(word);
        }
        stream.Write("JCOF"u8);
        U32(1);
        U32(coefficients.Width);
        U32(coefficients.Height);
        U32(coefficients.Components.Count);
        foreach (var c in coefficients.Components)
        {
            U32(c.Id);
            U32(c.HorizontalSampling);
            U32(c.VerticalSampling);
            U32(c.WidthInBlocks);
            U32(c.HeightInBlocks);
            foreach (ushort q in c.Quantization)
                stream.Write(BitConverter.GetBytes(q));
            foreach (short value in c.Blocks)
                stream.Write(BitConverter.GetBytes(value));
        }
        return stream.ToArray();
    }
}
