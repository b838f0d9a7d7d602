using System.Buffers.Binary;
using System.Numerics;
using System.Text;

namespace DctNet.Checkpoints;

/// <summary>
/// A pickle virtual machine that can only build tensors and plain containers. Hand-written because the one
/// maintained .NET unpickler, Razorvine.Pickle (used by TorchSharp.PyBridge), turns any global it does not
/// know into a ClassDict instead of refusing it, keeps its constructor table in process-wide static state,
/// and loses dict order (Hashtable); none of that can be switched off from outside.
/// <para>
/// Safety: a GLOBAL or STACK_GLOBAL opcode naming anything but the few globals of <see cref="Allowed"/> is
/// refused the moment it is read, before any later opcode runs; REDUCE may only call those globals, BUILD
/// may only target an OrderedDict (whose attribute dict, e.g. a state dict's _metadata, is dropped), and
/// the opcodes that construct objects otherwise (NEWOBJ, INST, OBJ, EXT*) are not implemented. Nothing is
/// ever looked up by name or reflected upon, so a file cannot make this code construct or run anything.
/// </para>
/// </summary>
internal sealed class RestrictedUnpickler
{
    private static readonly Dictionary<(string Module, string Name), AllowedGlobal> Allowed = BuildAllowedGlobals();

    private readonly Stream stream;
    private readonly Func<object?, object?> persistentLoad;
    private readonly List<object?> stack = [];
    private readonly List<int> marks = [];
    private readonly Dictionary<long, object?> memo = [];
    private readonly long start;
    private int opcodes;

    /// <param name="stream">Positioned at the pickle; left just after its STOP opcode.</param>
    /// <param name="persistentLoad">Resolves a BINPERSID id (torch's storage tuples).</param>
    public RestrictedUnpickler(Stream stream, Func<object?, object?> persistentLoad)
    {
        this.stream = stream;
        this.persistentLoad = persistentLoad;
        start = stream.Position;
    }

    /// <summary>Reads one pickle from the current position.</summary>
    public static object? Load(Stream stream, Func<object?, object?> persistentLoad) => new RestrictedUnpickler(stream, persistentLoad).Load();

