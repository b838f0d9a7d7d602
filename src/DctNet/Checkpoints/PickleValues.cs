namespace DctNet.Checkpoints;

// The values the restricted unpickler produces. Python's None, bool, int, float, str and bytes become
// null, bool, long (System.Numerics.BigInteger beyond 64 bits), double, string and byte[]; a list is a
// List<object?>, a tuple an object?[]. Everything else is one of the types below - nothing else can exist.

/// <summary>A Python dict or collections.OrderedDict: keys in insertion order, as Python keeps them.</summary>
internal sealed class PickleDict
{
    private readonly List<KeyValuePair<object?, object?>> items = [];
    private readonly Dictionary<object, int> indexOfKey = [];

    public PickleDict(bool isOrderedDict) => IsOrderedDict = isOrderedDict;

    /// <summary>Made by collections.OrderedDict (the only class the unpickler may construct).</summary>
    public bool IsOrderedDict { get; }

    public IReadOnlyList<KeyValuePair<object?, object?>> Items => items;

    public int Count => items.Count;

    /// <summary>Python's d[key] = value: a new key goes last, an existing one keeps its place.</summary>
    public void Set(object? key, object? value)
    {
        object lookupKey = key ?? NoneKey.Instance;
        if (indexOfKey.TryGetValue(lookupKey, out int index))
        {
            items[index] = new(key, value);
            return;
        }
        indexOfKey.Add(lookupKey, items.Count);
        items.Add(new(key, value));
    }

    public bool TryGet(string key, out object? value)
    {
        if (indexOfKey.TryGetValue(key, out int index))
        {
            value = items[index].Value;
            return true;
        }
        value = null;
        return false;
    }

    // Dictionary<,> refuses null keys; Python dicts accept None.
    private sealed class NoneKey
    {
        public static readonly NoneKey Instance = new();
    }
}

/// <summary>
/// A storage named by a persistent id: which bytes of the file hold it, not the bytes themselves - those
/// are read only for the tensors the caller keeps (an optimizer's momentum buffers are never read).
/// </summary>
internal sealed record StorageReference(string Key, TensorElementType ElementType, long ElementCount)
{
    public long ByteCount => checked(ElementCount * ElementType.Size());
}

/// <summary>A tensor as torch._utils._rebuild_tensor_v2 describes it: a strided view into a storage.</summary>
internal sealed class TensorReference(StorageReference storage, long storageOffset, long[] shape, long[] strides)
{
    public StorageReference Storage { get; } = storage;
    public long StorageOffset { get; } = storageOffset;
    public long[] Shape { get; } = shape;
    public long[] Strides { get; } = strides;

    /// <summary>Copies the viewed elements out of the storage's bytes into a contiguous C-order tensor.</summary>
    public TensorData Materialize(byte[] storageBytes)
    {
        int elementSize = Storage.ElementType.Size();
        long count = TensorData.CountElements(Shape);
        var result = new byte[checked(count * elementSize)];
        if (count > 0)
            GatherStrided(storageBytes, elementSize, result);
        return new TensorData(Storage.ElementType, Shape, result);
    }

    /// <summary>Checks that every element of the view lies inside a storage of <paramref name="storageElements"/>.</summary>
    public void ValidateBounds(long storageElements)
    {
        if (StorageOffset < 0 || Shape.Any(size => size < 0) || Strides.Any(stride => stride < 0))
            throw new InvalidDataException($"tensor view with negative offset, size or stride (offset {StorageOffset}, shape [{string.Join(", ", Shape)}], strides [{string.Join(", ", Strides)}]).");
        if (Shape.Length != Strides.Length)
            throw new InvalidDataException($"tensor of shape [{string.Join(", ", Shape)}] has {Strides.Length} strides.");
        if (TensorData.CountElements(Shape) == 0)
            return;
        long last = StorageOffset;
        for (int i = 0; i < Shape.Length; i++)
            last = checked(last + (Shape[i] - 1) * Strides[i]);
        if (last >= storageElements)
            throw new InvalidDataException(
                $"tensor of shape [{string.Join(", ", Shape)}] (offset {StorageOffset}, strides [{string.Join(", ", Strides)}]) reaches element {last} of storage '{Storage.Key}', which holds {storageElements}.");
    }

    private void GatherStrided(byte[] source, int elementSize, byte[] destination)
    {
        int rank = Shape.Length;
        if (IsContiguous())
        {
            Buffer.BlockCopy(source, checked((int)(StorageOffset * elementSize)), destination, 0, destination.Length);
            return;
        }
        // Odometer over all but the last dimension; the last is a strided run of single elements.
        long innerSize = Shape[rank - 1], innerStride = Strides[rank - 1];
        var index = new long[rank - 1];
        long written = 0;
        while (true)
        {
            long start = StorageOffset;
            for (int d = 0; d < rank - 1; d++)
                start += index[d] * Strides[d];
            for (long i = 0; i < innerSize; i++)
            {
                Buffer.BlockCopy(source, checked((int)((start + i * innerStride) * elementSize)), destination, checked((int)written), elementSize);
                written += elementSize;
            }
            int dim = rank - 2;
            while (dim >= 0 && ++index[dim] == Shape[dim])
                index[dim--] = 0;
            if (dim < 0)
                return;
        }
    }

    // Sizes of one carry no stride information, as in torch's own is_contiguous.
    private bool IsContiguous()
    {
        long expected = 1;
        for (int d = Shape.Length - 1; d >= 0; d--)
        {
            if (Shape[d] != 1 && Strides[d] != expected)
                return false;
            expected *= Shape[d];
        }
        return true;
    }
}

/// <summary>One of the few globals the unpickler accepts (see <see cref="RestrictedUnpickler"/>).</summary>
internal sealed record AllowedGlobal(string Module, string Name, AllowedGlobalKind Kind, TensorElementType StorageElementType = default)
{
    public string FullName => $"{Module}.{Name}";
}

internal enum AllowedGlobalKind
{
    OrderedDictClass,
    RebuildTensorV2,
    RebuildTensor,
    RebuildParameter,
    /// <summary>torch.FloatStorage and friends: only ever named inside a persistent id, never called.</summary>
    StorageType,
}
