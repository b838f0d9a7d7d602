using System.Numerics;
using System.Text;
using DctNet.Checkpoints;

namespace DctNet.Tests.Checkpoints;

/// <summary>
/// The unpickler below the file formats: Python's own pickles of plain values (protocols 2 and 5) must decode
/// to the values Python pickled, and hand-made hostile or malformed pickles must be refused precisely.
/// </summary>
public sealed class RestrictedUnpicklerTests
{
    // tools/checkpoint_fixtures/make_checkpoints.py pickled these values (PLAIN_VALUES, PLAIN_BYTES).
    [Theory]
    [InlineData("plain_values.protocol2.pkl")]
    [InlineData("plain_values.protocol5.pkl")]
    public void Python_pickles_of_plain_values_decode_to_those_values(string file)
    {
        var root = Assert.IsType<PickleDict>(LoadFile(file));
        var values = root.Items.ToDictionary(item => (string)item.Key!, item => item.Value);

        Assert.Equal(
            file.Contains("protocol5", StringComparison.Ordinal)
                ? ["ints", "floats", "text", "tuples", "flags", "nested", "shared", "short", "long"]
                : ["ints", "floats", "text", "tuples", "flags", "nested", "shared"],
            root.Items.Select(item => (string)item.Key!));
        Assert.Equal(
            [0L, 255L, 256L, 65535L, 65536L, -1L, -(1L << 31), 1L << 31, long.MaxValue, long.MinValue, BigInteger.Pow(2, 64)],
            (List<object?>)values["ints"]!);
        Assert.Equal([0.1, -2.5e-300, double.PositiveInfinity], (List<object?>)values["floats"]!);
        Assert.Equal("caf\u00e9 \u4e2d", values["text"]);
        Assert.Equal(
            [Array.Empty<object?>(), new object?[] { 1L }, new object?[] { 1L, 2L }, new object?[] { 1L, 2L, 3L }, new object?[] { 1L, 2L, 3L, 4L }],
            ((List<object?>)values["tuples"]!).Cast<object?[]>());
        Assert.Equal([true, false, null], (List<object?>)values["flags"]!);

        var nested = Assert.IsType<PickleDict>(values["nested"]);
        Assert.Equal(["list", 7L], nested.Items.Select(item => item.Key));
        var list = Assert.IsType<List<object?>>(nested.Items[0].Value);
        Assert.Equal(1L, list[0]);
        var deeper = Assert.IsType<PickleDict>(list[1]);
        Assert.Equal(new object?[] { 2L, "x" }, Assert.IsType<object?[]>(Assert.Single(deeper.Items).Value));
        Assert.Equal("int key", nested.Items[1].Value);

        // One Python object pickled twice comes back as one object (a memo hit).
        var shared = (List<object?>)values["shared"]!;
        Assert.Same(shared[0], shared[1]);

        if (values.TryGetValue("short", out var shortBytes))
        {
            Assert.Equal(new byte[] { 0, 1, 255 }, shortBytes);
            Assert.Equal(Enumerable.Range(0, 512).Select(i => (byte)i).ToArray(), values["long"]);
        }
    }

    [Fact]
    public void A_foreign_global_is_refused_before_the_rest_of_the_pickle_is_read()
    {
        // GLOBAL posix.system, then bytes that are no pickle at all: the refusal comes first.
        byte[] pickle = new PickleBuilder().Protocol(2).Global("posix", "system").Raw(0xFF, 0xFF).Build();

        var error = Assert.Throws<UnsafeCheckpointException>(() => Load(pickle));

        Assert.Equal("refuses to load global 'posix.system' (only tensors and plain containers are allowed)", error.Message);
    }

    [Fact]
    public void A_foreign_global_named_through_the_stack_is_refused()
    {
        byte[] pickle = new PickleBuilder().Protocol(4).ShortString("subprocess").ShortString("Popen").Raw(0x93).Build();

        var error = Assert.Throws<UnsafeCheckpointException>(() => Load(pickle));

        Assert.Equal("refuses to load global 'subprocess.Popen' (only tensors and plain containers are allowed)", error.Message);
    }

    [Fact]
    public void Control_characters_in_a_refused_name_are_escaped()
    {
        byte[] pickle = new PickleBuilder().Protocol(2).Global("os\u001b[2J", "system").Build();

        var error = Assert.Throws<UnsafeCheckpointException>(() => Load(pickle));

        Assert.Equal("refuses to load global 'os\\u001b[2J.system' (only tensors and plain containers are allowed)", error.Message);
    }

    [Fact]
    public void Allowed_globals_cannot_be_called_in_other_ways()
    {
        // torch.FloatStorage() is a storage class, only ever named inside a persistent id.
        byte[] callStorage = new PickleBuilder().Protocol(2).Global("torch", "FloatStorage").Raw((byte)')', (byte)'R', (byte)'.').Build();
        // OrderedDict([...]) with arguments.
        byte[] orderedDictWithItems = new PickleBuilder().Protocol(2).Global("collections", "OrderedDict").Raw((byte)']', 0x85, (byte)'R', (byte)'.').Build();

        Assert.Equal("torch.FloatStorage called with unexpected arguments ().",
            Assert.Throws<InvalidDataException>(() => Load(callStorage)).Message);
        Assert.Equal("collections.OrderedDict called with unexpected arguments (list of 0).",
            Assert.Throws<InvalidDataException>(() => Load(orderedDictWithItems)).Message);
    }

