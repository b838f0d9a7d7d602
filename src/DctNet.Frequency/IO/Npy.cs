using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;

namespace DctNet.Frequency.IO;

/// <summary>An n-dimensional array read from or written to NumPy's .npy format (version 1.0/2.0, little-endian, C order).</summary>
public sealed record NpyArray(int[] Shape, Array Data)
{
    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);

    public float[] AsFloat32() => Data as float[] ?? throw new InvalidDataException($"Expected float32 data, found {Data.GetType().GetElementType()!.Name}.");

    public short[] AsInt16() => Data as short[] ?? throw new InvalidDataException($"Expected int16 data, found {Data.GetType().GetElementType()!.Name}.");

    public byte[] AsUInt8() => Data as byte[] ?? throw new InvalidDataException($"Expected uint8 data, found {Data.GetType().GetElementType()!.Name}.");
}

/// <summary>
/// NumPy .npy IO, the interchange format of DctNet. Hand-written: the format is a short text header plus raw
/// little-endian data, and no maintained .NET package reads and writes it without pulling in a tensor library.
/// </summary>
public static partial class Npy
{
    private static readonly byte[] Magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    public static void Write<T>(Stream stream, ReadOnlySpan<T> data, params int[] shape) where T : unmanaged
    {
        long count = shape.Aggregate(1L, (a, b) => a * b);
        if (count != data.Length)
            throw new ArgumentException($"Shape ({string.Join(", ", shape)}) holds {count} elements, data has {data.Length}.");
        string descr = typeof(T) == typeof(float) ? "<f4" : typeof(T) == typeof(short) ? "<i2" : typeof(T) == typeof(byte) ? "|u1"
            : typeof(T) == typeof(double) ? "<f8" : typeof(T) == typeof(int) ? "<i4"
            : throw new NotSupportedException($"No .npy type for {typeof(T).Name}.");
        string shapeText = shape.Length == 1 ? $"({shape[0]},)" : $"({string.Join(", ", shape)})";
        string header = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shapeText}, }}";
        // Pad with spaces so that magic + version + length + header + newline is a multiple of 64 bytes.
        int unpadded = Magic.Length + 2 + 2 + header.Length + 1;
        header = header.PadRight(header.Length + (64 - unpadded % 64) % 64) + "\n";

        stream.Write(Magic);
        stream.Write([1, 0]);
        Span<byte> length = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(length, (ushort)header.Length);
        stream.Write(length);
        stream.Write(Encoding.ASCII.GetBytes(header));
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException(".npy writing assumes a little-endian machine.");
        stream.Write(MemoryMarshal.AsBytes(data));
    }

    /// <summary>Writes atomically: the file appears complete under <paramref name="path"/> or not at all.</summary>
    public static void WriteFile<T>(string path, ReadOnlySpan<T> data, params int[] shape) where T : unmanaged
    {
        using var file = AtomicFile.Create(path);
        Write(file.Stream, data, shape);
        file.Commit();
    }

    public static NpyArray ReadFile(string path)
    {
        using var stream = File.OpenRead(path);
        try
        {
            return Read(stream);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }

    public static NpyArray Read(Stream stream)
    {
        Span<byte> prefix = stackalloc byte[8];
        stream.ReadExactly(prefix);
        if (!prefix[..6].SequenceEqual(Magic))
            throw new InvalidDataException("not a .npy file (bad magic).");
        int major = prefix[6];
        int headerLength;
        if (major == 1)
        {
            Span<byte> length = stackalloc byte[2];
            stream.ReadExactly(length);
            headerLength = BinaryPrimitives.ReadUInt16LittleEndian(length);
        }
        else if (major is 2 or 3)
        {
            Span<byte> length = stackalloc byte[4];
            stream.ReadExactly(length);
            headerLength = checked((int)BinaryPrimitives.ReadUInt32LittleEndian(length));
        }
        else
        {
            throw new InvalidDataException($"unsupported .npy version {major}.");
        }
        var headerBytes = new byte[headerLength];
        stream.ReadExactly(headerBytes);
        string header = Encoding.ASCII.GetString(headerBytes);

        string descr = HeaderField().Match(header) is { Success: true } d ? d.Groups[1].Value : throw new InvalidDataException("header has no 'descr'.");
        if (header.Contains("'fortran_order': True", StringComparison.Ordinal))
            throw new InvalidDataException("Fortran-ordered arrays are not supported; save with C order.");
        var shapeMatch = ShapeField().Match(header);
        if (!shapeMatch.Success)
            throw new InvalidDataException("header has no 'shape'.");
        int[] shape = shapeMatch.Groups[1].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(int.Parse).ToArray();
        long count = shape.Aggregate(1L, (a, b) => a * b);

        Array data = descr switch
        {
            "<f4" => ReadData<float>(stream, count),
            "<i2" => ReadData<short>(stream, count),
            "|u1" or "<u1" => ReadData<byte>(stream, count),
            "<f8" => ReadData<double>(stream, count),
            "<i4" => ReadData<int>(stream, count),
            _ => throw new InvalidDataException($"unsupported dtype '{descr}' (supported: little-endian float32, float64, int16, int32, uint8)."),
        };
        return new NpyArray(shape, data);
    }

    private static T[] ReadData<T>(Stream stream, long count) where T : unmanaged
    {
        var data = new T[checked((int)count)];
        try
        {
            stream.ReadExactly(MemoryMarshal.AsBytes(data.AsSpan()));
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException("the file is truncated (less data than its shape declares).", e);
        }
        return data;
    }

    [GeneratedRegex(@"'descr'\s*:\s*'([^']+)'")]
    private static partial Regex HeaderField();

    [GeneratedRegex(@"'shape'\s*:\s*\(([^)]*)\)")]
    private static partial Regex ShapeField();
}
