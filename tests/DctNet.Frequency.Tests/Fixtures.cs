using System.IO.Compression;
using System.Runtime.Intrinsics.X86;
using System.Text.Json;
using DctNet.Frequency.Imaging;
using DctNet.Frequency.IO;

namespace DctNet.Frequency.Tests;

/// <summary>
/// The golden files under tests/fixtures, produced from the real reference (OpenCV 4.6, libjpeg-turbo 2.1.5)
/// by tools/golden/generate.py, and the shared real images beside the repository.
/// </summary>
internal static class Fixtures
{
    public static string RepositoryRoot { get; } = FindRepositoryRoot();
    public static string Directory { get; } = Path.Combine(RepositoryRoot, "tests", "fixtures");
    public static string SharedData { get; } = Path.GetFullPath(Path.Combine(RepositoryRoot, "..", "shared", "data"));
    public static string ImageNetSamples { get; } = Path.Combine(SharedData, "imagenet-samples");

    private static readonly Lazy<JsonElement[]> AllCases = new(() =>
    {
        using var document = JsonDocument.Parse(File.ReadAllText(Path.Combine(Directory, "manifest.json")));
        return document.RootElement.GetProperty("cases").EnumerateArray().Select(c => c.Clone()).ToArray();
    });

    public static IEnumerable<JsonElement> Cases(string kind) => AllCases.Value.Where(c => c.GetProperty("kind").GetString() == kind);

    public static JsonElement Case(string id) => AllCases.Value.Single(c => c.GetProperty("id").GetString() == id);

    /// <summary>Case ids of one kind (those <paramref name="keep"/> accepts), as xunit theory data.</summary>
    public static TheoryData<string> Ids(string kind, Func<JsonElement, bool>? keep = null)
    {
        var data = new TheoryData<string>();
        foreach (var c in Cases(kind).Where(keep ?? (_ => true)))
            data.Add(c.GetProperty("id").GetString()!);
        return data;
    }

    /// <summary>
    /// Case ids of one kind whose input the default decoder reads: all of them with TurboJPEG; without it, all but the
    /// CMYK JPEGs, which Skia's decoder refuses (checked on their own).
    /// </summary>
    public static TheoryData<string> DecodableIds(string kind) => Ids(kind, c => TurboJpegNative.IsAvailable || !TurboJpegFixtures.IsCmykJpeg(c));

    public static string PathOf(string relative) => Path.Combine(Directory, relative);

    public static NpyArray Load(string relative)
    {
        string path = PathOf(relative);
        if (!path.EndsWith(".gz", StringComparison.Ordinal))
            return Npy.ReadFile(path);
        using var gzip = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        using var buffer = new MemoryStream();
        gzip.CopyTo(buffer);
        buffer.Position = 0;
        return Npy.Read(buffer);
    }

    private static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "tests", "fixtures", "manifest.json")))
                return directory.FullName;
        }
        throw new InvalidOperationException($"No tests/fixtures/manifest.json above {AppContext.BaseDirectory}.");
    }
}

/// <summary>A fact that needs the real images of ../shared/data; skipped with a clear message where they are absent.</summary>
public sealed class SharedDataFactAttribute : FactAttribute
{
    public SharedDataFactAttribute()
    {
        if (!System.IO.Directory.Exists(Fixtures.ImageNetSamples))
            Skip = $"Real images not found at {Fixtures.ImageNetSamples} (see shared/data/README.md).";
    }
}

/// <summary>A theory that needs the real images of ../shared/data; skipped with a clear message where they are absent.</summary>
public sealed class SharedDataTheoryAttribute : TheoryAttribute
{
    public SharedDataTheoryAttribute()
    {
        if (!System.IO.Directory.Exists(Fixtures.ImageNetSamples))
            Skip = $"Real images not found at {Fixtures.ImageNetSamples} (see shared/data/README.md).";
    }
}

/// <summary>A fact that needs the system's libturbojpeg (the fast JPEG path); skipped with a clear message where it is absent.</summary>
public sealed class TurboJpegFactAttribute : FactAttribute
{
    public TurboJpegFactAttribute()
    {
        if (!TurboJpegNative.IsAvailable)
            Skip = TurboJpegFixtures.Missing;
    }

    /// <summary>Also needs the real images of ../shared/data.</summary>
    public bool NeedsSharedData
    {
        get => false;
        init
        {
            if (value && !System.IO.Directory.Exists(Fixtures.ImageNetSamples))
                Skip ??= $"Real images not found at {Fixtures.ImageNetSamples} (see shared/data/README.md).";
        }
    }
}

/// <summary>A theory that needs the system's libturbojpeg; skipped with a clear message where it is absent.</summary>
public sealed class TurboJpegTheoryAttribute : TheoryAttribute
{
    public TurboJpegTheoryAttribute()
    {
        if (!TurboJpegNative.IsAvailable)
            Skip = TurboJpegFixtures.Missing;
    }
}

/// <summary>A fact that needs both the real images of ../shared/data and TurboJPEG; skipped with the message of what is missing.</summary>
public sealed class SharedDataTurboJpegFactAttribute : FactAttribute
{
    public SharedDataTurboJpegFactAttribute()
    {
        if (!System.IO.Directory.Exists(Fixtures.ImageNetSamples))
            Skip = $"Real images not found at {Fixtures.ImageNetSamples} (see shared/data/README.md).";
        else if (!TurboJpegNative.IsAvailable)
            Skip = TurboJpegFixtures.Missing;
    }
}

internal static class TurboJpegFixtures
{
    public const string Missing = "libturbojpeg.so.0 not found (apt-get install libturbojpeg0): the TurboJPEG path is not checked here, Skia's is.";

    /// <summary>Whether a case's input is a JPEG.</summary>
    public static bool IsJpeg(JsonElement testCase) => ImageFormatSniffer.Detect(Input(testCase)) == ImageFormat.Jpeg;

    /// <summary>Whether a case's input is a CMYK (or YCCK) JPEG, which only TurboJPEG decodes as OpenCV does.</summary>
    public static bool IsCmykJpeg(JsonElement testCase) => IsJpeg(testCase) && JpegSegments.ComponentCount(Input(testCase)) == 4;

    private static byte[] Input(JsonElement testCase) => File.ReadAllBytes(Fixtures.PathOf(testCase.GetProperty("input").GetString()!));
}

/// <summary>A theory of an AVX2 kernel; skipped, saying so, on processors without AVX2 (the reference path serves them).</summary>
public sealed class Avx2TheoryAttribute : TheoryAttribute
{
    public Avx2TheoryAttribute()
    {
        if (!Avx2.IsSupported)
            Skip = Avx2Kernels.Missing;
    }
}

/// <summary>A fact about an AVX2 kernel; skipped, saying so, on processors without AVX2.</summary>
public sealed class Avx2FactAttribute : FactAttribute
{
    public Avx2FactAttribute()
    {
        if (!Avx2.IsSupported)
            Skip = Avx2Kernels.Missing;
    }
}

internal static class Avx2Kernels
{
    public const string Missing = "AVX2 is not available on this processor: the vectorized kernels are not checked here; the reference paths they equal serve it.";
}
