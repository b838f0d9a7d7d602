using System.Runtime.InteropServices;
using TorchSharp;

namespace DctNet.Checkpoints;

/// <summary>
/// A tensor's values outside TorchSharp: element type, shape and the elements in C (row-major) order as
/// little-endian bytes - what every checkpoint format stores, so reading a file needs no native library.
/// <para>
/// A tensor read from a file holds its type and shape at once but reads its elements only when they are first
/// asked for: whoever loads the weights checks keys and shapes against the model before any byte is read, so a
/// file cannot make DctNet allocate what the model does not need (a stride-0 view declaring gigabytes, a storage
/// record that inflates to gigabytes under a key the model lacks).
/// </para>
/// </summary>
public sealed class TensorData
{
    private readonly long[] shape;
    private readonly Lazy<byte[]> bytes;

    /// <param name="bytes">The elements in C order, little-endian; kept, not copied.</param>
    public TensorData(TensorElementType elementType, long[] shape, byte[] bytes)
        : this(elementType, shape, new Lazy<byte[]>(bytes))
    {
        if (bytes.LongLength != ByteCount)
            throw new ArgumentException($"A {elementType} tensor of shape {FormatShape(shape)} needs {ByteCount} bytes, got {bytes.LongLength}.", nameof(bytes));
    }

    /// <summary>A tensor whose elements <paramref name="read"/> reads on first use (exactly <see cref="ByteCount"/> bytes).</summary>
    internal TensorData(TensorElementType elementType, long[] shape, Func<byte[]> read)
        : this(elementType, shape, new Lazy<byte[]>(read))
    {
    }

    private TensorData(TensorElementType elementType, long[] shape, Lazy<byte[]> bytes)
    {
        EnsureLittleEndianMachine();
        ElementType = elementType;
        this.shape = (long[])shape.Clone();
        ByteCount = ByteCountOf(elementType, shape);
        this.bytes = bytes;
    }

    public TensorElementType ElementType { get; }

    public IReadOnlyList<long> Shape => shape;

    public long ElementCount => ByteCount / ElementType.Size();

    /// <summary>The size of <see cref="Bytes"/>, known without reading them.</summary>
    public long ByteCount { get; }

    /// <summary>The elements in C order, little-endian; read from the file on first use for a tensor read from one.</summary>
    public ReadOnlyMemory<byte> Bytes => Elements;

    private byte[] Elements => bytes.Value.LongLength == ByteCount
        ? bytes.Value
        : throw new InvalidDataException($"a {ElementType} tensor of shape {ShapeText} read {bytes.Value.LongLength} bytes instead of {ByteCount}.");

    /// <summary>"[64, 3, 7, 7]"; "[]" for a 0-d tensor.</summary>
    public string ShapeText => FormatShape(shape);

    /// <summary>A copy of the elements as <typeparamref name="T"/>, which must be the element type's .NET type.</summary>
    public T[] ToArray<T>() where T : unmanaged
    {
        if (ElementType.ClrType() != typeof(T))
            throw new InvalidOperationException($"{ElementType} tensors cannot be read as {typeof(T).Name}.");
        return MemoryMarshal.Cast<byte, T>(Elements).ToArray();
    }

    /// <summary>A new CPU tensor holding a copy of the values.</summary>
    public torch.Tensor ToTensor()
    {
        var tensor = torch.empty(shape, ElementType.ToScalarType());
        tensor.bytes = Elements;
        return tensor;
    }

    /// <summary>Copies a tensor's values (any device, any strides).</summary>
    public static TensorData FromTensor(torch.Tensor tensor)
    {
        var elementType = TensorElementTypes.FromScalarType(tensor.dtype);
        using var scope = torch.NewDisposeScope();
        var contiguous = tensor.detach().cpu().contiguous();
        return new TensorData(elementType, contiguous.shape, contiguous.bytes.ToArray());
    }

    /// <exception cref="ArgumentException">A negative size.</exception>
    /// <exception cref="OverflowException">More bytes than 64 bits count.</exception>
    internal static long ByteCountOf(TensorElementType elementType, IReadOnlyList<long> shape)
    {
        if (shape.Any(size => size < 0))
            throw new ArgumentException($"Negative size in shape {FormatShape(shape)}.", nameof(shape));
        return checked(CountElements(shape) * elementType.Size());
    }

    internal static long CountElements(IEnumerable<long> shape) => shape.Aggregate(1L, (product, size) => checked(product * size));

    internal static string FormatShape(IEnumerable<long> shape) => $"[{string.Join(", ", shape)}]";

    // The formats, TorchSharp's bytes and these arrays are all little-endian only on a little-endian machine.
    private static void EnsureLittleEndianMachine()
    {
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("Checkpoint tensors assume a little-endian machine.");
    }
}
