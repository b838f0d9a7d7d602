using System.Diagnostics;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using DctNet.Checkpoints;

namespace DctNet.Tests.Checkpoints;

/// <summary>One tensor as PyTorch gave it to torch.save: from tests/fixtures/checkpoints/expected.</summary>
internal sealed record ExpectedTensor(string Key, TensorElementType ElementType, long[] Shape, byte[] Bytes);

/// <summary>
/// The files of tests/fixtures/checkpoints, written by the real PyTorch (tools/checkpoint_fixtures/make_checkpoints.py),
/// and the expected values saved beside them as .npy files.
/// </summary>
internal static partial class CheckpointFixtures
{
    public static string RepositoryRoot => TestPaths.RepositoryRoot;

    public static string Directory { get; } = Path.Combine(RepositoryRoot, "tests", "fixtures", "checkpoints");

    /// <summary>The file the malicious fixtures would create if anything ran them.</summary>
    public const string PwnedMarker = "/tmp/dctnet_pwned";

    public static string PathOf(string name) => Path.Combine(Directory, name);

    // PyTorch's dtype names, as the manifest writes them; bfloat16 is stored as its 16-bit pattern.
    private static readonly Dictionary<string, (TensorElementType Type, string NpyDescr)> DtypeNames = new()
    {
        ["float32"] = (TensorElementType.Float32, "<f4"),
        ["float64"] = (TensorElementType.Float64, "<f8"),
        ["float16"] = (TensorElementType.Float16, "<f2"),
        ["bfloat16"] = (TensorElementType.BFloat16, "<i2"),
        ["int64"] = (TensorElementType.Int64, "<i8"),
        ["int32"] = (TensorElementType.Int32, "<i4"),
        ["int16"] = (TensorElementType.Int16, "<i2"),
        ["int8"] = (TensorElementType.Int8, "|i1"),
        ["uint8"] = (TensorElementType.UInt8, "|u1"),
        ["bool"] = (TensorElementType.Bool, "|b1"),
    };

    /// <summary>The tensors of one expected set ("dtypes", "small_net"), in the order PyTorch listed them.</summary>
    public static IReadOnlyList<ExpectedTensor> Expected(string set)
    {
        using var manifest = JsonDocument.Parse(File.ReadAllText(PathOf("manifest.json")));
        var result = new List<ExpectedTensor>();
        foreach (var entry in manifest.RootElement.GetProperty("expected").GetProperty(set).EnumerateObject())
        {
            var (type, descr) = DtypeNames[entry.Value.GetProperty("dtype").GetString()!];
            long[] shape = entry.Value.GetProperty("shape").EnumerateArray().Select(size => size.GetInt64()).ToArray();
            var (npyDescr, npyShape, bytes) = ReadNpy(PathOf(Path.Combine("expected", set, entry.Name + ".npy")));
            Assert.Equal(descr, npyDescr);
            Assert.Equal(shape, npyShape);
            result.Add(new ExpectedTensor(entry.Name, type, shape, bytes));
        }
        return result;
    }

    /// <summary>Every key in order, and each tensor's type, shape and bytes exactly.</summary>
    public static void AssertEqual(IReadOnlyList<ExpectedTensor> expected, StateDict actual)
    {
        Assert.Equal(expected.Select(tensor => tensor.Key), actual.Keys);
        foreach (var tensor in expected)
        {
            var loaded = actual[tensor.Key];
            Assert.True(tensor.ElementType == loaded.ElementType, $"{tensor.Key}: {loaded.ElementType}, expected {tensor.ElementType}");
            Assert.True(tensor.Shape.SequenceEqual(loaded.Shape), $"{tensor.Key}: shape {loaded.ShapeText}, expected {TensorData.FormatShape(tensor.Shape)}");
            Assert.True(tensor.Bytes.AsSpan().SequenceEqual(loaded.Bytes.Span), $"{tensor.Key}: values differ from PyTorch's");
        }
    }

    public static StateDict ToStateDict(IEnumerable<ExpectedTensor> tensors) =>
        new(tensors.Select(tensor => KeyValuePair.Create(tensor.Key, new TensorData(tensor.ElementType, tensor.Shape, tensor.Bytes))));

    /// <summary>A zip's records by name below its top folder ("archive/data.pkl" -> "data.pkl").</summary>
    public static Dictionary<string, byte[]> ZipRecords(string path)
    {
        using var archive = ZipFile.OpenRead(path);
        return archive.Entries.ToDictionary(entry => entry.FullName[(entry.FullName.IndexOf('/', StringComparison.Ordinal) + 1)..], entry =>
        {
            using var stream = entry.Open();
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            return copy.ToArray();
        });
    }

    private static readonly byte[] NpyMagic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    // A .npy file of any dtype as (descr, shape, raw bytes): DctNet.Frequency's reader only knows its own dtypes.
    private static (string Descr, long[] Shape, byte[] Bytes) ReadNpy(string path)
    {
        byte[] file = File.ReadAllBytes(path);
        Assert.True(file.AsSpan(0, 6).SequenceEqual(NpyMagic) && file[6] == 1, $"{path}: not a version 1 .npy file");
        int headerLength = BitConverter.ToUInt16(file, 8);
        string header = Encoding.ASCII.GetString(file, 10, headerLength);
        string descr = DescrField().Match(header).Groups[1].Value;
        long[] shape = ShapeField().Match(header).Groups[1].Value
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(long.Parse).ToArray();
        Assert.DoesNotContain("'fortran_order': True", header, StringComparison.Ordinal);
        return (descr, shape, file[(10 + headerLength)..]);
    }

    [GeneratedRegex(@"'descr'\s*:\s*'([^']+)'")]
    private static partial Regex DescrField();

    [GeneratedRegex(@"'shape'\s*:\s*\(([^)]*)\)")]
    private static partial Regex ShapeField();
}

/// <summary>A fresh directory under the system's temporary folder, deleted with its files on dispose.</summary>
internal sealed class TemporaryDirectory : IDisposable
{
    public TemporaryDirectory() => System.IO.Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "dctnet-checkpoint-tests-" + Guid.NewGuid().ToString("N"));

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose() => System.IO.Directory.Delete(Path, recursive: true);
}

/// <summary>Debian's PyTorch (/usr/bin/python3 with python3-torch), where installed.</summary>
internal static class RealPyTorch
{
    public const string Interpreter = "/usr/bin/python3";

    private static readonly Lazy<string?> Unavailable = new(() =>
    {
        if (!File.Exists(Interpreter))
            return $"{Interpreter} does not exist";
        var (exitCode, output) = Run("-c", "import torch");
        return exitCode == 0 ? null : $"{Interpreter} cannot import torch ({output.Trim()})";
    });

    /// <summary>Why PyTorch cannot be used here; null when it can.</summary>
    public static string? UnavailableReason => Unavailable.Value;

    public static (int ExitCode, string Output) Run(params string[] arguments)
    {
        var start = new ProcessStartInfo(Interpreter)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = CheckpointFixtures.RepositoryRoot,
        };
        foreach (string argument in arguments)
            start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            process.Kill(entireProcessTree: true);
            return (-1, "timed out after 2 minutes");
        }
        return (process.ExitCode, stdout + stderr.Result);
    }
}

/// <summary>A fact that needs the real PyTorch; skipped with the reason where it is not installed (e.g. on CI).</summary>
public sealed class RealPyTorchFactAttribute : FactAttribute
{
    public RealPyTorchFactAttribute()
    {
        if (RealPyTorch.UnavailableReason is { } reason)
            Skip = $"Needs Debian's PyTorch (apt-get install python3-torch): {reason}.";
    }
}
