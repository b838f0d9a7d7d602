using System.Runtime.InteropServices;
using TorchSharp;

namespace DctNet.Checkpoints;

/// <summary>
/// A tensor's values outside TorchSharp: element type, shape and the elements in C (row-major) order as
/// little-endian bytes - what every checkpoint format stores, so reading a file needs no native library.
/// </summary>
public sealed class TensorData
{
    private readonly byte[] bytes;
    private readonly long[] shape;

    /// <param name="bytes">The elements in C order, little-endian; kept, not copied.</param>
    public TensorData(TensorElementType elementType, long[] shape, byte[] bytes)
    {
        EnsureLittleEndianMachine();
        if (shape.Any(size => size < 0))
            throw new ArgumentException($"Negative size in shape {FormatShape(shape)}.", nameof(shape));
        long expected = checked(CountElements(shape) * elementType.Size());
        if (bytes.LongLength != expected)
            throw new ArgumentException($"A {elementType} tensor of shape {FormatShape(shape)} needs {expected} bytes, got {bytes.LongLength}.", nameof(bytes));
        ElementType = elementType;
        this.shape = (long[])shape.Clone();
        this.bytes = bytes;
    }

    public TensorElementType ElementType { get; }

    public IReadOnlyList<long> Shape => shape;

    public long ElementCount => bytes.LongLength / ElementType.Size();

    /// <summary>The elements in C order, little-endian.</summary>
    public ReadOnlyMemory<byte> Bytes => bytes;

    /// <summary>"[64, 3, 7, 7]"; "[]" for a 0-d tensor.</summary>
    public string ShapeText => FormatShape(shape);

    /// <summary>A copy of the elements as <typeparamref name="T"/>, which must be the element type's .NET type.</summary>
    public T[] ToArray<T>() where T : unmanaged
    {
        if (ElementType.ClrType() != typeof(T))
            throw new InvalidOperationException($"{ElementType} tensors cannot be read as {typeof(T).Name}.");
        return MemoryMarshal.Cast<byte, T>(bytes).ToArray();
    }

    /// <summary>A new CPU tensor holding a copy of the values.</summary>
    public torch.Tensor ToTensor()
    {
        var tensor = torch.empty(shape, ElementType.ToScalarType());
        tensor.bytes = bytes;
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

    internal static long CountElements(IEnumerable<long> shape) => shape.Aggregate(1L, (product, size) => checked(product * size));

    internal static string FormatShape(IEnumerable<long> shape) => $"[{string.Join(", ", shape)}]";

    // The formats, TorchSharp's bytes and these arrays are all little-endian only on a little-endian machine.
    private static void EnsureLittleEndianMachine()
    {
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("Checkpoint tensors assume a little-endian machine.");
    }
}