    private object? Load()
    {
        while (true)
        {
            long offset = stream.Position;
            if (++opcodes > CheckpointLimits.MaxPickleOpcodes)
                throw new InvalidDataException($"the pickle runs more than {CheckpointLimits.MaxPickleOpcodes:N0} opcodes; a state dict needs a few dozen per tensor.");
            byte opcode = ReadByte();
            switch (opcode)
            {
                case 0x80: // PROTO
                    byte protocol = ReadByte();
                    if (protocol is < 2 or > 5)
                        throw new InvalidDataException($"pickle protocol {protocol} is not supported (torch.save writes 2 to 5).");
                    break;
                case 0x95: // FRAME: an 8-byte length that only helps buffered readers
                    ReadBytes(8);
                    break;
                case (byte)'.': // STOP
                    if (marks.Count != 0 || stack.Count != 1)
                        throw new InvalidDataException($"malformed pickle: STOP at byte {offset} with {stack.Count} values and {marks.Count} open marks.");
                    return stack[0];
                case (byte)'(': // MARK
                    marks.Add(stack.Count);
                    break;
                case (byte)'N': // NONE
                    stack.Add(null);
                    break;
                case 0x88: // NEWTRUE
                    stack.Add(true);
                    break;
                case 0x89: // NEWFALSE
                    stack.Add(false);
                    break;
                case (byte)'K': // BININT1
                    stack.Add((long)ReadByte());
                    break;
                case (byte)'M': // BININT2
                    stack.Add((long)BinaryPrimitives.ReadUInt16LittleEndian(ReadBytes(2)));
                    break;
                case (byte)'J': // BININT
                    stack.Add((long)BinaryPrimitives.ReadInt32LittleEndian(ReadBytes(4)));
                    break;
                case 0x8A: // LONG1: little-endian two's complement of the given length
                    PushLong(ReadBytes(ReadByte()));
                    break;
                case (byte)'G': // BINFLOAT: big-endian IEEE double
                    stack.Add(BinaryPrimitives.ReadDoubleBigEndian(ReadBytes(8)));
                    break;
                case (byte)'X': // BINUNICODE
                    stack.Add(DecodeUtf8(ReadBytes(ReadLength4())));
                    break;
                case 0x8C: // SHORT_BINUNICODE
                    stack.Add(DecodeUtf8(ReadBytes(ReadByte())));
                    break;
                case (byte)'B': // BINBYTES
                    stack.Add(ReadBytes(ReadLength4()));
                    break;
                case (byte)'C': // SHORT_BINBYTES
                    stack.Add(ReadBytes(ReadByte()));
                    break;
                case (byte)')': // EMPTY_TUPLE
                    stack.Add(Array.Empty<object?>());
                    break;
                case 0x85: // TUPLE1
                    stack.Add(PopTop(1));
                    break;
                case 0x86: // TUPLE2
                    stack.Add(PopTop(2));
                    break;
                case 0x87: // TUPLE3
                    stack.Add(PopTop(3));
                    break;
                case (byte)'t': // TUPLE
                    stack.Add(PopToMark());
                    break;
                case (byte)']': // EMPTY_LIST
                    stack.Add(new List<object?>());
                    break;
                case (byte)'a': // APPEND
                    {
                        object? item = Pop();
                        Peek<List<object?>>("APPEND").Add(item);
                        break;
                    }
                case (byte)'e': // APPENDS
                    {
                        object?[] items = PopToMark();
                        Peek<List<object?>>("APPENDS").AddRange(items);
                        break;
                    }
                case (byte)'}': // EMPTY_DICT
                    stack.Add(new PickleDict(isOrderedDict: false));
                    break;
                case (byte)'s': // SETITEM
                    {
                        object? value = Pop();
                        object? key = Pop();
                        Peek<PickleDict>("SETITEM").Set(key, value);
                        break;
                    }
                case (byte)'u': // SETITEMS
                    {
                        object?[] items = PopToMark();
                        if (items.Length % 2 != 0)
                            throw new InvalidDataException($"malformed pickle: SETITEMS at byte {offset} with an odd number of values.");
                        var dict = Peek<PickleDict>("SETITEMS");
                        for (int i = 0; i < items.Length; i += 2)
                            dict.Set(items[i], items[i + 1]);
                        break;
                    }
                case (byte)'q': // BINPUT
                    memo[ReadByte()] = PeekAny("BINPUT");
                    break;
                case (byte)'r': // LONG_BINPUT
                    memo[BinaryPrimitives.ReadUInt32LittleEndian(ReadBytes(4))] = PeekAny("LONG_BINPUT");
                    break;
                case 0x94: // MEMOIZE
                    memo[memo.Count] = PeekAny("MEMOIZE");
                    break;
                case (byte)'h': // BINGET
                    stack.Add(MemoGet(ReadByte(), offset));
                    break;
                case (byte)'j': // LONG_BINGET
                    stack.Add(MemoGet(BinaryPrimitives.ReadUInt32LittleEndian(ReadBytes(4)), offset));
                    break;
                case (byte)'c': // GLOBAL: "module\nname\n"
                    {
                        string module = ReadLine();
                        string name = ReadLine();
                        stack.Add(ResolveGlobal(module, name));
                        break;
                    }
                case 0x93: // STACK_GLOBAL
                    {
                        object? name = Pop();
                        object? module = Pop();
                        if (module is not string moduleName || name is not string globalName)
                            throw new InvalidDataException($"malformed pickle: STACK_GLOBAL at byte {offset} without two strings.");
                        stack.Add(ResolveGlobal(moduleName, globalName));
                        break;
                    }
                case (byte)'R': // REDUCE
                    {
                        object? arguments = Pop();
                        object? callable = Pop();
                        stack.Add(Call(callable, arguments));
                        break;
                    }
                case (byte)'b': // BUILD
                    {
                        object? state = Pop();
                        object? target = PeekAny("BUILD");
                        // An OrderedDict's instance attributes (a state dict's _metadata: module versions) are not kept.
                        if (target is not PickleDict { IsOrderedDict: true } || state is not PickleDict)
                            throw new InvalidDataException($"BUILD at byte {offset} sets the state of a {Describe(target)}; only an OrderedDict's attributes may be set.");
                        break;
                    }
                case (byte)'Q': // BINPERSID
                    stack.Add(persistentLoad(Pop()));
                    break;
                default:
                    throw new InvalidDataException($"pickle opcode 0x{opcode:x2} at byte {offset} is not supported (only those torch.save uses for tensors and plain containers).");
            }
        }
    }

    private static object? Call(object? callable, object? arguments)
    {
        if (callable is not AllowedGlobal global)
            throw new InvalidDataException($"REDUCE calls a {Describe(callable)}, which is not callable.");
        if (arguments is not object?[] args)
            throw new InvalidDataException($"REDUCE calls {global.FullName} with a {Describe(arguments)} instead of an argument tuple.");
        return global.Kind switch
        {
            AllowedGlobalKind.OrderedDictClass when args.Length == 0 => new PickleDict(isOrderedDict: true),
            // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
            AllowedGlobalKind.RebuildTensorV2 when args.Length is 6 or 7 && args[4] is bool && args[5] is PickleDict => RebuildTensor(global, args),
            // (storage, storage_offset, size, stride): PyTorch before 0.4
            AllowedGlobalKind.RebuildTensor when args.Length == 4 => RebuildTensor(global, args),
            // (data, requires_grad, backward_hooks): a Parameter is its data here
            AllowedGlobalKind.RebuildParameter when args.Length == 3 && args[0] is TensorReference && args[1] is bool && args[2] is PickleDict => args[0],
            _ => throw new InvalidDataException($"{global.FullName} called with unexpected arguments ({string.Join(", ", args.Select(arg => Describe(arg)))})."),
        };
    }

