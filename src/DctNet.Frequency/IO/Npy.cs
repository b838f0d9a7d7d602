using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

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
public static class Npy
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
    /// <exception cref="IOException">Not written (a full disk, say); the message starts with <paramref name="path"/>, as <see cref="AtomicFile.Write"/>'s do.</exception>
    public static void WriteFile<T>(string path, ReadOnlySpan<T> data, params int[] shape) where T : unmanaged
    {
        // AtomicFile.Write takes a callback, which cannot capture the span.
        try
        {
            using var file = AtomicFile.Create(path);
            Write(file.Stream, data, shape);
            file.Commit();
        }
        catch (IOException e)
        {
            throw AtomicFile.NotWritten(path, e);
        }
    }

    /// <summary>
    /// numpy's own bound on a header (<c>max_header_size</c> of <c>np.load</c>): a real header is a few hundred bytes,
    /// so a longer one is refused before it is read.
    /// </summary>
    public const int MaxHeaderLength = 10_000;

    /// <summary>numpy 2's limit on the number of dimensions (NPY_MAXDIMS); checkpoints' tensors are held to it too.</summary>
    public const int MaxDimensions = 64;

    /// <summary>
    /// Reads a .npy file; anything wrong with it is an <see cref="InvalidDataException"/> whose message starts with the
    /// path. Data larger than <paramref name="maxDataBytes"/>, the most the caller will hold, is refused before it is allocated.
    /// </summary>
    /// <exception cref="FileRefusedException">Missing, not a regular file (a FIFO is never opened), or not openable.</exception>
    public static NpyArray ReadFile(string path, long maxDataBytes = long.MaxValue)
    {
        using var stream = FileProbe.OpenRead(path);
        try
        {
            return Read(stream, maxDataBytes);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }

    /// <summary>
    /// Reads a .npy array from a seekable stream. Every header field is checked, and the size the header declares
    /// against the bytes the stream holds, before anything of that size is allocated. Fortran-ordered arrays
    /// (<c>fortran_order: True</c>, as <c>np.save</c> writes a transposed or <c>asfortranarray</c> array) are read
    /// and returned in C order, so that <see cref="NpyArray.Data"/> always has the last index varying fastest.
    /// </summary>
    public static NpyArray Read(Stream stream, long maxDataBytes = long.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.CanSeek)
            throw new ArgumentException("Reading .npy needs a seekable stream: the declared size is checked against its length.", nameof(stream));
        Span<byte> prefix = stackalloc byte[8];
        if (stream.ReadAtLeast(prefix, prefix.Length, throwOnEndOfStream: false) < prefix.Length || !prefix[..6].SequenceEqual(Magic))
            throw new InvalidDataException("not a .npy file (it does not start with the 8-byte \\x93NUMPY magic and version).");
        int major = prefix[6], minor = prefix[7];
        if (major is not (1 or 2 or 3) || minor != 0)
            throw new InvalidDataException($"unsupported .npy version {major}.{minor} (1.0, 2.0 and 3.0 exist).");
        Span<byte> lengthField = stackalloc byte[major == 1 ? 2 : 4];
        if (stream.ReadAtLeast(lengthField, lengthField.Length, throwOnEndOfStream: false) < lengthField.Length)
            throw new InvalidDataException("the file is truncated inside its header length.");
        long headerLength = major == 1 ? BinaryPrimitives.ReadUInt16LittleEndian(lengthField) : BinaryPrimitives.ReadUInt32LittleEndian(lengthField);
        long afterLength = stream.Length - stream.Position;
        if (headerLength > afterLength)
            throw new InvalidDataException($"the header length is {headerLength} bytes, but only {afterLength} bytes follow.");
        if (headerLength > MaxHeaderLength)
            throw new InvalidDataException($"the header length is {headerLength} bytes, more than numpy's limit of {MaxHeaderLength}.");
        var headerBytes = new byte[headerLength];
        stream.ReadExactly(headerBytes);
        // Versions 1 and 2 write the header in latin-1, version 3 in UTF-8.
        string header = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetString(headerBytes);
        var (descr, fortranOrder, shape) = NpyHeader.Parse(header);

        var (elementSize, read) = ReaderOf(descr);
        long count = 1;
        foreach (int dimension in shape)
        {
            // Dimensions are at most int.MaxValue each, so the product stays exact until it passes Array.MaxLength.
            count *= dimension;
            if (count > Array.MaxLength)
                throw new InvalidDataException($"shape ({string.Join(", ", shape)}) declares more than {Array.MaxLength} elements.");
        }
        long declaredBytes = count * elementSize;
        long dataBytes = stream.Length - stream.Position;
        if (declaredBytes != dataBytes)
            throw new InvalidDataException(declaredBytes > dataBytes
                ? $"the file is truncated: shape ({string.Join(", ", shape)}) of '{descr}' declares {declaredBytes} data bytes, but {dataBytes} follow the header."
                : $"shape ({string.Join(", ", shape)}) of '{descr}' declares {declaredBytes} data bytes, but {dataBytes} follow the header; the header does not describe the data.");
        // After the length check: a file shorter than its shape is truncated, whatever its size.
        if (declaredBytes > maxDataBytes)
            throw new InvalidDataException($"shape ({string.Join(", ", shape)}) of '{descr}' declares {declaredBytes:N0} data bytes, more than the {maxDataBytes:N0} read here.");
        Array data = read(stream, (int)count);
        if (fortranOrder && shape.Length > 1)
            data = ToCOrder(data, shape);
        return new NpyArray(shape, data);
    }

    private static (int ElementSize, Func<Stream, int, Array> Read) ReaderOf(string descr) => descr switch
    {
        "<f4" => (4, ReadData<float>),
        "<i2" => (2, ReadData<short>),
        "|u1" or "<u1" => (1, ReadData<byte>),
        "<f8" => (8, ReadData<double>),
        "<i4" => (4, ReadData<int>),
        _ => throw new InvalidDataException($"unsupported dtype '{descr}' (supported: little-endian float32, float64, int16, int32, uint8)."),
    };

    private static T[] ReadData<T>(Stream stream, int count) where T : unmanaged
    {
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException(".npy reading assumes a little-endian machine.");
        var data = new T[count];
        stream.ReadExactly(MemoryMarshal.AsBytes(data.AsSpan()));
        return data;
    }

    /// <summary>Rearranges Fortran-ordered elements (first index fastest) into C order (last index fastest).</summary>
    private static Array ToCOrder(Array fortran, int[] shape)
    {
        var c = Array.CreateInstance(fortran.GetType().GetElementType()!, fortran.Length);
        var index = new int[shape.Length];
        var fortranStrides = new long[shape.Length];
        long stride = 1;
        for (int axis = 0; axis < shape.Length; axis++)
        {
            fortranStrides[axis] = stride;
            stride *= shape[axis];
        }
        long source = 0;
        for (int target = 0; target < c.Length; target++)
        {
            Array.Copy(fortran, source, c, target, 1);
            // Advance the C-order index, last axis fastest, keeping the Fortran offset in step.
            for (int axis = shape.Length - 1; axis >= 0; axis--)
            {
                source += fortranStrides[axis];
                if (++index[axis] < shape[axis])
                    break;
                source -= fortranStrides[axis] * shape[axis];
                index[axis] = 0;
            }
        }
        return c;
    }
}
