using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace DctNet.Checkpoints;

/// <summary>
/// Writes the data.pkl of a zip-format torch.save file: a protocol-2 pickle of an OrderedDict of tensors
/// (torch._utils._rebuild_tensor_v2 over persistent storage ids), optionally inside the release's checkpoint
/// dict. It emits exactly the opcodes and memo slots that CPython's pickler emits for the objects torch.save
/// pickles, so the output can be checked byte for byte against torch.save's own file. Hand-written: no .NET
/// library writes pickles with persistent ids, and this small fixed shape needs no general pickler.
/// </summary>
internal sealed class TorchPickleWriter : IDisposable
{
    // CPython's pickler flushes SETITEMS every 1000 items (pickle.py, _BATCHSIZE).
    private const int BatchSize = 1000;

    private readonly MemoryStream output = new();
    private readonly Dictionary<string, int> memoizedGlobals = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> memoizedConstants = new(StringComparer.Ordinal);
    private int memoCount;

    /// <summary>The pickle; the tensor at position i is storage "i" of the archive.</summary>
    public static byte[] Write(IReadOnlyList<KeyValuePair<string, TensorData>> tensors, ReleaseCheckpointFields? release)
    {
        using var writer = new TorchPickleWriter();
        writer.Opcode(0x80); // PROTO 2
        writer.output.WriteByte(2);
        if (release is null)
        {
            writer.WriteStateDict(tensors);
        }
        else
        {
            // {"epoch": int, "arch": str, "state_dict": OrderedDict, "best_prec1": float}, as the release saved it.
            writer.Opcode((byte)'}'); // EMPTY_DICT
            writer.Memoize();
            writer.Opcode((byte)'('); // MARK
            writer.WriteString("epoch");
            writer.WriteInt(release.Epoch);
            writer.WriteString("arch");
            writer.WriteString(release.Arch);
            writer.WriteString("state_dict");
            writer.WriteStateDict(tensors);
            writer.WriteString("best_prec1");
            writer.WriteFloat(release.BestPrec1);
            writer.Opcode((byte)'u'); // SETITEMS
        }
        writer.Opcode((byte)'.'); // STOP
        return writer.output.ToArray();
    }

    /// <summary>collections.OrderedDict() then its items, batched as CPython's batch_setitems does.</summary>
    private void WriteStateDict(IReadOnlyList<KeyValuePair<string, TensorData>> tensors)
    {
        WriteGlobal("collections", "OrderedDict");
        Opcode((byte)')'); // EMPTY_TUPLE
        Opcode((byte)'R'); // REDUCE
        Memoize();
        for (int start = 0; start < tensors.Count; start += BatchSize)
        {
            int count = Math.Min(BatchSize, tensors.Count - start);
            if (count > 1)
                Opcode((byte)'('); // MARK
            for (int i = start; i < start + count; i++)
            {
                WriteString(tensors[i].Key);
                WriteTensor(tensors[i].Value, storageKey: i.ToString(CultureInfo.InvariantCulture));
            }
            Opcode(count > 1 ? (byte)'u' : (byte)'s'); // SETITEMS or SETITEM
        }
    }

    /// <summary>_rebuild_tensor_v2(storage, 0, size, stride, False, OrderedDict()) over a whole contiguous storage.</summary>
    private void WriteTensor(TensorData tensor, string storageKey)
    {
        WriteGlobal("torch._utils", "_rebuild_tensor_v2");
        Opcode((byte)'('); // MARK
        {
            // Persistent id ('storage', torch.XStorage, key, 'cpu', element count).
            Opcode((byte)'('); // MARK
            WriteConstantString("storage");
            WriteGlobal("torch", tensor.ElementType.PyTorchStorageName());
            WriteString(storageKey);
            WriteConstantString("cpu");
            WriteInt(tensor.ElementCount);
            Opcode((byte)'t'); // TUPLE
            Memoize();
            Opcode((byte)'Q'); // BINPERSID

            WriteInt(0); // storage offset
            long[] shape = [.. tensor.Shape];
            WriteIntTuple(shape);
            WriteIntTuple(ContiguousStrides(shape));
            Opcode(0x89); // NEWFALSE: requires_grad
            WriteGlobal("collections", "OrderedDict"); // backward_hooks = OrderedDict()
            Opcode((byte)')'); // EMPTY_TUPLE
            Opcode((byte)'R'); // REDUCE
            Memoize();
        }
        Opcode((byte)'t'); // TUPLE
        Memoize();
        Opcode((byte)'R'); // REDUCE
        Memoize();
    }

