using System.Buffers.Binary;
using System.Text;

namespace DctNet.Fuzz;

/// <summary>
/// Writes pickle opcodes one by one (protocol 2, pickletools' names), so that a case can say exactly what a hostile
/// file holds - shapes that overflow, shared references, nesting no honest torch.save produces.
/// </summary>
internal sealed class PickleWriter
{
    private readonly List<byte> bytes = [];

    public PickleWriter() => Op(0x80).Raw([2]);

    public byte[] ToArray() => bytes.ToArray();

    public PickleWriter Op(byte opcode)
    {
        bytes.Add(opcode);
        return this;
    }

    public PickleWriter Raw(ReadOnlySpan<byte> raw)
    {
        bytes.AddRange(raw);
        return this;
    }

    public PickleWriter Stop() => Op((byte)'.');

    public PickleWriter Mark() => Op((byte)'(');

    public PickleWriter Tuple() => Op((byte)'t');

    public PickleWriter EmptyDict() => Op((byte)'}');

    public PickleWriter EmptyList() => Op((byte)']');

    public PickleWriter EmptyTuple() => Op((byte)')');

    public PickleWriter Append() => Op((byte)'a');

    public PickleWriter SetItem() => Op((byte)'s');

    public PickleWriter Reduce() => Op((byte)'R');

    public PickleWriter False() => Op(0x89);

    public PickleWriter Put(byte slot) => Op((byte)'q').Raw([slot]);

    public PickleWriter Get(byte slot) => Op((byte)'h').Raw([slot]);

    public PickleWriter Global(string module, string name) => Op((byte)'c').Raw(Encoding.ASCII.GetBytes($"{module}\n{name}\n"));

    public PickleWriter String(string text)
    {
        byte[] utf8 = Encoding.UTF8.GetBytes(text);
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(length, utf8.Length);
        return Op((byte)'X').Raw(length).Raw(utf8);
    }

    /// <summary>Any 64-bit integer (LONG1 with eight bytes), so that sizes near the limits are written as they are.</summary>
    public PickleWriter Int(long value)
    {
        Span<byte> raw = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(raw, value);
        return Op(0x8a).Raw([8]).Raw(raw);
    }

    public PickleWriter IntTuple(IEnumerable<long> values)
    {
        Mark();
        foreach (long value in values)
            Int(value);
        return Tuple();
    }

    /// <summary>torch._utils._rebuild_tensor_v2(storage, offset, shape, strides, False, OrderedDict()) over a FloatStorage named by a persistent id.</summary>
    /// <param name="legacy">The legacy layout's persistent id, which has a sixth item (view metadata, None).</param>
    public PickleWriter Tensor(string storageKey, long storageElements, long offset, long[] shape, long[] strides, bool legacy = false)
    {
        Global("torch._utils", "_rebuild_tensor_v2").Mark();
        Mark().String("storage").Global("torch", "FloatStorage").String(storageKey).String("cpu").Int(storageElements);
        if (legacy)
            Op((byte)'N');
        Tuple().Op((byte)'Q');
        Int(offset).IntTuple(shape).IntTuple(strides).False();
        Global("collections", "OrderedDict").EmptyTuple().Reduce();
        return Tuple().Reduce();
    }

    /// <summary>A state dict {name: tensor} with the given tensors, then STOP.</summary>
    public static byte[] StateDict(params (string Name, Action<PickleWriter> Tensor)[] entries)
    {
        var pickle = new PickleWriter().Global("collections", "OrderedDict").EmptyTuple().Reduce();
        foreach (var (name, tensor) in entries)
        {
            pickle.String(name);
            tensor(pickle);
            pickle.SetItem();
        }
        return pickle.Stop().ToArray();
    }
}
