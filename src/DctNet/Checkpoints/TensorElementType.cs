using System.Diagnostics.CodeAnalysis;
using TorchSharp;

namespace DctNet.Checkpoints;

/// <summary>The element types a checkpoint tensor may have (PyTorch's real, integer and boolean dtypes).</summary>
[SuppressMessage("Naming", "CA1720:Identifier contains type name", Justification = "The members are PyTorch's dtype names.")]
public enum TensorElementType
{
    Float32,
    Float64,
    Float16,
    BFloat16,
    Int64,
    Int32,
    Int16,
    Int8,
    UInt8,
    Bool,
}

/// <summary>How each element type is named by PyTorch's pickles, by safetensors and by TorchSharp.</summary>
public static class TensorElementTypes
{
    private sealed record Names(int Size, string PyTorchStorage, string SafeTensors, torch.ScalarType ScalarType, Type? ClrType);

    private static readonly Dictionary<TensorElementType, Names> ByType = new()
    {
        [TensorElementType.Float32] = new(4, "FloatStorage", "F32", torch.ScalarType.Float32, typeof(float)),
        [TensorElementType.Float64] = new(8, "DoubleStorage", "F64", torch.ScalarType.Float64, typeof(double)),
        [TensorElementType.Float16] = new(2, "HalfStorage", "F16", torch.ScalarType.Float16, typeof(Half)),
        // .NET has no bfloat16 type: its elements are read as raw bits or through TorchSharp.
        [TensorElementType.BFloat16] = new(2, "BFloat16Storage", "BF16", torch.ScalarType.BFloat16, null),
        [TensorElementType.Int64] = new(8, "LongStorage", "I64", torch.ScalarType.Int64, typeof(long)),
        [TensorElementType.Int32] = new(4, "IntStorage", "I32", torch.ScalarType.Int32, typeof(int)),
        [TensorElementType.Int16] = new(2, "ShortStorage", "I16", torch.ScalarType.Int16, typeof(short)),
        [TensorElementType.Int8] = new(1, "CharStorage", "I8", torch.ScalarType.Int8, typeof(sbyte)),
        [TensorElementType.UInt8] = new(1, "ByteStorage", "U8", torch.ScalarType.Byte, typeof(byte)),
        [TensorElementType.Bool] = new(1, "BoolStorage", "BOOL", torch.ScalarType.Bool, typeof(bool)),
    };

    private static readonly Dictionary<string, TensorElementType> BySafeTensorsName =
        ByType.ToDictionary(entry => entry.Value.SafeTensors, entry => entry.Key);

    private static readonly Dictionary<torch.ScalarType, TensorElementType> ByScalarType =
        ByType.ToDictionary(entry => entry.Value.ScalarType, entry => entry.Key);

    /// <summary>Bytes per element.</summary>
    public static int Size(this TensorElementType type) => ByType[type].Size;

    /// <summary>The storage class torch.save names for this type, e.g. "FloatStorage" (module "torch").</summary>
    public static string PyTorchStorageName(this TensorElementType type) => ByType[type].PyTorchStorage;

    /// <summary>The safetensors dtype code, e.g. "F32".</summary>
    public static string SafeTensorsName(this TensorElementType type) => ByType[type].SafeTensors;

    public static torch.ScalarType ToScalarType(this TensorElementType type) => ByType[type].ScalarType;

    /// <summary>The .NET element type of <see cref="TensorData.ToArray{T}"/>; none for bfloat16.</summary>
    public static Type? ClrType(this TensorElementType type) => ByType[type].ClrType;

    public static bool TryFromSafeTensorsName(string name, out TensorElementType type) => BySafeTensorsName.TryGetValue(name, out type);

    public static TensorElementType FromScalarType(torch.ScalarType scalarType) =>
        ByScalarType.TryGetValue(scalarType, out var type)
            ? type
            : throw new NotSupportedException($"Tensors of type {scalarType} cannot be stored in a checkpoint (supported: {string.Join(", ", ByType.Keys)}).");
}