    private static long[] ContiguousStrides(long[] shape)
    {
        var strides = new long[shape.Length];
        long stride = 1;
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            strides[d] = stride;
            stride *= shape[d];
        }
        return strides;
    }

    /// <summary>A tuple of ints: EMPTY_TUPLE (never memoized), TUPLE1-3, or MARK ... TUPLE.</summary>
    private void WriteIntTuple(long[] values)
    {
        if (values.Length == 0)
        {
            Opcode((byte)')');
            return;
        }
        if (values.Length > 3)
            Opcode((byte)'('); // MARK
        foreach (long value in values)
            WriteInt(value);
        Opcode(values.Length switch { 1 => 0x85, 2 => 0x86, 3 => 0x87, _ => (byte)'t' });
        Memoize();
    }

    /// <summary>GLOBAL "module\nname\n" the first time, BINGET of its memo slot afterwards (same object in Python).</summary>
    private void WriteGlobal(string module, string name)
    {
        string key = module + "\n" + name;
        if (memoizedGlobals.TryGetValue(key, out int slot))
        {
            Get(slot);
            return;
        }
        Opcode((byte)'c');
        output.Write(Encoding.ASCII.GetBytes(key + "\n"));
        memoizedGlobals[key] = Memoize();
    }

    /// <summary>A string that is one Python object each time it appears ('storage', 'cpu'): stored once, then fetched.</summary>
    private void WriteConstantString(string value)
    {
        if (memoizedConstants.TryGetValue(value, out int slot))
        {
            Get(slot);
            return;
        }
        WriteString(value);
        memoizedConstants[value] = memoCount - 1;
    }

    /// <summary>BINUNICODE (protocol 2 has no shorter string opcode), memoized.</summary>
    private void WriteString(string value)
    {
        byte[] utf8 = Encoding.UTF8.GetBytes(value);
        Opcode((byte)'X');
        WriteUInt32((uint)utf8.Length);
        output.Write(utf8);
        Memoize();
    }

    /// <summary>CPython's save_long: BININT1, BININT2 or BININT while it fits 32 bits.</summary>
    private void WriteInt(long value)
    {
        if (value is >= 0 and < 256)
        {
            Opcode((byte)'K');
            output.WriteByte((byte)value);
        }
        else if (value is >= 0 and < 65536)
        {
            Opcode((byte)'M');
            Span<byte> bytes = stackalloc byte[2];
            BinaryPrimitives.WriteUInt16LittleEndian(bytes, (ushort)value);
            output.Write(bytes);
        }
        else if (value is >= int.MinValue and <= int.MaxValue)
        {
            Opcode((byte)'J');
            WriteUInt32(unchecked((uint)(int)value));
        }
        else
        {
            // Storages of 2^31 elements (8 GiB of float32) are far beyond the models of this project.
            throw new NotSupportedException($"Integer {value} does not fit the 32 bits this writer emits.");
        }
    }

    private void WriteFloat(double value)
    {
        Opcode((byte)'G'); // BINFLOAT, big-endian
        Span<byte> bytes = stackalloc byte[8];
        BinaryPrimitives.WriteDoubleBigEndian(bytes, value);
        output.Write(bytes);
    }

    /// <summary>BINPUT (or LONG_BINPUT from slot 256) of the next memo slot; returns the slot.</summary>
    private int Memoize()
    {
        int slot = memoCount++;
        if (slot < 256)
        {
            Opcode((byte)'q');
            output.WriteByte((byte)slot);
        }
        else
        {
            Opcode((byte)'r');
            WriteUInt32((uint)slot);
        }
        return slot;
    }

    private void Get(int slot)
    {
        if (slot < 256)
        {
            Opcode((byte)'h');
            output.WriteByte((byte)slot);
        }
        else
        {
            Opcode((byte)'j');
            WriteUInt32((uint)slot);
        }
    }

    public void Dispose() => output.Dispose();

    private void Opcode(byte opcode) => output.WriteByte(opcode);

    private void WriteUInt32(uint value)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
        output.Write(bytes);
    }
}