    [Fact]
    public void BUILD_may_only_set_an_OrderedDicts_attributes()
    {
        byte[] pickle = new PickleBuilder().Protocol(2).Raw((byte)'}', (byte)'}', (byte)'b', (byte)'.').Build();

        var error = Assert.Throws<InvalidDataException>(() => Load(pickle));

        Assert.Equal("BUILD at byte 4 sets the state of a dict of 0; only an OrderedDict's attributes may be set.", error.Message);
    }

    [Fact]
    public void Opcodes_that_construct_objects_are_not_implemented()
    {
        // NEWOBJ: cls.__new__(cls, *args), which torch.save never needs.
        byte[] pickle = new PickleBuilder().Protocol(2).Global("collections", "OrderedDict").Raw((byte)')', 0x81, (byte)'.').Build();

        var error = Assert.Throws<InvalidDataException>(() => Load(pickle));

        Assert.Equal("pickle opcode 0x81 at byte 28 is not supported (only those torch.save uses for tensors and plain containers).", error.Message);
    }

    [Fact]
    public void A_huge_declared_length_is_reported_as_truncation_without_allocating_it()
    {
        byte[] pickle = new PickleBuilder().Protocol(2).Raw((byte)'X', 0xFF, 0xFF, 0xFF, 0x7F, (byte)'a').Build();

        var error = Assert.Throws<InvalidDataException>(() => Load(pickle));

        Assert.Equal("truncated: the file ends at byte 7 inside a pickle (before its STOP opcode).", error.Message);
    }

    [Fact]
    public void A_tensor_view_beyond_its_storage_is_refused()
    {
        // _rebuild_tensor_v2(storage of 4 floats, offset 0, size (10,), stride (1,), False, OrderedDict())
        byte[] pickle = new PickleBuilder().Protocol(2)
            .Global("torch._utils", "_rebuild_tensor_v2")
            .Raw((byte)'(', (byte)'(').String("storage").Global("torch", "FloatStorage").String("0").String("cpu").Int(4).Raw((byte)'t', (byte)'Q')
            .Int(0).Int(10).Raw(0x85).Int(1).Raw(0x85, 0x89).Global("collections", "OrderedDict").Raw((byte)')', (byte)'R', (byte)'t', (byte)'R', (byte)'.')
            .Build();

        var error = Assert.Throws<InvalidDataException>(() => Load(pickle));

        Assert.Equal("tensor of shape [10] (offset 0, strides [1]) reaches element 9 of storage '0', which holds 4.", error.Message);
    }

    private static object? LoadFile(string file)
    {
        using var stream = File.OpenRead(CheckpointFixtures.PathOf(file));
        return RestrictedUnpickler.Load(stream, _ => throw new InvalidOperationException("no persistent ids in plain values"));
    }

    [Fact]
    public void A_value_nested_a_million_deep_or_shared_exponentially_is_described_in_a_few_words()
    {
        // EMPTY_TUPLE, then TUPLE1 half a million times: described recursively, this overflowed the stack.
        var deep = new PickleBuilder().Protocol(2).Raw((byte)')');
        for (int i = 0; i < 500_000; i++)
            deep.Raw(0x85);
        // t = (); 60 times t = (t, t) through the memo: 2^60 leaves in 300 bytes (a description of all grew without bound).
        var shared = new PickleBuilder().Protocol(2).Raw((byte)')', (byte)'q', 0);
        for (int i = 0; i < 60; i++)
            shared.Raw((byte)'h', 0, 0x86, (byte)'q', 0); // BINGET t, TUPLE2 (t, t), BINPUT it as the next t

        string deepText = RestrictedUnpickler.Describe(Load(deep.Raw((byte)'.').Build()));
        string sharedText = RestrictedUnpickler.Describe(Load(shared.Raw((byte)'.').Build()));

        Assert.Equal("tuple (tuple of 1)", deepText);
        Assert.Equal("tuple (tuple of 2, tuple of 2)", sharedText);
    }

    [Fact]
    public void A_pickle_of_a_million_tiny_values_is_refused_by_its_opcode_count()
    {
        // A million EMPTY_DICTs hold ~150 MB for a 1 MB file; ten million would hold gigabytes.
        var many = new PickleBuilder().Protocol(2);
        for (int i = 0; i < 1_000_001; i++)
            many.Raw((byte)'}');

        var error = Assert.Throws<InvalidDataException>(() => Load(many.Raw((byte)'.').Build()));

        Assert.StartsWith("the pickle runs more than 1,000,000 opcodes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_pickle_larger_than_16_MiB_is_refused_before_its_string_is_allocated()
    {
        var stream = new MemoryStream();
        stream.Write(new PickleBuilder().Protocol(2).Raw((byte)'X', 0, 0, 0, 0x01).Build()); // a 16 MiB string
        stream.SetLength(stream.Length + (16 << 20) + 1);

        stream.Position = 0;
        var error = Assert.Throws<InvalidDataException>(() => RestrictedUnpickler.Load(stream, _ => null));

        Assert.StartsWith("the pickle is larger than 16 MiB", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_storage_whose_byte_count_overflows_is_refused_not_wrapped()
    {
        // 2^62 float32 elements are 2^64 bytes, which wraps to 0 in unchecked 64-bit arithmetic: a size that passes.
        var storage = new StorageReference("0", TensorElementType.Float32, 1L << 62);
        Assert.Throws<OverflowException>(() => storage.ByteCount);
    }

    private static object? Load(byte[] pickle)
    {
        using var stream = new MemoryStream(pickle);
        return RestrictedUnpickler.Load(stream, id =>
        {
            var (key, type, count) = RestrictedUnpickler.ParseStoragePersistentId(id, expectedLength: 5);
            return new StorageReference(key, type, count);
        });
    }
}