    private static TensorReference RebuildTensor(AllowedGlobal global, object?[] args)
    {
        if (args[0] is not StorageReference storage || !TryGetInt64(args[1], out long offset)
            || !TryGetInt64Tuple(args[2], out long[] shape) || !TryGetInt64Tuple(args[3], out long[] strides))
        {
            throw new InvalidDataException($"{global.FullName} called with unexpected arguments ({string.Join(", ", args.Select(arg => Describe(arg)))}).");
        }
        if (shape.Length > CheckpointLimits.MaxRank)
            throw new InvalidDataException($"a tensor of {shape.Length} dimensions; at most {CheckpointLimits.MaxRank} are read.");
        var tensor = new TensorReference(storage, offset, shape, strides);
        tensor.ValidateBounds(storage.ElementCount);
        return tensor;
    }

    private static AllowedGlobal ResolveGlobal(string module, string name)
    {
        if (Allowed.TryGetValue((module, name), out var global))
            return global;
        throw new UnsafeCheckpointException(
            $"refuses to load global '{Printable(module)}.{Printable(name)}' (only tensors and plain containers are allowed)");
    }

    private static Dictionary<(string, string), AllowedGlobal> BuildAllowedGlobals()
    {
        var globals = new List<AllowedGlobal>
        {
            new("collections", "OrderedDict", AllowedGlobalKind.OrderedDictClass),
            new("torch._utils", "_rebuild_tensor_v2", AllowedGlobalKind.RebuildTensorV2),
            new("torch._utils", "_rebuild_tensor", AllowedGlobalKind.RebuildTensor),
            new("torch._utils", "_rebuild_parameter", AllowedGlobalKind.RebuildParameter),
        };
        foreach (var type in Enum.GetValues<TensorElementType>())
            globals.Add(new("torch", type.PyTorchStorageName(), AllowedGlobalKind.StorageType, type));
        return globals.ToDictionary(g => (g.Module, g.Name));
    }

    /// <summary>
    /// torch's persistent id of a storage: ('storage', torch.XStorage, key, location, element count) in the zip
    /// format, plus view metadata (always None since PyTorch 0.4) in the legacy one. The location ("cpu",
    /// "cuda:0") is ignored: everything loads on the CPU.
    /// </summary>
    public static (string Key, TensorElementType ElementType, long ElementCount) ParseStoragePersistentId(object? id, int expectedLength)
    {
        if (id is not object?[] tuple || tuple.Length != expectedLength || tuple[0] as string != "storage"
            || tuple[1] is not AllowedGlobal { Kind: AllowedGlobalKind.StorageType } storageType
            || tuple[2] is not string key || tuple[3] is not string || !TryGetInt64(tuple[4], out long count) || count < 0)
        {
            throw new InvalidDataException($"unexpected persistent id {Describe(id)} (expected a torch storage).");
        }
        if (expectedLength == 6 && tuple[5] is not null)
            throw new InvalidDataException($"storage '{key}' is a storage view of the pre-0.4 PyTorch format, which is not supported.");
        return (key, storageType.StorageElementType, count);
    }

    private object? MemoGet(long index, long offset) =>
        memo.TryGetValue(index, out var value) ? value : throw new InvalidDataException($"malformed pickle: memo entry {index} read at byte {offset} was never stored.");

    private object? Pop()
    {
        if (stack.Count == 0 || (marks.Count > 0 && marks[^1] == stack.Count))
            throw new InvalidDataException($"malformed pickle: stack underflow at byte {stream.Position - 1}.");
        object? value = stack[^1];
        stack.RemoveAt(stack.Count - 1);
        return value;
    }

    private object? PeekAny(string opcode) =>
        stack.Count > 0 ? stack[^1] : throw new InvalidDataException($"malformed pickle: {opcode} on an empty stack.");

    private T Peek<T>(string opcode) where T : class =>
        PeekAny(opcode) as T ?? throw new InvalidDataException($"malformed pickle: {opcode} applied to a {Describe(stack[^1])}.");

    private object?[] PopTop(int count)
    {
        int floor = marks.Count > 0 ? marks[^1] : 0;
        if (stack.Count - count < floor)
            throw new InvalidDataException($"malformed pickle: stack underflow at byte {stream.Position - 1}.");
        object?[] items = stack.GetRange(stack.Count - count, count).ToArray();
        stack.RemoveRange(stack.Count - count, count);
        return items;
    }

