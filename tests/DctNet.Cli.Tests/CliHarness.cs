namespace DctNet.Cli.Tests;

/// <summary>Runs <c>dctnet</c> in-process with captured output, and owns a temporary folder that is deleted afterwards.</summary>
public sealed class CliHarness : IDisposable
{
    public static string RepositoryRoot { get; } = FindRepositoryRoot();
    public static string Images { get; } = Path.Combine(RepositoryRoot, "tests", "fixtures", "images");
    public static string Golden { get; } = Path.Combine(RepositoryRoot, "tests", "fixtures", "golden");

    public string Temp { get; } = Directory.CreateTempSubdirectory("dctnet-cli-tests-").FullName;

    public static CliResult Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int exitCode = DctNetCli.Run(args, stdout, stderr);
        return new CliResult(exitCode, stdout.ToString(), stderr.ToString());
    }

    public static string PathOfImage(string name) => Path.Combine(Images, name);

    public string PathIn(params string[] parts) => Path.Combine([Temp, .. parts]);

    /// <summary>Writes a file below the temporary folder, creating its folders.</summary>
    public string Write(string relative, byte[] content)
    {
        string path = PathIn(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, content);
        return path;
    }

    public string CopyImage(string fixture, string relative) => Write(relative, File.ReadAllBytes(Path.Combine(Images, fixture)));

    /// <summary>Every file below <paramref name="folder"/> (hidden ones included), relative, '/'-separated, sorted.</summary>
    public static string[] FilesBelow(string folder) => Directory.Exists(folder)
        ? Directory.EnumerateFiles(folder, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
            .Select(p => Path.GetRelativePath(folder, p).Replace('\\', '/'))
            .Order(StringComparer.Ordinal)
            .ToArray()
        : [];

    public void Dispose()
    {
        if (Directory.Exists(Temp))
            Directory.Delete(Temp, recursive: true);
    }

    private static string FindRepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "DctNet.slnx")))
                return directory.FullName;
        }
        throw new InvalidOperationException($"DctNet.slnx not found above {AppContext.BaseDirectory}.");
    }
}

public sealed record CliResult(int ExitCode, string Out, string Error)
{
    public string[] ErrorLines => Error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Out}--- stderr\n{Error}";
}

/// <summary>A fact that needs the system's libturbojpeg (a CMYK JPEG among its images); skipped with a clear message where it is absent.</summary>
public sealed class TurboJpegFactAttribute : FactAttribute
{
    public TurboJpegFactAttribute()
    {
        if (DctNet.Frequency.Imaging.ImageDecoder.DefaultJpegBackend != DctNet.Frequency.Imaging.JpegBackend.TurboJpeg)
            Skip = "libturbojpeg.so.0 not found (apt-get install libturbojpeg0): these images include a CMYK JPEG, which only TurboJPEG decodes as OpenCV does.";
    }
}

/// <summary>Needs ../shared/data/hymenoptera/val; skipped with a clear message where it is absent.</summary>
public sealed class HymenopteraFactAttribute : FactAttribute
{
    public static string Val { get; } = Path.GetFullPath(Path.Combine(CliHarness.RepositoryRoot, "..", "shared", "data", "hymenoptera", "val"));

    public HymenopteraFactAttribute()
    {
        if (!Directory.Exists(Val))
            Skip = $"Real images not found at {Val} (see shared/data/README.md).";
    }
}
