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

    // The storage is read in windows of this many bytes, or of the view's own size if larger: a view over a small part
    // of a large storage (or a record that inflates to gigabytes) costs at most twice the view's size plus 16 MiB, never
    // the storage's size, and each window costs one pass over the view's elements.
    private const int WindowBytes = 16 << 20;

    /// <summary>
    /// Copies the viewed elements, in C order, out of <paramref name="storage"/>, a stream positioned at the storage's
    /// first byte that holds at least the bytes up to the view's last element (<see cref="ValidateBounds"/>).
    /// </summary>
    public byte[] Gather(Stream storage)
    {
        int elementSize = Storage.ElementType.Size();
        long count = TensorData.CountElements(Shape);
        var result = new byte[checked(count * elementSize)];
        if (count == 0)
            return result;
        Skip(storage, checked(StorageOffset * elementSize));
        if (IsContiguous())
        {
            storage.ReadExactly(result);
            return result;
        }
        long first = StorageOffset, last = LastElement();
        long windowElements = Math.Min(last - first + 1, Math.Max(WindowBytes, result.Length) / elementSize);
        var window = new byte[windowElements * elementSize];
        for (long windowStart = first; windowStart <= last; windowStart += windowElements)
        {
            int length = (int)Math.Min(windowElements, last - windowStart + 1);
            storage.ReadExactly(window, 0, length * elementSize);
            CopyElementsWithin(window, windowStart, length, elementSize, result);
        }
        return result;
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
        long last = LastElement();
        if (last >= storageElements)
            throw new InvalidDataException(
                $"tensor of shape [{string.Join(", ", Shape)}] (offset {StorageOffset}, strides [{string.Join(", ", Strides)}]) reaches element {last} of storage '{Storage.Key}', which holds {storageElements}.");
    }

    /// <summary>The storage index of the view's last element (strides are not negative, so also its largest).</summary>
    private long LastElement()
    {
        long last = StorageOffset;
        for (int i = 0; i < Shape.Length; i++)
            last = checked(last + (Shape[i] - 1) * Strides[i]);
        return last;
    }

    /// <summary>Copies the elements whose storage index lies in the window [windowStart, windowStart + windowLength) to their C-order places.</summary>
    private void CopyElementsWithin(byte[] window, long windowStart, int windowLength, int elementSize, byte[] destination)
    {
        // Odometer over all but the last dimension; the last is a strided run of single elements.
        int rank = Shape.Length;
        long innerSize = rank == 0 ? 1 : Shape[rank - 1], innerStride = rank == 0 ? 0 : Strides[rank - 1];
        var index = new long[Math.Max(rank - 1, 0)];
        long written = 0;
        while (true)
        {
            long start = StorageOffset;
            for (int d = 0; d < rank - 1; d++)
                start += index[d] * Strides[d];
            for (long i = 0; i < innerSize; i++, written += elementSize)
            {
                long inWindow = start + i * innerStride - windowStart;
                if (inWindow >= 0 && inWindow < windowLength)
                    Buffer.BlockCopy(window, (int)(inWindow * elementSize), destination, checked((int)written), elementSize);
            }
            int dim = rank - 2;
            while (dim >= 0 && ++index[dim] == Shape[dim])
                index[dim--] = 0;
            if (dim < 0)
                return;
        }
    }

    private static void Skip(Stream stream, long bytes)
    {
        if (stream.CanSeek)
        {
            stream.Seek(bytes, SeekOrigin.Current);
            return;
        }
        var discard = new byte[(int)Math.Min(bytes, 1 << 20)];
        for (long left = bytes; left > 0; left -= discard.Length)
            stream.ReadExactly(discard, 0, (int)Math.Min(left, discard.Length));
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