    private object?[] PopToMark()
    {
        if (marks.Count == 0)
            throw new InvalidDataException($"malformed pickle: no MARK before byte {stream.Position - 1}.");
        int mark = marks[^1];
        marks.RemoveAt(marks.Count - 1);
        object?[] items = stack.GetRange(mark, stack.Count - mark).ToArray();
        stack.RemoveRange(mark, stack.Count - mark);
        return items;
    }

    private byte ReadByte()
    {
        EnsureWithinLimit(1);
        int value = stream.ReadByte();
        return value >= 0 ? (byte)value : throw Truncated();
    }

    private int ReadLength4()
    {
        uint length = BinaryPrimitives.ReadUInt32LittleEndian(ReadBytes(4));
        return length <= int.MaxValue ? (int)length : throw new InvalidDataException($"pickle string of {length} bytes is too large.");
    }

    private byte[] ReadBytes(int count)
    {
        // Check before allocating, so a corrupt length cannot ask for gigabytes.
        if (count > stream.Length - stream.Position)
            throw Truncated();
        EnsureWithinLimit(count);
        var bytes = new byte[count];
        stream.ReadExactly(bytes);
        return bytes;
    }

    private void EnsureWithinLimit(long count)
    {
        if (stream.Position - start + count > CheckpointLimits.MaxStructureBytes)
            throw new InvalidDataException($"the pickle is larger than {CheckpointLimits.MaxStructureBytes >> 20} MiB; a state dict's takes about 200 bytes per tensor.");
    }

    private string ReadLine()
    {
        var line = new List<byte>();
        for (byte b = ReadByte(); b != (byte)'\n'; b = ReadByte())
        {
            if (line.Count == 256)
                throw new InvalidDataException($"malformed pickle: a GLOBAL name longer than 256 bytes at byte {stream.Position}.");
            line.Add(b);
        }
        return DecodeUtf8([.. line]);
    }

    private InvalidDataException Truncated() =>
        new($"truncated: the file ends at byte {stream.Position} inside a pickle (before its STOP opcode).");

    private static string DecodeUtf8(byte[] bytes)
    {
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException e)
        {
            throw new InvalidDataException("pickle string is not valid UTF-8.", e);
        }
    }

    /// <summary>Pushes a long while it fits 64 bits (every int torch.save writes but the legacy magic number), else a BigInteger.</summary>
    private void PushLong(byte[] bytes)
    {
        var value = new BigInteger(bytes, isUnsigned: false, isBigEndian: false);
        if (value >= long.MinValue && value <= long.MaxValue)
            stack.Add((long)value);
        else
            stack.Add(value);
    }

    public static bool TryGetInt64(object? value, out long result)
    {
        result = value is long integer ? integer : 0;
        return value is long;
    }

    private static bool TryGetInt64Tuple(object? value, out long[] result)
    {
        if (value is object?[] items && items.All(item => item is long))
        {
            result = items.Select(item => (long)item!).ToArray();
            return true;
        }
        result = [];
        return false;
    }

    /// <summary>A short description of a pickled value for error messages.</summary>
    public static string Describe(object? value) => Describe(value, depth: 0);

    /// <summary>
    /// Bounded by construction: a tuple shows at most six items and only one level deep, so that a tiny pickle of deeply
    /// nested or shared containers (memo references make a DAG of exponential size) describes in a few hundred characters.
    /// </summary>
    private static string Describe(object? value, int depth) => value switch
    {
        null => "None",
        bool b => b ? "True" : "False",
        long => $"int {value}",
        BigInteger big => big.GetByteCount() <= 16 ? $"int {big}" : $"int of {big.GetBitLength()} bits",
        double d => $"float {d}",
        string s => $"str '{Printable(s.Length > 40 ? s[..40] + "..." : s)}'",
        byte[] bytes => $"bytes of length {bytes.Length}",
        List<object?> list => $"list of {list.Count}",
        object?[] tuple when depth > 0 => $"tuple of {tuple.Length}",
        object?[] tuple => $"tuple ({string.Join(", ", tuple.Take(6).Select(item => Describe(item, depth + 1)))}{(tuple.Length > 6 ? ", ..." : "")})",
        PickleDict { IsOrderedDict: true } dict => $"OrderedDict of {dict.Count}",
        PickleDict dict => $"dict of {dict.Count}",
        AllowedGlobal global => global.FullName,
        StorageReference storage => $"storage '{storage.Key}'",
        TensorReference tensor => $"{tensor.Storage.ElementType} tensor [{string.Join(", ", tensor.Shape)}]",
        _ => value.GetType().Name,
    };

    /// <summary>Escapes control characters, so a hostile name cannot rewrite the terminal that shows the error.</summary>
    private static string Printable(string text)
    {
        var builder = new StringBuilder();
        foreach (char c in text.Length > 200 ? text[..200] + "..." : text)
            builder.Append(char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString());
        return builder.ToString();
    }
}
