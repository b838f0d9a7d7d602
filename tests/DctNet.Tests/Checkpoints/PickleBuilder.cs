using System.Text;

namespace DctNet.Tests.Checkpoints;

/// <summary>Assembles protocol-2+ pickles opcode by opcode.</summary>
internal sealed class PickleBuilder
{
    private readonly List<byte> bytes = [];

    public PickleBuilder Protocol(byte version) => Raw(0x80, version);

    public PickleBuilder Global(string module, string name) => Raw((byte)'c').Raw(Encoding.UTF8.GetBytes($"{module}\n{name}\n"));

    public PickleBuilder String(string value)
    {
        byte[] utf8 = Encoding.UTF8.GetBytes(value);
        return Raw((byte)'X').Raw(BitConverter.GetBytes(utf8.Length)).Raw(utf8);
    }

    public PickleBuilder ShortString(string value)
    {
        byte[] utf8 = Encoding.UTF8.GetBytes(value);
        return Raw(0x8C, (byte)utf8.Length).Raw(utf8);
    }

    public PickleBuilder Int(byte value) => Raw((byte)'K', value);

    /// <summary>LONG1 with eight bytes: any 64-bit value.</summary>
    public PickleBuilder Long(long value) => Raw(0x8A, 8).Raw(BitConverter.GetBytes(value));

    public PickleBuilder LongTuple(params long[] values)
    {
        Raw((byte)'(');
        foreach (long value in values)
            Long(value);
        return Raw((byte)'t');
    }

    /// <summary>{name: _rebuild_tensor_v2(FloatStorage '0' of storageElements, offset, shape, strides, False, OrderedDict())}, then STOP.</summary>
    public static byte[] FloatTensorStateDict(string name, long storageElements, long offset, long[] shape, long[] strides)
        => new PickleBuilder().Protocol(2).Raw((byte)'}').String(name)
            .Global("torch._utils", "_rebuild_tensor_v2")
            .Raw((byte)'(', (byte)'(').String("storage").Global("torch", "FloatStorage").String("0").String("cpu").Long(storageElements).Raw((byte)'t', (byte)'Q')
            .Long(offset).LongTuple(shape).LongTuple(strides).Raw(0x89).Global("collections", "OrderedDict").Raw((byte)')', (byte)'R', (byte)'t', (byte)'R')
            .Raw((byte)'s', (byte)'.')
            .Build();

    public PickleBuilder Raw(params byte[] values)
    {
        bytes.AddRange(values);
        return this;
    }

    public byte[] Build() => [.. bytes];
}
